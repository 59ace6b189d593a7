package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/faultstore"
)

var copySchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "p", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// copyTable writes 1,000 rows, 500 per partition, in row groups of 100:
// nulls in v and label, a NaN in v, id NOT NULL.
func copyTable(t *testing.T, mem memory.Allocator, props map[string]string) *Table {
	t.Helper()
	old := dataRowGroupRows
	dataRowGroupRows = 100
	t.Cleanup(func() { dataRowGroupRows = old })
	ctx := context.Background()
	tbl, err := Create(ctx, t.TempDir(), copySchema, &CreateOptions{PartitionBy: []string{"p"}, Properties: props, Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	t.Cleanup(func() { tbl.Close() })
	b := array.NewRecordBuilder(mem, copySchema)
	defer b.Release()
	for i := 0; i < 1000; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		switch vb := b.Field(1).(*array.Float64Builder); {
		case i%17 == 0:
			vb.AppendNull()
		case i == 777:
			vb.Append(math.NaN())
		default:
			vb.Append(float64(i) / 4)
		}
		if lb := b.Field(2).(*array.StringBuilder); i%13 == 0 {
			lb.AppendNull()
		} else {
			lb.Append(fmt.Sprintf("l%03d", (i*7)%1000))
		}
		b.Field(3).(*array.StringBuilder).Append([]string{"x", "y"}[i/500])
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr := recordReader(t, rec)
	defer rr.Release()
	_, err = tbl.Append(ctx, rr, nil)
	require.NoError(t, err)
	return tbl
}

func recordReader(t *testing.T, recs ...arrow.RecordBatch) array.RecordReader {
	rr, err := array.NewRecordReader(recs[0].Schema(), recs)
	require.NoError(t, err)
	return rr
}

// fileShape is each live file's partition, row-group sizes and stats.
type fileShape struct {
	groups []int64
	stats  string
}

func fileShapes(t *testing.T, tbl *Table) map[string]fileShape {
	ctx := context.Background()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	out := map[string]fileShape{}
	for f, err := range snap.addFiles(ctx) {
		require.NoError(t, err)
		r, err := tbl.openDataFile(ctx, f.Path)
		require.NoError(t, err)
		pf, err := parquetio.OpenFile(r, nil)
		require.NoError(t, err)
		var groups []int64
		for _, g := range pf.Info().RowGroups {
			groups = append(groups, g.NumRows)
		}
		require.NoError(t, r.Close())
		// p, by its physical name; "" when unpartitioned
		key := ""
		for _, v := range f.PartitionValues {
			if v != nil {
				key = *v
			}
		}
		out[key] = fileShape{groups: groups, stats: f.Stats}
	}
	return out
}

// TestCopyOnWriteCopiesUntouchedRowGroups: a copy-on-write DELETE or
// UPDATE of a range keeps the row groups the range misses as they were
// (their sizes show it) and rewrites the others; rows, row order and
// file statistics are those of writing the surviving rows afresh. With
// a CHECK constraint, whose rows a copy would not check, every row is
// rewritten.
func TestCopyOnWriteCopiesUntouchedRowGroups(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		op     func(*Table) (*CommitResult, error)
		check  bool
		groups []int64 // row groups of partition x's new file
	}{
		{"delete", func(tbl *Table) (*CommitResult, error) {
			return tbl.Delete(ctx, mustParse(t, "id >= 250 AND id < 262"), nil)
		}, false, []int64{100, 100, 88, 100, 100}},
		{"update", func(tbl *Table) (*CommitResult, error) {
			return tbl.Update(ctx, map[string]expr.Expr{"v": mustParse(t, "-v"), "label": mustParse(t, "'new'")}, mustParse(t, "id >= 250 AND id < 262"), nil)
		}, false, []int64{100, 100, 100, 100, 100}},
		{"delete with a CHECK constraint", func(tbl *Table) (*CommitResult, error) {
			return tbl.Delete(ctx, mustParse(t, "id >= 250 AND id < 262"), nil)
		}, true, []int64{100, 100, 100, 100, 88}},
	} {
		for _, mapping := range []string{"none", "name"} {
			t.Run(tc.name+"/mapping="+mapping, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				tbl := copyTable(t, mem, map[string]string{"delta.columnMapping.mode": mapping})
				if tc.check {
					_, err := tbl.AddConstraint(ctx, "positive", "id >= 0", nil)
					require.NoError(t, err)
				}
				before := fileShapes(t, tbl)
				res, err := tc.op(tbl)
				require.NoError(t, err)
				after := fileShapes(t, tbl)
				assert.Equal(t, before["y"], after["y"], "the other partition is untouched")
				assert.Equal(t, tc.groups, after["x"].groups)

				// The same rows, written afresh, have the same statistics.
				snap, err := tbl.Snapshot(ctx)
				require.NoError(t, err)
				fresh, err := Create(ctx, t.TempDir(), copySchema, &CreateOptions{PartitionBy: []string{"p"}, Properties: map[string]string{"delta.columnMapping.mode": mapping}, Table: &Options{Allocator: mem}})
				require.NoError(t, err)
				defer fresh.Close()
				appendScan(t, fresh, snap, mustParse(t, "p = 'x'"))
				assert.Equal(t, logicalStats(t, fresh, fileShapes(t, fresh)["x"].stats), logicalStats(t, tbl, after["x"].stats))

				ids := scanIDs(t, snap)
				want := []int64{}
				for i := int64(0); i < 1000; i++ {
					if tc.name == "update" || i < 250 || i >= 262 {
						want = append(want, i)
					}
				}
				assert.Equal(t, want, ids, "rows keep the file's order")
				assert.Equal(t, "488", res.Metrics["numCopiedRows"], "copied as they are or rewritten, 488 rows stay as they were")
			})
		}
	}
}

