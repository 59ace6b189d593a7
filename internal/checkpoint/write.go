package checkpoint

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// WriterOptions shape a checkpoint file. A nil *WriterOptions writes a
// classic checkpoint with the stats JSON column only.
type WriterOptions struct {
	// Columns lists the top-level action columns the file has; nil means
	// the classic set (txn, add, remove, metaData, protocol,
	// domainMetadata). A V2 top-level file adds checkpointMetadata and
	// sidecar; a sidecar has just add and remove.
	Columns []string
	// PartitionValuesParsed, when set, adds add.partitionValues_parsed with
	// this struct (physical partition column names, logical types).
	PartitionValuesParsed *arrow.StructType
	// StatsParsed, when set, adds add.stats_parsed with this struct (see
	// StatsParsedType).
	StatsParsed *arrow.StructType
	// OmitStatsJSON leaves add.stats null (delta.checkpoint.writeStatsAsJson=false).
	OmitStatsJSON bool
	// MaxStatsBytes, when positive, bounds the stats JSON parsed for
	// stats_parsed: a longer string is not parsed and its stats_parsed is
	// null (readers then take the JSON, or no stats), so a hostile stats
	// string cannot blow up checkpoint memory.
	MaxStatsBytes int64
	// Allocator backs the builders; default memory.DefaultAllocator.
	Allocator memory.Allocator
}

// Column sets for WriterOptions.Columns.
var (
	ClassicColumns  = []string{"txn", "add", "remove", "metaData", "protocol", "domainMetadata"}
	V2TopColumns    = []string{"txn", "add", "remove", "metaData", "protocol", "domainMetadata", "checkpointMetadata", "sidecar"}
	SidecarColumns  = []string{"add", "remove"}
	rowsPerRowGroup = int64(1 << 17)
)

var (
	stringMap = func() *arrow.MapType { return arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String) }
	dvType    = arrow.StructOf(
		arrow.Field{Name: "storageType", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "pathOrInlineDv", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "offset", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "sizeInBytes", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "cardinality", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "maxRowIndex", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	)
)

func nf(name string, t arrow.DataType) arrow.Field {
	return arrow.Field{Name: name, Type: t, Nullable: true}
}

