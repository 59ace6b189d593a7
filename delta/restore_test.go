package delta

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRestore(t *testing.T) {
	dvs := map[string]string{"delta.enableDeletionVectors": "true"}
	cases := []struct {
		name        string
		props       map[string]string
		partitioned bool
		// build makes versions after the table's first append (version
		// 1) and returns the restore target and the version it means.
		build        func(t *testing.T, tbl *Table, mem memory.Allocator) (RestoreTarget, int64)
		wantRestored int
		wantRemoved  int
		// wantParams are the commit's operationParameters.
		wantParams func(target RestoreTarget) map[string]any
	}{
		{
			name: "by version, undoing an append and an overwrite",
			build: func(t *testing.T, tbl *Table, mem memory.Allocator) (RestoreTarget, int64) {
				appendRows(t, tbl, mem, 10, 10) // v2
				rr := eventsReader(t, mem, 100, 5, 2)
				defer rr.Release()
				_, err := tbl.Overwrite(context.Background(), rr, nil) // v3
				require.NoError(t, err)
				return RestoreTarget{Version: 1}, 1
			},
			wantRestored: 1, // the first append's file, removed by the overwrite
			wantRemoved:  1, // the overwrite's file
			wantParams: func(RestoreTarget) map[string]any {
				return map[string]any{"version": float64(1), "timestamp": nil}
			},
		},
		{
			name: "by timestamp",
			build: func(t *testing.T, tbl *Table, mem memory.Allocator) (RestoreTarget, int64) {
				appendRows(t, tbl, mem, 10, 10)   // v2
				time.Sleep(50 * time.Millisecond) // file times are coarse (a jiffy) on some filesystems
				appendRows(t, tbl, mem, 20, 10)   // v3
				ts, err := tbl.CommitTimestamp(context.Background(), 2)
				require.NoError(t, err)
				return RestoreTarget{Timestamp: ts.Add(time.Millisecond)}, 2
			},
			wantRestored: 0,
			wantRemoved:  1,
			wantParams: func(target RestoreTarget) map[string]any {
				return map[string]any{"version": nil, "timestamp": sqlTimestamp(target.Timestamp)}
			},
		},
		{
			name:  "after DELETE with deletion vectors",
			props: dvs,
			build: func(t *testing.T, tbl *Table, mem memory.Allocator) (RestoreTarget, int64) {
				deleteWhere(t, tbl, "id % 2 = 1") // v2: a file DV on the one file
				deleteWhere(t, tbl, "id % 3 = 0") // v3: a grown DV
				return RestoreTarget{Version: 2}, 2
			},
			// The same data file with another vector: removed with v3's
			// vector, added back with v2's.
			wantRestored: 1,
			wantRemoved:  1,
			wantParams: func(RestoreTarget) map[string]any {
				return map[string]any{"version": float64(2), "timestamp": nil}
			},
		},
		{
			name:        "partitioned, re-adding a deleted partition",
			props:       dvs,
			partitioned: true,
			build: func(t *testing.T, tbl *Table, mem memory.Allocator) (RestoreTarget, int64) {
				deleteWhere(t, tbl, "day = 'd0'") // v2: removes a whole file
				appendRows(t, tbl, mem, 2000, 4)  // v3: two files
				return RestoreTarget{Version: 1}, 1
			},
			wantRestored: 1,
			wantRemoved:  2,
			wantParams: func(RestoreTarget) map[string]any {
				return map[string]any{"version": float64(1), "timestamp": nil}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl, _ := newMaintTable(t, mem, 1000, tc.partitioned, tc.props)
			target, want := tc.build(t, tbl, mem)
			before, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			old, err := tbl.SnapshotAt(ctx, want)
			require.NoError(t, err)
			oldStats, err := old.FileStats(ctx)
			require.NoError(t, err)
			wantRows := snapshotRows(t, old)

			res, err := tbl.Restore(ctx, target, nil)
			require.NoError(t, err)
			assert.Equal(t, before.Version()+1, res.Version)
			assert.Equal(t, "RESTORE", res.Operation)
			assert.Equal(t, wantRows, readRows(t, tbl))

			// The live files are exactly the old version's, vectors included.
			oldFiles := map[string]string{}
			for f, err := range old.Files(ctx) {
				require.NoError(t, err)
				oldFiles[f.Path] = dvKey(f)
			}
			now, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			nowFiles := map[string]string{}
			for f, err := range now.Files(ctx) {
				require.NoError(t, err)
				nowFiles[f.Path] = dvKey(f)
			}
			assert.Equal(t, oldFiles, nowFiles)

			assert.Equal(t, itoa(int64(tc.wantRestored)), res.Metrics["numRestoredFiles"])
			assert.Equal(t, itoa(int64(tc.wantRemoved)), res.Metrics["numRemovedFiles"])
			assert.Equal(t, itoa(oldStats.NumFiles), res.Metrics["numOfFilesAfterRestore"])
			assert.Equal(t, itoa(oldStats.SizeInBytes), res.Metrics["tableSizeAfterRestore"])
			assert.Len(t, res.Metrics, 6)

			ci := commitInfoOf(t, tbl, res.Version)
			assert.Equal(t, "RESTORE", ci["operation"])
			assert.Equal(t, tc.wantParams(target), ci["operationParameters"])
			assert.Equal(t, float64(before.Version()), ci["readVersion"])
		})
	}
}

