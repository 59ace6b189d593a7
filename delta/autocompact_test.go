package delta

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// autoCompactTable is a local table partitioned by day with the given
// properties, opened with MinNumFiles 4.
func autoCompactTable(t *testing.T, props map[string]string, o AutoCompactOptions, logger *slog.Logger) (*Table, string) {
	t.Helper()
	dir := t.TempDir()
	if o.MinNumFiles == 0 {
		o.MinNumFiles = 4
	}
	tbl, err := Create(context.Background(), dir, eventsSchema, &CreateOptions{PartitionBy: []string{"day"}, Properties: props,
		Table: &Options{Allocator: newCheckedAllocator(t), NoSync: true, AutoCompact: o, Logger: logger}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tbl.Close() })
	return tbl, dir
}

// appendD0 appends rows from..from+n-1, all in partition day=d0.
func appendD0(t *testing.T, tbl *Table, from, n int) *CommitResult {
	t.Helper()
	rr := eventsReader(t, tbl.opts.Allocator, from, n, 1)
	defer rr.Release()
	res, err := tbl.Append(context.Background(), rr, nil)
	require.NoError(t, err)
	return res
}

func countFiles(t *testing.T, tbl *Table) map[string]int {
	t.Helper()
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	out := map[string]int{}
	for f, err := range snap.Files(context.Background()) {
		require.NoError(t, err)
		out[*f.PartitionValues["day"]]++
	}
	return out
}

// TestAutoCompaction: with delta.autoOptimize.autoCompact on, the commit
// that brings a partition to MinNumFiles small files is followed by an
// OPTIMIZE (auto) commit that leaves one file there and the rows as they
// were; before that, and with the property off, nothing happens.
func TestAutoCompaction(t *testing.T) {
	for _, tc := range []struct {
		name    string
		props   map[string]string
		opts    AutoCompactOptions
		compact bool
	}{
		{"on", map[string]string{"delta.autoOptimize.autoCompact": "true"}, AutoCompactOptions{}, true},
		{"auto, as Databricks spells it", map[string]string{"delta.autoOptimize.autoCompact": "auto"}, AutoCompactOptions{}, true},
		{"property off", map[string]string{"delta.autoOptimize.autoCompact": "false"}, AutoCompactOptions{}, false},
		{"no property", nil, AutoCompactOptions{}, false},
		{"disabled for this handle", map[string]string{"delta.autoOptimize.autoCompact": "true"}, AutoCompactOptions{Disabled: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl, dir := autoCompactTable(t, tc.props, tc.opts, nil)
			for i := range 3 {
				res := appendD0(t, tbl, i*10, 10)
				assert.Nil(t, res.AutoCompaction, "append %d: below MinNumFiles", i)
			}
			want := readRows(t, tbl)
			res := appendD0(t, tbl, 30, 10)
			require.NoError(t, res.AutoCompactErr)
			rows := readRows(t, tbl)
			assert.Len(t, rows, len(want)+10)
			if !tc.compact {
				assert.Nil(t, res.AutoCompaction)
				assert.Equal(t, map[string]int{"d0": 4}, countFiles(t, tbl))
				return
			}
			require.NotNil(t, res.AutoCompaction)
			assert.Equal(t, res.Version+1, res.AutoCompaction.Version)
			assert.Equal(t, "OPTIMIZE", res.AutoCompaction.Operation)
			assert.Equal(t, map[string]int{"d0": 1}, countFiles(t, tbl))
			info := commitInfoOf(t, tbl, res.AutoCompaction.Version)
			assert.Equal(t, true, info["operationParameters"].(map[string]any)["auto"])
			assert.Equal(t, "4", info["operationMetrics"].(map[string]any)["numRemovedFiles"])
			// The compaction changes no data: the change feed and
			// streaming readers skip it.
			raw, err := os.ReadFile(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", res.AutoCompaction.Version)))
			require.NoError(t, err)
			assert.NotContains(t, string(raw), `"dataChange":true`)
			assert.Contains(t, string(raw), `"dataChange":false`)
			// The next commit, below the threshold again, compacts nothing.
			res = appendD0(t, tbl, 40, 10)
			assert.Nil(t, res.AutoCompaction)
		})
	}
}

// TestAutoCompactionOnlyTouchedPartitions: a partition the commit did not
// write is left alone, however many small files it has.
func TestAutoCompactionOnlyTouchedPartitions(t *testing.T) {
	ctx := context.Background()
	tbl, _ := autoCompactTable(t, nil, AutoCompactOptions{}, nil)
	// Five small files in each of d0 and d1 while the property is off.
	for i := range 5 {
		rr := eventsReader(t, tbl.opts.Allocator, i*10, 10, 2)
		_, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
	}
	_, err := tbl.SetProperties(ctx, map[string]string{"delta.autoOptimize.autoCompact": "true"}, nil)
	require.NoError(t, err)
	want := readRows(t, tbl)
	res := appendD0(t, tbl, 1000, 2) // ids 1000, 1001 with days=1 → d0
	require.NotNil(t, res.AutoCompaction)
	assert.Equal(t, map[string]int{"d0": 1, "d1": 5}, countFiles(t, tbl))
	assert.Len(t, readRows(t, tbl), len(want)+2)
}

// TestAutoCompactionFailureKeepsTheCommit: a compaction that fails (here
// on a damaged small file) is reported and logged; the append it followed
// is committed and returned without error.
func TestAutoCompactionFailureKeepsTheCommit(t *testing.T) {
	ctx := context.Background()
	var logged bytes.Buffer
	tbl, dir := autoCompactTable(t, map[string]string{"delta.autoOptimize.autoCompact": "true"}, AutoCompactOptions{},
		slog.New(slog.NewTextHandler(&logged, nil)))
	for i := range 3 {
		appendD0(t, tbl, i*10, 10)
	}
	files := liveFiles(t, tbl)
	require.NotEmpty(t, files)
	require.NoError(t, os.WriteFile(filepath.Join(dir, files[0]), []byte("not parquet"), 0o644))
	res := appendD0(t, tbl, 30, 10)
	require.Error(t, res.AutoCompactErr)
	assert.ErrorIs(t, res.AutoCompactErr, ErrCorruptDataFile)
	assert.Nil(t, res.AutoCompaction)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, res.Version, snap.Version(), "no compaction commit")
	assert.Contains(t, logged.String(), "auto compaction failed")
	assert.Equal(t, map[string]int{"d0": 4}, countFiles(t, tbl))
}