// Schema returns the Arrow schema of a checkpoint file with these options.
func Schema(opts *WriterOptions) *arrow.Schema {
	o := opts.withDefaults()
	var fields []arrow.Field
	for _, c := range o.Columns {
		var t arrow.DataType
		switch c {
		case "txn":
			t = arrow.StructOf(nf("appId", arrow.BinaryTypes.String), nf("version", arrow.PrimitiveTypes.Int64), nf("lastUpdated", arrow.PrimitiveTypes.Int64))
		case "add":
			fs := []arrow.Field{
				nf("path", arrow.BinaryTypes.String), nf("partitionValues", stringMap()), nf("size", arrow.PrimitiveTypes.Int64),
				nf("modificationTime", arrow.PrimitiveTypes.Int64), nf("dataChange", arrow.FixedWidthTypes.Boolean),
				nf("stats", arrow.BinaryTypes.String), nf("tags", stringMap()), nf("deletionVector", dvType),
				nf("baseRowId", arrow.PrimitiveTypes.Int64), nf("defaultRowCommitVersion", arrow.PrimitiveTypes.Int64),
				nf("clusteringProvider", arrow.BinaryTypes.String),
			}
			if o.PartitionValuesParsed != nil {
				fs = append(fs, nf("partitionValues_parsed", o.PartitionValuesParsed))
			}
			if o.StatsParsed != nil {
				fs = append(fs, nf("stats_parsed", o.StatsParsed))
			}
			t = arrow.StructOf(fs...)
		case "remove":
			t = arrow.StructOf(
				nf("path", arrow.BinaryTypes.String), nf("deletionTimestamp", arrow.PrimitiveTypes.Int64),
				nf("dataChange", arrow.FixedWidthTypes.Boolean), nf("extendedFileMetadata", arrow.FixedWidthTypes.Boolean),
				nf("partitionValues", stringMap()), nf("size", arrow.PrimitiveTypes.Int64), nf("stats", arrow.BinaryTypes.String),
				nf("tags", stringMap()), nf("deletionVector", dvType), nf("baseRowId", arrow.PrimitiveTypes.Int64),
				nf("defaultRowCommitVersion", arrow.PrimitiveTypes.Int64),
			)
		case "metaData":
			t = arrow.StructOf(
				nf("id", arrow.BinaryTypes.String), nf("name", arrow.BinaryTypes.String), nf("description", arrow.BinaryTypes.String),
				nf("format", arrow.StructOf(nf("provider", arrow.BinaryTypes.String), nf("options", stringMap()))),
				nf("schemaString", arrow.BinaryTypes.String), nf("partitionColumns", arrow.ListOf(arrow.BinaryTypes.String)),
				nf("configuration", stringMap()), nf("createdTime", arrow.PrimitiveTypes.Int64),
			)
		case "protocol":
			t = arrow.StructOf(
				nf("minReaderVersion", arrow.PrimitiveTypes.Int32), nf("minWriterVersion", arrow.PrimitiveTypes.Int32),
				nf("readerFeatures", arrow.ListOf(arrow.BinaryTypes.String)), nf("writerFeatures", arrow.ListOf(arrow.BinaryTypes.String)),
			)
		case "domainMetadata":
			t = arrow.StructOf(nf("domain", arrow.BinaryTypes.String), nf("configuration", arrow.BinaryTypes.String), nf("removed", arrow.FixedWidthTypes.Boolean))
		case "checkpointMetadata":
			t = arrow.StructOf(nf("version", arrow.PrimitiveTypes.Int64), nf("tags", stringMap()))
		case "sidecar":
			t = arrow.StructOf(nf("path", arrow.BinaryTypes.String), nf("sizeInBytes", arrow.PrimitiveTypes.Int64),
				nf("modificationTime", arrow.PrimitiveTypes.Int64), nf("tags", stringMap()))
		default:
			continue
		}
		fields = append(fields, nf(c, t))
	}
	return arrow.NewSchema(fields, nil)
}

func (o *WriterOptions) withDefaults() WriterOptions {
	var out WriterOptions
	if o != nil {
		out = *o
	}
	if out.Columns == nil {
		out.Columns = ClassicColumns
	}
	if out.Allocator == nil {
		out.Allocator = memory.DefaultAllocator
	}
	return out
}

// Writer streams actions into one parquet checkpoint file (or sidecar).
type Writer struct {
	opts   WriterOptions
	schema *arrow.Schema
	bld    *array.RecordBuilder
	col    map[string]int
	fw     *pqarrow.FileWriter
	rows   int64
	pend   int64
}

// NewWriter starts a checkpoint file on w. Close finishes it (it does not
// close w).
func NewWriter(w io.Writer, opts *WriterOptions) (*Writer, error) {
	o := opts.withDefaults()
	schema := Schema(&o)
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithAllocator(o.Allocator))
	fw, err := pqarrow.NewFileWriter(schema, nopCloser{w}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(o.Allocator)))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: start writer: %w", err)
	}
	cw := &Writer{opts: o, schema: schema, bld: array.NewRecordBuilder(o.Allocator, schema), col: map[string]int{}, fw: fw}
	for i, f := range schema.Fields() {
		cw.col[f.Name] = i
	}
	return cw, nil
}

// nopCloser hides the sink's Close: the caller decides when the object is
// published.
type nopCloser struct{ w io.Writer }

func (n nopCloser) Write(p []byte) (int, error) { return n.w.Write(p) }

// Rows is the number of actions written so far.
func (w *Writer) Rows() int64 { return w.rows }

