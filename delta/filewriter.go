package delta

import (
	"context"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// fileWriterOptions configure one data file.
type fileWriterOptions struct {
	Codec     string
	Mapping   protocol.ColumnMappingMode
	Config    protocol.Config
	Allocator memory.Allocator
}

// fileWriter writes one parquet data file and its Delta statistics.
type fileWriter interface {
	// Write appends rows (logical data schema).
	Write(rec arrow.RecordBatch) error
	// EstimatedSize is the bytes written so far plus the buffered row group.
	EstimatedSize() int64
	// Close finishes the file; it exists only after Close returns nil.
	Close(ctx context.Context) (size int64, stats string, err error)
	// Abort discards the file.
	Abort()
}

// maxRowGroupRows bounds row groups (and so the memory a writer buffers).
const maxRowGroupRows = 1 << 20

// pqFileWriter writes through pqarrow into a storage Writer, so the object
// appears atomically on Close.
type pqFileWriter struct {
	out      storage.Writer
	counter  *countingWriter
	fw       *pqarrow.FileWriter
	physical *arrow.Schema
	stats    *statsCollector
}

// countingWriter counts bytes and absorbs the store's first write error:
// the parquet writer sees success (and so always finishes and releases its
// buffers), while the error is reported from countingWriter.err by Write
// and Close.
type countingWriter struct {
	w   storage.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return len(p), nil
}

func newFileWriter(ctx context.Context, store storage.Store, path string, logical *arrow.Schema, opts *fileWriterOptions) (fileWriter, error) {
	codec := compress.Codecs.Snappy
	switch opts.Codec {
	case "zstd":
		codec = compress.Codecs.Zstd
	case "gzip":
		codec = compress.Codecs.Gzip
	case "uncompressed", "none":
		codec = compress.Codecs.Uncompressed
	}
	physical := physicalSchema(logical, opts.Mapping)
	out, err := store.Create(ctx, path)
	if err != nil {
		return nil, err
	}
	counter := &countingWriter{w: out}
	props := parquet.NewWriterProperties(
		parquet.WithCompression(codec),
		parquet.WithAllocator(opts.Allocator),
		parquet.WithMaxRowGroupLength(maxRowGroupRows),
		parquet.WithCreatedBy(EngineInfo),
		parquet.WithStats(true),
	)
	fw, err := pqarrow.NewFileWriter(physical, counter, props, pqarrow.NewArrowWriterProperties(
		pqarrow.WithAllocator(opts.Allocator), pqarrow.WithCoerceTimestamps(arrow.Microsecond), pqarrow.WithStoreSchema()))
	if err != nil {
		_ = out.Abort()
		return nil, err
	}
	return &pqFileWriter{out: out, counter: counter, fw: fw, physical: physical, stats: newStatsCollector(logical, opts.Mapping, opts.Config)}, nil
}

func (w *pqFileWriter) Write(rec arrow.RecordBatch) error {
	w.stats.add(rec)
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = retype(rec.Column(i), w.physical.Field(i).Type)
	}
	phys := array.NewRecordBatch(w.physical, cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	defer phys.Release()
	if err := w.fw.WriteBuffered(phys); err != nil {
		return err
	}
	return w.counter.err
}

func (w *pqFileWriter) EstimatedSize() int64 {
	return w.counter.n + w.fw.RowGroupTotalBytesWritten()
}

func (w *pqFileWriter) Close(ctx context.Context) (int64, string, error) {
	err := w.fw.Close()
	if err == nil {
		err = w.counter.err
	}
	if err != nil {
		_ = w.out.Abort()
		return 0, "", err
	}
	if err := w.out.Close(); err != nil {
		return 0, "", err
	}
	stats, err := w.stats.json()
	if err != nil {
		return 0, "", err
	}
	return w.counter.n, stats, nil
}

func (w *pqFileWriter) Abort() {
	// Closing the parquet writer releases its buffers; what it writes goes
	// to an object that is then discarded.
	_ = w.fw.Close()
	_ = w.out.Abort()
}

// physicalSchema renames fields to their column-mapping physical names
// and attaches Parquet field ids, recursively; without mapping it only
// drops Delta metadata the file does not need.
func physicalSchema(s *arrow.Schema, mode protocol.ColumnMappingMode) *arrow.Schema {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		fields[i] = physicalField(f, mode)
	}
	return arrow.NewSchema(fields, nil)
}

func physicalField(f arrow.Field, mode protocol.ColumnMappingMode) arrow.Field {
	out := arrow.Field{Name: f.Name, Nullable: f.Nullable, Type: physicalType(f.Type, mode)}
	if mode != protocol.ColumnMappingNone {
		if p, ok := f.Metadata.GetValue(protocol.MetaPhysicalName); ok && p != "" {
			out.Name = p
		}
		if id, ok := f.Metadata.GetValue(protocol.MetaColumnID); ok {
			if _, err := strconv.ParseInt(id, 10, 32); err == nil {
				out.Metadata = arrow.NewMetadata([]string{"PARQUET:field_id"}, []string{id})
			}
		}
	}
	return out
}

func physicalType(t arrow.DataType, mode protocol.ColumnMappingMode) arrow.DataType {
	switch v := t.(type) {
	case *arrow.StructType:
		fs := make([]arrow.Field, v.NumFields())
		for i, f := range v.Fields() {
			fs[i] = physicalField(f, mode)
		}
		return arrow.StructOf(fs...)
	case *arrow.ListType:
		el := v.ElemField()
		el.Type = physicalType(el.Type, mode)
		el.Metadata = arrow.Metadata{}
		return arrow.ListOfField(el)
	case *arrow.MapType:
		m := arrow.MapOf(physicalType(v.KeyType(), mode), physicalType(v.ItemType(), mode))
		m.SetItemNullable(v.ItemField().Nullable)
		return m
	}
	return t
}

// retype returns the array viewed with another type of identical layout
// (renamed nested fields).
func retype(a arrow.Array, t arrow.DataType) arrow.Array {
	if arrow.TypeEqual(a.DataType(), t, arrow.CheckMetadata()) {
		a.Retain()
		return a
	}
	data := retypeData(a.Data(), t)
	defer data.Release()
	return array.MakeFromData(data)
}

func retypeData(d arrow.ArrayData, t arrow.DataType) arrow.ArrayData {
	children := d.Children()
	var newChildren []arrow.ArrayData
	switch v := t.(type) {
	case *arrow.StructType:
		for i, c := range children {
			newChildren = append(newChildren, retypeData(c, v.Field(i).Type))
		}
	case *arrow.ListType:
		newChildren = []arrow.ArrayData{retypeData(children[0], v.Elem())}
	case *arrow.MapType:
		newChildren = []arrow.ArrayData{retypeData(children[0], v.Elem())}
	default:
		newChildren = children
		for _, c := range children {
			c.Retain()
		}
	}
	out := array.NewData(t, d.Len(), d.Buffers(), newChildren, d.NullN(), d.Offset())
	for _, c := range newChildren {
		c.Release()
	}
	return out
}

var _ = fmt.Sprint
