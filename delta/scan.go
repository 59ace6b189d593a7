package delta

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/dv"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// ScanOptions select what a scan returns. A nil *ScanOptions returns every
// column of every row.
type ScanOptions struct {
	// Columns are the top-level columns to return, in this order; nil
	// means all, in schema order. Names resolve case-insensitively.
	Columns []string
	// Filter keeps only rows for which it is TRUE (SQL semantics: NULL
	// drops the row). Files whose statistics or partition values prove no
	// row can match are not read at all. Parse SQL text with expr.Parse or
	// build with expr.Col(…).Gt(…).
	Filter expr.Expr
	// BatchSize caps rows per batch; 0 means the reader's default.
	BatchSize int64
	// Parallelism is how many data files are opened and decoded at once,
	// ahead of the caller; batches still come in file order. 0 means
	// GOMAXPROCS; 1 reads one file at a time on the caller's goroutine.
	// Memory grows with it: each file in flight holds a few batches.
	Parallelism int
	// ReadAheadBytes bounds the decoded batches held ahead of the caller
	// by the files after the one it reads (each file may also hold a
	// couple of batches regardless); 0 means DefaultReadAheadBytes. It is
	// what lets every core decode while batches still come in file order.
	ReadAheadBytes int64
	// AnyOrder hands batches back as soon as they are decoded, whatever
	// their file: the same rows, in an order that varies from run to run,
	// with less waiting and less memory held ahead.
	AnyOrder bool
	// NoPageIndex reads every row group that survives its statistics in
	// full, instead of only the pages whose page-index statistics may
	// match the filter; for measurements and as an escape hatch.
	NoPageIndex bool
	// NoDictionaryFilter turns off evaluating filters on Parquet
	// dictionaries (equality, IN and similar tests of a string column
	// checked once per distinct value, and row groups whose dictionary
	// has no matching value skipped). Results are the same either way;
	// benchmarks and diagnosis use it to compare.
	NoDictionaryFilter bool

	// noSelect turns off reading only the matching rows of the columns a
	// filter does not use (scan_select.go): tests compare the two paths.
	noSelect bool
}

// Scan returns the rows of the snapshot as a stream of Arrow batches with
// logical column names, in file order (any order with
// ScanOptions.AnyOrder). A few files are decoded ahead at once
// (ScanOptions.Parallelism) and, on object stores, fetched ahead
// (Options.IOConcurrency); what they hold ahead of the caller is bounded
// (ScanOptions.ReadAheadBytes), so memory stays bounded whatever the table
// size. With a filter, files, row groups and pages whose statistics (or,
// for string equality and IN, dictionaries) rule out every row are
// skipped, the filter's columns are decoded before the others, and when
// few rows of a row group match, the other columns are read for those
// rows only. Release the reader when done.
//
// A data file the log names but storage lacks fails the scan (from Scan
// or the reader's Err) with ErrMissingDataFile, and one that is not valid
// Parquet with ErrCorruptDataFile; both name the file.
func (s *Snapshot) Scan(ctx context.Context, opts *ScanOptions) (array.RecordReader, error) {
	plan, err := s.planScan(opts)
	if err != nil {
		return nil, err
	}
	return s.newScanReader(ctx, plan, s.scanFiles(ctx, plan), opts.parallelism()), nil
}

// newScanReader reads files in order, n at a time.
func (s *Snapshot) newScanReader(ctx context.Context, plan *scanPlan, files iter.Seq2[*protocol.Add, error], n int) *scanReader {
	plan.prefetch.n = n
	next, stop := iter.Pull2(files)
	if s.table.useReadAhead() {
		plan.ahead = s.startReadAhead(ctx, plan, next, stop)
		// The read-ahead stops the file iterator itself, when the reader
		// is released; its consumer stopping early only stops pulling.
		next, stop = plan.ahead.next, func() {}
	}
	if !plan.noRecycle {
		// One recycler for the whole scan: a table of many small files
		// reuses the first files' buffers for the others instead of
		// allocating (and collecting) new ones per file.
		plan.pool = newRecycler(plan.mem)
	}
	plan.pageBufs = &pageBufferPool{}
	r := &scanReader{ctx: ctx, snap: s, plan: plan, next: next, stop: stop, refs: 1}
	if n > 1 {
		r.pf = s.startPrefetch(ctx, plan, next, stop)
	}
	return r
}