// Write appends actions, one row each. Actions of kinds the file has no
// column for (commitInfo, cdc) are an error.
func (w *Writer) Write(actions ...protocol.Action) error {
	for i := range actions {
		if err := w.append(&actions[i]); err != nil {
			return err
		}
		w.rows++
		w.pend++
		if w.pend >= rowsPerRowGroup {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *Writer) flush() error {
	if w.pend == 0 {
		return nil
	}
	rec := w.bld.NewRecordBatch()
	defer rec.Release()
	w.pend = 0
	if err := w.fw.Write(rec); err != nil {
		return fmt.Errorf("checkpoint: write: %w", err)
	}
	return nil
}

// Close flushes the last rows and writes the parquet footer.
func (w *Writer) Close() error {
	defer w.bld.Release()
	if err := w.flush(); err != nil {
		return err
	}
	if err := w.fw.Close(); err != nil {
		return fmt.Errorf("checkpoint: finish: %w", err)
	}
	return nil
}

func (w *Writer) append(a *protocol.Action) error {
	kind := ""
	switch {
	case a.Txn != nil:
		kind = "txn"
	case a.Add != nil:
		kind = "add"
	case a.Remove != nil:
		kind = "remove"
	case a.Metadata != nil:
		kind = "metaData"
	case a.Protocol != nil:
		kind = "protocol"
	case a.DomainMetadata != nil:
		kind = "domainMetadata"
	case a.CheckpointMetadata != nil:
		kind = "checkpointMetadata"
	case a.Sidecar != nil:
		kind = "sidecar"
	}
	idx, ok := w.col[kind]
	if kind == "" || !ok {
		return fmt.Errorf("checkpoint: this file has no column for the action %s", actionKind(a))
	}
	for i := 0; i < w.schema.NumFields(); i++ {
		if i != idx {
			w.bld.Field(i).AppendNull()
		}
	}
	sb := w.bld.Field(idx).(*array.StructBuilder)
	sb.Append(true)
	f := func(i int) array.Builder { return sb.FieldBuilder(i) }
	switch kind {
	case "txn":
		appendStr(f(0), a.Txn.AppID)
		appendInt(f(1), a.Txn.Version)
		appendIntPtr(f(2), a.Txn.LastUpdated)
	case "add":
		return w.appendAdd(sb, a.Add)
	case "remove":
		r := a.Remove
		appendStr(f(0), protocol.EncodePath(r.Path))
		appendIntPtr(f(1), r.DeletionTimestamp)
		f(2).(*array.BooleanBuilder).Append(r.DataChange)
		if r.ExtendedFileMetadata != nil {
			f(3).(*array.BooleanBuilder).Append(*r.ExtendedFileMetadata)
		} else {
			f(3).AppendNull()
		}
		appendPartitionMap(f(4), r.PartitionValues, r.ExtendedFileMetadata != nil || r.PartitionValues != nil)
		appendIntPtr(f(5), r.Size)
		appendOptStr(f(6), r.Stats)
		appendStringMap(f(7), r.Tags)
		appendDV(f(8), r.DeletionVector)
		appendIntPtr(f(9), r.BaseRowID)
		appendIntPtr(f(10), r.DefaultRowCommitVersion)
	case "metaData":
		m := a.Metadata
		appendStr(f(0), m.ID)
		appendOptStr(f(1), m.Name)
		appendOptStr(f(2), m.Description)
		fb := f(3).(*array.StructBuilder)
		fb.Append(true)
		appendStr(fb.FieldBuilder(0), m.Format.Provider)
		appendStringMapAlways(fb.FieldBuilder(1), m.Format.Options)
		appendStr(f(4), m.SchemaString)
		appendList(f(5), m.PartitionColumns, true)
		appendStringMapAlways(f(6), m.Configuration)
		appendIntPtr(f(7), m.CreatedTime)
	case "protocol":
		p := a.Protocol
		f(0).(*array.Int32Builder).Append(p.MinReaderVersion)
		f(1).(*array.Int32Builder).Append(p.MinWriterVersion)
		appendList(f(2), p.ReaderFeatures, p.MinReaderVersion >= 3)
		appendList(f(3), p.WriterFeatures, p.MinWriterVersion >= 7)
	case "domainMetadata":
		d := a.DomainMetadata
		appendStr(f(0), d.Domain)
		appendStr(f(1), d.Configuration)
		f(2).(*array.BooleanBuilder).Append(d.Removed)
	case "checkpointMetadata":
		appendInt(f(0), a.CheckpointMetadata.Version)
		appendStringMap(f(1), a.CheckpointMetadata.Tags)
	case "sidecar":
		s := a.Sidecar
		appendStr(f(0), s.Path)
		appendInt(f(1), s.SizeInBytes)
		appendInt(f(2), s.ModificationTime)
		appendStringMap(f(3), s.Tags)
	}
	return nil
}

func actionKind(a *protocol.Action) string {
	b, _ := json.Marshal(a)
	if len(b) > 40 {
		b = b[:40]
	}
	return string(b)
}

func (w *Writer) appendAdd(sb *array.StructBuilder, a *protocol.Add) error {
	f := func(i int) array.Builder { return sb.FieldBuilder(i) }
	appendStr(f(0), protocol.EncodePath(a.Path))
	appendPartitionMap(f(1), a.PartitionValues, true)
	appendInt(f(2), a.Size)
	appendInt(f(3), a.ModificationTime)
	f(4).(*array.BooleanBuilder).Append(a.DataChange)
	stats := a.Stats
	if stats == "" && a.StatsParsed != nil {
		stats, _ = a.StatsParsed.Encode()
	}
	if w.opts.OmitStatsJSON {
		stats = ""
	}
	appendOptStr(f(5), stats)
	appendStringMap(f(6), a.Tags)
	appendDV(f(7), a.DeletionVector)
	appendIntPtr(f(8), a.BaseRowID)
	appendIntPtr(f(9), a.DefaultRowCommitVersion)
	appendOptStr(f(10), a.ClusteringProvider)
	next := 11
	if t := w.opts.PartitionValuesParsed; t != nil {
		if err := appendParsedPartitions(f(next).(*array.StructBuilder), t, a.PartitionValues); err != nil {
			return fmt.Errorf("checkpoint: add %s: %w", a.Path, err)
		}
		next++
	}
	if t := w.opts.StatsParsed; t != nil {
		st := a.StatsParsed
		if st == nil && a.Stats != "" && (w.opts.MaxStatsBytes <= 0 || int64(len(a.Stats)) <= w.opts.MaxStatsBytes) {
			// Unparsable stats leave stats_parsed null, as Spark's
			// from_json does: the reader then skips nothing for this file
			// (the stats string itself is kept), where failing would leave
			// the whole table without checkpoints over one writer's bug.
			if parsed, err := protocol.ParseStats(a.Stats); err == nil {
				st = parsed
			}
		}
		if err := appendParsedStats(f(next).(*array.StructBuilder), t, st); err != nil {
			return fmt.Errorf("checkpoint: add %s: %w", a.Path, err)
		}
	}
	return nil
}

func appendStr(b array.Builder, s string) { b.(*array.StringBuilder).Append(s) }

func appendOptStr(b array.Builder, s string) {
	if s == "" {
		b.AppendNull()
		return
	}
	b.(*array.StringBuilder).Append(s)
}

func appendInt(b array.Builder, n int64) { b.(*array.Int64Builder).Append(n) }

func appendIntPtr(b array.Builder, n *int64) {
	if n == nil {
		b.AppendNull()
		return
	}
	b.(*array.Int64Builder).Append(*n)
}

func appendStringMap(b array.Builder, m map[string]string) {
	if m == nil {
		b.AppendNull()
		return
	}
	appendStringMapAlways(b, m)
}

func appendStringMapAlways(b array.Builder, m map[string]string) {
	mb := b.(*array.MapBuilder)
	mb.Append(true)
	kb, vb := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.StringBuilder)
	for _, k := range sortedKeys(m) {
		kb.Append(k)
		vb.Append(m[k])
	}
}

func appendPartitionMap(b array.Builder, m map[string]*string, present bool) {
	if !present {
		b.AppendNull()
		return
	}
	mb := b.(*array.MapBuilder)
	mb.Append(true)
	kb, vb := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.StringBuilder)
	for _, k := range sortedKeys(m) {
		kb.Append(k)
		if v := m[k]; v == nil {
			vb.AppendNull()
		} else {
			vb.Append(*v)
		}
	}
}

