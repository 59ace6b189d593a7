package delta

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Features that need a table-features protocol (reader 3 / writer 7) and
// have no legacy protocol version.
var readerWriterFeatures = []string{
	"columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint",
	"typeWidening", "variantType", "vacuumProtocolCheck",
}

// legacyWriterVersion is the writer version that implies each legacy
// feature (protocol spec, "Table Features").
var legacyWriterVersion = map[string]int32{
	"appendOnly": 2, "invariants": 2, "checkConstraints": 3,
	"changeDataFeed": 4, "generatedColumns": 4, "columnMapping": 5,
	"identityColumns": 6,
}

// featuresInUse lists the table features a schema and configuration use.
// Explicit "delta.feature.<name>" = "supported" properties are included
// (and removed from props, as Spark does).
func featuresInUse(schema *protocol.StructType, props map[string]string) ([]string, error) {
	var feats []string
	addF := func(f string) {
		if !slices.Contains(feats, f) {
			feats = append(feats, f)
		}
	}
	cfg := protocol.Config(props)
	if cfg.Bool(protocol.PropAppendOnly, false) {
		addF("appendOnly")
	}
	for k := range props {
		switch {
		case strings.HasPrefix(k, "delta.constraints."):
			addF("checkConstraints")
		case strings.HasPrefix(k, "delta.feature."):
			v := strings.ToLower(props[k])
			if v != "supported" && v != "enabled" {
				return nil, fmt.Errorf("%w: %s=%q (want \"supported\")", ErrInvalidArgument, k, props[k])
			}
			addF(strings.TrimPrefix(k, "delta.feature."))
			delete(props, k)
		}
	}
	if cfg.Bool(protocol.PropEnableCDF, false) {
		addF("changeDataFeed")
	}
	if m := strings.ToLower(props[protocol.PropColumnMappingMode]); m == "name" || m == "id" {
		addF("columnMapping")
	}
	if cfg.Bool(protocol.PropEnableDeletionVectors, false) {
		addF("deletionVectors")
	}
	if cfg.Bool(protocol.PropEnableICT, false) {
		addF("inCommitTimestamp")
	}
	if strings.EqualFold(props[protocol.PropCheckpointPolicy], "v2") {
		addF("v2Checkpoint")
	}
	if cfg.Bool("delta.enableTypeWidening", false) {
		addF("typeWidening")
	}
	if cfg.Bool("delta.enableRowTracking", false) {
		addF("rowTracking")
	}
	var walk func(t protocol.DataType)
	walkField := func(f *protocol.StructField) {
		if _, ok := f.Metadata["delta.invariants"]; ok {
			addF("invariants")
		}
		if _, ok := f.Metadata[protocol.MetaGeneration]; ok {
			addF("generatedColumns")
		}
		for k := range f.Metadata {
			if strings.HasPrefix(k, "delta.identity.") {
				addF("identityColumns")
			}
		}
		walk(f.Type)
	}
	walk = func(t protocol.DataType) {
		switch v := t.(type) {
		case protocol.PrimitiveType:
			switch v {
			case protocol.TypeTimestampNTZ:
				addF("timestampNtz")
			case protocol.TypeVariant:
				addF("variantType")
			}
		case *protocol.StructType:
			for _, f := range v.Fields {
				walkField(f)
			}
		case *protocol.ArrayType:
			walk(v.ElementType)
		case *protocol.MapType:
			walk(v.KeyType)
			walk(v.ValueType)
		}
	}
	walk(schema)
	if hasNotNull(schema) {
		// Spark counts a NOT NULL column (top level or in a struct, not
		// inside arrays or maps) as an invariant, and refuses to read a
		// table-features protocol that does not list the feature. Under
		// legacy versions it is implied by writer version 2.
		addF("invariants")
	}
	slices.Sort(feats)
	return feats, nil
}

// hasNotNull reports whether a struct has a NOT NULL field, looking into
// nested structs but not into array elements or map values.
func hasNotNull(st *protocol.StructType) bool {
	for _, f := range st.Fields {
		if !f.Nullable {
			return true
		}
		if sub, ok := f.Type.(*protocol.StructType); ok && hasNotNull(sub) {
			return true
		}
	}
	return false
}

