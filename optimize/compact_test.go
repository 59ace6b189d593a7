package optimize

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

func TestCompactKeepsEveryRow(t *testing.T) {
	dvs := map[string]string{"delta.enableDeletionVectors": "true"}
	tests := []struct {
		name        string
		partitioned bool
		props       map[string]string
		delete      expr.Expr // applied before OPTIMIZE
		opts        *Options
		wantFiles   int // live files after
		wantRemoved int64
		wantDVs     int64
	}{
		{name: "unpartitioned", wantFiles: 1, wantRemoved: 8},
		{name: "partitioned", partitioned: true, wantFiles: 3, wantRemoved: 24},
		{name: "table's target file size", props: map[string]string{"delta.targetFileSize": "4000"}, wantFiles: 4, wantRemoved: 8},
		{name: "where on a partition", partitioned: true, opts: &Options{Where: expr.Col("day").Eq(expr.Lit("d1"))}, wantFiles: 1 + 8 + 8, wantRemoved: 8},
		{name: "deletion vectors purged", props: dvs, delete: expr.Col("id").Lt(expr.Lit(int64(120))), wantFiles: 1, wantRemoved: 6, wantDVs: 1},
		{name: "deletion vectors, partitioned", partitioned: true, props: dvs, delete: expr.Col("id").Mod(expr.Lit(int64(10))).Eq(expr.Lit(int64(0))), wantFiles: 3, wantRemoved: 24, wantDVs: 24},
		{name: "column mapping", partitioned: true, props: map[string]string{"delta.columnMapping.mode": "name"}, wantFiles: 3, wantRemoved: 24},
		{name: "z-order", partitioned: true, opts: &Options{ZOrderBy: []string{"score", "NAME"}}, wantFiles: 3, wantRemoved: 24},
		{name: "z-order spilling", props: dvs, delete: expr.Col("id").Gt(expr.Lit(int64(390))), opts: &Options{ZOrderBy: []string{"id"}, MaxMemory: 2000, ZOrderRanges: 8}, wantFiles: 1, wantRemoved: 8, wantDVs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl := newEventsTable(t, mem, tc.partitioned, tc.props, 8)
			if tc.delete != nil {
				_, err := tbl.Delete(ctx, tc.delete, nil)
				require.NoError(t, err)
			}
			before := tableRows(t, tbl)
			res, err := Compact(ctx, tbl, tc.opts)
			require.NoError(t, err)
			assert.Equal(t, before, tableRows(t, tbl))
			after := files(t, tbl)
			assert.Len(t, after, tc.wantFiles)
			for _, f := range after {
				if tc.wantDVs > 0 {
					assert.Nil(t, f.DeletionVector, "vectors are purged by the rewrite")
				}
			}
			require.Len(t, res.Commits, 1)
			commit := res.Commits[0]
			assert.Equal(t, "OPTIMIZE", commit.Operation)
			assert.Equal(t, res.Version, commit.Version)
			m := res.Metrics
			assert.Equal(t, tc.wantRemoved, m.NumFilesRemoved)
			assert.Equal(t, itoa(tc.wantRemoved), commit.Metrics["numRemovedFiles"])
			assert.Equal(t, itoa(m.NumFilesAdded), commit.Metrics["numAddedFiles"])
			assert.Equal(t, itoa(tc.wantDVs), commit.Metrics["numDeletionVectorsRemoved"])
			for _, k := range []string{"minFileSize", "p25FileSize", "p50FileSize", "p75FileSize", "maxFileSize", "numAddedBytes", "numRemovedBytes"} {
				assert.NotEmpty(t, commit.Metrics[k], k)
			}
			assert.Equal(t, int64(1), m.NumBatches)
			assert.Equal(t, m.TotalConsideredFiles-m.NumFilesRemoved, m.TotalFilesSkipped)
			if tc.wantDVs > 0 {
				require.NotNil(t, m.DeletionVectorStats)
				assert.Equal(t, tc.wantDVs, m.DeletionVectorStats.NumDeletionVectorsRemoved)
			}
			if tc.opts != nil && tc.opts.ZOrderBy != nil {
				require.NotNil(t, m.ZOrderStats)
				assert.Equal(t, tc.wantRemoved, m.ZOrderStats.MergedFiles.Num)
			}
		})
	}
}