// logicalStats is a file's stats JSON with column keys by logical name.
func logicalStats(t *testing.T, tbl *Table, stats string) map[string]any {
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	names := map[string]string{}
	for _, f := range snap.schema.Fields {
		names[f.PhysicalName(snap.mapping)] = f.Name
	}
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(stats), &m))
	for k, v := range m {
		cols, ok := v.(map[string]any)
		if !ok {
			continue
		}
		renamed := map[string]any{}
		for c, x := range cols {
			renamed[names[c]] = x
		}
		m[k] = renamed
	}
	return m
}

// appendScan appends to dst the rows of snap matching filter, in file
// order.
func appendScan(t *testing.T, dst *Table, snap *Snapshot, filter expr.Expr) {
	rows := scanBatches(t, snap, filter)
	defer func() {
		for _, r := range rows {
			r.Release()
		}
	}()
	rr := recordReader(t, rows...)
	defer rr.Release()
	_, err := dst.Append(context.Background(), rr, nil)
	require.NoError(t, err)
}

// scanBatches returns the table's rows matching filter, in file order.
func scanBatches(t *testing.T, snap *Snapshot, filter expr.Expr) []arrow.RecordBatch {
	rr, err := snap.Scan(context.Background(), &ScanOptions{Filter: filter})
	require.NoError(t, err)
	defer rr.Release()
	var out []arrow.RecordBatch
	for rr.Next() {
		rec := rr.RecordBatch()
		rec.Retain()
		out = append(out, rec)
	}
	require.NoError(t, rr.Err())
	return out
}

// scanIDs returns the ids of partition x in file order, then y's sorted
// after them.
func scanIDs(t *testing.T, snap *Snapshot) []int64 {
	var x, y []int64
	for _, p := range []string{"x", "y"} {
		for _, rec := range scanBatches(t, snap, mustParse(t, fmt.Sprintf("p = '%s'", p))) {
			ids := rec.Column(0).(*array.Int64).Int64Values()
			if p == "x" {
				x = append(x, ids...)
			} else {
				y = append(y, ids...)
			}
			rec.Release()
		}
	}
	sort.Slice(y, func(i, j int) bool { return y[i] < y[j] })
	return append(x, y...)
}