// dvKey names a file's deletion vector ("" without one).
func dvKey(f *AddFile) string {
	if f.DeletionVector == nil {
		return ""
	}
	return f.DeletionVector.UniqueID()
}

func TestRestoreKeepsProtocolRestoresMetadata(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, _ := newMaintTable(t, mem, 10, false, nil)
	_, err := tbl.SetProperties(ctx, map[string]string{"delta.enableChangeDataFeed": "true", "team": "search"}, nil) // v2
	require.NoError(t, err)
	upgraded, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 4, upgraded.Protocol().MinWriterVersion)

	res, err := tbl.Restore(ctx, RestoreTarget{Version: 1}, nil)
	require.NoError(t, err)
	assert.Equal(t, "0", res.Metrics["numRestoredFiles"])
	assert.Equal(t, "0", res.Metrics["numRemovedFiles"])
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{}, snap.Properties(), "the properties of version 1")
	assert.Equal(t, upgraded.Protocol(), snap.Protocol(), "the protocol is never downgraded")
}

func TestRestoreMissingFiles(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(map[bool]string{false: "refused", true: "ignored"}[ignore], func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl, dir := newMaintTable(t, mem, 10, true, nil) // v1: d0 and d1 files
			appendRows(t, tbl, mem, 10, 10)                  // v2
			deleteWhere(t, tbl, "day = 'd0'")                // v3
			v1, err := tbl.SnapshotAt(ctx, 1)
			require.NoError(t, err)
			var gone string
			for f, err := range v1.Files(ctx) {
				require.NoError(t, err)
				if f.PartitionValues["day"] != nil && *f.PartitionValues["day"] == "d0" {
					gone = f.Path
				}
			}
			require.NotEmpty(t, gone)
			// What VACUUM does to a file no version in the window needs.
			require.NoError(t, os.Remove(filepath.Join(dir, filepath.FromSlash(gone))))
			logBefore := logFilesOf(t, tbl)

			res, err := tbl.Restore(ctx, RestoreTarget{Version: 1}, &RestoreOptions{IgnoreMissingFiles: ignore})
			if !ignore {
				require.ErrorIs(t, err, ErrMissingFiles)
				var me *MissingFilesError
				require.True(t, errors.As(err, &me))
				assert.Equal(t, int64(1), me.Version)
				assert.Equal(t, []string{gone}, me.Paths)
				assert.Contains(t, err.Error(), gone)
				assert.Equal(t, logBefore, logFilesOf(t, tbl), "a refused restore commits nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "0", res.Metrics["numRestoredFiles"], "the missing file is left out")
			assert.Equal(t, "1", res.Metrics["numRemovedFiles"], "version 2's d1 file")
			assert.Equal(t, "1", res.Metrics["numOfFilesAfterRestore"])
			// Rows 0..9 of day d1 (odd ids) remain.
			var want []string
			for _, r := range expectedRows(t, [3]int{0, 10, 2}) {
				if strings.HasSuffix(r, "day: d1}") {
					want = append(want, r)
				}
			}
			assert.Equal(t, want, readRows(t, tbl))
		})
	}
}

