package delta

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// mergeSchema adds the columns (top-level or nested struct fields) of a
// written batch that the table lacks. New columns are nullable, as in
// Spark, and get column-mapping ids and physical names when the table uses
// column mapping. Type differences are left to conformBatch (which widens
// safely or reports them).
func (x *Transaction) mergeSchema(in *arrow.Schema) error {
	incoming, err := deltaSchema(in, false)
	if errors.Is(err, ErrUnsupportedType) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSchemaMismatch, err)
	}
	widen := protocol.Config(x.meta.Configuration).Bool("delta.enableTypeWidening", false)
	merged, changed := mergeStruct(x.schema, incoming, widen)
	if !changed {
		return nil
	}
	return x.setSchema(merged, x.meta.PartitionColumns)
}

// replaceSchema implements OverwriteSchema: the table takes the schema of
// the written data (and TxnOptions.PartitionBy as partitioning).
func (x *Transaction) replaceSchema(in *arrow.Schema) error {
	st, err := deltaSchema(in, true)
	if errors.Is(err, ErrUnsupportedType) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSchemaMismatch, err)
	}
	if err := checkColumnNames(st); err != nil {
		return err
	}
	parts := make([]string, 0, len(x.opts.PartitionBy))
	for _, p := range x.opts.PartitionBy {
		f, _ := st.Field(p)
		if f == nil {
			return fmt.Errorf("%w: partition column %q is not in the written schema", ErrInvalidArgument, p)
		}
		parts = append(parts, f.Name)
	}
	return x.setSchema(st, parts)
}

// setSchema records a new schema (and partitioning) in the transaction's
// metadata, upgrading the protocol if the schema needs new features.
func (x *Transaction) setSchema(st *protocol.StructType, parts []string) error {
	meta := *x.meta
	meta.Configuration = maps.Clone(x.meta.Configuration)
	if meta.Configuration == nil {
		meta.Configuration = map[string]string{}
	}
	if x.mapping != protocol.ColumnMappingNone {
		maxID := protocol.Config(meta.Configuration).Int(protocol.PropColumnMappingMaxID, 0)
		maxID = assignColumnMapping(st, maxID)
		meta.Configuration[protocol.PropColumnMappingMaxID] = strconv.FormatInt(maxID, 10)
	}
	ss, err := protocol.MarshalSchema(st)
	if err != nil {
		return err
	}
	meta.SchemaString = ss
	meta.PartitionColumns = parts
	props := maps.Clone(meta.Configuration)
	feats, err := featuresInUse(st, props)
	if err != nil {
		return err
	}
	if err := checkWritableFeatures(feats); err != nil {
		return err
	}
	want, err := minimalProtocol(feats, props)
	if err != nil {
		return err
	}
	if p := mergeProtocols(x.proto, want); !protocolsEqual(p, x.proto) {
		x.proto, x.protoChanged = p, true
	}
	x.meta, x.schema, x.metaChanged = &meta, st, true
	return nil
}

// mergeStruct returns base with the fields of add it lacks appended
// (recursively into structs), and whether anything changed. With widen
// (delta.enableTypeWidening), a field whose type add widens takes the
// wider type and records the change in delta.typeChanges, as Spark's
// schema evolution does; readers convert the older files.
func mergeStruct(base, add *protocol.StructType, widen bool) (*protocol.StructType, bool) {
	out := &protocol.StructType{Fields: make([]*protocol.StructField, 0, len(base.Fields))}
	changed := false
	for _, f := range base.Fields {
		nf := f
		if af := fieldFold(add, f.Name); af != nil {
			bs, ok1 := f.Type.(*protocol.StructType)
			as, ok2 := af.Type.(*protocol.StructType)
			if ok1 && ok2 {
				if m, ch := mergeStruct(bs, as, widen); ch {
					c := *f
					c.Type = m
					nf = &c
					changed = true
				}
			}
			bp, ok1 := f.Type.(protocol.PrimitiveType)
			ap, ok2 := af.Type.(protocol.PrimitiveType)
			if widen && ok1 && ok2 && protocol.AutoWidens(bp, ap) {
				nf = widenedField(f, bp, ap)
				changed = true
			}
		}
		out.Fields = append(out.Fields, nf)
	}
	for _, af := range add.Fields {
		if fieldFold(base, af.Name) == nil {
			c := *af
			c.Nullable = true
			out.Fields = append(out.Fields, &c)
			changed = true
		}
	}
	return out, changed
}

func fieldFold(st *protocol.StructType, name string) *protocol.StructField {
	for _, f := range st.Fields {
		if strings.EqualFold(f.Name, name) {
			return f
		}
	}
	return nil
}

// widenedField is f with type to, its delta.typeChanges history extended.
func widenedField(f *protocol.StructField, from, to protocol.PrimitiveType) *protocol.StructField {
	c := *f
	c.Type = to
	c.Metadata = maps.Clone(f.Metadata)
	if c.Metadata == nil {
		c.Metadata = map[string]json.RawMessage{}
	}
	type change struct {
		FromType string `json:"fromType"`
		ToType   string `json:"toType"`
	}
	var history []json.RawMessage
	if raw, ok := c.Metadata[protocol.MetaTypeChanges]; ok {
		_ = json.Unmarshal(raw, &history) // a malformed history is replaced
	}
	entry, _ := json.Marshal(change{FromType: string(from), ToType: string(to)})
	history = append(history, entry)
	c.Metadata[protocol.MetaTypeChanges], _ = json.Marshal(history)
	return &c
}
