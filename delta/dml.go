package delta

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/conflict"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/rowruns"
)

// The row-level operations (DELETE, UPDATE) share one shape, Spark's:
//
//  1. find the files that may hold matching rows (partition values and
//     statistics prune first), and read only the predicate's columns of
//     those to learn which rows match, by their index in the file;
//  2. for each touched file either mark the rows deleted in the file's
//     deletion vector (delta.enableDeletionVectors) or rewrite the file
//     without them (copy-on-write), writing new rows and change data as
//     the operation requires;
//  3. commit removes and adds (and cdc actions) in one transaction.
//
// Memory stays bounded: files are read one batch at a time, and what is
// kept across files is one compressed bitmap per touched file.

// fileMatch is what the first pass learned about one live file.
type fileMatch struct {
	file *protocol.Add
	// rows are the file row indexes of live rows that match; nil when
	// whole is set.
	rows *roaring64.Bitmap
	// whole: every live row matches, proven by partition values alone,
	// without reading the file.
	whole bool
}

// dml is one row-level operation inside a transaction.
type dml struct {
	x     *Transaction
	snap  *Snapshot
	where expr.Expr // nil matches every row
	pred  *expr.Program
	useDV bool
	cdf   bool

	// newDVs are the deletion vectors to write at the end, one per file
	// whose rows are partly deleted.
	newDVs []pendingDV

	matchedRows int64
	dvAdded     int64 // files that had no vector and get one
	dvUpdated   int64 // files whose vector grows
	dvRemoved   int64 // vectors dropped with their file
	started     time.Time
	scanTime    time.Duration
	rewriteTime time.Duration

	operation string
	progress  func(Progress)
}

// pendingDV is a file's vector after this operation: its old rows plus
// the newly deleted ones.
type pendingDV struct {
	file *protocol.Add
	rows *roaring64.Bitmap
}

// newDML prepares a row-level operation on the transaction's snapshot.
func (x *Transaction) newDML(where expr.Expr) (*dml, error) {
	if x.snap == nil {
		return nil, fmt.Errorf("%w: row-level operations need an existing table", ErrInvalidArgument)
	}
	d := &dml{x: x, snap: x.snap, where: where, started: time.Now()}
	d.useDV = x.snap.config.Bool(protocol.PropEnableDeletionVectors, false) && x.proto.SupportsFeature("deletionVectors")
	d.cdf = x.changeDataEnabled()
	if where != nil {
		prog, err := expr.Compile(where, x.snap.Schema(), &expr.CompileOptions{Allocator: x.table.opts.Allocator})
		if err != nil {
			return nil, fmt.Errorf("%w: condition %s: %w", ErrInvalidArgument, where, err)
		}
		if !arrow.TypeEqual(prog.ResultType(), arrow.FixedWidthTypes.Boolean) {
			return nil, fmt.Errorf("%w: condition %s is not a boolean predicate", ErrInvalidArgument, where)
		}
		d.pred = prog
	}
	return d, nil
}

// rewriteMatches runs a DELETE or UPDATE: the first pass finds the rows,
// perFile handles each touched file, the new deletion vectors are
// written, and the commit records the operation with its predicate.
func (d *dml) rewriteMatches(ctx context.Context, perFile func(context.Context, fileMatch) error) error {
	matches, err := d.findMatches(ctx)
	if err != nil {
		return err
	}
	rewriteStart := time.Now()
	for i, m := range matches {
		if err := perFile(ctx, m); err != nil {
			return err
		}
		d.report("rewrite", int64(i+1), int64(len(matches)))
	}
	if err := d.stageDeletionVectors(ctx); err != nil {
		return err
	}
	d.rewriteTime = time.Since(rewriteStart)
	preds := []string{}
	if d.where != nil {
		preds = append(preds, d.where.String())
	}
	x := d.x
	x.operation = d.operation
	x.opParams = map[string]any{"predicate": jsonString(preds)}
	x.dml = d
	return nil
}