func TestRestoreRefusals(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, _ := newMaintTable(t, mem, 10, false, nil)
	appendRows(t, tbl, mem, 10, 10) // v2
	cases := []struct {
		name   string
		target RestoreTarget
		want   error
	}{
		{"latest version", RestoreTarget{Version: 2}, ErrInvalidArgument},
		{"future version", RestoreTarget{Version: 7}, ErrInvalidArgument},
		{"negative version", RestoreTarget{Version: -1}, ErrInvalidArgument},
		{"version and timestamp", RestoreTarget{Version: 1, Timestamp: time.Now()}, ErrInvalidArgument},
		{"timestamp before the first commit", RestoreTarget{Timestamp: time.Unix(1, 0)}, ErrVersionNotFound},
		{"timestamp after the last commit", RestoreTarget{Timestamp: time.Now().Add(time.Hour)}, ErrInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := logFilesOf(t, tbl)
			_, err := tbl.Restore(ctx, tc.target, nil)
			require.ErrorIs(t, err, tc.want)
			assert.Equal(t, before, logFilesOf(t, tbl))
		})
	}
}

func TestSQLTimestamp(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), "2024-05-01 12:00:00.0"},
		{time.Date(2024, 5, 1, 12, 0, 0, 250_000_000, time.UTC), "2024-05-01 12:00:00.25"},
		{time.Date(2024, 5, 1, 14, 0, 0, 1000, time.FixedZone("CEST", 2*3600)), "2024-05-01 12:00:00.000001"},
	} {
		assert.Equal(t, tc.want, sqlTimestamp(tc.in))
	}
}

// TestRestoreKeepsInCommitTimestamps: restoring a version from before
// in-commit timestamps were enabled keeps them on, so commit times never
// go back to file times.
func TestRestoreKeepsInCommitTimestamps(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, _ := newMaintTable(t, mem, 10, false, nil)
	_, err := tbl.SetProperties(ctx, map[string]string{"delta.enableInCommitTimestamps": "true"}, nil) // v2
	require.NoError(t, err)
	appendRows(t, tbl, mem, 10, 5) // v3
	enabled, err := tbl.Snapshot(ctx)
	require.NoError(t, err)

	res, err := tbl.Restore(ctx, RestoreTarget{Version: 1}, nil)
	require.NoError(t, err)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	for _, k := range []string{"delta.enableInCommitTimestamps", "delta.inCommitTimestampEnablementVersion", "delta.inCommitTimestampEnablementTimestamp"} {
		assert.Equal(t, enabled.Properties()[k], snap.Properties()[k], k)
	}
	ci := commitInfoOf(t, tbl, res.Version)
	assert.Contains(t, ci, "inCommitTimestamp")
	assert.Equal(t, expectedRows(t, [3]int{0, 10, 2}), readRows(t, tbl))
}

func TestRestoreAppendOnly(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, _ := newMaintTable(t, mem, 10, false, nil)
	_, err := tbl.SetProperties(ctx, map[string]string{"delta.appendOnly": "true"}, nil) // v2
	require.NoError(t, err)
	_, err = tbl.SetProperties(ctx, map[string]string{"owner": "qa"}, nil) // v3
	require.NoError(t, err)

	// Restoring what removes no file is allowed.
	res, err := tbl.Restore(ctx, RestoreTarget{Version: 2}, nil) // v4
	require.NoError(t, err)
	assert.Equal(t, "0", res.Metrics["numRemovedFiles"])

	appendRows(t, tbl, mem, 10, 5) // v5
	before := logFilesOf(t, tbl)
	_, err = tbl.Restore(ctx, RestoreTarget{Version: 1}, nil)
	require.ErrorIs(t, err, ErrAppendOnly, "the table as it is now decides")
	assert.Equal(t, before, logFilesOf(t, tbl))
}