func TestCompactCommitRecordsSparksOperation(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, nil, 3)
	res, err := Compact(ctx, tbl, &Options{Where: expr.Col("day").Eq(expr.Lit("d0")), ZOrderBy: []string{"id"}})
	require.NoError(t, err)
	require.Len(t, res.Commits, 1)
	hist, err := tbl.History(ctx, &delta.HistoryOptions{Limit: 1})
	require.NoError(t, err)
	require.Len(t, hist, 1)
	h := hist[0]
	assert.Equal(t, "OPTIMIZE", h.Operation())
	params, _ := h.CommitInfo["operationParameters"].(map[string]any)
	assert.Equal(t, map[string]string{"predicate": `["day = 'd0'"]`, "zOrderBy": `["id"]`, "clusterBy": "[]", "auto": "false"}, stringParams(params))
	metrics, _ := h.CommitInfo["operationMetrics"].(map[string]any)
	assert.Equal(t, "3", metrics["numRemovedFiles"])
	for _, f := range files(t, tbl) {
		if *f.PartitionValues["day"] != "d0" {
			assert.Empty(t, f.Tags, "other partitions untouched")
			continue
		}
		assert.False(t, f.DataChange)
		assert.NotEmpty(t, f.Tags[TagZCubeID])
		assert.Equal(t, `["id"]`, f.Tags[TagZOrderBy])
		assert.Equal(t, "zorder", f.Tags[TagZOrderCurve])
	}
}

func stringParams(m map[string]any) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func TestCompactNothingToDo(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tests := []struct {
		name string
		opts *Options
	}{
		{"compacted already", nil},
		{"files above MinFileSize", &Options{MinFileSize: 1}},
		{"no partition matches", &Options{Where: expr.Col("day").Eq(expr.Lit("none"))}},
	}
	tbl := newEventsTable(t, mem, true, nil, 4)
	_, err := Compact(ctx, tbl, nil)
	require.NoError(t, err)
	for i := range 3 {
		rec := eventsBatch(mem, 1000+i*3, 3, 3)
		appendBatch(t, tbl, rec)
		rec.Release()
	}
	_, err = Compact(ctx, tbl, nil)
	require.NoError(t, err)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Compact(ctx, tbl, tc.opts)
			require.NoError(t, err)
			assert.Empty(t, res.Commits)
			assert.Equal(t, snap.Version(), res.Version)
			assert.Zero(t, res.Metrics.NumFilesRemoved)
		})
	}
}

func TestCompactInBatches(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, nil, 6)
	before := tableRows(t, tbl)
	var sizes int64
	for _, f := range files(t, tbl) {
		sizes += f.Size
	}
	// Each partition's bin holds about a third of the bytes: a batch
	// size of half the table fits one bin per batch.
	res, err := Compact(ctx, tbl, &Options{BatchSize: sizes / 2})
	require.NoError(t, err)
	assert.Len(t, res.Commits, 3)
	assert.Equal(t, int64(3), res.Metrics.NumBatches)
	assert.Equal(t, int64(18), res.Metrics.NumFilesRemoved)
	assert.Equal(t, before, tableRows(t, tbl))
	assert.Len(t, files(t, tbl), 3)
}

// TestCompactConcurrentAppendIsKept appends while OPTIMIZE is rewriting
// (from its progress callback, after its plan and before its commit).
func TestCompactConcurrentAppendIsKept(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, nil, 5)
	before := tableRows(t, tbl)
	appended := false
	res, err := Compact(ctx, tbl, &Options{MaxConcurrency: 1, Progress: func(delta.Progress) {
		if appended {
			return
		}
		appended = true
		rec := eventsBatch(mem, 5000, 6, 3)
		appendBatch(t, tbl, rec)
		rec.Release()
	}})
	require.NoError(t, err)
	require.True(t, appended)
	require.Len(t, res.Commits, 1)
	assert.Equal(t, 2, res.Commits[0].Attempts, "rebased over the append")
	want := append(before, tableRows(t, newEventsTableRows(t, 5000, 6))...)
	assert.ElementsMatch(t, want, tableRows(t, tbl))
	// Compacted partitions hold one file each, plus the appended files.
	assert.Len(t, files(t, tbl), 3+3)
}

// newEventsTableRows makes a scratch table holding rows from..from+n-1.
func newEventsTableRows(t *testing.T, from, n int) *delta.Table {
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, nil, 0)
	rec := eventsBatch(mem, from, n, 3)
	appendBatch(t, tbl, rec)
	rec.Release()
	return tbl
}