// findMatches is the first pass: the touched files and their matching
// rows. It also records what the operation read for conflict detection.
func (d *dml) findMatches(ctx context.Context) ([]fileMatch, error) {
	start := time.Now()
	defer func() { d.scanTime += time.Since(start) }()
	x := d.x
	var part *partitionPred
	if d.where != nil {
		p, err := x.compilePartitionPredicate(d.where)
		switch {
		case errors.Is(err, errDataPredicate):
		case err != nil:
			return nil, err
		default:
			part = p
		}
	}
	switch {
	case d.where == nil:
		x.readWholeTable = true
	case part != nil:
		x.readPredicates = append(x.readPredicates, func(f conflict.File) bool {
			ok, err := part.matches([]map[string]*string{f.PartitionValues})
			return err != nil || ok[0]
		})
	default:
		// Like Spark, a concurrently added file is checked against the
		// predicate by its partition values only; with data columns in
		// the predicate, any added file may hold matching rows.
		x.readPredicates = append(x.readPredicates, func(conflict.File) bool { return true })
	}

	var out []fileMatch
	if d.where == nil || part != nil {
		for f, err := range d.snap.addFiles(ctx) {
			if err != nil {
				return nil, err
			}
			if part != nil {
				ok, err := part.matches([]map[string]*string{f.PartitionValues})
				if err != nil {
					return nil, err
				}
				if !ok[0] {
					continue
				}
			}
			out = append(out, fileMatch{file: f, whole: true})
		}
		return out, nil
	}

	plan, err := d.snap.planRowScan(columnNames(expr.Columns(d.where)))
	if err != nil {
		return nil, err
	}
	// The first pass reads only the predicate's columns: compile it for
	// that narrower batch.
	narrow, err := expr.Compile(d.where, dropLast(plan.out), &expr.CompileOptions{Allocator: x.table.opts.Allocator})
	if err != nil {
		return nil, fmt.Errorf("%w: condition %s: %w", ErrInvalidArgument, d.where, err)
	}
	return d.matchFiles(ctx, plan, narrow)
}

