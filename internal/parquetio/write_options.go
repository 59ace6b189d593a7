package parquetio

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// createdBy is the writer name recorded in every file footer.
const createdBy = "lakehouse-go version 0.1.0 (build arrow-go-v18.8.0)"

// Defaults of WriteOptions.
const (
	DefaultTargetFileSize = 128 << 20 // Spark's default file size
	DefaultRowGroupRows   = 1 << 20
)

// DefaultDataPageSize is the size at which a column chunk starts a new
// data page. arrow-go's default (1 MiB) puts a whole 128Ki-row group of an
// 8-byte column in one page, which leaves the page index nothing to skip;
// 128 KiB gives 16Ki rows per page for such columns, near the 20,000-row
// cap of parquet-mr and arrow-rs.
const DefaultDataPageSize = 128 << 10

// WriteOptions configures WriteFile and RollingWriter. A nil *WriteOptions
// means all defaults.
type WriteOptions struct {
	// Codec is "snappy" (default), "snappy-fast", "zstd", "gzip" or
	// "uncompressed". "snappy-fast" writes snappy pages in the format's
	// standard mode, as Spark and delta-rs do (page_compress.go): about a
	// tenth less CPU to write than "snappy", whose pages are 10-15%
	// smaller.
	Codec string
	// TargetFileSize is the size at which RollingWriter starts a new file
	// (checked after each row group); 0 means DefaultTargetFileSize.
	TargetFileSize int64
	// MaxRecordsPerFile caps the rows of one file in RollingWriter (Spark's
	// maxRecordsPerFile); 0 means no cap.
	MaxRecordsPerFile int64
	// RowGroupSize is the maximum number of rows per row group; 0 means
	// DefaultRowGroupRows. Up to Parallelism+1 row groups are buffered.
	RowGroupSize int64
	// ColumnMapping selects physical names (name, id) and Parquet field ids
	// (id) for the written columns.
	ColumnMapping ColumnMappingMode
	// NumIndexedCols is delta.dataSkippingNumIndexedCols: statistics cover
	// the first N leaf columns; nil means DefaultNumIndexedCols, -1 all.
	NumIndexedCols *int
	// StatsColumns is delta.dataSkippingStatsColumns: dotted logical column
	// paths (case-insensitive) that get statistics; it overrides
	// NumIndexedCols when non-nil.
	StatsColumns []string
	// StringPrefixLength is how many characters of strings min/max keep;
	// 0 means DefaultStringPrefixLength.
	StringPrefixLength int
	// DataPageSize is the encoded size at which a data page ends; 0
	// means DefaultDataPageSize. Sizes are checked after each write batch
	// of up to 1,024 values (fewer for pages under 16 KiB).
	DataPageSize int64
	// Allocator backs the writer's buffers; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
	// Parallelism is how many row groups of one writer are encoded at
	// once; 0 means GOMAXPROCS. Memory grows with it: each holds its rows
	// and their encoding until written.
	Parallelism int
	// Buffers, when set, recycles encoding buffers among every writer
	// given it; nil gives each writer its own.
	Buffers *EncodeBuffers
}

// writeConfig is WriteOptions resolved against one schema.
type writeConfig struct {
	opts      WriteOptions
	logical   *arrow.Schema
	physical  *arrow.Schema
	props     *parquet.WriterProperties
	arrProps  pqarrow.ArrowWriterProperties
	selection func() *statsSelection
	prefixLen int
	// snappyPages: pages are encoded uncompressed and compressed with
	// snappy afterwards (page_compress.go).
	snappyPages bool
	// flat: the schema has no nested columns, and row groups are written
	// column by column (write_flat.go); nil otherwise.
	flat *flatPlan
}

