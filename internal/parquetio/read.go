package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// DefaultBatchSize is the number of rows per batch when ReadOptions.BatchSize
// is zero.
const DefaultBatchSize = 64 * 1024

// ReadOptions configures NewRecordReader. A nil *ReadOptions is invalid:
// Schema is required.
type ReadOptions struct {
	// Schema is the logical output schema: exactly these fields, in this
	// order. Fields absent from the file read as nulls.
	//
	// A field of type dictionary<int32, string> (or binary) reads its
	// column as dictionary indexes into the chunk's distinct values rather
	// than as one string per row: filters then compare each distinct value
	// once. Only top-level string and binary fields may be dictionaries.
	Schema *arrow.Schema
	// ColumnMapping says how file columns are matched to logical fields.
	ColumnMapping ColumnMappingMode
	// Deleted holds 0-based row indexes within the file to drop (a deletion
	// vector); nil means none.
	Deleted *roaring64.Bitmap
	// RowGroups restricts reading to these row groups, in this order; nil
	// reads all. Row indexes in Deleted stay file-wide.
	RowGroups []int
	// RowIndexColumn, when not empty, appends a non-nullable int64 column of
	// that name holding each row's index in the file (counted before deleted
	// rows are dropped): what DELETE, UPDATE and MERGE need to build
	// deletion vectors.
	RowIndexColumn string
	// RowRanges, when not nil, restricts reading to these file rows
	// (sorted, disjoint, not empty) within RowGroups: pages before a range
	// are skipped, not decoded (see read_ranges.go). Row indexes and
	// Deleted stay file-wide. Two reads of the same file with the same
	// ranges and batch size cut their batches at the same rows.
	RowRanges []RowRange
	// BatchSize is the maximum number of rows per batch; 0 means
	// DefaultBatchSize.
	BatchSize int64
	// Allocator allocates every returned array; nil means
	// memory.DefaultAllocator.
	Allocator memory.Allocator
	// PageBuffers, when not nil, are the buffers ReadRows reads pages
	// into, kept by the caller from one call to the next; nil: each call
	// allocates its own. Other reads ignore it.
	PageBuffers *PageBuffers
}

// NewRecordReader streams the rows of the Parquet file r as batches of
// opts.Schema. It reads one row group at a time and only the leaf columns
// the schema needs. The reader does not close r; the caller closes r after
// releasing the reader.
func NewRecordReader(ctx context.Context, r storage.ReaderAt, opts *ReadOptions) (_ array.RecordReader, err error) {
	defer recoverCorrupt(&err)
	if err := checkReadOptions(opts); err != nil {
		return nil, err
	}
	f, err := OpenFile(r, opts.Allocator)
	if err != nil {
		return nil, err
	}
	return f.Read(ctx, opts)
}

func checkReadOptions(opts *ReadOptions) error {
	if opts == nil || opts.Schema == nil {
		return fmt.Errorf("%w: a schema is required", ErrInvalidOptions)
	}
	if opts.BatchSize < 0 {
		return fmt.Errorf("%w: negative batch size %d", ErrInvalidOptions, opts.BatchSize)
	}
	return nil
}

// File is a Parquet file whose footer has been read once, so that several
// reads of it (a scan that reads the filter's columns of a row group
// before the others) do not parse the footer again. It is not safe for
// concurrent use.
type File struct {
	pf  *file.Reader
	r   storage.ReaderAt // for reads outside pqarrow (dictionary pages)
	mem memory.Allocator
	// pageReads counts the columns ReadRows read from their pages (not
	// through the column reader), so tests can see which path ran.
	pageReads int
}

// OpenFile reads and checks the footer of r. mem allocates what the reads
// return; nil means memory.DefaultAllocator. The caller closes r after the
// last read is released.
func OpenFile(r storage.ReaderAt, mem memory.Allocator) (_ *File, err error) {
	defer recoverCorrupt(&err)
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	pf, err := openParquet(r, mem)
	if err != nil {
		return nil, err
	}
	return &File{pf: pf, r: r, mem: mem}, nil
}