// minimalProtocol chooses the lowest protocol supporting feats, as Spark
// does: legacy versions when every feature has one, table features
// (listing exactly the features in use) otherwise. explicit holds
// delta.minReaderVersion / delta.minWriterVersion properties, which are
// honoured and removed from props.
func minimalProtocol(feats []string, props map[string]string) (*protocol.Protocol, error) {
	reader, writer := int32(1), int32(2)
	explicitWriter := int32(0)
	needFeatures := false
	for _, f := range feats {
		if v, ok := legacyWriterVersion[f]; ok {
			writer = max(writer, v)
			if f == "columnMapping" {
				reader = 2
			}
			continue
		}
		needFeatures = true
	}
	for _, k := range []string{"delta.minReaderVersion", "delta.minWriterVersion"} {
		s, ok := props[k]
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil || n < 1 || (k == "delta.minReaderVersion" && n > 3) || n > 7 {
			return nil, fmt.Errorf("%w: %s=%q", ErrInvalidArgument, k, s)
		}
		if k == "delta.minReaderVersion" {
			reader = max(reader, int32(n))
		} else {
			writer = max(writer, int32(n))
			explicitWriter = int32(n)
		}
		delete(props, k)
	}
	if reader == 3 || writer == 7 {
		needFeatures = true
	}
	if !needFeatures {
		return &protocol.Protocol{MinReaderVersion: reader, MinWriterVersion: writer}, nil
	}
	p := &protocol.Protocol{MinReaderVersion: 1, MinWriterVersion: 7}
	// An explicit writer version below 7 still implies its legacy features.
	for f, v := range legacyWriterVersion {
		if v <= explicitWriter && explicitWriter < 7 && !slices.Contains(feats, f) {
			feats = append(feats, f)
		}
	}
	slices.Sort(feats)
	for _, f := range feats {
		p.WriterFeatures = append(p.WriterFeatures, f)
		if slices.Contains(readerWriterFeatures, f) {
			p.MinReaderVersion = 3
			p.ReaderFeatures = append(p.ReaderFeatures, f)
		}
	}
	if reader == 3 {
		p.MinReaderVersion = 3
	}
	if p.MinReaderVersion == 3 && p.ReaderFeatures == nil {
		p.ReaderFeatures = []string{}
	}
	return p, nil
}

// mergeProtocols returns a protocol supporting everything both do (a
// protocol is never downgraded by a write).
func mergeProtocols(old, want *protocol.Protocol) *protocol.Protocol {
	if old == nil {
		return want
	}
	if want.MinWriterVersion < 7 && old.MinWriterVersion < 7 {
		return &protocol.Protocol{
			MinReaderVersion: max(old.MinReaderVersion, want.MinReaderVersion),
			MinWriterVersion: max(old.MinWriterVersion, want.MinWriterVersion),
		}
	}
	// Table features on either side: expand the other's legacy versions
	// into features and take the union.
	feats := func(p *protocol.Protocol) []string {
		if p.MinWriterVersion == 7 {
			return slices.Concat(p.WriterFeatures, p.ReaderFeatures)
		}
		var out []string
		for f, v := range legacyWriterVersion {
			if v <= p.MinWriterVersion {
				out = append(out, f)
			}
		}
		return out
	}
	all := slices.Concat(feats(old), feats(want))
	slices.Sort(all)
	all = slices.Compact(all)
	p := &protocol.Protocol{MinReaderVersion: max(old.MinReaderVersion, want.MinReaderVersion, 1), MinWriterVersion: 7}
	p.WriterFeatures = all
	for _, f := range all {
		if slices.Contains(readerWriterFeatures, f) {
			p.ReaderFeatures = append(p.ReaderFeatures, f)
		}
	}
	if len(p.ReaderFeatures) > 0 {
		p.MinReaderVersion = 3
	}
	if p.MinReaderVersion == 2 && !slices.Contains(all, "columnMapping") {
		p.MinReaderVersion = 1
	}
	if p.MinReaderVersion == 3 && p.ReaderFeatures == nil {
		p.ReaderFeatures = []string{}
	}
	return p
}

func protocolsEqual(a, b *protocol.Protocol) bool {
	return a.MinReaderVersion == b.MinReaderVersion && a.MinWriterVersion == b.MinWriterVersion &&
		slices.Equal(sortedCopy(a.ReaderFeatures), sortedCopy(b.ReaderFeatures)) &&
		slices.Equal(sortedCopy(a.WriterFeatures), sortedCopy(b.WriterFeatures))
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
