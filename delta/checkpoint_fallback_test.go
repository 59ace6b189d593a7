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

func TestCorruptCheckpointFallsBack(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		checkpoints []int64 // written, then the last is truncated
		deleted     []int64 // commits deleted afterwards
		breakOlder  bool    // the older checkpoint is unreadable too
		fallback    string  // in the warning; "" when the read must fail
	}{
		{"to the commits from version 0", []int64{10}, nil, false, "the commits from version 0"},
		{"to the previous checkpoint", []int64{5, 10}, nil, false, "the checkpoint of version 5"},
		{"to the previous checkpoint, early commits gone", []int64{5, 10}, []int64{3}, false, "the checkpoint of version 5"},
		{"past two bad checkpoints to the commits", []int64{5, 10}, nil, true, "the commits from version 0"},
		{"not when a needed commit is gone", []int64{10}, []int64{3}, false, ""},
		{"not when both checkpoints are bad and a commit is gone", []int64{5, 10}, []int64{3}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			tbl, dir := newMaintTable(t, mem, 0, false, map[string]string{"delta.checkpointInterval": "1000"}) // v0
			for v := 1; v <= 12; v++ {
				appendRows(t, tbl, mem, v*10, 2)
			}
			want := readRows(t, tbl)
			require.Len(t, want, 24)
			for _, v := range tc.checkpoints {
				_, err := tbl.Checkpoint(ctx, &CheckpointOptions{Version: &v})
				require.NoError(t, err)
			}
			logDir := filepath.Join(dir, "_delta_log")
			cp := filepath.Join(logDir, fmt.Sprintf("%020d.checkpoint.parquet", tc.checkpoints[len(tc.checkpoints)-1]))
			info, err := os.Stat(cp)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(cp, info.Size()/2))
			for _, v := range tc.deleted {
				require.NoError(t, os.Remove(filepath.Join(logDir, fmt.Sprintf("%020d.json", v))))
			}
			if tc.breakOlder {
				older := filepath.Join(logDir, fmt.Sprintf("%020d.checkpoint.parquet", tc.checkpoints[0]))
				require.NoError(t, os.WriteFile(older, []byte("not parquet"), 0o644))
			}

			var logged bytes.Buffer
			opened, err := Open(ctx, dir, &Options{Allocator: mem, Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			require.NoError(t, err)
			defer opened.Close()
			snap, err := opened.Snapshot(ctx)
			if tc.fallback == "" {
				require.ErrorIs(t, err, ErrCorruptLog)
				assert.Contains(t, err.Error(), "checkpoint")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, int64(12), snap.Version())
			assert.Equal(t, want, snapshotRows(t, snap))
			assert.Contains(t, logged.String(), "level=WARN")
			assert.Contains(t, logged.String(), tc.fallback)
			assert.Contains(t, logged.String(), "checkpoint=10")
		})
	}
}
