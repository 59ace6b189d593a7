package delta

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

func mustParse(t *testing.T, s string) expr.Expr {
	t.Helper()
	e, err := expr.Parse(s)
	require.NoError(t, err)
	return e
}

// sourceOf builds a one-batch reader of eventsSchema rows with the given
// ids and scores.
func sourceOf(t *testing.T, mem memory.Allocator, ids []int64, scores []float64) array.RecordReader {
	t.Helper()
	b := array.NewRecordBuilder(mem, eventsSchema)
	defer b.Release()
	for i, id := range ids {
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.StringBuilder).Append("src")
		b.Field(2).(*array.Float64Builder).Append(scores[i])
		b.Field(3).(*array.StringBuilder).Append("d0")
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(eventsSchema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	return rr
}

// logListing names the files under _delta_log, to show a failed operation
// committed nothing.
func logListing(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "_delta_log"))
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// dataFiles lists every file under the table root outside _delta_log: a
// failed operation must leave no staged file behind.
func dataFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "_delta_log" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	}))
	slices.Sort(out)
	return out
}

// TestMergeFailuresLeaveTableUnchanged: every way a MERGE can fail leaves
// the log and the data files exactly as they were.
func TestMergeFailuresLeaveTableUnchanged(t *testing.T) {
	upsert := func(t *testing.T) *MergeOptions {
		return &MergeOptions{
			WhenMatched:    []WhenMatched{{UpdateAll: true}},
			WhenNotMatched: []WhenNotMatched{{InsertAll: true}},
		}
	}
	tests := []struct {
		name    string
		ids     []int64
		scores  []float64
		on      string
		opts    func(t *testing.T) *MergeOptions
		props   map[string]string
		wantErr error
	}{
		{"two source rows match one target row", []int64{3, 3}, []float64{1, 2}, "target.id = source.id", upsert, nil, ErrMergeCardinality},
		{"two source rows match one target row, spilled", []int64{3, 3}, []float64{1, 2}, "target.id = source.id", func(t *testing.T) *MergeOptions {
			o := upsert(t)
			o.MaxMemory = 1
			return o
		}, nil, ErrMergeCardinality},
		{"updated row violates a CHECK constraint", []int64{4}, []float64{-10}, "target.id = source.id", upsert, map[string]string{"delta.constraints.positive": "score >= 0"}, ErrConstraintViolation},
		{"inserted row violates a CHECK constraint", []int64{1000}, []float64{-10}, "target.id = source.id", upsert, map[string]string{"delta.constraints.positive": "score >= 0"}, ErrConstraintViolation},
		{"unknown column in ON", []int64{1}, []float64{1}, "target.nope = source.id", upsert, nil, ErrInvalidArgument},
		{"non-boolean ON", []int64{1}, []float64{1}, "target.id + source.id", upsert, nil, ErrInvalidArgument},
		{"SET of an unknown column", []int64{1}, []float64{1}, "target.id = source.id", func(t *testing.T) *MergeOptions {
			return &MergeOptions{WhenMatched: []WhenMatched{{Update: map[string]expr.Expr{"nope": mustParse(t, "1")}}}}
		}, nil, ErrInvalidArgument},
		{"clause with two actions", []int64{1}, []float64{1}, "target.id = source.id", func(t *testing.T) *MergeOptions {
			return &MergeOptions{WhenMatched: []WhenMatched{{UpdateAll: true, Delete: true}}}
		}, nil, ErrInvalidArgument},
		{"no clause", []int64{1}, []float64{1}, "target.id = source.id", func(t *testing.T) *MergeOptions { return &MergeOptions{} }, nil, ErrInvalidArgument},
		{"INSERT value from the target", []int64{1000}, []float64{1}, "target.id = source.id", func(t *testing.T) *MergeOptions {
			return &MergeOptions{WhenNotMatched: []WhenNotMatched{{Insert: map[string]expr.Expr{"id": mustParse(t, "target.id")}}}}
		}, nil, ErrInvalidArgument},
		{"NOT MATCHED BY SOURCE condition on the source", []int64{1}, []float64{1}, "target.id = source.id", func(t *testing.T) *MergeOptions {
			return &MergeOptions{WhenNotMatchedBySource: []WhenNotMatchedBySource{{Condition: mustParse(t, "source.score > 1"), Delete: true}}}
		}, nil, ErrInvalidArgument},
		{"update on an append-only table", []int64{1}, []float64{1}, "target.id = source.id", upsert, map[string]string{"delta.appendOnly": "true"}, ErrAppendOnly},
	}
	for _, dvs := range []string{"false", "true"} {
		for _, tc := range tests {
			t.Run("dv="+dvs+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				mem := newCheckedAllocator(t)
				dir := t.TempDir()
				props := map[string]string{"delta.enableDeletionVectors": dvs, "delta.enableChangeDataFeed": "true"}
				for k, v := range tc.props {
					props[k] = v
				}
				tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, Properties: props})
				require.NoError(t, err)
				defer tbl.Close()
				rr := eventsReader(t, mem, 0, 20, 2)
				_, err = tbl.Append(ctx, rr, nil)
				rr.Release()
				require.NoError(t, err)
				logBefore, filesBefore, rowsBefore := logListing(t, dir), dataFiles(t, dir), readRows(t, tbl)

				src := sourceOf(t, mem, tc.ids, tc.scores)
				defer src.Release()
				_, err = tbl.Merge(ctx, src, mustParse(t, tc.on), tc.opts(t))
				require.ErrorIs(t, err, tc.wantErr)

				assert.Equal(t, logBefore, logListing(t, dir), "no commit")
				assert.Equal(t, filesBefore, dataFiles(t, dir), "no staged file left behind")
				assert.Equal(t, rowsBefore, readRows(t, tbl), "rows unchanged")
			})
		}
	}
}

