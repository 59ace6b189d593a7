package delta

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Update sets columns of the rows for which where is TRUE (every row when
// where is nil): Spark's UPDATE … SET col = expr, … WHERE …. Each value is
// an expression over the row's old values, cast to the column's type as
// Spark's store assignment does. The new rows are checked like written
// rows (NOT NULL, CHECK constraints) and generated columns are computed
// again. Files are found as Delete finds them; with
// delta.enableDeletionVectors the old rows are marked deleted and only
// the updated rows are written, otherwise each touched file is rewritten:
// its row groups without a matching row are copied as they are, and,
// unless the change feed is on or a SET column is a partition column, the
// others keep every column but the SET columns as they were and get only
// those encoded anew. On a change-feed table the commit carries
// update_preimage and update_postimage rows.
//
// The commit records operation "UPDATE" with Spark's metrics
// (numUpdatedRows, numCopiedRows, …). On any error the table is unchanged.
func (t *Table) Update(ctx context.Context, set map[string]expr.Expr, where expr.Expr, opts *DMLOptions) (*CommitResult, error) {
	x, err := t.Begin(ctx, opts.txnOptions())
	if err != nil {
		return nil, err
	}
	defer x.Rollback()
	if err := x.update(ctx, set, where, opts.progressFunc()); err != nil {
		return nil, err
	}
	return x.Commit(ctx)
}

// assignment is one compiled SET clause.
type assignment struct {
	idx  int       // column index in the table schema
	e    expr.Expr // the value, cast to the column's type where needed
	prog *expr.Program
}

// compileAssignments resolves the SET columns and compiles their values
// against the table schema.
func (x *Transaction) compileAssignments(set map[string]expr.Expr) ([]assignment, error) {
	if len(set) == 0 {
		return nil, fmt.Errorf("%w: UPDATE needs at least one column to set", ErrInvalidArgument)
	}
	schema := x.snap.Schema()
	names := make([]string, 0, len(set))
	for n := range set {
		names = append(names, n)
	}
	slices.Sort(names)
	seen := map[int]string{}
	out := make([]assignment, 0, len(set))
	for _, n := range names {
		i := fieldIndexFold(schema, n)
		if i < 0 {
			return nil, fmt.Errorf("%w: UPDATE: no column %q in the table (columns: %s)", ErrInvalidArgument, n, strings.Join(x.snap.columnNames(), ", "))
		}
		if prev, ok := seen[i]; ok {
			return nil, fmt.Errorf("%w: UPDATE sets column %q twice (%q and %q)", ErrInvalidArgument, schema.Field(i).Name, prev, n)
		}
		seen[i] = n
		if x.identityAlways(schema.Field(i).Name) {
			return nil, fmt.Errorf("%w: UPDATE: column %q %s", ErrInvalidArgument, schema.Field(i).Name, identityGeneratedAlwaysMsg)
		}
		e := set[n]
		if e == nil {
			return nil, fmt.Errorf("%w: UPDATE: no value for column %q", ErrInvalidArgument, n)
		}
		want := schema.Field(i).Type
		prog, err := expr.Compile(e, schema, &expr.CompileOptions{Allocator: x.table.opts.Allocator})
		if err == nil && !arrow.TypeEqual(prog.ResultType(), want) {
			e = expr.Cast(e, want)
			prog, err = expr.Compile(e, schema, &expr.CompileOptions{Allocator: x.table.opts.Allocator})
		}
		if err != nil {
			return nil, fmt.Errorf("%w: UPDATE SET %s = %s: %w", ErrInvalidArgument, schema.Field(i).Name, e, err)
		}
		out = append(out, assignment{idx: i, e: e, prog: prog})
	}
	return out, nil
}

// update stages an UPDATE in the transaction.
func (x *Transaction) update(ctx context.Context, set map[string]expr.Expr, where expr.Expr, progress func(Progress)) error {
	d, err := x.newDML(where)
	if err != nil {
		return err
	}
	d.operation, d.progress = "UPDATE", progress
	sets, err := x.compileAssignments(set)
	if err != nil {
		return err
	}
	cu, err := d.newColumnUpdate(sets)
	if err != nil {
		return err
	}
	return d.rewriteMatches(ctx, func(ctx context.Context, m fileMatch) error { return d.updateFile(ctx, m, sets, cu) })
}

// updateFile writes the updated rows of one file (and, copy-on-write,
// the rest of its rows), then retires the old rows.
func (d *dml) updateFile(ctx context.Context, m fileMatch, sets []assignment, cu *columnUpdate) error {
	x := d.x
	mem := x.table.opts.Allocator
	var matched, live int64
	rows := m.rows
	if m.whole {
		rows = nil
	}
	var copied copyCounts
	each := func(ctx context.Context, f *protocol.Add, fn func(arrow.RecordBatch, []bool) error, rows *roaring64.Bitmap) error {
		return d.eachLiveBatch(ctx, f, fn, rows, nil)
	}
	if !d.useDV {
		// Rows the update leaves alone are written back as they were:
		// row groups without a matching row are copied, and those with
		// one get only their SET columns encoded anew (dml_copy.go).
		each = func(ctx context.Context, f *protocol.Add, fn func(arrow.RecordBatch, []bool) error, rows *roaring64.Bitmap) error {
			var err error
			copied, err = d.eachRewrittenBatch(ctx, f, fn, rows, cu)
			return err
		}
	}
	err := each(ctx, m.file, func(rec arrow.RecordBatch, hit []bool) error {
		live += rec.NumRows()
		n := countTrue(hit)
		matched += n
		if n > 0 {
			old, err := selectRows(ctx, mem, rec, hit)
			if err != nil {
				return err
			}
			defer old.Release()
			updated, err := d.applyAssignments(ctx, old, sets)
			if err != nil {
				return err
			}
			defer updated.Release()
			if !d.useDV && n < rec.NumRows() {
				done, err := d.writeSpliced(ctx, rec, hit, old, updated)
				if done || err != nil {
					return err
				}
			}
			post, err := x.prepareBatch(ctx, updated, false, true)
			if err != nil {
				return err
			}
			if post != nil {
				defer post.Release()
				if err := x.writeRows(ctx, post, false); err != nil {
					return err
				}
			}
			if d.cdf {
				if err := x.writeChanges(ctx, old, ChangeUpdatePreimage); err != nil {
					return err
				}
				if post != nil {
					if err := x.writeChanges(ctx, post, ChangeUpdatePostimage); err != nil {
						return err
					}
				}
			}
		}
		if d.useDV || n == rec.NumRows() {
			return nil
		}
		kept, err := selectRows(ctx, mem, rec, invert(hit))
		if err != nil {
			return err
		}
		defer kept.Release()
		return x.writeBatch(ctx, kept, true)
	}, rows)
	if err != nil {
		return err
	}
	live += copied.rows
	matched += copied.matched
	d.matchedRows += matched
	if matched == 0 {
		return nil
	}
	return d.deleteRows(ctx, m, matched, live)
}

// writeSpliced writes a copy-on-write batch rec whose hit rows, old, the
// SET clauses turned into updated: one batch with the updated rows in
// place (dml_splice.go). done is false when a column's type keeps the
// rows from being spliced; the caller then writes them apart.
func (d *dml) writeSpliced(ctx context.Context, rec arrow.RecordBatch, hit []bool, old, updated arrow.RecordBatch) (done bool, err error) {
	x := d.x
	mem := x.table.opts.Allocator
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	full, ok, err := spliceRows(mem, rec, hit, old, updated)
	if !ok || err != nil {
		return false, err
	}
	defer full.Release()
	// Generated columns of the updated rows are null (applyAssignments)
	// and computed here; kept rows are checked as a copy would be.
	post, err := x.prepareBatch(ctx, full, false, true)
	if err != nil || post == nil {
		return true, err
	}
	defer post.Release()
	if err := x.writeRows(ctx, post, false); err != nil {
		return true, err
	}
	x.metrics.numCopiedRows += rec.NumRows() - countTrue(hit)
	if !d.cdf {
		return true, nil
	}
	if err := x.writeChanges(ctx, old, ChangeUpdatePreimage); err != nil {
		return true, err
	}
	after, err := selectRows(ctx, mem, post, hit)
	if err != nil {
		return true, err
	}
	defer after.Release()
	return true, x.writeChanges(ctx, after, ChangeUpdatePostimage)
}

// applyAssignments returns rec with the SET columns replaced by their new
// values and generated columns nulled so that the writer computes them
// again from the new values.
func (d *dml) applyAssignments(ctx context.Context, rec arrow.RecordBatch, sets []assignment) (arrow.RecordBatch, error) {
	mem := d.x.table.opts.Allocator
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = rec.Column(i)
		cols[i].Retain()
	}
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	assigned := map[int]bool{}
	for _, a := range sets {
		v, err := a.prog.Eval(ctx, rec)
		if err != nil {
			release()
			return nil, fmt.Errorf("delta: UPDATE SET %s: %w", rec.Schema().Field(a.idx).Name, err)
		}
		cols[a.idx].Release()
		cols[a.idx] = v
		assigned[a.idx] = true
	}
	for i, f := range d.x.schema.Fields {
		if _, gen := f.Metadata[protocol.MetaGeneration]; gen && !assigned[i] && i < len(cols) {
			nulls := array.MakeArrayOfNull(mem, cols[i].DataType(), cols[i].Len())
			cols[i].Release()
			cols[i] = nulls
		}
	}
	out := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	release()
	return out, nil
}