// Info describes the file's row groups, with their statistics.
func (f *File) Info() FileInfo {
	md := f.pf.MetaData()
	info := FileInfo{NumRows: md.NumRows, RowGroups: make([]RowGroupInfo, md.NumRowGroups())}
	var first int64
	for i := range info.RowGroups {
		rg := md.RowGroup(i)
		info.RowGroups[i] = RowGroupInfo{FirstRow: first, NumRows: rg.NumRows(), ByteSize: rg.TotalByteSize(), Stats: rowGroupStats(rg, md.Schema)}
		first += rg.NumRows()
	}
	return info
}

// Read streams rows of the file as NewRecordReader does; opts.Allocator
// is ignored in favour of the one given to OpenFile.
func (f *File) Read(ctx context.Context, opts *ReadOptions) (_ array.RecordReader, err error) {
	defer recoverCorrupt(&err)
	if err := checkReadOptions(opts); err != nil {
		return nil, err
	}
	mem := f.mem
	batch := opts.BatchSize
	if batch == 0 {
		batch = DefaultBatchSize
	}
	pf := f.pf
	// The decoder sizes its buffers for a whole batch: on a file of a few
	// hundred rows a 64Ki-row batch would allocate (and zero) buffers a
	// hundred times larger than its data.
	var largest int64
	for i := range pf.NumRowGroups() {
		largest = max(largest, pf.MetaData().RowGroup(i).NumRows())
	}
	batch = max(min(batch, largest), 1)
	props := pqarrow.ArrowReadProperties{BatchSize: batch}
	fr, err := pqarrow.NewFileReader(pf, props, mem)
	if err != nil {
		return nil, fmt.Errorf("parquetio: read schema: %w", err)
	}
	p := &planner{mode: opts.ColumnMapping, pf: pf, leaves: map[int]bool{}}
	dense, dict := denseSchema(opts.Schema)
	plans, err := p.plan(dense, fr.Manifest)
	if err != nil {
		return nil, err
	}
	leaves := make([]int, 0, len(p.leaves))
	for i := range p.leaves {
		leaves = append(leaves, i)
	}
	slices.Sort(leaves)

	md := pf.MetaData()
	starts := make([]int64, md.NumRowGroups())
	var total int64
	for i := range starts {
		starts[i] = total
		total += md.RowGroup(i).NumRows()
	}
	if d := opts.Deleted; d != nil && !d.IsEmpty() && d.Maximum() >= uint64(total) {
		return nil, fmt.Errorf("%w: row %d deleted, the file has %d rows", ErrDeletedRowOutOfRange, d.Maximum(), total)
	}
	groups := opts.RowGroups
	if groups == nil {
		groups = make([]int, md.NumRowGroups())
		for i := range groups {
			groups[i] = i
		}
	}
	for _, g := range groups {
		if g < 0 || g >= md.NumRowGroups() {
			return nil, fmt.Errorf("%w: row group %d of %d", ErrInvalidOptions, g, md.NumRowGroups())
		}
	}
	if err := checkRowRanges(opts.RowRanges, total); err != nil {
		return nil, err
	}
	// Row-range reads stitch a column from several decoder batches, which
	// for dictionaries would mean unifying them: those read strings dense.
	var expand []int
	if opts.RowRanges == nil {
		expand = denseFromDictionary(pf, plans, dict, groups)
	}
	if fr, err = dictionaryReader(fr, props, plans, dict, expand, mem); err != nil {
		return nil, err
	}
	outSchema := opts.Schema
	if opts.RowIndexColumn != "" {
		if len(opts.Schema.FieldIndices(opts.RowIndexColumn)) > 0 {
			return nil, fmt.Errorf("%w: row index column %q is also a schema field", ErrInvalidOptions, opts.RowIndexColumn)
		}
		fields := append(slices.Clone(opts.Schema.Fields()), arrow.Field{Name: opts.RowIndexColumn, Type: arrow.PrimitiveTypes.Int64})
		md := opts.Schema.Metadata()
		outSchema = arrow.NewSchema(fields, &md)
	}
	rr := &recordReader{
		ctx:       ctx,
		schema:    outSchema,
		rowIndex:  opts.RowIndexColumn != "",
		fr:        fr,
		plans:     plans,
		leaves:    leaves,
		groups:    groups,
		starts:    starts,
		batchSize: batch,
		deleted:   opts.Deleted,
		ranges:    opts.RowRanges,
		adapter:   &adapter{ctx: ctx, mem: mem},
		mem:       mem,
		dict:      dict,
	}
	rr.refCount.Store(1)
	return rr, nil
}