// TestMergeUnconditionalDeleteAllowsManyMatches: several source rows may
// match one target row when the only MATCHED clause deletes it, as in
// Spark.
func TestMergeUnconditionalDeleteAllowsManyMatches(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 5, 1)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	src := sourceOf(t, mem, []int64{2, 2, 4}, []float64{0, 0, 0})
	defer src.Release()
	res, err := tbl.Merge(ctx, src, mustParse(t, "target.id = source.id"), &MergeOptions{WhenMatched: []WhenMatched{{Delete: true}}})
	require.NoError(t, err)
	assert.Equal(t, "2", res.Metrics["numTargetRowsDeleted"])
	assert.Equal(t, "3", res.Metrics["numSourceRows"])
	assert.Equal(t, expectedRows(t, [3]int{0, 2, 1}, [3]int{3, 1, 1}), readRows(t, tbl))
}

// TestMergeReadsOnlyFilesThatCanMatch: a one-row upsert into a table of
// many files reads only the files whose key range covers the source key.
func TestMergeReadsOnlyFilesThatCanMatch(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	for k := range 10 {
		rr := eventsReader(t, mem, k*100, 100, 1)
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
	}
	src := sourceOf(t, mem, []int64{550}, []float64{7})
	defer src.Release()
	x, err := tbl.Begin(ctx, nil)
	require.NoError(t, err)
	defer x.Rollback()
	require.NoError(t, x.merge(ctx, src, mustParse(t, "target.id = source.id"), MergeOptions{
		WhenMatched: []WhenMatched{{UpdateAll: true}}, WhenNotMatched: []WhenNotMatched{{InsertAll: true}},
	}))
	assert.Len(t, x.mergeRun.files, 1, "files read")
	assert.Len(t, x.readFiles, 1, "files the conflict check knows were read")
	res, err := x.Commit(ctx)
	require.NoError(t, err)
	assert.Equal(t, "1", res.Metrics["numTargetRowsUpdated"])
	assert.Equal(t, "99", res.Metrics["numTargetRowsCopied"])
}