// scanPlan is the resolved shape of one scan.
type scanPlan struct {
	out       *arrow.Schema                 // what the caller gets
	read      *arrow.Schema                 // out plus filter-only columns, before projection
	dataRead  *arrow.Schema                 // the non-partition columns of read, read from files
	partIdx   map[int]*protocol.StructField // read index → partition field
	outIdx    []int                         // out column i = read column outIdx[i]
	filter    *expr.Program
	late      *lateFilter // row-group pruning and late materialization
	groups    *groupCounts
	skipper   *expr.Skipper
	batchSize int64
	mem       memory.Allocator
	noDict    bool // ScanOptions.NoDictionaryFilter
	noRecycle bool // tests and benchmarks: decode with mem directly
	noSelect  bool // ScanOptions.noSelect
	// rowIndex appends each row's index in its data file (before deletion
	// vectors apply) as a last output column, rowIndexColumn: what DML
	// needs to build deletion vectors. Plans with it have no filter.
	rowIndex bool
	// rowGroups, when not nil, restricts a DML read to these row groups
	// of the file (the others are copied as they are: dml_copy.go).
	rowGroups []int

	// noPageIndex turns page pruning off (ScanOptions.NoPageIndex).
	noPageIndex bool
	// prefetch is how files are decoded ahead (ScanOptions.Parallelism,
	// ReadAheadBytes, AnyOrder).
	prefetch prefetchConfig
	// pool, when set, recycles decode buffers across every file of the
	// scan and is closed when the scan reader is released; without it
	// each file gets a recycler of its own (filePool).
	pool *recycler
	// pageBufs passes selected reads' page buffers from file to file;
	// nil gives each file its own (scans outside a scan reader).
	pageBufs *pageBufferPool
	// ahead reads files ahead of decoding on object stores; nil on local
	// disk or with IOConcurrency 1 (see scan_readahead.go).
	ahead *readAhead
}

// rowIndexColumn names the file row index column of DML scans.
const rowIndexColumn = "__lakehouse_row_index"