// rowIndexes is the column of file row indexes start, start+1, … of n
// rows: its values written straight into one buffer, with no validity
// bitmap (a builder would set a validity bit per row).
func rowIndexes(mem memory.Allocator, start, n int64) arrow.Array {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(n) * arrow.Int64SizeBytes)
	vals := arrow.Int64Traits.CastFromBytes(buf.Bytes())
	for i := range vals {
		vals[i] = start + int64(i)
	}
	data := array.NewData(arrow.PrimitiveTypes.Int64, int(n), []*memory.Buffer{nil, buf}, nil, 0, 0)
	buf.Release()
	defer data.Release()
	return array.NewInt64Data(data)
}

// pagedReadMinFile is the smallest file read page by page. A small
// file's chunks are small allocations that the Go heap recycles without
// new page faults, so there is nothing to win, and one read per chunk
// stays the fewest reads. (A variable so tests can read small files page
// by page.)
var pagedReadMinFile int64 = 1 << 20

// pageHeaderBuffer is the buffer a page-by-page read peeks page headers
// through; page bodies larger than it are read straight into the
// decoder's own buffer.
const pageHeaderBuffer = 32 << 10

func openParquet(r storage.ReaderAt, mem memory.Allocator) (*file.Reader, error) {
	// Unbuffered on object stores: each column chunk is fetched with one
	// ranged read (a buffered stream turns a chunk into many small
	// requests). Memory stays bounded by one row group's chunks. Local
	// files are read page by page instead: page bodies land in the
	// decoder's reused buffers rather than in a fresh chunk-sized
	// allocation, and pages a seek passes are never read.
	props := parquet.NewReaderProperties(mem)
	if storage.ReadsCheaply(r) && r.Size() >= pagedReadMinFile {
		props.BufferedStreamEnabled = true
		props.BufferSize = pageHeaderBuffer
	}
	pf, err := file.NewParquetReader(r, file.WithReadProps(props))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptFile, err)
	}
	dropStoredArrowSchema(pf)
	if err := checkChunkBounds(pf, r.Size()); err != nil {
		return nil, err
	}
	return pf, nil
}

// checkChunkBounds verifies that every column chunk lies inside the file.
// The decoder reads chunks on goroutines of its own, where a panic on a
// corrupt offset could not be recovered, so bad footers stop here.
func checkChunkBounds(pf *file.Reader, size int64) error {
	md := pf.MetaData()
	for g := 0; g < md.NumRowGroups(); g++ {
		rg := md.RowGroup(g)
		if rg.NumRows() < 0 {
			return fmt.Errorf("%w: row group %d has %d rows", ErrCorruptFile, g, rg.NumRows())
		}
		for c := 0; c < rg.NumColumns(); c++ {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return fmt.Errorf("%w: row group %d column %d: %w", ErrCorruptFile, g, c, err)
			}
			start := cc.DataPageOffset()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < start {
				start = cc.DictionaryPageOffset()
			}
			n := cc.TotalCompressedSize()
			if start < 0 || n < 0 || start > size || n > size-start {
				return fmt.Errorf("%w: row group %d column %d spans [%d, +%d) in a %d-byte file", ErrCorruptFile, g, c, start, n, size)
			}
		}
	}
	return nil
}