func appendList(b array.Builder, items []string, present bool) {
	lb := b.(*array.ListBuilder)
	if !present {
		lb.AppendNull()
		return
	}
	lb.Append(true)
	vb := lb.ValueBuilder().(*array.StringBuilder)
	for _, s := range items {
		vb.Append(s)
	}
}

func appendDV(b array.Builder, d *protocol.DeletionVector) {
	sb := b.(*array.StructBuilder)
	if d == nil {
		sb.AppendNull()
		return
	}
	sb.Append(true)
	appendStr(sb.FieldBuilder(0), d.StorageType)
	appendStr(sb.FieldBuilder(1), d.PathOrInlineDv)
	if d.Offset != nil {
		sb.FieldBuilder(2).(*array.Int32Builder).Append(*d.Offset)
	} else {
		sb.FieldBuilder(2).AppendNull()
	}
	sb.FieldBuilder(3).(*array.Int32Builder).Append(d.SizeInBytes)
	appendInt(sb.FieldBuilder(4), d.Cardinality)
	sb.FieldBuilder(5).AppendNull() // maxRowIndex: optional, not tracked
}

// appendParsedPartitions fills partitionValues_parsed: each partition
// value parsed into its column type.
func appendParsedPartitions(sb *array.StructBuilder, t *arrow.StructType, pv map[string]*string) error {
	sb.Append(true)
	for i, f := range t.Fields() {
		fb := sb.FieldBuilder(i)
		raw, ok := pv[f.Name]
		if !ok || raw == nil {
			fb.AppendNull()
			continue
		}
		sc, err := protocol.ParsePartitionValue(raw, f.Type)
		if err != nil {
			return err
		}
		if err := appendScalar(fb, sc); err != nil {
			return fmt.Errorf("partition column %s: %w", f.Name, err)
		}
	}
	return nil
}