// TestCompactConflictsWithConcurrentDelete deletes rows of a file being
// compacted: OPTIMIZE must fail and leave the table as the DELETE left it.
func TestCompactConflictsWithConcurrentDelete(t *testing.T) {
	tests := []struct {
		name  string
		props map[string]string
	}{
		{"copy-on-write delete", nil},
		{"deletion-vector delete", map[string]string{"delta.enableDeletionVectors": "true"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl := newEventsTable(t, mem, false, tc.props, 4)
			var deleteVersion int64 = -1
			_, err := Compact(ctx, tbl, &Options{Progress: func(delta.Progress) {
				res, err := tbl.Delete(ctx, expr.Col("id").Eq(expr.Lit(int64(7))), nil)
				require.NoError(t, err)
				deleteVersion = res.Version
			}})
			require.Error(t, err)
			assert.True(t, errors.Is(err, delta.ErrConflict), "got %v", err)
			var ce *delta.ConflictError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, deleteVersion, ce.Version)

			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, deleteVersion, snap.Version(), "OPTIMIZE committed nothing")
			rows := tableRows(t, tbl)
			assert.Len(t, rows, 199)
			for _, r := range rows {
				assert.False(t, strings.HasPrefix(r, "id=7,"))
			}
			// The rewritten file was deleted with the failed transaction.
			live := map[string]bool{}
			for _, f := range files(t, tbl) {
				live[f.Path] = true
			}
			parquet, err := filepath.Glob(filepath.Join(strings.TrimPrefix(tbl.URL(), "file://"), "*.parquet"))
			require.NoError(t, err)
			var removedByDelete int
			for _, p := range parquet {
				if !live[filepath.Base(p)] {
					removedByDelete++
				}
			}
			if tc.props == nil {
				assert.Equal(t, 1, removedByDelete, "only the file the DELETE rewrote is dead")
			} else {
				assert.Zero(t, removedByDelete)
			}
		})
	}
}

func TestCompactRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, nil, 1)
	tests := []struct {
		name string
		opts *Options
		want string
	}{
		{"where on a data column", &Options{Where: expr.Col("id").Gt(expr.Lit(int64(3)))}, `column "id" is not a partition column`},
		{"z-order by a partition column", &Options{ZOrderBy: []string{"day"}}, "is a partition column"},
		{"z-order by an unknown column", &Options{ZOrderBy: []string{"nope"}}, "no such column"},
		{"z-order column twice", &Options{ZOrderBy: []string{"id", "ID"}}, "named twice"},
		{"negative size", &Options{TargetFileSize: -1}, "TargetFileSize -1 is negative"},
		{"one range", &Options{ZOrderRanges: 1}, "at least 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compact(ctx, tbl, tc.opts)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrInvalidOptions)
			assert.ErrorIs(t, err, delta.ErrInvalidArgument)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "optimize: "), err.Error())
		})
	}
}

func TestCompactSpillLeavesNoFiles(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, false, nil, 6)
	dir := t.TempDir()
	before := tableRows(t, tbl)
	var ranges int
	testHookSpill = func(n int) { ranges = n }
	defer func() { testHookSpill = nil }()
	_, err := Compact(ctx, tbl, &Options{ZOrderBy: []string{"score"}, MaxMemory: 1500, SpillDir: dir})
	require.NoError(t, err)
	assert.Greater(t, ranges, 2, "the partition was split into spill ranges")
	assert.Equal(t, before, tableRows(t, tbl))
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left)
}

// TestCompactIgnoresDeletesElsewhere: a concurrent DELETE of files
// OPTIMIZE does not rewrite is no conflict.
func TestCompactIgnoresDeletesElsewhere(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, map[string]string{"delta.enableDeletionVectors": "true"}, 4)
	deleted := false
	res, err := Compact(ctx, tbl, &Options{Where: expr.Col("day").Eq(expr.Lit("d0")), Progress: func(delta.Progress) {
		if deleted {
			return
		}
		deleted = true
		// id 1 is in partition d1.
		_, err := tbl.Delete(ctx, expr.Col("id").Eq(expr.Lit(int64(1))), nil)
		require.NoError(t, err)
	}})
	require.NoError(t, err)
	require.Len(t, res.Commits, 1)
	assert.Equal(t, int64(4), res.Metrics.NumFilesRemoved)
	rows := tableRows(t, tbl)
	assert.Len(t, rows, 199)
	for _, r := range rows {
		assert.False(t, strings.HasPrefix(r, "id=1,"))
	}
}
