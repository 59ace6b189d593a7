package delta_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// copyTable copies a corpus table into a temporary directory so a test
// may alter its log.
func copyTable(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "t")
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

func TestSnapshotAsOfInCommitTimestamps(t *testing.T) {
	src := filepath.Join(testdataDir(t), "delta-rs", "cdc_ict_table", "delta")
	ctx := context.Background()
	tbl, err := delta.Open(ctx, src, nil)
	require.NoError(t, err)
	defer tbl.Close()

	// The in-commit timestamps recorded by the writer; commit-file times
	// (copy times here) must not be used.
	var icts []time.Time
	for v := 0; ; v++ {
		f, err := os.Open(filepath.Join(src, "_delta_log", fmt.Sprintf("%020d.json", v)))
		if os.IsNotExist(err) {
			break
		}
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var line struct {
				CommitInfo *struct {
					ICT int64 `json:"inCommitTimestamp"`
				} `json:"commitInfo"`
			}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
			if line.CommitInfo != nil {
				icts = append(icts, time.UnixMilli(line.CommitInfo.ICT))
			}
		}
		f.Close()
	}
	require.Len(t, icts, 4)
	for v, ts := range icts {
		snap, err := tbl.SnapshotAt(ctx, int64(v))
		require.NoError(t, err)
		assert.Equal(t, ts.UTC(), snap.Timestamp(), "snapshot timestamp of version %d is its ICT", v)
		got, err := tbl.CommitTimestamp(ctx, int64(v))
		require.NoError(t, err)
		assert.Equal(t, ts.UTC(), got)
	}
	// The fixture moved version 1's ICT a year back (delta-rs uses it to
	// prove CDF reads ICTs); versions 2 and 3 are ordered, so lookups
	// there are well defined and must use the ICTs, not the file times.
	for v := 2; v <= 3; v++ {
		snap, err := tbl.SnapshotAsOf(ctx, icts[v])
		require.NoError(t, err)
		assert.Equal(t, int64(v), snap.Version(), "at the ICT of version %d", v)
	}
	snap, err := tbl.SnapshotAsOf(ctx, icts[3].Add(-time.Millisecond))
	require.NoError(t, err)
	assert.Equal(t, int64(2), snap.Version())
	_, err = tbl.SnapshotAsOf(ctx, icts[1].Add(-time.Hour))
	assert.ErrorIs(t, err, delta.ErrVersionNotFound)

	hist, err := tbl.History(ctx, nil)
	require.NoError(t, err)
	require.Len(t, hist, 4)
	assert.Equal(t, icts[3].UTC(), hist[0].Timestamp, "history uses in-commit timestamps")
}

func TestSnapshotAsOfFileTimes(t *testing.T) {
	dir := copyTable(t, filepath.Join(testdataDir(t), "delta-rs", "simple_table", "delta"))
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	// Version 3's file claims to be older than version 2's: Spark's rule
	// makes it 1 ms after its predecessor.
	mtimes := []time.Time{base, base.Add(time.Minute), base.Add(2 * time.Minute), base.Add(90 * time.Second), base.Add(4 * time.Minute)}
	for v, mt := range mtimes {
		require.NoError(t, os.Chtimes(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", v)), mt, mt))
	}
	ctx := context.Background()
	tbl, err := delta.Open(ctx, dir, nil)
	require.NoError(t, err)
	defer tbl.Close()
	tests := []struct {
		at   time.Time
		want int64
	}{
		{base, 0},
		{base.Add(59 * time.Second), 0},
		{base.Add(time.Minute), 1},
		{base.Add(2 * time.Minute), 2},
		{base.Add(2*time.Minute + time.Millisecond), 3},
		{base.Add(3 * time.Minute), 3},
		{base.Add(time.Hour), 4},
	}
	for _, tc := range tests {
		snap, err := tbl.SnapshotAsOf(ctx, tc.at)
		require.NoError(t, err)
		assert.Equal(t, tc.want, snap.Version(), "as of %s", tc.at)
	}
	ts, err := tbl.CommitTimestamp(ctx, 3)
	require.NoError(t, err)
	assert.Equal(t, base.Add(2*time.Minute+time.Millisecond), ts)
	_, err = tbl.SnapshotAsOf(ctx, base.Add(-time.Second))
	assert.ErrorIs(t, err, delta.ErrVersionNotFound)
}

func TestLastCheckpointIsOnlyAHint(t *testing.T) {
	src := filepath.Join(testdataDir(t), "dat", "with_checkpoint", "delta")
	ctx := context.Background()
	want := func() []string {
		tbl, err := delta.Open(ctx, src, nil)
		require.NoError(t, err)
		defer tbl.Close()
		snap, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		return scanRows(t, snap, nil)
	}()
	for name, content := range map[string]string{
		"corrupt":           `{"version":`,
		"points past":       `{"version":99,"size":3}`,
		"points at nothing": `{"version":1,"size":3}`,
		"stale":             `{"version":0,"size":1}`,
		"missing":           "",
	} {
		t.Run(name, func(t *testing.T) {
			dir := copyTable(t, src)
			p := filepath.Join(dir, "_delta_log", "_last_checkpoint")
			if content == "" {
				require.NoError(t, os.Remove(p))
			} else {
				require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
			}
			tbl, err := delta.Open(ctx, dir, nil)
			require.NoError(t, err)
			defer tbl.Close()
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(3), snap.Version())
			assert.Equal(t, want, scanRows(t, snap, nil))
		})
	}
}

func TestVersionErrors(t *testing.T) {
	ctx := context.Background()
	tbl, err := delta.Open(ctx, filepath.Join(testdataDir(t), "dat", "basic_append", "delta"), nil)
	require.NoError(t, err)
	defer tbl.Close()
	for _, v := range []int64{-1, 2, 1000} {
		_, err := tbl.SnapshotAt(ctx, v)
		assert.ErrorIs(t, err, delta.ErrVersionNotFound, "version %d", v)
	}
	_, err = delta.Open(ctx, t.TempDir(), nil)
	assert.ErrorIs(t, err, delta.ErrNotATable)

	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	_, err = snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"no_such_column"}})
	assert.ErrorIs(t, err, delta.ErrInvalidArgument)
}

// TestSnapshotConcurrentScans reads one snapshot from many goroutines:
// snapshots are immutable and safe for concurrent use (run under -race).
func TestSnapshotConcurrentScans(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	tbl, err := delta.Open(ctx, filepath.Join(testdataDir(t), "delta-kernel-rs", "table-with-dv-small", "delta"), &delta.Options{Allocator: mem})
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	want := scanRows(t, snap, nil)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 5 {
				rr, err := snap.Scan(ctx, nil)
				if !assert.NoError(t, err) {
					return
				}
				var n int
				for rr.Next() {
					n += int(rr.RecordBatch().NumRows())
				}
				assert.NoError(t, rr.Err())
				rr.Release()
				assert.Equal(t, len(want), n)
				_, err = snap.FileStats(ctx)
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
}
