package delta

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
)

func TestExpiredLogFiles(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const old, fresh = 2 * time.Hour, 10 * time.Minute // retention is 1 hour
	// listing builds a _delta_log listing from name → age.
	type file struct {
		name string
		age  time.Duration
	}
	listing := func(fs ...file) []logreplay.LogFile {
		out := make([]logreplay.LogFile, 0, len(fs))
		for _, f := range fs {
			lf := logreplay.ParseFileName(f.name)
			lf.Path, lf.ModTime = "_delta_log/"+f.name, now.Add(-f.age).UnixMilli()
			out = append(out, lf)
		}
		return out
	}
	commits := func(from, to int64, age time.Duration) []file {
		var out []file
		for v := from; v <= to; v++ {
			out = append(out, file{logreplay.CommitName(v), age})
		}
		return out
	}
	cp := func(v int64, age time.Duration) file { return file{logreplay.CheckpointName(v), age} }
	join := func(groups ...[]file) []file { return slices.Concat(groups...) }
	hour := map[string]string{"delta.logRetentionDuration": "interval 1 hour"}
	with := func(k, v string) map[string]string {
		m := map[string]string{"delta.logRetentionDuration": "interval 1 hour"}
		m[k] = v
		return m
	}

	tests := []struct {
		name  string
		cfg   map[string]string
		files []file
		want  []string // deleted, by name
	}{
		{
			name:  "cleanup off: nothing deleted",
			cfg:   with("delta.enableExpiredLogCleanup", "false"),
			files: join(commits(0, 6, old), []file{cp(3, old)}),
		},
		{
			name:  "cleanup explicitly on",
			cfg:   with("delta.enableExpiredLogCleanup", "true"),
			files: join(commits(0, 4, old), []file{cp(3, old)}),
			want:  []string{"00000000000000000000.json", "00000000000000000001.json", "00000000000000000002.json"},
		},
		{
			name:  "no checkpoint: nothing deleted",
			cfg:   hour,
			files: commits(0, 9, old),
		},
		{
			name:  "commits after the last checkpoint are never deleted",
			cfg:   hour,
			files: join(commits(0, 8, old), []file{cp(3, old)}),
			want:  []string{"00000000000000000000.json", "00000000000000000001.json", "00000000000000000002.json"},
		},
		{
			name:  "a checkpoint newer than the cutoff is not the boundary",
			cfg:   hour,
			files: join(commits(0, 5, old), commits(6, 7, fresh), []file{cp(3, old), cp(6, fresh)}),
			want:  []string{"00000000000000000000.json", "00000000000000000001.json", "00000000000000000002.json"},
		},
		{
			name:  "only checkpoint newer than the cutoff: nothing deleted",
			cfg:   hour,
			files: join(commits(0, 5, old), commits(6, 7, fresh), []file{cp(6, fresh)}),
		},
		{
			name:  "a checkpoint at version 0 covers nothing below it",
			cfg:   hour,
			files: join(commits(0, 3, old), []file{cp(0, old)}),
		},
		{
			name:  "files within retention are kept",
			cfg:   hour,
			files: join(commits(0, 4, fresh), []file{cp(3, fresh)}),
		},
		{
			name:  "default retention is 30 days",
			cfg:   nil,
			files: join(commits(0, 4, old), []file{cp(3, old)}),
		},
		{
			// A commit whose clock ran ahead ends the expired run: older
			// files after it wait, so the log never has a hole.
			name:  "the expired run stops at the first fresh file",
			cfg:   hour,
			files: join(commits(0, 2, old), commits(3, 3, fresh), commits(4, 6, old), []file{cp(1, old), cp(5, old)}),
			want:  []string{"00000000000000000000.json"},
		},
		{
			name: "incomplete multi-part checkpoint is not the boundary",
			cfg:  hour,
			files: join(commits(0, 6, old), []file{cp(2, old),
				{logreplay.MultiPartCheckpointName(5, 1, 2), old}}),
			want: []string{"00000000000000000000.json", "00000000000000000001.json"},
		},
		{
			name: "complete multi-part checkpoint is the boundary; older checkpoints, checksums and compactions go",
			cfg:  hour,
			files: join(commits(0, 6, old), []file{cp(2, old),
				{logreplay.MultiPartCheckpointName(5, 1, 2), old}, {logreplay.MultiPartCheckpointName(5, 2, 2), old},
				{"00000000000000000001.crc", old}, {"00000000000000000005.crc", old},
				{"00000000000000000001.00000000000000000003.compacted.json", old},
				{"00000000000000000004.00000000000000000006.compacted.json", old},
				{"_last_checkpoint", old}, {".00000000000000000000.json.crc", old}, {"00000000000000000000.json.tmp", old}}),
			want: []string{
				"00000000000000000000.json",
				"00000000000000000001.00000000000000000003.compacted.json", "00000000000000000001.crc", "00000000000000000001.json",
				"00000000000000000002.checkpoint.parquet", "00000000000000000002.json",
				"00000000000000000003.json", "00000000000000000004.json",
			},
		},
		{
			name:  "V2 checkpoint as the boundary",
			cfg:   hour,
			files: join(commits(0, 3, old), []file{{logreplay.V2CheckpointName(2, "5c1b0f51-3c5e-4a47-9c3c-6c8e0c1f8d2a", "json"), old}}),
			want:  []string{"00000000000000000000.json", "00000000000000000001.json"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := listing(tc.files...)
			// The listing's order must not matter.
			slices.Reverse(files)
			var got []string
			for _, f := range expiredLogFiles(files, tc.cfg, now) {
				got = append(got, f.Name)
			}
			slices.Sort(got)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestLogCleanupKeepsTimeTravel writes a table with a one-hour log
// retention, ages the first versions' log files by two hours, and checks
// that the next checkpoint's cleanup removes exactly what the oldest
// expired checkpoint covers, leaving time travel to every remaining
// version working.
func TestLogCleanupKeepsTimeTravel(t *testing.T) {
	for _, cleanup := range []string{"true", "false"} {
		t.Run("enableExpiredLogCleanup="+cleanup, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			dir := filepath.Join(t.TempDir(), "t")
			tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, Properties: map[string]string{
				"delta.checkpointInterval":      "3",
				"delta.logRetentionDuration":    "interval 1 hour",
				"delta.enableExpiredLogCleanup": cleanup,
			}})
			require.NoError(t, err)
			defer tbl.Close()
			appendBatch := func(i int) {
				rr := eventsReader(t, mem, i*3, 3, 1)
				defer rr.Release()
				res, err := tbl.Append(ctx, rr, nil)
				require.NoError(t, err)
				require.NoError(t, res.CheckpointErr)
				require.Equal(t, int64(i+1), res.Version)
			}
			for i := range 5 { // versions 1..5, a checkpoint at 3
				appendBatch(i)
			}
			// Versions 0..4 (commits, the version-3 checkpoint) are now
			// two hours old; version 5 is fresh.
			logDir := filepath.Join(dir, "_delta_log")
			entries, err := os.ReadDir(logDir)
			require.NoError(t, err)
			for i, e := range entries {
				f := logreplay.ParseFileName(e.Name())
				if f.Kind != logreplay.KindOther && f.Version <= 4 {
					aged := time.Now().Add(-2*time.Hour + time.Duration(i)*time.Second)
					require.NoError(t, os.Chtimes(filepath.Join(logDir, e.Name()), aged, aged))
				}
			}
			appendBatch(5) // version 6: checkpoint, then cleanup

			var names []string
			for _, f := range logFileNames(t, tbl) {
				if logreplay.ParseFileName(f).Kind != logreplay.KindOther {
					names = append(names, f)
				}
			}
			remaining := []string{
				"00000000000000000003.checkpoint.parquet", "00000000000000000003.json", "00000000000000000004.json",
				"00000000000000000005.json", "00000000000000000006.checkpoint.parquet", "00000000000000000006.json",
			}
			if cleanup == "false" {
				remaining = append([]string{"00000000000000000000.json", "00000000000000000001.json", "00000000000000000002.json"}, remaining...)
			}
			assert.Equal(t, remaining, names)

			earliest := logreplay.ParseFileName(names[0]).Version
			snap, err := tbl.SnapshotAt(ctx, earliest)
			require.NoError(t, err, "time travel to the earliest remaining version")
			var ranges [][3]int
			for i := 0; i < int(earliest); i++ {
				ranges = append(ranges, [3]int{i * 3, 3, 1})
			}
			assert.Equal(t, expectedRows(t, ranges...), snapshotRows(t, snap))
			ts, err := tbl.CommitTimestamp(ctx, earliest)
			require.NoError(t, err)
			byTime, err := tbl.SnapshotAsOf(ctx, ts)
			require.NoError(t, err)
			assert.Equal(t, earliest, byTime.Version())
			if earliest > 0 {
				_, err = tbl.SnapshotAt(ctx, earliest-1)
				require.ErrorIs(t, err, ErrVersionNotFound)
				_, err = tbl.SnapshotAsOf(ctx, ts.Add(-time.Millisecond))
				require.ErrorIs(t, err, ErrVersionNotFound)
			}
		})
	}
}

func TestExpiredSidecars(t *testing.T) {
	now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cutoff := now.Add(-30 * 24 * time.Hour)
	old, recent := cutoff.Add(-time.Hour), cutoff.Add(time.Hour)
	files := []sidecarFile{
		{"_delta_log/_sidecars/a.parquet", old},    // unreferenced, expired: deleted
		{"_delta_log/_sidecars/b.parquet", old},    // referenced by a remaining checkpoint
		{"_delta_log/_sidecars/c.parquet", recent}, // unreferenced but recent (a checkpoint in progress?)
	}
	got := expiredSidecars(files, map[string]bool{"b.parquet": true}, cutoff)
	assert.Equal(t, []string{"_delta_log/_sidecars/a.parquet"}, got)
	assert.Empty(t, expiredSidecars(nil, nil, cutoff))
}

// TestLogCleanupRemovesExpiredSidecars: with V2 checkpoints, cleanup also
// deletes the sidecars only expired checkpoints used; the newest
// checkpoint's sidecar stays and the table reads.
func TestLogCleanupRemovesExpiredSidecars(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	dir := filepath.Join(t.TempDir(), "t")
	tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, Properties: map[string]string{
		"delta.checkpointInterval":   "2",
		"delta.checkpointPolicy":     "v2",
		"delta.logRetentionDuration": "interval 1 hour",
	}})
	require.NoError(t, err)
	defer tbl.Close()
	appendBatch := func(i int) {
		rr := eventsReader(t, mem, i*3, 3, 1)
		defer rr.Release()
		res, err := tbl.Append(ctx, rr, nil)
		require.NoError(t, err)
		require.NoError(t, res.CheckpointErr)
	}
	sidecarDir := filepath.Join(dir, "_delta_log", "_sidecars")
	appendBatch(0)
	appendBatch(1) // version 2: the first V2 checkpoint
	first, err := os.ReadDir(sidecarDir)
	require.NoError(t, err)
	require.Len(t, first, 1)
	appendBatch(2)
	appendBatch(3) // version 4: the second
	before, err := os.ReadDir(sidecarDir)
	require.NoError(t, err)
	require.Len(t, before, 2)
	aged := time.Now().Add(-2 * time.Hour)
	for _, d := range []string{filepath.Join(dir, "_delta_log"), sidecarDir} {
		entries, err := os.ReadDir(d)
		require.NoError(t, err)
		for _, e := range entries {
			if !e.IsDir() {
				require.NoError(t, os.Chtimes(filepath.Join(d, e.Name()), aged, aged))
			}
		}
	}
	appendBatch(4)
	appendBatch(5) // version 6: a V2 checkpoint, then cleanup up to the version-4 one
	after, err := os.ReadDir(sidecarDir)
	require.NoError(t, err)
	var names []string
	for _, e := range after {
		names = append(names, e.Name())
	}
	assert.NotContains(t, names, first[0].Name(), "the version-2 checkpoint's sidecar expired with it")
	assert.Len(t, names, 2, "the sidecars of the version-4 and version-6 checkpoints stay")
	assert.Len(t, readRows(t, tbl), 18)
}