// TestDMLConflicts: Delta's rules for a DELETE racing other commits. A
// concurrent blind append into the partition the DELETE read conflicts
// only under Serializable; a concurrent DELETE of the same file always
// conflicts; a conflict leaves the table as the winner made it.
func TestDMLConflicts(t *testing.T) {
	tests := []struct {
		name      string
		isolation Isolation
		winner    func(t *testing.T, tbl *Table, mem memory.Allocator)
		conflict  bool
	}{
		{"blind append, WriteSerializable", WriteSerializable, appendDay0, false},
		{"blind append, Serializable", Serializable, appendDay0, true},
		{"delete of the same file", WriteSerializable, func(t *testing.T, tbl *Table, mem memory.Allocator) {
			_, err := tbl.Delete(context.Background(), mustParse(t, "id = 2"), nil)
			require.NoError(t, err)
		}, true},
	}
	for _, dvs := range []string{"false", "true"} {
		for _, tc := range tests {
			t.Run("dv="+dvs+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				mem := newCheckedAllocator(t)
				tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"},
					Properties: map[string]string{"delta.enableDeletionVectors": dvs}})
				require.NoError(t, err)
				defer tbl.Close()
				rr := eventsReader(t, mem, 0, 10, 2)
				_, err = tbl.Append(ctx, rr, nil)
				rr.Release()
				require.NoError(t, err)

				x, err := tbl.Begin(ctx, &TxnOptions{Isolation: tc.isolation})
				require.NoError(t, err)
				defer x.Rollback()
				require.NoError(t, x.deleteWhere(ctx, mustParse(t, "day = 'd0' AND id < 5"), nil))
				tc.winner(t, tbl, mem)
				after := readRows(t, tbl)
				_, err = x.Commit(ctx)
				if !tc.conflict {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, ErrConflict)
				assert.Equal(t, after, readRows(t, tbl), "the loser changed nothing")
			})
		}
	}
}

func appendDay0(t *testing.T, tbl *Table, mem memory.Allocator) {
	rr := eventsReader(t, mem, 100, 2, 1) // day d0
	defer rr.Release()
	_, err := tbl.Append(context.Background(), rr, nil)
	require.NoError(t, err)
}

// TestPurge: REORG … APPLY (PURGE) rewrites exactly the files with
// deletion vectors, keeps the rows, and leaves the change feed empty.
func TestPurge(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"},
		Properties: map[string]string{"delta.enableDeletionVectors": "true", "delta.enableChangeDataFeed": "true"}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 40, 2)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	_, err = tbl.Delete(ctx, mustParse(t, "id % 3 = 0"), nil)
	require.NoError(t, err)
	before := readRows(t, tbl)

	res, err := tbl.Purge(ctx, mustParse(t, "day = 'd0'"), nil)
	require.NoError(t, err)
	assert.Equal(t, "REORG", res.Operation)
	assert.Equal(t, "1", res.Metrics["numRemovedFiles"])
	assert.Equal(t, "1", res.Metrics["numAddedFiles"])
	assert.Equal(t, before, readRows(t, tbl))
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	withDV := 0
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		if f.DeletionVector != nil {
			withDV++
			assert.Equal(t, "d1", *f.PartitionValues["day"], "only the other partition keeps its vector")
		}
	}
	assert.Equal(t, 1, withDV)
	changes := readChanges(t, tbl, res.Version, res.Version)
	assert.Empty(t, changes, "a purge changes no rows")

	_, err = tbl.Purge(ctx, mustParse(t, "id > 3"), nil)
	require.ErrorIs(t, err, ErrInvalidArgument, "data columns are refused")
	res, err = tbl.Purge(ctx, nil, nil)
	require.NoError(t, err)
	res, err = tbl.Purge(ctx, nil, nil)
	require.NoError(t, err)
	assert.Nil(t, res, "nothing left to purge: no commit")
	assert.Equal(t, before, readRows(t, tbl))
}

