package optimize

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

func paths(fs []*delta.AddFile) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Path
	}
	slices.Sort(out)
	return out
}

// TestClusterSkewedColumns clusters the skewed table by its two columns
// and checks quality, row identity, Spark's commit shape, and that later
// runs are incremental unless Full.
func TestClusterSkewedColumns(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newSkewedTable(t, mem)
	_, err := tbl.ClusterBy(ctx, []string{"user_id", "ts"}, nil)
	require.NoError(t, err)
	for name, q := range pointQueries() {
		assert.Equal(t, skewedAppends, filesRead(t, tbl, q.filter), "%s: unclustered appends each span every value", name)
	}
	var total int64
	for _, f := range files(t, tbl) {
		total += f.Size
	}
	rows := tableRows(t, tbl)

	opts := &Options{TargetFileSize: total / 64}
	res, err := Compact(ctx, tbl, opts)
	require.NoError(t, err)
	require.Len(t, res.Commits, 1)
	after := files(t, tbl)
	require.Len(t, after, 64)
	for _, f := range after {
		assert.Equal(t, delta.ClusteringProviderLiquid, f.ClusteringProvider)
		assert.Equal(t, "hilbert", f.Tags[TagZOrderCurve])
		assert.False(t, f.DataChange)
	}
	for name, q := range pointQueries() {
		n := filesRead(t, tbl, q.filter)
		t.Logf("%s: %d of %d files before, %d of %d after", name, skewedAppends, skewedAppends, n, len(after))
		assert.LessOrEqual(t, n, q.max, name)
		assert.Less(t, float64(n)/float64(len(after)), 0.3, "%s: a point query reads under 30%% of the files, from 100%% before", name)
	}
	assert.Equal(t, rows, tableRows(t, tbl))

	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	ci, ok := snap.CommitInfo()
	require.True(t, ok)
	assert.Equal(t, "OPTIMIZE", ci["operation"])
	assert.Equal(t, `["user_id","ts"]`, opParam(ci, "clusterBy"))
	assert.Equal(t, "[]", opParam(ci, "zOrderBy"))
	assert.Equal(t, "false", opParam(ci, "isFull"))
	require.NotNil(t, res.Metrics.ClusteringStats)
	assert.Equal(t, int64(skewedAppends), res.Metrics.ClusteringStats.InputOtherFiles.Num)
	assert.Equal(t, int64(0), res.Metrics.ClusteringStats.InputZCubeFiles.Num)
	var stats ClusteringStats
	require.NoError(t, json.Unmarshal([]byte(res.Metrics.Map()["clusteringStats"]), &stats))
	assert.Equal(t, *res.Metrics.ClusteringStats, stats)

	// Nothing new: nothing to do.
	again, err := Compact(ctx, tbl, opts)
	require.NoError(t, err)
	assert.Empty(t, again.Commits)
	assert.Equal(t, int64(64), again.Metrics.TotalFilesSkipped)

	// New appends: only they are clustered; the clustered files stay.
	rec := skewedBatch(mem, rand.New(rand.NewPCG(99, 100)), 5000)
	appendBatch(t, tbl, rec)
	rec.Release()
	rows = tableRows(t, tbl)
	inc, err := Compact(ctx, tbl, opts)
	require.NoError(t, err)
	require.Len(t, inc.Commits, 1)
	assert.Equal(t, int64(1), inc.Metrics.NumFilesRemoved)
	now := files(t, tbl)
	for _, p := range paths(after) {
		assert.Contains(t, paths(now), p, "clustered file rewritten by an incremental run")
	}
	assert.Equal(t, rows, tableRows(t, tbl))

	// Full rewrites every file.
	full, err := Compact(ctx, tbl, &Options{TargetFileSize: total / 64, Full: true})
	require.NoError(t, err)
	require.Len(t, full.Commits, 1)
	assert.Equal(t, int64(len(now)), full.Metrics.NumFilesRemoved)
	assert.Equal(t, int64(len(now)), full.Metrics.ClusteringStats.InputZCubeFiles.Num, "every file is clustered by now")
	for _, p := range paths(files(t, tbl)) {
		assert.NotContains(t, paths(now), p)
	}
	assert.Equal(t, rows, tableRows(t, tbl))
	snap, err = tbl.Snapshot(ctx)
	require.NoError(t, err)
	ci, _ = snap.CommitInfo()
	assert.Equal(t, "true", opParam(ci, "isFull"))
	assert.Equal(t, []string{"user_id", "ts"}, snap.ClusteringColumns(), "OPTIMIZE keeps the clustering domain")
}