// TestParallelMatchAndCopyWithChangeFeed runs under the race detector in
// CI: the first pass reads both partitions' files side by side, the
// rewrite copies row groups beside rows it encodes, and an UPDATE with
// the change feed reads the rows it has just handed to the writer. The
// change feed then holds exactly the rows each statement changed.
func TestParallelMatchAndCopyWithChangeFeed(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := copyTable(t, mem, map[string]string{"delta.enableChangeDataFeed": "true"})
	_, err := tbl.Update(ctx, map[string]expr.Expr{"label": mustParse(t, "'u'")}, mustParse(t, "id >= 120 AND id < 130 OR id >= 720 AND id < 725"), nil)
	require.NoError(t, err)
	res, err := tbl.Delete(ctx, mustParse(t, "id % 250 = 3"), nil)
	require.NoError(t, err)
	assert.Equal(t, "4", res.Metrics["numDeletedRows"])

	counts := map[string]int{}
	rr, err := tbl.Changes(ctx, 2, nil)
	require.NoError(t, err)
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		kinds := rec.Column(rec.Schema().FieldIndices(ChangeTypeColumn)[0]).(*array.String)
		for i := 0; i < kinds.Len(); i++ {
			counts[kinds.Value(i)]++
		}
	}
	require.NoError(t, rr.Err())
	assert.Equal(t, map[string]int{"update_preimage": 15, "update_postimage": 15, "delete": 4}, counts)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Len(t, scanIDs(t, snap), 996)
}

// TestColumnUpdateChecksNotNull: an UPDATE that replaces columns alone
// still refuses a NULL in a NOT NULL column, and leaves the table as it
// was.
func TestColumnUpdateChecksNotNull(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := copyTable(t, mem, nil)
	before, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	shapes := fileShapes(t, tbl)
	_, err = tbl.Update(ctx, map[string]expr.Expr{"id": mustParse(t, "CASE WHEN id = 305 THEN NULL ELSE id END")}, mustParse(t, "id > 300 AND id < 310"), nil)
	require.ErrorIs(t, err, ErrConstraintViolation)
	assert.Contains(t, err.Error(), `"id"`)
	after, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, before.Version(), after.Version())
	assert.Equal(t, shapes, fileShapes(t, tbl))
}

// TestRowGroupRowsOption: TxnOptions.RowGroupRows sets the row groups of
// the files a write makes; zero keeps the default.
func TestRowGroupRowsOption(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		rows int64
		want []int64
	}{
		{30, []int64{30, 30, 30, 10}},
		{0, []int64{100}},
	} {
		tbl, err := Create(ctx, t.TempDir(), copySchema, &CreateOptions{Table: &Options{Allocator: mem}})
		require.NoError(t, err)
		b := array.NewRecordBuilder(mem, copySchema)
		for i := 0; i < 100; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.Float64Builder).Append(float64(i))
			b.Field(2).(*array.StringBuilder).Append("l")
			b.Field(3).(*array.StringBuilder).Append("x")
		}
		rec := b.NewRecordBatch()
		b.Release()
		rr := recordReader(t, rec)
		_, err = tbl.Append(ctx, rr, &TxnOptions{RowGroupRows: tc.rows})
		rr.Release()
		rec.Release()
		require.NoError(t, err)
		assert.Equal(t, tc.want, fileShapes(t, tbl)[""].groups, "RowGroupRows %d", tc.rows)
		require.NoError(t, tbl.Close())
	}
}

// TestMergeCopiesUntouchedRowGroups: a copy-on-write MERGE rewrites the
// target row group its matches fall in and copies the others; the file
// holds the same rows, with the same statistics, as writing them afresh.
func TestMergeCopiesUntouchedRowGroups(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := copyTable(t, mem, nil)
	before := fileShapes(t, tbl)
	b := array.NewRecordBuilder(mem, copySchema)
	for i := 250; i < 262; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.Float64Builder).Append(-1)
		b.Field(2).(*array.StringBuilder).Append("merged")
		b.Field(3).(*array.StringBuilder).Append("x")
	}
	src := b.NewRecordBatch()
	b.Release()
	rr := recordReader(t, src)
	res, err := tbl.Merge(ctx, rr, mustParse(t, "t.id = s.id"), &MergeOptions{TargetAlias: "t", SourceAlias: "s",
		WhenMatched: []WhenMatched{{UpdateAll: true}}})
	rr.Release()
	src.Release()
	require.NoError(t, err)
	assert.Equal(t, "488", res.Metrics["numTargetRowsCopied"])
	after := fileShapes(t, tbl)
	assert.Equal(t, before["y"], after["y"])
	assert.Equal(t, []int64{12, 100, 100, 88, 100, 100}, after["x"].groups, "the updated rows, then the file's row groups: four copied, one rewritten")

	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	fresh, err := Create(ctx, t.TempDir(), copySchema, &CreateOptions{PartitionBy: []string{"p"}, Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer fresh.Close()
	appendScan(t, fresh, snap, mustParse(t, "p = 'x'"))
	assert.Equal(t, logicalStats(t, fresh, fileShapes(t, fresh)["x"].stats), logicalStats(t, tbl, after["x"].stats))
}

// TestHasRowIn: the rank test finds a member in a row group's range
// exactly when a look at every row of the range does.
func TestHasRowIn(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		rows := roaring64.New()
		for range rng.IntN(20) {
			rows.Add(uint64(rng.IntN(1000)))
		}
		first, n := int64(rng.IntN(1000)), int64(1+rng.IntN(100))
		want := false
		for r := first; r < first+n; r++ {
			want = want || rows.Contains(uint64(r))
		}
		assert.Equal(t, want, hasRowIn(rows, first, n), "rows %v, range [%d, %d)", rows.ToArray(), first, first+n)
	}
}