func newWriteConfig(schema *arrow.Schema, o *WriteOptions) (*writeConfig, error) {
	if schema == nil {
		return nil, fmt.Errorf("%w: a schema is required", ErrInvalidOptions)
	}
	var opts WriteOptions
	if o != nil {
		opts = *o
	}
	if opts.Allocator == nil {
		opts.Allocator = memory.DefaultAllocator
	}
	if opts.TargetFileSize == 0 {
		opts.TargetFileSize = DefaultTargetFileSize
	}
	if opts.RowGroupSize == 0 {
		opts.RowGroupSize = DefaultRowGroupRows
	}
	if opts.Parallelism == 0 {
		opts.Parallelism = runtime.GOMAXPROCS(0)
	}
	if opts.DataPageSize == 0 {
		opts.DataPageSize = DefaultDataPageSize
	}
	if opts.StringPrefixLength == 0 {
		opts.StringPrefixLength = DefaultStringPrefixLength
	}
	if opts.TargetFileSize < 0 || opts.RowGroupSize < 0 || opts.MaxRecordsPerFile < 0 || opts.StringPrefixLength < 0 || opts.Parallelism < 0 || opts.DataPageSize < 0 {
		return nil, fmt.Errorf("%w: negative size", ErrInvalidOptions)
	}
	codec, err := parseCodec(opts.Codec)
	if err != nil {
		return nil, err
	}
	snappyPages := strings.EqualFold(opts.Codec, CodecSnappyFast)
	if snappyPages {
		codec = compress.Codecs.Uncompressed
	}
	physical, err := physicalSchema(schema, opts.ColumnMapping)
	if err != nil {
		return nil, err
	}
	wp := []parquet.WriterProperty{
		parquet.WithAllocator(opts.Allocator),
		parquet.WithCompression(codec),
		parquet.WithMaxRowGroupLength(opts.RowGroupSize),
		// Spark's layout: decimals in INT32/INT64 when they fit, else
		// FIXED_LEN_BYTE_ARRAY.
		parquet.WithStoreDecimalAsInteger(true),
		// Dictionary pages only where they usually pay: strings and
		// binaries. On high-cardinality numbers they cost 2-3x write time.
		parquet.WithDictionaryDefault(false),
		// "<app> version <v> (build <b>)" is the form parquet-mr parses;
		// it distrusts binary column statistics from unparseable writers.
		parquet.WithCreatedBy(createdBy),
		// The column and offset indexes let readers skip the pages of a
		// row group whose min/max rule a filter out.
		parquet.WithPageIndexEnabled(true),
		parquet.WithDataPageSize(opts.DataPageSize),
		parquet.WithBatchSize(min(1024, max(8, opts.DataPageSize/16))),
	}
	for _, p := range byteArrayPaths(physical) {
		wp = append(wp, parquet.WithDictionaryFor(p, true))
	}
	n := DefaultNumIndexedCols
	if opts.NumIndexedCols != nil {
		n = *opts.NumIndexedCols
	}
	var cols map[string]bool
	if opts.StatsColumns != nil {
		cols = map[string]bool{}
		for _, c := range opts.StatsColumns {
			cols[strings.ToLower(strings.TrimSpace(c))] = true
		}
	}
	cfg := &writeConfig{
		opts:      opts,
		logical:   schema,
		physical:  physical,
		props:     parquet.NewWriterProperties(wp...),
		arrProps:  pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(opts.Allocator)),
		selection: func() *statsSelection { return &statsSelection{numIndexed: n, columns: cols} },
		prefixLen: opts.StringPrefixLength,

		snappyPages: snappyPages,
	}
	if cfg.flat, err = newFlatPlan(physical, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// CodecSnappyFast names snappy in its standard mode (WriteOptions.Codec).
const CodecSnappyFast = "snappy-fast"

func parseCodec(name string) (compress.Compression, error) {
	switch strings.ToLower(name) {
	case "", "snappy", CodecSnappyFast:
		return compress.Codecs.Snappy, nil
	case "zstd":
		return compress.Codecs.Zstd, nil
	case "gzip":
		return compress.Codecs.Gzip, nil
	case "uncompressed", "none":
		return compress.Codecs.Uncompressed, nil
	}
	return compress.Codecs.Uncompressed, fmt.Errorf("%w: unknown codec %q", ErrInvalidOptions, name)
}

// byteArrayPaths returns the Parquet column paths of string and binary
// leaves, which get dictionary encoding.
func byteArrayPaths(s *arrow.Schema) []string {
	var out []string
	var walk func(prefix string, t arrow.DataType)
	walk = func(prefix string, t arrow.DataType) {
		switch t := t.(type) {
		case *arrow.StructType:
			for _, f := range t.Fields() {
				walk(prefix+"."+f.Name, f.Type)
			}
		case *arrow.ListType:
			walk(prefix+".list.element", t.Elem())
		case *arrow.MapType:
			walk(prefix+".key_value.key", t.KeyType())
			walk(prefix+".key_value.value", t.ItemType())
		case *arrow.StringType, *arrow.BinaryType:
			out = append(out, strings.TrimPrefix(prefix, "."))
		}
	}
	for _, f := range s.Fields() {
		walk("."+f.Name, f.Type)
	}
	return out
}