// TestPurgeKeepsClusteredFiles: a purge rewrites a file a clustering
// run laid out into files of its own that keep its clusteringProvider and
// tags (its live rows are a subset in the same order), and a file no run
// clustered into files without them; the rows stay the same.
func TestPurgeKeepsClusteredFiles(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, ClusterBy: []string{"id"},
		Properties: map[string]string{"delta.enableDeletionVectors": "true"}})
	require.NoError(t, err)
	defer tbl.Close()
	// One file as a clustering run writes it, one plain append.
	x, err := tbl.Begin(ctx, &TxnOptions{NoDataChange: true})
	require.NoError(t, err)
	fw, err := x.NewFileWriter(&FileWriterOptions{ClusteringProvider: ClusteringProviderLiquid, Tags: map[string]string{"ZCUBE_ID": "cube-1"}})
	require.NoError(t, err)
	rr := eventsReader(t, mem, 0, 30, 1)
	require.NoError(t, fw.Write(ctx, rr))
	rr.Release()
	_, err = fw.Close(ctx)
	require.NoError(t, err)
	_, err = x.Commit(ctx)
	require.NoError(t, err)
	rr = eventsReader(t, mem, 100, 30, 1)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	_, err = tbl.Delete(ctx, mustParse(t, "id % 4 = 1"), nil)
	require.NoError(t, err)
	before := readRows(t, tbl)

	res, err := tbl.Purge(ctx, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, "2", res.Metrics["numRemovedFiles"])
	assert.Equal(t, "2", res.Metrics["numAddedFiles"])
	assert.Equal(t, before, readRows(t, tbl))
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	var clustered, plain int
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		assert.Nil(t, f.DeletionVector)
		var st struct {
			MinValues map[string]any `json:"minValues"`
		}
		require.NoError(t, json.Unmarshal([]byte(f.Stats), &st))
		if st.MinValues["id"].(float64) < 100 {
			clustered++
			assert.Equal(t, ClusteringProviderLiquid, f.ClusteringProvider)
			assert.Equal(t, "cube-1", f.Tags["ZCUBE_ID"])
		} else {
			plain++
			assert.Empty(t, f.ClusteringProvider)
			assert.Empty(t, f.Tags["ZCUBE_ID"])
		}
	}
	assert.Equal(t, 1, clustered)
	assert.Equal(t, 1, plain)
}

// TestExpiredTxnIdentifiers: with delta.setTransactionRetentionDuration,
// an application id not updated within it is forgotten by snapshots and
// left out of checkpoints, so an idempotent replay of it commits again.
func TestExpiredTxnIdentifiers(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	dir := t.TempDir()
	tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem},
		Properties: map[string]string{"delta.setTransactionRetentionDuration": "interval 1 millisecond"}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 3, 1)
	_, err = tbl.Append(ctx, rr, &TxnOptions{AppID: "job", AppVersion: 1})
	rr.Release()
	require.NoError(t, err)
	time.Sleep(5 * time.Millisecond)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	_, ok := snap.TxnVersion("job")
	assert.False(t, ok, "expired")
	assert.Empty(t, snap.Txns())
	_, err = tbl.Checkpoint(ctx, nil)
	require.NoError(t, err)
	cp, err := os.ReadFile(filepath.Join(dir, "_delta_log", "_last_checkpoint"))
	require.NoError(t, err)
	assert.NotEmpty(t, cp)
	reopened, err := Open(ctx, dir, &Options{Allocator: mem})
	require.NoError(t, err)
	defer reopened.Close()
	snap, err = reopened.Snapshot(ctx)
	require.NoError(t, err)
	assert.Empty(t, snap.state.Txns, "the checkpoint left the expired id out")
}

// TestDMLProgress: long operations report scan and rewrite progress, the
// last rewrite report with Done == Total.
func TestDMLProgress(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 30, 3)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	var got []Progress
	_, err = tbl.Delete(ctx, mustParse(t, "id % 2 = 0"), &DMLOptions{Progress: func(p Progress) { got = append(got, p) }})
	require.NoError(t, err)
	require.NotEmpty(t, got)
	assert.Equal(t, Progress{Operation: "DELETE", Phase: "scan", Done: 1, Total: -1}, got[0])
	assert.Equal(t, Progress{Operation: "DELETE", Phase: "rewrite", Done: 3, Total: 3}, got[len(got)-1])
}