// opParam is one operationParameters entry of a commitInfo.
func opParam(ci delta.CommitInfo, key string) any {
	params, _ := ci["operationParameters"].(map[string]any)
	return params[key]
}

func TestClusterOptionErrors(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	clustered := newEventsTable(t, mem, false, nil, 2)
	_, err := clustered.ClusterBy(ctx, []string{"id"}, nil)
	require.NoError(t, err)
	plain := newEventsTable(t, mem, false, nil, 2)
	cases := []struct {
		name string
		tbl  *delta.Table
		opts *Options
		want error
	}{
		{"zorder on clustered", clustered, &Options{ZOrderBy: []string{"score"}}, ErrZOrderClustered},
		{"full on unclustered", plain, &Options{Full: true}, ErrInvalidOptions},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compact(ctx, tc.tbl, tc.opts)
			require.ErrorIs(t, err, tc.want)
			require.ErrorIs(t, err, delta.ErrInvalidArgument)
		})
	}
	// CLUSTER BY NONE: OPTIMIZE bin-packs again.
	_, err = clustered.ClusterBy(ctx, nil, nil)
	require.NoError(t, err)
	res, err := Compact(ctx, clustered, nil)
	require.NoError(t, err)
	require.Len(t, res.Commits, 1)
	assert.Nil(t, res.Metrics.ClusteringStats)
	for _, f := range files(t, clustered) {
		assert.Empty(t, f.ClusteringProvider)
	}
}

// TestClusterKeepsRows: clustering rewrites every row unchanged, with
// column mapping and with deletion vectors (whose deleted rows are
// dropped), and leaves the clustering columns as they were.
func TestClusterKeepsRows(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		props     map[string]string
		delete    bool
		maxMemory int64 // forces the spill path, whose ranges cut across cells
	}{
		{name: "plain"},
		{name: "spilling", maxMemory: 4096},
		{name: "column mapping", props: map[string]string{"delta.columnMapping.mode": "name"}},
		{name: "deletion vectors", props: map[string]string{"delta.enableDeletionVectors": "true"}, delete: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			tbl := newEventsTable(t, mem, false, tc.props, 6)
			_, err := tbl.ClusterBy(ctx, []string{"day", "id"}, nil)
			require.NoError(t, err)
			if tc.delete {
				_, err := tbl.Delete(ctx, expr.Col("id").Lt(expr.Lit(int64(20))), nil)
				require.NoError(t, err)
			}
			rows := tableRows(t, tbl)
			var total int64
			for _, f := range files(t, tbl) {
				total += f.Size
			}
			spilled := 0
			testHookSpill = func(int) { spilled++ }
			defer func() { testHookSpill = nil }()
			res, err := Compact(ctx, tbl, &Options{TargetFileSize: total / 6, MaxMemory: tc.maxMemory})
			require.NoError(t, err)
			require.Len(t, res.Commits, 1)
			assert.Equal(t, int64(6), res.Metrics.NumFilesRemoved)
			assert.Equal(t, tc.maxMemory > 0, spilled > 0, "spill path taken")
			assert.Equal(t, rows, tableRows(t, tbl))
			after := files(t, tbl)
			for _, f := range after {
				assert.Equal(t, delta.ClusteringProviderLiquid, f.ClusteringProvider)
				assert.Nil(t, f.DeletionVector)
			}
			// Files are ordered along the curve: a day (a third of the
			// rows) is in at most half of the six files, where each
			// append held every day.
			require.Len(t, after, 6)
			assert.LessOrEqual(t, filesRead(t, tbl, expr.Col("day").Eq(expr.Lit("d0"))), 3)
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{"day", "id"}, snap.ClusteringColumns())
		})
	}
}