func appendScalar(b array.Builder, sc scalar.Scalar) error {
	if !sc.IsValid() {
		b.AppendNull()
		return nil
	}
	arr, err := scalar.MakeArrayFromScalar(sc, 1, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	defer arr.Release()
	return b.AppendValueFromString(arr.ValueStr(0))
}

// appendParsedStats fills stats_parsed from decoded JSON stats; values the
// JSON lacks are null.
func appendParsedStats(sb *array.StructBuilder, t *arrow.StructType, st *protocol.Stats) error {
	if st == nil {
		sb.AppendNull()
		return nil
	}
	sb.Append(true)
	for i, f := range t.Fields() {
		fb := sb.FieldBuilder(i)
		var err error
		switch f.Name {
		case "numRecords":
			appendIntPtr(fb, st.NumRecords)
		case "tightBounds":
			if st.TightBounds == nil {
				fb.AppendNull()
			} else {
				fb.(*array.BooleanBuilder).Append(*st.TightBounds)
			}
		case "minValues":
			err = appendStatsStruct(fb.(*array.StructBuilder), f.Type.(*arrow.StructType), st.MinValues)
		case "maxValues":
			err = appendStatsStruct(fb.(*array.StructBuilder), f.Type.(*arrow.StructType), st.MaxValues)
		case "nullCount":
			err = appendStatsStruct(fb.(*array.StructBuilder), f.Type.(*arrow.StructType), st.NullCount)
		default:
			fb.AppendNull()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func appendStatsStruct(sb *array.StructBuilder, t *arrow.StructType, m map[string]any) error {
	if m == nil {
		sb.AppendNull()
		return nil
	}
	sb.Append(true)
	for i, f := range t.Fields() {
		fb := sb.FieldBuilder(i)
		v, ok := m[f.Name]
		if !ok || v == nil {
			fb.AppendNull()
			continue
		}
		if st, isStruct := f.Type.(*arrow.StructType); isStruct {
			sub, _ := v.(map[string]any)
			if err := appendStatsStruct(fb.(*array.StructBuilder), st, sub); err != nil {
				return err
			}
			continue
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case json.Number:
			s = x.String()
		case float64:
			s = strconv.FormatFloat(x, 'g', -1, 64)
		case bool:
			s = strconv.FormatBool(x)
		default:
			fb.AppendNull()
			continue
		}
		if err := fb.AppendValueFromString(s); err != nil {
			// A value this type cannot hold (a truncated timestamp string,
			// say) is dropped: stats are optional, wrong ones are not.
			fb.AppendNull()
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}
