package delta

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

func matchingFiles(t *testing.T, tbl *Table, filter string) int {
	t.Helper()
	e, err := expr.Parse(filter)
	require.NoError(t, err)
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	n := 0
	for _, err := range snap.FilesMatching(context.Background(), e) {
		require.NoError(t, err)
		n++
	}
	return n
}

func fileStatsStrings(t *testing.T, tbl *Table) []string {
	t.Helper()
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	var out []string
	for f, err := range snap.Files(context.Background()) {
		require.NoError(t, err)
		out = append(out, f.Stats)
	}
	return out
}

// TestComputeStatistics: files written while the table kept no column
// statistics get them from ComputeStatistics once the setting allows, as
// dataChange=false re-adds; skipping then prunes, rows are unchanged, and
// a second run commits nothing.
func TestComputeStatistics(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, _ := newMaintTable(t, mem, 0, false, map[string]string{"delta.dataSkippingNumIndexedCols": "0"})
	for i := range 4 {
		appendRows(t, tbl, mem, i*100, 10)
	}
	for _, s := range fileStatsStrings(t, tbl) {
		assert.NotContains(t, s, `"id"`, "no column stats yet")
	}
	assert.Equal(t, 4, matchingFiles(t, tbl, "id = 205"), "nothing to skip with")
	want := readRows(t, tbl)

	_, err := tbl.SetProperties(ctx, map[string]string{"delta.dataSkippingNumIndexedCols": "32"}, nil)
	require.NoError(t, err)
	var progress []int64
	res, err := tbl.ComputeStatistics(ctx, nil, &DMLOptions{Progress: func(p Progress) { progress = append(progress, p.Done) }})
	require.NoError(t, err)
	require.NotNil(t, res)
	assert.Equal(t, "COMPUTE STATS", res.Operation)
	assert.Equal(t, "4", res.Metrics["numFilesUpdated"])
	assert.Equal(t, []int64{0, 1, 2, 3, 4}, progress)
	for _, s := range fileStatsStrings(t, tbl) {
		assert.Contains(t, s, `"minValues":{"id":`)
	}
	assert.Equal(t, 1, matchingFiles(t, tbl, "id = 205"))
	assert.Equal(t, want, readRows(t, tbl))
	info := commitInfoOf(t, tbl, res.Version)
	assert.Equal(t, false, info["isBlindAppend"])

	again, err := tbl.ComputeStatistics(ctx, nil, nil)
	require.NoError(t, err)
	assert.Nil(t, again, "statistics are current: nothing to commit")
}

// TestComputeStatisticsDeletionVector: a file with a deletion vector gets
// statistics of all its physical rows, marked tightBounds false.
func TestComputeStatisticsDeletionVector(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, _ := newMaintTable(t, mem, 10, false, map[string]string{"delta.enableDeletionVectors": "true", "delta.dataSkippingNumIndexedCols": "0"})
	deleteWhere(t, tbl, "id < 3")
	_, err := tbl.SetProperties(ctx, map[string]string{"delta.dataSkippingNumIndexedCols": "1"}, nil)
	require.NoError(t, err)
	res, err := tbl.ComputeStatistics(ctx, nil, nil)
	require.NoError(t, err)
	require.NotNil(t, res)
	stats := fileStatsStrings(t, tbl)
	require.Len(t, stats, 1)
	assert.Equal(t, `{"numRecords":10,"minValues":{"id":0},"maxValues":{"id":9},"nullCount":{"id":0},"tightBounds":false}`, stats[0])
	assert.Len(t, readRows(t, tbl), 7)
}

// TestComputeStatisticsConflictsWithDelete: a DELETE that removes a file
// while its statistics are being computed wins; the re-add would bring the
// file back, so the commit fails with a conflict and the DELETE stands.
func TestComputeStatisticsConflictsWithDelete(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, _ := newMaintTable(t, mem, 0, false, map[string]string{"delta.dataSkippingNumIndexedCols": "0"})
	appendRows(t, tbl, mem, 0, 10)
	_, err := tbl.SetProperties(ctx, map[string]string{"delta.dataSkippingNumIndexedCols": "32"}, nil)
	require.NoError(t, err)
	deleted := false
	_, err = tbl.ComputeStatistics(ctx, nil, &DMLOptions{Progress: func(p Progress) {
		if p.Done == 1 && !deleted {
			deleted = true
			deleteWhere(t, tbl, "id < 5")
		}
	}})
	require.ErrorIs(t, err, ErrConflict)
	assert.Len(t, readRows(t, tbl), 5)
}

// TestComputeStatisticsBadPredicate: a predicate on a data column is
// refused before anything is read or committed.
func TestComputeStatisticsBadPredicate(t *testing.T) {
	ctx := context.Background()
	tbl, _ := newMaintTable(t, newCheckedAllocator(t), 4, true, nil)
	before, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	where, err := expr.Parse("id > 2")
	require.NoError(t, err)
	_, err = tbl.ComputeStatistics(ctx, where, nil)
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.True(t, strings.HasPrefix(err.Error(), "delta: "), err.Error())
	after, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, before.Version(), after.Version())
}
