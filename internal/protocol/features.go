package protocol

import (
	"fmt"
	"slices"
	"strings"
)

// Unsupported names what a table requires that this library does not
// implement: a table feature, or "readerVersion=N" / "writerVersion=N"
// for a protocol version. Package delta turns it into its public error.
type Unsupported struct {
	Feature string
	Writer  bool // only writing is affected
}

// Reader features this library implements. Every feature the spec lets a
// reader see is here except catalog-managed tables (they need a catalog
// client) and variant shredding.
var supportedReaderFeatures = []string{
	"columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint",
	"vacuumProtocolCheck", "typeWidening", "typeWidening-preview",
	"variantType", "variantType-preview",
}

// SupportedWriterFeatures lists the writer features this library honours
// when writing. The writer consults it before every commit.
var SupportedWriterFeatures = []string{
	"appendOnly", "invariants", "checkConstraints", "generatedColumns",
	"changeDataFeed", "columnMapping", "deletionVectors", "timestampNtz",
	"v2Checkpoint", "vacuumProtocolCheck", "domainMetadata", "inCommitTimestamp",
	"typeWidening", "typeWidening-preview", "variantType", "variantType-preview",
	"identityColumns", "clustering",
}

// ReadUnsupported returns what in p this reader cannot honour, if
// anything. Reading such a table would give wrong results.
func ReadUnsupported(p *Protocol) (Unsupported, bool) {
	if p.MinReaderVersion < 1 || p.MinReaderVersion > 3 {
		return Unsupported{Feature: fmt.Sprintf("readerVersion=%d", p.MinReaderVersion)}, true
	}
	if p.MinReaderVersion == 3 {
		for _, f := range p.ReaderFeatures {
			if !slices.Contains(supportedReaderFeatures, f) {
				return Unsupported{Feature: f}, true
			}
		}
	}
	return Unsupported{}, false
}

// WriteUnsupported returns what in p a writer honouring the features in
// supported cannot honour, reading included, if anything.
func WriteUnsupported(p *Protocol, supported []string) (Unsupported, bool) {
	if u, ok := ReadUnsupported(p); ok {
		return u, true
	}
	if p.MinWriterVersion < 1 || p.MinWriterVersion > 7 {
		return Unsupported{Feature: fmt.Sprintf("writerVersion=%d", p.MinWriterVersion), Writer: true}, true
	}
	if p.MinWriterVersion == 7 {
		for _, f := range p.WriterFeatures {
			if !slices.Contains(supported, f) {
				return Unsupported{Feature: f, Writer: true}, true
			}
		}
		return Unsupported{}, false
	}
	// Legacy writer versions imply feature sets: 5/6 need column mapping,
	// 6 needs identity columns, which this writer does not generate.
	if p.MinWriterVersion >= 6 && !slices.Contains(supported, "identityColumns") {
		return Unsupported{Feature: "identityColumns", Writer: true}, true
	}
	return Unsupported{}, false
}

// SupportsFeature reports whether the protocol supports a feature, either by
// listing it (reader 3 / writer 7) or through a legacy version that implies it.
func (p *Protocol) SupportsFeature(name string) bool {
	if p == nil {
		return false
	}
	if slices.Contains(p.ReaderFeatures, name) || slices.Contains(p.WriterFeatures, name) {
		return true
	}
	if p.MinWriterVersion == 7 {
		return false
	}
	legacy := map[string]int32{
		"appendOnly": 2, "invariants": 2, "checkConstraints": 3, "changeDataFeed": 4,
		"generatedColumns": 4, "columnMapping": 5, "identityColumns": 6,
	}
	v, ok := legacy[name]
	return ok && p.MinWriterVersion >= v
}

// ColumnMappingMode is the table's delta.columnMapping.mode.
type ColumnMappingMode int

// Column mapping modes.
const (
	ColumnMappingNone ColumnMappingMode = iota
	ColumnMappingName
	ColumnMappingID
)

func (m ColumnMappingMode) String() string {
	switch m {
	case ColumnMappingName:
		return "name"
	case ColumnMappingID:
		return "id"
	}
	return "none"
}

// ColumnMapping returns the effective column-mapping mode: the property is
// honoured only when the protocol supports column mapping (spec: "Column
// Mapping").
func ColumnMapping(p *Protocol, m *Metadata) (ColumnMappingMode, error) {
	mode := strings.ToLower(m.Configuration["delta.columnMapping.mode"])
	if mode == "" || mode == "none" {
		return ColumnMappingNone, nil
	}
	if p.MinReaderVersion < 2 || (p.MinReaderVersion == 3 && !slices.Contains(p.ReaderFeatures, "columnMapping")) {
		return ColumnMappingNone, nil
	}
	switch mode {
	case "name":
		return ColumnMappingName, nil
	case "id":
		return ColumnMappingID, nil
	}
	return ColumnMappingNone, fmt.Errorf("%w: delta.columnMapping.mode %q", ErrMalformed, mode)
}
