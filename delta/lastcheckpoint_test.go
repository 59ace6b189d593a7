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

	"github.com/lakehouse-go/lakehouse/internal/checkpoint"
)

// TestStaleOrDanglingLastCheckpoint damages _last_checkpoint in each way a
// crash or a foreign writer can: the latest version still reads right,
// with a warning, and the next checkpoint write repairs the hint (but a
// valid hint newer than the checkpoint written is kept).
func TestStaleOrDanglingLastCheckpoint(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		hint      string // content written to _last_checkpoint; "" keeps it
		removeCp  int64  // checkpoint version deleted afterwards, or -1
		warning   string // in the log when reading; "" for none
		writeAt   int64  // version of the next checkpoint write
		wantAfter int64  // _last_checkpoint version after that write
	}{
		{"dangling: the named checkpoint was deleted", "", 10, "missing or incomplete", 12, 12},
		{"dangling: names a version past the table", `{"version":99,"size":3}`, -1, "missing or incomplete", 12, 12},
		{"dangling past the table, repaired by an older checkpoint", `{"version":99,"size":3}`, -1, "missing or incomplete", 7, 7},
		{"stale: a newer checkpoint exists", `{"version":5,"size":3}`, -1, "stale", 12, 12},
		{"corrupt", `{"version":`, -1, "corrupt", 12, 12},
		{"valid and newer than the write: kept", "", -1, "", 7, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			tbl, dir := newMaintTable(t, mem, 0, false, map[string]string{"delta.checkpointInterval": "1000"})
			for v := 1; v <= 12; v++ {
				appendRows(t, tbl, mem, v*10, 2)
			}
			for _, v := range []int64{5, 10} {
				_, err := tbl.Checkpoint(ctx, &CheckpointOptions{Version: &v})
				require.NoError(t, err)
			}
			want := readRows(t, tbl)
			require.Len(t, want, 24)
			logDir := filepath.Join(dir, "_delta_log")
			hintFile := filepath.Join(logDir, "_last_checkpoint")
			require.Equal(t, int64(10), hintVersion(t, hintFile))
			if tc.hint != "" {
				require.NoError(t, os.WriteFile(hintFile, []byte(tc.hint), 0o644))
			}
			if tc.removeCp >= 0 {
				require.NoError(t, os.Remove(filepath.Join(logDir, fmt.Sprintf("%020d.checkpoint.parquet", tc.removeCp))))
			}

			var logged bytes.Buffer
			opened, err := Open(ctx, dir, &Options{Allocator: mem, NoSync: true, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			require.NoError(t, err)
			defer opened.Close()
			snap, err := opened.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(12), snap.Version())
			assert.Equal(t, want, snapshotRows(t, snap))
			if tc.warning == "" {
				assert.Empty(t, logged.String())
			} else {
				assert.Contains(t, logged.String(), "level=WARN")
				assert.Contains(t, logged.String(), tc.warning)
			}

			v := tc.writeAt
			_, err = opened.Checkpoint(ctx, &CheckpointOptions{Version: &v})
			require.NoError(t, err)
			assert.Equal(t, tc.wantAfter, hintVersion(t, hintFile))

			logged.Reset()
			snap, err = opened.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, want, snapshotRows(t, snap))
			if tc.wantAfter == 12 || tc.warning == "" {
				assert.Empty(t, logged.String(), "the repaired hint reads without warnings")
			}
		})
	}
}

func hintVersion(t *testing.T, file string) int64 {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	lc, err := checkpoint.ParseLastCheckpoint(data)
	require.NoError(t, err)
	return lc.Version
}