// dropStoredArrowSchema removes the "ARROW:schema" footer entry that
// Arrow-based writers (delta-rs) add. Delta types come from the table
// schema, and reading the Parquet types alone yields fewer physical variants
// (no large or dictionary strings); it also keeps a corrupt entry from
// reaching the flatbuffer decoder, which then allocates without bound.
func dropStoredArrowSchema(pf *file.Reader) {
	md := pf.MetaData()
	if md.FileMetaData == nil {
		return
	}
	kv := md.FileMetaData.KeyValueMetadata
	kept := kv[:0:0]
	for _, e := range kv {
		if e != nil && e.Key != "ARROW:schema" {
			kept = append(kept, e)
		}
	}
	md.FileMetaData.KeyValueMetadata = kept
}

// recoverCorrupt turns a panic inside the Parquet decoder, which malformed
// files can trigger, into an ErrCorruptFile error.
func recoverCorrupt(err *error) {
	if v := recover(); v != nil {
		*err = fmt.Errorf("%w: decoder panic: %v", ErrCorruptFile, v)
	}
}

// recordReader implements array.RecordReader over one file.
type recordReader struct {
	refCount  atomic.Int64
	ctx       context.Context
	schema    *arrow.Schema // output schema: the logical one plus the row index column
	rowIndex  bool
	fr        *pqarrow.FileReader
	plans     []*fieldPlan
	leaves    []int
	groups    []int   // row groups still to read, in order
	starts    []int64 // file row index of each row group's first row
	batchSize int64
	deleted   *roaring64.Bitmap
	ranges    []RowRange // file rows to read; nil means all
	adapter   *adapter
	mem       memory.Allocator
	dict      map[int]*arrow.DictionaryType // plans read as dictionaries

	cur       pqarrow.RecordReader // reader of the current row group
	int96     map[int]*int96Column // INT96 columns of the current group by plan index
	curGroup  int
	nextRow   int64       // file row index of the next row cur returns
	remaining int64       // rows left in the current group when no leaf is read
	rg        *rangeGroup // reader of the current group's row ranges
	rangeEnd  int64       // end of the current row range; 0 when the group is read whole
	pending   []RowRange  // ranges of the current group after the current one
	rec       arrow.RecordBatch
	err       error
}

func (r *recordReader) Retain() { r.refCount.Add(1) }

func (r *recordReader) Release() {
	if r.refCount.Add(-1) != 0 {
		return
	}
	r.releaseBatch()
	r.closeGroup()
}

func (r *recordReader) Schema() *arrow.Schema { return r.schema }

func (r *recordReader) RecordBatch() arrow.RecordBatch { return r.rec }

// Record is the deprecated alias of RecordBatch.
func (r *recordReader) Record() arrow.RecordBatch { return r.rec }

func (r *recordReader) Err() error { return r.err }

func (r *recordReader) releaseBatch() {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
}

func (r *recordReader) closeGroup() {
	r.rangeEnd, r.pending = 0, nil
	if r.rg != nil {
		r.rg.release()
		r.rg = nil
	}
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	for _, c := range r.int96 {
		c.close()
	}
	r.int96 = nil
}