// TestCopyOnWriteCopiesUnderStoreFaults: a copy-on-write DELETE, UPDATE
// and MERGE whose row groups are copied fail cleanly when the n-th store
// call fails, for every n until they run clean: the table then holds the
// rows before or the rows of the fault-free run, nothing between.
func TestCopyOnWriteCopiesUnderStoreFaults(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	old := dataRowGroupRows
	dataRowGroupRows = 100
	t.Cleanup(func() { dataRowGroupRows = old })
	base := func(store storage.Store) *Table {
		tbl := &Table{url: "mem://copies", store: store, opts: (&Options{Allocator: mem}).withDefaults()}
		_, err := tbl.create(ctx, copySchema, nil, false, &CreateOptions{PartitionBy: []string{"p"}})
		require.NoError(t, err)
		src := copyTable(t, mem, nil) // the same rows, read back to append
		snap, err := src.Snapshot(ctx)
		require.NoError(t, err)
		appendScan(t, tbl, snap, nil)
		return tbl
	}
	ops := map[string]func(*Table) error{
		"delete": func(tbl *Table) error {
			_, err := tbl.Delete(ctx, mustParse(t, "id >= 250 AND id < 262"), nil)
			return err
		},
		"update": func(tbl *Table) error {
			_, err := tbl.Update(ctx, map[string]expr.Expr{"v": mustParse(t, "-v")}, mustParse(t, "id >= 250 AND id < 262 OR id = 777"), nil)
			return err
		},
		"merge": func(tbl *Table) error {
			src := sourceOf(t, mem, []int64{255, 2000}, []float64{7, 8})
			defer src.Release()
			_, err := tbl.Merge(ctx, src, mustParse(t, "target.id = source.id"), &MergeOptions{
				WhenMatched: []WhenMatched{{Update: map[string]expr.Expr{"v": mustParse(t, "source.score")}}}})
			return err
		},
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			oracle, err := storage.Open(ctx, "mem://", nil)
			require.NoError(t, err)
			ot := base(oracle)
			before := readRows(t, ot)
			require.NoError(t, op(ot))
			after := readRows(t, ot)
			require.NotEqual(t, before, after)
			require.NoError(t, oracle.Close())
			for n := 1; ; n++ {
				inner, err := storage.Open(ctx, "mem://", nil)
				require.NoError(t, err)
				fs := faultstore.New(inner, faultstore.Plan{})
				base(fs)
				tbl := &Table{url: "mem://copies", store: fs, opts: (&Options{Allocator: mem}).withDefaults()}
				fs.SetPlan(faultstore.Plan{FailOn: faultstore.OpAll, N: n})
				opErr := op(tbl)
				injected := fs.Injected() > 0
				fs.SetPlan(faultstore.Plan{})
				clean := &Table{url: "mem://copies", store: inner, opts: (&Options{Allocator: mem}).withDefaults()}
				rows := readRows(t, clean)
				if opErr != nil {
					assert.Equal(t, before, rows, "n=%d: failed with %v but the rows changed", n, opErr)
				} else {
					assert.Equal(t, after, rows, "n=%d", n)
				}
				require.NoError(t, inner.Close())
				if !injected {
					break
				}
				require.Less(t, n, 500, "never ran clean")
			}
		})
	}
}