// TestDMLGeneratedColumnsAndSchemaEvolution: UPDATE and MERGE recompute
// generated columns from the new values, and MERGE with MergeSchema adds
// the source's extra column for UPDATE SET * and INSERT *.
func TestDMLGeneratedColumnsAndSchemaEvolution(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "twice", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: arrow.NewMetadata([]string{"delta.generationExpression"}, []string{"id * 2"})},
	}, nil)
	tbl, err := Create(ctx, t.TempDir(), schema, &CreateOptions{Table: &Options{Allocator: mem},
		Properties: map[string]string{"delta.enableDeletionVectors": "true"}})
	require.NoError(t, err)
	defer tbl.Close()
	ids := func(s *arrow.Schema, cols ...[]int64) array.RecordReader {
		b := array.NewRecordBuilder(mem, s)
		defer b.Release()
		for i, c := range cols {
			b.Field(i).(*array.Int64Builder).AppendValues(c, nil)
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		rr, err := array.NewRecordReader(s, []arrow.RecordBatch{rec})
		require.NoError(t, err)
		return rr
	}
	idOnly := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rr := ids(idOnly, []int64{1, 2, 3})
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)

	_, err = tbl.Update(ctx, map[string]expr.Expr{"id": mustParse(t, "id + 10")}, mustParse(t, "id = 1"), nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"{id: 11, twice: 22}", "{id: 2, twice: 4}", "{id: 3, twice: 6}"}, readRows(t, tbl))

	withExtra := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "extra", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	src := ids(withExtra, []int64{2, 7}, []int64{200, 700})
	defer src.Release()
	_, err = tbl.Merge(ctx, src, mustParse(t, "target.id = source.id"), &MergeOptions{
		MergeSchema:    true,
		WhenMatched:    []WhenMatched{{UpdateAll: true}},
		WhenNotMatched: []WhenNotMatched{{InsertAll: true}},
	})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"{id: 11, twice: 22, extra: null}", "{id: 2, twice: 4, extra: 200}",
		"{id: 3, twice: 6, extra: null}", "{id: 7, twice: 14, extra: 700}",
	}, readRows(t, tbl))
}

func TestMatchedRows(t *testing.T) {
	rows := roaring64.BitmapOf(0, 3, 4, 100, 1<<33)
	tests := []struct {
		idx  []int64
		want []bool
	}{
		{[]int64{0, 1, 2, 3, 4, 5}, []bool{true, false, false, true, true, false}},
		{[]int64{2, 4, 50, 100, 101}, []bool{false, true, false, true, false}},
		{[]int64{99, 1 << 33}, []bool{false, true}},
		{nil, []bool{}},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, matchedRows(tc.idx, rows), "%v", tc.idx)
	}
	assert.Equal(t, []bool{true, true}, matchedRows([]int64{7, 9}, nil), "nil bitmap matches all")

	// Against a lookup per row: ascending indexes with gaps (rows a
	// deletion vector removed), bitmaps dense and sparse, in and around
	// the indexes' range.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		var idx []int64
		for r := int64(rng.IntN(50)); len(idx) < rng.IntN(300); r += 1 + int64(rng.IntN(3)) {
			idx = append(idx, r)
		}
		bm := roaring64.New()
		for range rng.IntN(400) {
			bm.Add(uint64(rng.IntN(1000)))
		}
		want := make([]bool, len(idx))
		for i, r := range idx {
			want[i] = bm.Contains(uint64(r))
		}
		require.Equal(t, want, matchedRows(idx, bm), "%v in %v", idx, bm)
	}
}

// TestMaintenanceProgress: a deep clone reports each copied file and
// VACUUM each deleted one, ending at Done == Total.
func TestMaintenanceProgress(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 30, 3)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	var got []Progress
	record := func(p Progress) { got = append(got, p) }
	clone, _, err := Clone(ctx, snap, t.TempDir(), &CloneOptions{Progress: record})
	require.NoError(t, err)
	defer clone.Close()
	require.Len(t, got, 3)
	assert.Equal(t, Progress{Operation: "CLONE", Phase: "copy", Done: 3, Total: 3}, got[2])

	_, err = tbl.Delete(ctx, nil, nil)
	require.NoError(t, err)
	got = nil
	time.Sleep(10 * time.Millisecond) // a zero retention keeps what was removed this very millisecond
	zero := time.Duration(0)
	_, err = tbl.Vacuum(ctx, &VacuumOptions{Retention: &zero, DisableRetentionCheck: true, Progress: record})
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, Progress{Operation: "VACUUM", Phase: "delete", Done: 3, Total: 3}, got[2])
}
