package delta

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// lateFilter is the part of a scan plan that reads a filtered file row
// group by row group: groups whose Parquet statistics rule the filter out
// are not read, and in the others the filter's columns are decoded and
// evaluated first, the remaining columns only when some row matches.
type lateFilter struct {
	narrow     *arrow.Schema // the filter's columns, in read order
	narrowIdx  []int         // read index of each narrow column
	filterData *arrow.Schema // narrow's non-partition columns
	rest       *arrow.Schema // dataRead's columns the filter does not use
	prog       *expr.Program // the filter compiled against narrow
	// dataFrom says where dataRead column i comes from: filterData column
	// j (j >= 0) or rest column -j-1.
	dataFrom []int
	// dict evaluates the value-wise conjuncts on Parquet dictionaries
	// (scan_dict.go); nil when there are none or the scan turned it off.
	dict *dictFilter
}

// planLateFilter prepares late materialization for a filtered plan; nil
// when the plan cannot use it (DML scans with row indexes).
func planLateFilter(p *scanPlan, f expr.Expr) (*lateFilter, error) {
	if p.filter == nil || p.rowIndex {
		return nil, nil
	}
	used := map[string]bool{}
	for _, path := range expr.Columns(f) {
		for _, fld := range p.read.Fields() {
			if equalFoldASCII(fld.Name, path[0]) {
				used[fld.Name] = true
			}
		}
	}
	lf := &lateFilter{}
	var narrow, fdata, rest []arrow.Field
	for i, fld := range p.read.Fields() {
		if used[fld.Name] {
			narrow = append(narrow, fld)
			lf.narrowIdx = append(lf.narrowIdx, i)
		}
	}
	for _, fld := range p.dataRead.Fields() {
		if used[fld.Name] {
			lf.dataFrom = append(lf.dataFrom, len(fdata))
			fdata = append(fdata, fld)
		} else {
			lf.dataFrom = append(lf.dataFrom, -len(rest)-1)
			rest = append(rest, fld)
		}
	}
	lf.narrow = arrow.NewSchema(narrow, nil)
	lf.filterData = arrow.NewSchema(fdata, nil)
	lf.rest = arrow.NewSchema(rest, nil)
	prog, err := expr.Compile(f, lf.narrow, &expr.CompileOptions{Allocator: p.mem})
	if err != nil {
		return nil, fmt.Errorf("%w: filter: %w", ErrInvalidArgument, err)
	}
	lf.prog = prog
	if !p.noDict {
		if lf.dict, err = planDictFilter(p, f, lf); err != nil {
			return nil, err
		}
	}
	return lf, nil
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// groupRows produces the filtered data batches (dataRead schema) of one
// file, row group by row group.
type groupRows struct {
	ctx     context.Context
	plan    *scanPlan
	path    string
	file    *parquetio.File
	parts   map[int]scalar.Scalar
	deleted *roaring64.Bitmap
	mapping protocol.ColumnMappingMode
	groups  []int               // surviving row groups still to read
	pages   *pagePruner         // nil: row groups are read whole
	pending []arrow.RecordBatch // filtered batches of the current group
	pool    *recycler           // decodes the file; nil for the plan's allocator
	// groupRows and firstRow are each row group's row count and first
	// file row.
	groupRows []int64
	firstRow  []int64
	noSelect  bool // read whole groups only (ScanOptions.noSelect)
	// pageBufs are the page buffers of the file's selected reads, kept
	// from one row group to the next; nil until the first.
	pageBufs *parquetio.PageBuffers
}

// groupCounts counts what filtered scans of a plan did with row groups,
// so tests can see that pruning happened.
type groupCounts struct {
	read           atomic.Int64 // every column decoded
	prunedByStats  atomic.Int64 // statistics ruled the filter out
	prunedByFilter atomic.Int64 // no row of the filter's columns matched
	prunedByPages  atomic.Int64 // the page index ruled out every page
	pagesPruned    atomic.Int64 // pieces of groups skipped by the page index
	selected       atomic.Int64 // other columns read for the matching rows only
}

// openGroupRows opens a filtered scan of one data file and prunes its row
// groups by their statistics.
func (s *Snapshot) openGroupRows(ctx context.Context, p *scanPlan, f *protocol.Add, r storage.ReaderAt, parts map[int]scalar.Scalar, deleted *roaring64.Bitmap) (*groupRows, error) {
	mem, pool := p.filePool()
	pf, err := parquetio.OpenFile(r, mem)
	if err != nil {
		if pool != nil {
			pool.close()
		}
		return nil, readErr(f.Path, err)
	}
	info := pf.Info()
	if d := deleted; d != nil && !d.IsEmpty() && d.Maximum() >= uint64(info.NumRows) {
		return nil, fmt.Errorf("%w: deletion vector of %s: %w: row %d deleted, the file has %d rows", ErrCorruptLog, f.Path, parquetio.ErrDeletedRowOutOfRange, d.Maximum(), info.NumRows)
	}
	g := &groupRows{ctx: ctx, plan: p, path: f.Path, file: pf, parts: parts, deleted: deleted, mapping: s.mapping, pages: s.newPagePruner(p, f), pool: pool, noSelect: p.noSelect}
	for _, rg := range info.RowGroups {
		g.groupRows = append(g.groupRows, rg.NumRows)
		g.firstRow = append(g.firstRow, rg.FirstRow)
	}
	// Under id mapping a file's column names need not be the physical
	// names the statistics lookup uses: such files are not pruned.
	prune := p.skipper != nil && s.mapping != protocol.ColumnMappingID
	for i, rg := range info.RowGroups {
		if rg.NumRows == 0 {
			continue
		}
		if prune && !p.skipper.MayMatch(s.rowGroupStatsSource(f, rg.Stats)) {
			p.groups.prunedByStats.Add(1)
			continue
		}
		g.groups = append(g.groups, i)
	}
	return g, nil
}

func (g *groupRows) close() {
	for _, b := range g.pending {
		b.Release()
	}
	g.pending = nil
	g.groups = nil
	if g.pageBufs != nil {
		g.plan.pageBufs.put(g.pageBufs)
		g.pageBufs = nil
	}
	if g.pool != nil {
		g.pool.close()
	}
}

// next returns the next filtered batch, nil at the end of the file.
func (g *groupRows) next() (arrow.RecordBatch, error) {
	for len(g.pending) == 0 {
		if len(g.groups) == 0 {
			return nil, nil
		}
		rg := g.groups[0]
		g.groups = g.groups[1:]
		out, err := g.readGroup(rg)
		if err != nil {
			return nil, err
		}
		g.pending = out
	}
	b := g.pending[0]
	g.pending = g.pending[1:]
	return b, nil
}

func (g *groupRows) read(schema *arrow.Schema, rg int, rows []parquetio.RowRange) (array.RecordReader, error) {
	return g.file.Read(g.ctx, &parquetio.ReadOptions{
		Schema:        schema,
		ColumnMapping: g.mapping,
		Deleted:       g.deleted,
		RowGroups:     []int{rg},
		RowRanges:     rows,
		BatchSize:     g.plan.batchSize,
	})
}

// drain reads every batch of rr, which it releases.
func drain(rr array.RecordReader) ([]arrow.RecordBatch, error) {
	defer rr.Release()
	var out []arrow.RecordBatch
	for rr.Next() {
		b := rr.RecordBatch()
		b.Retain()
		out = append(out, b)
	}
	if err := rr.Err(); err != nil {
		releaseAll(out)
		return nil, err
	}
	return out, nil
}

func releaseAll[T interface{ Release() }](xs []T) {
	for _, x := range xs {
		x.Release()
	}
}

// readGroup decodes the filter's columns of row group rg, evaluates the
// filter, and decodes the other columns only if some row matched.
func (g *groupRows) readGroup(rg int) ([]arrow.RecordBatch, error) {
	lf := g.plan.late
	rows, none := g.pages.ranges(g.file, rg, g.plan.groups)
	if none {
		g.plan.groups.prunedByPages.Add(1)
		return nil, nil
	}
	// The dictionary path reads whole row groups; where the page index
	// already narrowed the rows, reading only those does less work.
	if lf.dict != nil && rows == nil {
		if out, ok, err := g.readDictGroup(rg); ok || err != nil {
			return out, err
		}
	}
	rr, err := g.read(lf.filterData, rg, rows)
	if err != nil {
		return nil, g.wrap(err)
	}
	heads, err := drain(rr)
	if err != nil {
		return nil, g.wrap(err)
	}
	defer releaseAll(heads)
	masks := make([]arrow.Array, len(heads))
	defer func() {
		for _, m := range masks {
			if m != nil {
				m.Release()
			}
		}
	}()
	matched := false
	for i, h := range heads {
		m, n, err := g.evalFilter(h)
		if err != nil {
			return nil, err
		}
		masks[i] = m
		matched = matched || n > 0
	}
	if !matched {
		g.plan.groups.prunedByFilter.Add(1)
		return nil, nil
	}
	// The other columns: for the matching rows only when they are few,
	// else the group (or its page ranges) whole, then filtered.
	var chosen []int32
	gp := &groupPositions{ranges: rows, first: g.firstRow[rg]}
	var pos int64
	for i, h := range heads {
		if b, ok := masks[i].(*array.Boolean); ok {
			at := pos
			eachTrue(b, func(j int) { chosen = append(chosen, gp.row(at+int64(j))) })
		}
		pos += h.NumRows()
	}
	restRows, selected, err := g.readRestRows(rg, chosen)
	if err != nil {
		return nil, err
	}
	if selected {
		defer restRows.Release()
		g.plan.groups.read.Add(1)
		return g.assembleSelected(heads, masks, restRows)
	}
	var tails []arrow.RecordBatch
	if lf.rest.NumFields() > 0 {
		rr, err := g.read(lf.rest, rg, rows)
		if err != nil {
			return nil, g.wrap(err)
		}
		if tails, err = drain(rr); err != nil {
			return nil, g.wrap(err)
		}
		defer releaseAll(tails)
		if len(tails) != len(heads) {
			return nil, fmt.Errorf("delta: read %s: row group %d gave %d and %d batches", g.path, rg, len(heads), len(tails))
		}
	}
	g.plan.groups.read.Add(1)
	var out []arrow.RecordBatch
	for i, h := range heads {
		if masks[i] == nil {
			continue
		}
		cols := make([]arrow.Array, len(lf.dataFrom))
		for c, from := range lf.dataFrom {
			if from >= 0 {
				cols[c] = h.Column(from)
				continue
			}
			t := tails[i]
			if t.NumRows() != h.NumRows() {
				releaseAll(out)
				return nil, fmt.Errorf("delta: read %s: row group %d batch %d has %d and %d rows", g.path, rg, i, h.NumRows(), t.NumRows())
			}
			cols[c] = t.Column(-from - 1)
		}
		full := array.NewRecordBatch(g.plan.dataRead, cols, h.NumRows())
		kept, err := compute.FilterRecordBatch(compute.WithAllocator(g.ctx, g.plan.mem), full, masks[i], compute.DefaultFilterOptions())
		full.Release()
		if err != nil {
			releaseAll(out)
			return nil, fmt.Errorf("delta: filter on %s: %w", g.path, err)
		}
		out = append(out, kept)
	}
	return out, nil
}

// assembleSelected builds the filtered batches of a row group from its
// filter batches and masks and rest, the other columns of the matching
// rows (in order, all batches together).
func (g *groupRows) assembleSelected(heads []arrow.RecordBatch, masks []arrow.Array, rest arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	lf := g.plan.late
	var out []arrow.RecordBatch
	off := 0
	for i, h := range heads {
		if masks[i] == nil {
			continue
		}
		kept, err := compute.FilterRecordBatch(compute.WithAllocator(g.ctx, g.plan.mem), h, masks[i], compute.DefaultFilterOptions())
		if err != nil {
			releaseAll(out)
			return nil, fmt.Errorf("delta: filter on %s: %w", g.path, err)
		}
		n := int(kept.NumRows())
		if off+n > int(rest.NumRows()) {
			kept.Release()
			releaseAll(out)
			return nil, fmt.Errorf("delta: read %s: %d matching rows, %d read", g.path, off+n, rest.NumRows())
		}
		cols := make([]arrow.Array, len(lf.dataFrom))
		for c, from := range lf.dataFrom {
			if from >= 0 {
				cols[c] = kept.Column(from)
				cols[c].Retain()
			} else {
				cols[c] = sliceColumn(rest, -from-1, off, n)
			}
		}
		kept.Release()
		out = append(out, array.NewRecordBatch(g.plan.dataRead, cols, int64(n)))
		releaseAll(cols)
		off += n
	}
	return out, nil
}

// evalFilter evaluates the filter over one batch of the filter's data
// columns (partition values added); the mask is nil when no row is TRUE.
func (g *groupRows) evalFilter(h arrow.RecordBatch) (arrow.Array, int, error) {
	lf := g.plan.late
	n := h.NumRows()
	cols := make([]arrow.Array, len(lf.narrowIdx))
	defer releaseAll(cols)
	di := 0
	for i, ri := range lf.narrowIdx {
		if sc, ok := g.parts[ri]; ok {
			arr, err := scalar.MakeArrayFromScalar(sc, int(n), g.plan.mem)
			if err != nil {
				return nil, 0, fmt.Errorf("delta: partition column %s: %w", lf.narrow.Field(i).Name, err)
			}
			cols[i] = arr
			continue
		}
		c := h.Column(di)
		c.Retain()
		cols[i] = c
		di++
	}
	rec := array.NewRecordBatch(lf.narrow, cols, n)
	defer rec.Release()
	m, err := lf.prog.Eval(g.ctx, rec)
	if err != nil {
		return nil, 0, fmt.Errorf("delta: filter on %s: %w", g.path, err)
	}
	b, ok := m.(*array.Boolean)
	if !ok { // a NULL literal predicate: nothing is TRUE
		m.Release()
		return nil, 0, nil
	}
	count := maskTrueRows(b)
	if count == 0 {
		m.Release()
		return nil, 0, nil
	}
	return m, count, nil
}

func (g *groupRows) wrap(err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return readErr(g.path, err)
}

// rowGroupStats is a row group's Parquet statistics seen as a file's, so
// the file-skipping rewrite prunes row groups too. Float bounds are left
// out: Parquet writers leave NaN out of min and max, where Spark orders
// NaN above every number, so a bound could exclude a matching NaN row.
type rowGroupStats struct{ *fileStats }

func (s *Snapshot) rowGroupStatsSource(f *protocol.Add, st parquetio.FileStats) *rowGroupStats {
	n := st.NumRecords
	return &rowGroupStats{&fileStats{snap: s, file: f, stats: &protocol.Stats{
		NumRecords: &n, TightBounds: st.TightBounds,
		MinValues: st.MinValues, MaxValues: st.MaxValues, NullCount: st.NullCount,
	}}}
}

func (r *rowGroupStats) Min(path []string) (scalar.Scalar, bool) { return r.bound(path, true) }
func (r *rowGroupStats) Max(path []string) (scalar.Scalar, bool) { return r.bound(path, false) }

func (r *rowGroupStats) bound(path []string, min bool) (scalar.Scalar, bool) {
	sc, ok := r.fileStats.bound(path, min)
	if !ok {
		return nil, false
	}
	switch sc.DataType().ID() {
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		if _, part := r.partition(path); !part {
			return nil, false
		}
	}
	return sc, true
}