func (s *Snapshot) planScan(opts *ScanOptions) (*scanPlan, error) {
	if opts == nil {
		opts = &ScanOptions{}
	}
	p := &scanPlan{batchSize: opts.BatchSize, noPageIndex: opts.NoPageIndex, mem: s.table.opts.Allocator, partIdx: map[int]*protocol.StructField{}, groups: &groupCounts{}, noDict: opts.NoDictionaryFilter, noSelect: opts.noSelect, prefetch: opts.prefetchConfig(0)}
	if opts.ReadAheadBytes < 0 {
		return nil, fmt.Errorf("%w: negative ReadAheadBytes %d", ErrInvalidArgument, opts.ReadAheadBytes)
	}
	full := s.arrowSchema

	var outFields []arrow.Field
	if opts.Columns == nil {
		outFields = full.Fields()
	} else {
		seen := map[string]bool{}
		for _, c := range opts.Columns {
			f, i := s.schema.Field(c)
			if f == nil {
				return nil, fmt.Errorf("%w: no column %q in the table (columns: %s)", ErrInvalidArgument, c, strings.Join(s.columnNames(), ", "))
			}
			if seen[f.Name] {
				continue
			}
			seen[f.Name] = true
			outFields = append(outFields, full.Field(i))
		}
	}
	readFields := append([]arrow.Field(nil), outFields...)
	if opts.Filter != nil {
		for _, path := range expr.Columns(opts.Filter) {
			f, i := s.schema.Field(path[0])
			if f == nil {
				continue // Compile reports unknown columns with suggestions
			}
			if !containsField(readFields, f.Name) {
				readFields = append(readFields, full.Field(i))
			}
		}
	}
	p.out = arrow.NewSchema(outFields, nil)
	p.read = arrow.NewSchema(readFields, nil)
	p.outIdx = make([]int, len(outFields))
	for i, f := range outFields {
		p.outIdx[i] = indexOfField(readFields, f.Name)
	}
	var dataFields []arrow.Field
	for i, f := range readFields {
		if s.isPartitionColumn(f.Name) {
			df, _ := s.schema.Field(f.Name)
			p.partIdx[i] = df
			continue
		}
		dataFields = append(dataFields, f)
	}
	p.dataRead = arrow.NewSchema(dataFields, nil)

	if opts.Filter != nil {
		prog, err := expr.Compile(opts.Filter, p.read, &expr.CompileOptions{Allocator: p.mem})
		if err != nil {
			return nil, fmt.Errorf("%w: filter: %w", ErrInvalidArgument, err)
		}
		if !arrow.TypeEqual(prog.ResultType(), arrow.FixedWidthTypes.Boolean) {
			return nil, fmt.Errorf("%w: filter %s is not a boolean predicate", ErrInvalidArgument, opts.Filter)
		}
		p.filter = prog
		if sk, err := expr.NewSkipper(opts.Filter, full); err == nil {
			p.skipper = sk
		}
		if p.late, err = planLateFilter(p, opts.Filter); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (s *Snapshot) columnNames() []string {
	names := make([]string, len(s.schema.Fields))
	for i, f := range s.schema.Fields {
		names[i] = f.Name
	}
	return names
}

func (s *Snapshot) isPartitionColumn(name string) bool {
	for _, pc := range s.state.Metadata.PartitionColumns {
		if strings.EqualFold(pc, name) {
			return true
		}
	}
	return false
}

func containsField(fs []arrow.Field, name string) bool { return indexOfField(fs, name) >= 0 }

func indexOfField(fs []arrow.Field, name string) int {
	for i, f := range fs {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// FilesMatching yields the live files that may hold rows for which
// filter is TRUE: the files a scan with that filter reads. Files whose
// partition values or statistics prove no row can match are left out; a
// nil filter yields every file. Engines that schedule their own reads use
// this to plan.
func (s *Snapshot) FilesMatching(ctx context.Context, filter expr.Expr) iter.Seq2[*AddFile, error] {
	return publicFiles(s.filesMatching(ctx, filter), newAddFile)
}

// filesMatching is FilesMatching over the log's own actions.
func (s *Snapshot) filesMatching(ctx context.Context, filter expr.Expr) iter.Seq2[*protocol.Add, error] {
	p, err := s.planScan(&ScanOptions{Filter: filter})
	if err != nil {
		return func(yield func(*protocol.Add, error) bool) { yield(nil, err) }
	}
	return s.scanFiles(ctx, p)
}

// scanFiles yields the files a scan must read: live files not pruned by
// the filter's data skipping.
func (s *Snapshot) scanFiles(ctx context.Context, p *scanPlan) iter.Seq2[*protocol.Add, error] {
	return func(yield func(*protocol.Add, error) bool) {
		for f, err := range s.addFiles(ctx) {
			if err != nil {
				yield(nil, err)
				return
			}
			if p.skipper != nil {
				stats, err := s.fileStatsSource(f)
				if err != nil {
					yield(nil, err)
					return
				}
				if !p.skipper.MayMatch(stats) {
					continue
				}
			}
			if !yield(f, nil) {
				return
			}
		}
	}
}

// scanReader is the array.RecordReader a Scan returns.
type scanReader struct {
	ctx  context.Context
	snap *Snapshot
	plan *scanPlan
	next func() (*protocol.Add, error, bool)
	stop func()

	cur  *fileBatches // batches of the current file
	pf   *prefetcher  // instead of cur when files are read in parallel
	rec  arrow.RecordBatch
	err  error
	refs int64
	done bool
}

func (r *scanReader) Retain() { atomic.AddInt64(&r.refs, 1) }

func (r *scanReader) Release() {
	if atomic.AddInt64(&r.refs, -1) == 0 {
		r.clearRecord()
		r.closeFile()
		if r.pf != nil {
			r.pf.close() // its goroutine stops the file iterator
		} else {
			r.stop()
		}
		if r.plan.ahead != nil {
			r.plan.ahead.stop()
		}
		if r.plan.pool != nil {
			r.plan.pool.close() // after every decoder stopped
		}
		r.plan.pageBufs.release()
	}
}

// filePool returns the allocator to decode one file with, and the
// recycler to close when the file is done (nil when there is none to
// close): the scan's shared recycler, else one of the file's own.
func (p *scanPlan) filePool() (memory.Allocator, *recycler) {
	switch {
	case p.pool != nil:
		return p.pool, nil
	case p.noRecycle:
		return p.mem, nil
	}
	pool := newRecycler(p.mem)
	return pool, pool
}

func (r *scanReader) Schema() *arrow.Schema { return r.plan.out }

func (r *scanReader) RecordBatch() arrow.RecordBatch { return r.rec }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (r *scanReader) Record() arrow.RecordBatch { return r.rec }

func (r *scanReader) Err() error { return r.err }

func (r *scanReader) clearRecord() {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
}

func (r *scanReader) closeFile() {
	if r.cur != nil {
		r.cur.close()
		r.cur = nil
	}
}

func (r *scanReader) Next() bool {
	r.clearRecord()
	if r.done || r.err != nil {
		return false
	}
	if r.pf != nil {
		return r.nextPrefetched()
	}
	for {
		if err := r.ctx.Err(); err != nil {
			r.fail(err)
			return false
		}
		if r.cur == nil {
			f, err, ok := r.next()
			if !ok {
				r.done = true
				return false
			}
			if err != nil {
				r.fail(err)
				return false
			}
			fb, err := r.snap.openFileBatches(r.ctx, r.plan, f)
			if err != nil {
				r.fail(err)
				return false
			}
			r.cur = fb
		}
		rec, err := r.cur.next(r.ctx)
		if err != nil {
			r.fail(err)
			return false
		}
		if rec == nil {
			r.closeFile()
			continue
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		r.rec = rec
		return true
	}
}

func (r *scanReader) nextPrefetched() bool {
	if err := r.ctx.Err(); err != nil {
		r.fail(err)
		return false
	}
	rec, err := r.pf.next()
	if err != nil {
		r.fail(err)
		return false
	}
	if rec == nil {
		r.done = true
		return false
	}
	r.rec = rec
	return true
}

func (r *scanReader) fail(err error) {
	r.err = err
	r.closeFile()
}

// fileBatches reads one data file and turns its batches into scan output.
type fileBatches struct {
	file  *protocol.Add
	plan  *scanPlan
	parts map[int]scalar.Scalar // read index → partition value
	rr    array.RecordReader
	rows  *groupRows // instead of rr for filtered plans: already filtered
	// closeFile releases the reader and the file.
	closeFile func()
	// partCols holds each partition column's values, built once for the
	// longest batch so far; batches get slices of it.
	partCols map[int]arrow.Array
}

// close releases the file and the partition columns (batches handed out
// keep their slices alive).
func (fb *fileBatches) close() {
	fb.closeFile()
	for _, a := range fb.partCols {
		a.Release()
	}
	fb.partCols = nil
}

// partitionColumn returns n copies of read column i's partition value: a
// slice of one array per file rather than a new array per batch.
func (fb *fileBatches) partitionColumn(i int, sc scalar.Scalar, n int) (arrow.Array, error) {
	a := fb.partCols[i]
	if a == nil || a.Len() < n {
		na, err := scalar.MakeArrayFromScalar(sc, n, fb.plan.mem)
		if err != nil {
			return nil, fmt.Errorf("delta: partition column %s: %w", fb.plan.read.Field(i).Name, err)
		}
		if a != nil {
			a.Release()
		}
		if fb.partCols == nil {
			fb.partCols = map[int]arrow.Array{}
		}
		fb.partCols[i], a = na, na
	}
	return array.NewSlice(a, 0, int64(n)), nil
}

func (s *Snapshot) openFileBatches(ctx context.Context, p *scanPlan, f *protocol.Add) (*fileBatches, error) {
	deleted, err := p.scanDeletedRows(ctx, s.table, f)
	if err != nil {
		return nil, err
	}
	return s.openFileRows(ctx, p, f.Path, f.PartitionValues, deleted)
}

// deletedRows loads the rows a deletion vector removes from a data file;
// nil without a DV.
func (t *Table) deletedRows(ctx context.Context, path string, d *protocol.DeletionVector) (*roaring64.Bitmap, error) {
	if d == nil {
		return nil, nil
	}
	bm, err := t.loadDV(ctx, d)
	switch {
	case errors.Is(err, dv.ErrCorrupt), errors.Is(err, dv.ErrZ85), errors.Is(err, dv.ErrDescriptor):
		// The log names a vector that cannot be the one written for this
		// file: reading on would keep or drop rows by guesswork.
		return nil, fmt.Errorf("%w: deletion vector of %s: %w", ErrCorruptLog, path, err)
	case errors.Is(err, ErrOutsideRoot):
		return nil, err // names the vector's path already
	case err != nil:
		return nil, fmt.Errorf("delta: deletion vector of %s: %w", path, err)
	}
	return bm, nil
}

// openFileRows reads one data file, less the deleted rows, with the given
// partition values materialised.
func (s *Snapshot) openFileRows(ctx context.Context, p *scanPlan, path string, partValues map[string]*string, deleted *roaring64.Bitmap) (*fileBatches, error) {
	f := &protocol.Add{Path: path, PartitionValues: partValues}
	fb := &fileBatches{file: f, plan: p, parts: map[int]scalar.Scalar{}}
	for i, pf := range p.partIdx {
		sc, err := s.partitionValue(f, pf)
		if err != nil {
			return nil, err
		}
		fb.parts[i] = sc
	}
	r, err := p.openScanFile(ctx, s.table, f.Path)
	if err != nil {
		return nil, err
	}
	if p.late != nil {
		rows, err := s.openGroupRows(ctx, p, f, r, fb.parts, deleted)
		if err != nil {
			_ = r.Close()
			return nil, err
		}
		fb.rows = rows
		fb.closeFile = func() {
			rows.close()
			_ = r.Close()
		}
		return fb, nil
	}
	// Batches are decoded into fresh buffers that the caller usually
	// releases before the file's next row group is decoded: recycling
	// them saves zeroing (and faulting in) new memory for each.
	mem, pool := p.filePool()
	rr, err := parquetio.NewRecordReader(ctx, r, &parquetio.ReadOptions{
		Schema:        p.dataRead,
		ColumnMapping: s.mapping,
		Deleted:       deleted,
		RowGroups:     p.rowGroups,
		BatchSize:     p.batchSize,
		RowIndexColumn: func() string {
			if p.rowIndex {
				return rowIndexColumn
			}
			return ""
		}(),
		Allocator: mem,
	})
	if err != nil {
		_ = r.Close()
		if pool != nil {
			pool.close()
		}
		if errors.Is(err, parquetio.ErrDeletedRowOutOfRange) {
			return nil, fmt.Errorf("%w: deletion vector of %s: %w", ErrCorruptLog, f.Path, err)
		}
		return nil, readErr(f.Path, err)
	}
	fb.rr = rr
	fb.closeFile = func() {
		rr.Release()
		_ = r.Close()
		if pool != nil {
			pool.close()
		}
	}
	return fb, nil
}

// next returns the next output batch of this file, or nil at its end.
func (fb *fileBatches) next(ctx context.Context) (arrow.RecordBatch, error) {
	var data arrow.RecordBatch
	if fb.rows != nil {
		b, err := fb.rows.next()
		if err != nil || b == nil {
			return nil, err
		}
		defer b.Release()
		data = b
	} else {
		if !fb.rr.Next() {
			if err := fb.rr.Err(); err != nil && !errors.Is(err, context.Canceled) {
				return nil, readErr(fb.file.Path, err)
			}
			return nil, nil
		}
		data = fb.rr.RecordBatch()
	}
	n := data.NumRows()
	p := fb.plan
	cols := make([]arrow.Array, p.read.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	di := 0
	for i := range cols {
		if sc, ok := fb.parts[i]; ok {
			arr, err := fb.partitionColumn(i, sc, int(n))
			if err != nil {
				return nil, err
			}
			cols[i] = arr
			continue
		}
		c := data.Column(di)
		c.Retain()
		cols[i] = c
		di++
	}
	full := array.NewRecordBatch(p.read, cols, n)
	defer full.Release()
	filtered := full
	if p.filter != nil && fb.rows == nil {
		out, err := p.filter.Filter(ctx, full)
		if err != nil {
			return nil, fmt.Errorf("delta: filter on %s: %w", fb.file.Path, err)
		}
		defer out.Release()
		filtered = out
	}
	outCols := make([]arrow.Array, len(p.outIdx), len(p.outIdx)+1)
	for i, j := range p.outIdx {
		outCols[i] = filtered.Column(j)
	}
	if p.rowIndex {
		outCols = append(outCols, data.Column(p.dataRead.NumFields()))
	}
	return array.NewRecordBatch(p.out, outCols, filtered.NumRows()), nil
}