// matchFiles reads the predicate's columns of every file the statistics
// leave and returns, in the snapshot's order, the files with matching
// rows. Files are read side by side (fileWorkers).
func (d *dml) matchFiles(ctx context.Context, plan *scanPlan, narrow *expr.Program) ([]fileMatch, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(d.fileWorkers())
	var mu sync.Mutex
	found := map[int]*roaring64.Bitmap{}
	var files []*protocol.Add
	for f, err := range d.snap.filesMatching(gctx, d.where) {
		if err != nil {
			_ = g.Wait()
			return nil, err
		}
		i := len(files)
		files = append(files, f)
		d.report("scan", int64(len(files)), -1)
		d.x.markRead(f.Path)
		g.Go(func() error {
			rows := roaring64.New()
			err := d.snap.eachFileBatch(gctx, plan, f, func(rec arrow.RecordBatch) error {
				return d.collectMatches(gctx, narrow, rec, rows)
			})
			if err != nil || rows.IsEmpty() {
				return err
			}
			mu.Lock()
			found[i] = rows
			mu.Unlock()
			return nil
		})
		if gctx.Err() != nil {
			break
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []fileMatch
	for i, f := range files {
		if rows := found[i]; rows != nil {
			out = append(out, fileMatch{file: f, rows: rows})
		}
	}
	return out, nil
}

// fileWorkers is how many files a DML reads side by side: one per core on
// local disk, where decoding is the cost, and as many as IOConcurrency
// allows on an object store, where each file's requests wait on the
// network.
func (d *dml) fileWorkers() int {
	n := runtime.GOMAXPROCS(0)
	if d.snap.table.useReadAhead() {
		n = max(n, d.snap.table.opts.ioConcurrency())
	}
	return n
}

// collectMatches adds the row indexes of the rows of rec (predicate
// columns, then the row index) for which the predicate is TRUE.
func (d *dml) collectMatches(ctx context.Context, pred *expr.Program, rec arrow.RecordBatch, rows *roaring64.Bitmap) error {
	data := withoutRowIndex(rec)
	defer data.Release()
	mask, err := evalMask(ctx, pred, data)
	if err != nil {
		return err
	}
	idx := rec.Column(int(rec.NumCols()) - 1).(*array.Int64)
	for i, m := range mask {
		if m {
			rows.Add(uint64(idx.Value(i)))
		}
	}
	return nil
}

// evalMask evaluates the predicate: true where it is TRUE (NULL and FALSE
// leave the row alone, as in SQL).
func evalMask(ctx context.Context, pred *expr.Program, rec arrow.RecordBatch) ([]bool, error) {
	mask := make([]bool, rec.NumRows())
	if pred == nil {
		for i := range mask {
			mask[i] = true
		}
		return mask, nil
	}
	res, err := pred.Eval(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("delta: evaluate %s: %w", pred, err)
	}
	defer res.Release()
	b := res.(*array.Boolean)
	for i := range mask {
		mask[i] = b.IsValid(i) && b.Value(i)
	}
	return mask, nil
}

// liveRows returns how many rows of f are visible before this operation:
// numRecords less the old vector, from stats, else from the file footer.
func (d *dml) liveRows(ctx context.Context, f *protocol.Add) (int64, error) {
	n, ok := fileNumRecords(f)
	if !ok {
		r, err := d.snap.table.openDataFile(ctx, f.Path)
		if err != nil {
			return 0, err
		}
		defer r.Close()
		info, err := parquetio.ReadFileInfo(r)
		if err != nil {
			return 0, readErr(f.Path, err)
		}
		n = info.NumRows
	}
	if f.DeletionVector != nil {
		n -= f.DeletionVector.Cardinality
	}
	return n, nil
}

// deleteRows records that the matched rows of m (of live rows before the
// operation) leave the table: by a
// grown deletion vector, or by removing the file when none stay. Rows of
// the file that stay are the caller's business in copy-on-write mode.
func (d *dml) deleteRows(ctx context.Context, m fileMatch, matched, live int64) error {
	if m.whole || matched >= live || !d.useDV {
		d.x.removeFile(m.file)
		if m.file.DeletionVector != nil {
			d.dvRemoved++
		}
		return nil
	}
	old, err := d.snap.table.deletedRows(ctx, m.file.Path, m.file.DeletionVector)
	if err != nil {
		return err
	}
	rows := m.rows.Clone()
	if old != nil {
		rows.Or(old)
		d.dvUpdated++
	} else {
		d.dvAdded++
	}
	d.newDVs = append(d.newDVs, pendingDV{file: m.file, rows: rows})
	return nil
}

// eachLiveBatch streams every live row of f with all table columns and
// the row index last; with lr, only the row groups lr names, calling
// lr.before ahead of each batch (see eachRewrittenBatch).
func (d *dml) eachLiveBatch(ctx context.Context, f *protocol.Add, fn func(rec arrow.RecordBatch, matched []bool) error, rows *roaring64.Bitmap, lr *liveRead) error {
	plan, err := d.snap.planRowScan(nil)
	if err != nil {
		return err
	}
	if lr != nil {
		if len(lr.groups) == 0 {
			return nil
		}
		plan.rowGroups = lr.groups
	}
	return d.snap.eachFileBatchAhead(ctx, plan, f, func(rec arrow.RecordBatch) error {
		if rec.NumRows() == 0 {
			return nil
		}
		if lr != nil {
			if err := lr.before(ctx, firstRowIndex(rec)); err != nil {
				return err
			}
		}
		idx := rec.Column(int(rec.NumCols()) - 1).(*array.Int64).Int64Values()
		matched := matchedRows(idx, rows)
		data := withoutRowIndex(rec)
		defer data.Release()
		return fn(data, matched)
	})
}

// matchedRows marks which of the file row indexes idx (ascending, as a
// file is read) are in rows; nil rows matches all. The bitmap's members
// in idx's range are walked beside idx: a step of the bitmap's iterator
// per member and an integer comparison per row, where a lookup per row
// would cost a search each.
func matchedRows(idx []int64, rows *roaring64.Bitmap) []bool {
	matched := make([]bool, len(idx))
	if rows == nil {
		for i := range matched {
			matched[i] = true
		}
		return matched
	}
	if len(idx) == 0 {
		return matched
	}
	last := uint64(idx[len(idx)-1])
	it := rows.Iterator()
	it.AdvanceIfNeeded(uint64(idx[0]))
	i := 0
	for it.HasNext() {
		v := it.Next()
		if v > last {
			break
		}
		for uint64(idx[i]) < v {
			i++
		}
		if uint64(idx[i]) == v {
			matched[i] = true
		}
	}
	return matched
}

// planRowScan plans a DML read of columns (nil: all) plus each row's
// index in its file as the last column.
func (s *Snapshot) planRowScan(columns []string) (*scanPlan, error) {
	if columns != nil && len(columns) == 0 {
		columns = []string{} // no column but the row index
	}
	p, err := s.planScan(&ScanOptions{Columns: columns})
	if err != nil {
		return nil, err
	}
	p.rowIndex = true
	fields := append(append([]arrow.Field(nil), p.out.Fields()...), arrow.Field{Name: rowIndexColumn, Type: arrow.PrimitiveTypes.Int64})
	p.out = arrow.NewSchema(fields, nil)
	return p, nil
}

// eachFileBatch streams the batches a plan reads from one file.
func (s *Snapshot) eachFileBatch(ctx context.Context, p *scanPlan, f *protocol.Add, fn func(arrow.RecordBatch) error) error {
	fb, err := s.openFileBatches(ctx, p, f)
	if err != nil {
		return err
	}
	defer fb.close()
	for {
		rec, err := fb.next(ctx)
		if err != nil {
			return err
		}
		if rec == nil {
			return nil
		}
		err = fn(rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
}

// eachFileBatchAhead is eachFileBatch with the file decoded one batch
// ahead on another goroutine: when fn is heavy (rows rewritten, encoded
// into new files) decoding and writing overlap on two cores.
func (s *Snapshot) eachFileBatchAhead(ctx context.Context, p *scanPlan, f *protocol.Add, fn func(arrow.RecordBatch) error) error {
	fb, err := s.openFileBatches(ctx, p, f)
	if err != nil {
		return err
	}
	defer fb.close() // after the decoder below has returned: ch is closed by then
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type decoded struct {
		rec arrow.RecordBatch
		err error
	}
	ch := make(chan decoded, 1)
	go func() {
		defer close(ch)
		for {
			rec, err := fb.next(ctx)
			if err != nil {
				ch <- decoded{err: err}
				return
			}
			if rec == nil {
				return
			}
			select {
			case ch <- decoded{rec: rec}:
			case <-ctx.Done():
				rec.Release()
				return
			}
		}
	}()
	var first error
	for d := range ch {
		switch {
		case d.err != nil:
			if first == nil {
				first = d.err
			}
		case first != nil:
			d.rec.Release()
		default:
			first = fn(d.rec)
			d.rec.Release()
			if first != nil {
				cancel()
			}
		}
	}
	return first
}

// withoutRowIndex returns rec less its last (row index) column, as a new
// reference.
func withoutRowIndex(rec arrow.RecordBatch) arrow.RecordBatch {
	n := int(rec.NumCols()) - 1
	fields := rec.Schema().Fields()[:n]
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), rec.Columns()[:n], rec.NumRows())
}

// selectRows returns the rows of rec where keep is true, as a new
// reference.
func selectRows(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, keep []bool) (arrow.RecordBatch, error) {
	all := true
	for _, k := range keep {
		all = all && k
	}
	if all {
		rec.Retain()
		return rec, nil
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	if runs := rowruns.Kept(keep); len(runs) <= len(keep)/8 {
		// Long runs (what copy-on-write keeps): copied run by run.
		out, err := rowruns.Batch(ctx, mem, rec, runs, rowruns.Rows(runs))
		if err != nil {
			return nil, fmt.Errorf("delta: select rows: %w", err)
		}
		return out, nil
	}
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.AppendValues(keep, nil)
	mask := b.NewBooleanArray()
	defer mask.Release()
	out, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("delta: select rows: %w", err)
	}
	return out, nil
}

func invert(m []bool) []bool {
	out := make([]bool, len(m))
	for i, v := range m {
		out[i] = !v
	}
	return out
}

func countTrue(m []bool) int64 {
	var n int64
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}

// columnNames turns expr.Columns paths into distinct top-level names.
func columnNames(paths [][]string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, p := range paths {
		if len(p) > 0 && !seen[p[0]] {
			seen[p[0]] = true
			out = append(out, p[0])
		}
	}
	return out
}

// dmlMetrics are the operationMetrics Spark records for DELETE and
// UPDATE.
func (x *Transaction) dmlMetrics() map[string]string {
	d, m := x.dml, x.metrics
	// A file that only gets a new deletion vector is removed and added
	// back in the log, but no data file is removed: Spark does not count
	// it (nor its bytes) as removed.
	var reAdded, reAddedBytes int64
	for _, a := range x.adds {
		if a.DeletionVector != nil {
			reAdded++
			reAddedBytes += a.Size
		}
	}
	out := map[string]string{
		"numRemovedFiles":     itoa(m.numRemovedFiles - reAdded),
		"numAddedFiles":       itoa(m.numFiles),
		"numRemovedBytes":     itoa(m.numRemovedBytes - reAddedBytes),
		"numAddedBytes":       itoa(m.numOutputBytes),
		"numCopiedRows":       itoa(m.numCopiedRows),
		"numAddedChangeFiles": itoa(m.numChangeFiles),
		"executionTimeMs":     itoa(time.Since(d.started).Milliseconds()),
		"scanTimeMs":          itoa(d.scanTime.Milliseconds()),
		"rewriteTimeMs":       itoa(d.rewriteTime.Milliseconds()),
	}
	if d.operation == "UPDATE" {
		out["numUpdatedRows"] = itoa(d.matchedRows)
	} else {
		out["numDeletedRows"] = itoa(d.matchedRows)
	}
	d.dvMetrics(out)
	return out
}
