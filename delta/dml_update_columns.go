package delta

import (
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/rowruns"
)

// A copy-on-write UPDATE rewrites every row group holding a matching
// row, yet changes only its SET columns. Where the row group can be
// copied (dml_copy.go), only the columns the SET clauses read and write
// are decoded, the new values spliced into the SET columns, and those
// columns alone encoded; the other column chunks are copied as they are
// (parquetio's CopyRowGroupReplacing).
//
// This applies when nothing else a write does to updated rows is
// needed: no change data feed (its pre- and post-images carry whole
// rows), no partition column among the SET columns (the rows would move
// to another partition), and the conditions of a whole copy.

// columnUpdate is an UPDATE's plan for replacing SET columns alone.
type columnUpdate struct {
	plan *scanPlan // the columns the SET clauses read and write, row index last
	sets []narrowAssignment
	// notNull names the SET columns with a NOT NULL constraint.
	notNull map[int]string
}

// narrowAssignment is one SET clause compiled for the narrow batch.
type narrowAssignment struct {
	prog   *expr.Program
	target int // the SET column's index in the narrow batch
	table  int // its index in the table schema
}

// newColumnUpdate returns the plan, or nil when the UPDATE must rewrite
// whole rows.
func (d *dml) newColumnUpdate(sets []assignment) (*columnUpdate, error) {
	x := d.x
	if d.useDV || d.cdf || x.opts.MergeSchema || x.opts.OverwriteSchema {
		return nil, nil
	}
	table, err := x.tableArrowSchema()
	if err != nil {
		return nil, err
	}
	schema := x.snap.Schema()
	var paths [][]string
	for _, a := range sets {
		f := schema.Field(a.idx)
		if containsFold(x.meta.PartitionColumns, f.Name) || isNested(f.Type) {
			return nil, nil
		}
		paths = append(paths, []string{f.Name})
		paths = append(paths, expr.Columns(a.e)...)
	}
	plan, err := d.snap.planRowScan(columnNames(paths))
	if err != nil {
		return nil, err
	}
	narrow := dropLast(plan.out)
	cu := &columnUpdate{plan: plan, notNull: map[int]string{}}
	for _, a := range sets {
		name := schema.Field(a.idx).Name
		target := fieldIndexFold(narrow, name)
		ti := fieldIndexFold(table, name)
		if target < 0 || ti < 0 || !arrow.TypeEqual(narrow.Field(target).Type, table.Field(ti).Type) {
			return nil, nil
		}
		prog, err := expr.Compile(a.e, narrow, &expr.CompileOptions{Allocator: x.table.opts.Allocator})
		if err != nil {
			return nil, fmt.Errorf("%w: UPDATE SET %s = %s: %w", ErrInvalidArgument, name, a.e, err)
		}
		cu.sets = append(cu.sets, narrowAssignment{prog: prog, target: target, table: ti})
		if !table.Field(ti).Nullable {
			cu.notNull[ti] = name
		}
	}
	return cu, nil
}

func isNested(t arrow.DataType) bool {
	switch t.(type) {
	case *arrow.StructType, *arrow.ListType, *arrow.LargeListType, *arrow.FixedSizeListType, *arrow.MapType:
		return true
	}
	return false
}

// fileColumnUpdate reads the narrow columns of one file's replaced row
// groups, in order, as one stream.
type fileColumnUpdate struct {
	cu      *columnUpdate
	d       *dml
	fb      *fileBatches
	pending arrow.RecordBatch // read past the last row group replaced
	fileCol map[int]int       // table column index → data file column index
}

// open starts reading the row groups c replaces; nil when it replaces
// none.
func (cu *columnUpdate) open(ctx context.Context, d *dml, f *protocol.Add, c *groupCopier) (*fileColumnUpdate, error) {
	var groups []int
	for g, m := range c.mode {
		if m == groupReplace {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil, nil
	}
	plan := *cu.plan
	plan.rowGroups = groups
	fb, err := d.snap.openFileBatches(ctx, &plan, f)
	if err != nil {
		return nil, err
	}
	fileCol := map[int]int{}
	for k, ti := range c.w.dataIdx {
		fileCol[ti] = k
	}
	return &fileColumnUpdate{cu: cu, d: d, fb: fb, fileCol: fileCol}, nil
}

func (u *fileColumnUpdate) close() {
	if u.pending != nil {
		u.pending.Release()
		u.pending = nil
	}
	u.fb.close()
}

// replace writes row group g of c's file with its SET columns updated and
// returns how many of its rows matched.
func (u *fileColumnUpdate) replace(ctx context.Context, c *groupCopier, g int) (int64, error) {
	w := c.w
	first, n := c.first[g], c.src.NumRows(g)
	cols := map[int][]arrow.Array{}
	defer func() {
		for _, arrs := range cols {
			for _, a := range arrs {
				a.Release()
			}
		}
	}()
	var matched, seen int64
	for seen < n {
		rec := u.pending
		u.pending = nil
		if rec == nil {
			var err error
			if rec, err = u.fb.next(ctx); err != nil {
				return 0, err
			}
			if rec == nil {
				break
			}
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		if firstRowIndex(rec) >= first+n {
			u.pending = rec
			break
		}
		m, err := u.updateBatch(ctx, rec, c.rows, cols)
		seen += rec.NumRows()
		rec.Release()
		if err != nil {
			return 0, err
		}
		matched += m
	}
	if seen != n {
		return 0, fmt.Errorf("delta: UPDATE read %d rows of a %d-row group of %s", seen, n, u.fb.file.Path)
	}
	for ti, name := range u.cu.notNull {
		for _, a := range cols[u.fileCol[ti]] {
			if a.NullN() > 0 {
				return 0, fmt.Errorf("%w: NOT NULL column %q has %d null value(s)", ErrConstraintViolation, name, a.NullN())
			}
		}
	}
	return matched, w.copyRowGroupReplacing(ctx, c.pf, c.src, g, cols)
}

// updateBatch appends to cols the SET columns of one batch of the narrow
// read, with the new values spliced into the matching rows.
func (u *fileColumnUpdate) updateBatch(ctx context.Context, rec arrow.RecordBatch, rows *roaring64.Bitmap, cols map[int][]arrow.Array) (int64, error) {
	mem := u.d.x.table.opts.Allocator
	idx := rec.Column(int(rec.NumCols()) - 1).(*array.Int64).Int64Values()
	hit := matchedRows(idx, rows)
	data := withoutRowIndex(rec)
	defer data.Release()
	n := countTrue(hit)
	var old arrow.RecordBatch
	if n > 0 {
		var err error
		if old, err = selectRows(ctx, mem, data, hit); err != nil {
			return 0, err
		}
		defer old.Release()
	}
	for _, a := range u.cu.sets {
		base := data.Column(a.target)
		var col arrow.Array
		if n == 0 {
			base.Retain()
			col = base
		} else {
			v, err := a.prog.Eval(ctx, old)
			if err != nil {
				return 0, fmt.Errorf("delta: UPDATE SET %s: %w", data.Schema().Field(a.target).Name, err)
			}
			col, err = rowruns.Splice(mem, base, hit, v)
			v.Release()
			if err != nil {
				return 0, err
			}
		}
		k := u.fileCol[a.table]
		cols[k] = append(cols[k], col)
	}
	return n, nil
}