// Next advances to the next non-empty batch.
func (r *recordReader) Next() bool {
	r.releaseBatch()
	if r.err != nil {
		return false
	}
	for {
		if err := r.ctx.Err(); err != nil {
			r.fail(err)
			return false
		}
		rec, ok, err := r.step()
		if err != nil {
			r.fail(err)
			return false
		}
		if !ok {
			return false
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		r.rec = rec
		return true
	}
}

// step reads and converts one batch; ok is false at the end of the file.
func (r *recordReader) step() (rec arrow.RecordBatch, ok bool, err error) {
	defer recoverCorrupt(&err)
	raw, start, ok := r.nextRaw()
	if !ok {
		return nil, false, r.err
	}
	defer raw.Release()
	rec, err = r.finish(raw, start)
	return rec, err == nil, err
}

func (r *recordReader) fail(err error) {
	r.err = err
	r.closeGroup()
	r.groups = nil
}

// nextRaw returns the next projected file batch and the file row index of
// its first row, opening row groups as needed.
func (r *recordReader) nextRaw() (arrow.RecordBatch, int64, bool) {
	for {
		if r.cur == nil && r.rg == nil && r.remaining == 0 {
			if len(r.pending) > 0 {
				// The next range of a group read without leaf columns,
				// once the previous batch's INT96 values have been read.
				if err := r.nextCountRange(); err != nil {
					r.fail(err)
					return nil, 0, false
				}
				continue
			}
			if len(r.groups) == 0 {
				return nil, 0, false
			}
			g := r.groups[0]
			r.groups = r.groups[1:]
			if err := r.openGroup(g); err != nil {
				r.fail(err)
				return nil, 0, false
			}
			continue // a group without rows or ranges opens nothing
		}
		if r.rg != nil {
			rec, start, ok, err := r.nextInRange()
			if err != nil {
				r.fail(err)
				return nil, 0, false
			}
			if ok {
				return rec, start, true
			}
			r.closeGroup()
			continue
		}
		if r.cur == nil {
			// No leaf column is needed (every logical field is absent or the
			// schema is empty): batches are just row counts.
			n := min(r.remaining, r.batchSize)
			r.remaining -= n
			start := r.nextRow
			r.nextRow += n
			return array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, n), start, true
		}
		if r.cur.Next() {
			rec := r.cur.RecordBatch()
			rec.Retain()
			start := r.nextRow
			r.nextRow += rec.NumRows()
			return rec, start, true
		}
		err := r.cur.Err()
		r.closeGroup()
		if err != nil && !errors.Is(err, io.EOF) {
			r.fail(fmt.Errorf("parquetio: read row group %d: %w", r.curGroup, err))
			return nil, 0, false
		}
	}
}

func (r *recordReader) openGroup(g int) error {
	r.closeGroup()
	r.curGroup = g
	r.nextRow = r.starts[g]
	r.rangeEnd, r.pending = 0, nil
	nrows := r.fr.ParquetReader().MetaData().RowGroup(g).NumRows()
	if r.ranges != nil {
		return r.openGroupRanges(g, nrows)
	}
	if err := r.openInt96(g); err != nil {
		return err
	}
	if len(r.leaves) == 0 {
		r.remaining = nrows
		return nil
	}
	cur, err := r.fr.GetRecordReader(r.ctx, r.leaves, []int{g})
	if err != nil {
		return fmt.Errorf("parquetio: open row group %d: %w", g, err)
	}
	r.cur = cur
	return nil
}

// openInt96 opens the INT96 timestamp columns of row group g, which the
// reader decodes itself (int96.go).
func (r *recordReader) openInt96(g int) error {
	for i, p := range r.plans {
		if !p.int96 {
			continue
		}
		c, err := openInt96Column(r.fr.ParquetReader(), g, p.file.ColIndex)
		if err != nil {
			return err
		}
		if r.int96 == nil {
			r.int96 = map[int]*int96Column{}
		}
		r.int96[i] = c
	}
	return nil
}

// finish builds the logical batch from a projected file batch whose first
// row has file index start, dropping deleted rows.
func (r *recordReader) finish(raw arrow.RecordBatch, start int64) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, len(r.plans))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, p := range r.plans {
		var c arrow.Array
		var err error
		if dt := r.dict[i]; dt != nil {
			c, err = r.adapter.dictionaryColumn(p, dt, raw)
		} else if p.int96 {
			c, err = r.int96[i].next(r.mem, raw.NumRows(), p.logical.Type.(*arrow.TimestampType))
		} else {
			c, err = r.adapter.column(p, raw)
		}
		if err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	if r.rowIndex {
		cols = append(cols, rowIndexes(r.mem, start, raw.NumRows()))
	}
	rec := array.NewRecordBatch(r.schema, cols, raw.NumRows())
	if r.deleted == nil {
		return rec, nil
	}
	defer rec.Release()
	return dropDeleted(r.ctx, r.mem, rec, start, r.deleted)
}
