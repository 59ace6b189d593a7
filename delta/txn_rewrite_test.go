package delta

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// snapshotFiles lists the snapshot's files.
func snapshotFiles(t *testing.T, snap *Snapshot) []*AddFile {
	t.Helper()
	var out []*AddFile
	for f, err := range snap.Files(context.Background()) {
		require.NoError(t, err)
		out = append(out, f)
	}
	return out
}

func TestScanFilesReadsExactlyTheGivenFilesWithVectors(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{
		Table:       &Options{Allocator: mem},
		PartitionBy: []string{"day"},
		Properties:  map[string]string{"delta.enableDeletionVectors": "true"},
	})
	require.NoError(t, err)
	rr := eventsReader(t, mem, 0, 40, 2)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	_, err = tbl.Delete(ctx, expr.Col("id").Lt(expr.Lit(int64(4))), nil)
	require.NoError(t, err)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	files := snapshotFiles(t, snap)
	require.Len(t, files, 2)

	tests := []struct {
		name  string
		files []*AddFile
		opts  *ScanOptions
		want  int64
	}{
		{"one file, vector applied", files[:1], nil, 18},
		{"both files", files, nil, 36},
		{"filter drops rows", files, &ScanOptions{Filter: expr.Col("id").Ge(expr.Lit(int64(30)))}, 10},
		{"no files", nil, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rr, err := snap.ScanFiles(ctx, tc.files, tc.opts)
			require.NoError(t, err)
			defer rr.Release()
			var n int64
			for rr.Next() {
				rec := rr.RecordBatch()
				n += rec.NumRows()
				assert.Equal(t, int64(4), rec.NumCols())
			}
			require.NoError(t, rr.Err())
			assert.Equal(t, tc.want, n)
		})
	}
	_, err = snap.ScanFiles(ctx, []*AddFile{{}}, nil)
	assert.ErrorIs(t, err, ErrInvalidArgument)
}

func TestFileWritersRewriteInParallelWithTagsAndMetrics(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}})
	require.NoError(t, err)
	for i := range 3 {
		rr := eventsReader(t, mem, i*10, 10, 2)
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
	}
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	before := snapshotRows(t, snap)
	files := snapshotFiles(t, snap)
	require.Len(t, files, 6)

	// A concurrent append after the snapshot: BeginAt must rebase over it.
	rr := eventsReader(t, mem, 100, 4, 2)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)

	x, err := tbl.BeginAt(ctx, snap, &TxnOptions{NoDataChange: true})
	require.NoError(t, err)
	defer x.Rollback()
	byDay := map[string][]*AddFile{}
	for _, f := range files {
		byDay[*f.PartitionValues["day"]] = append(byDay[*f.PartitionValues["day"]], f)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(byDay))
	var mu sync.Mutex
	var added []*AddFile
	for day, group := range byDay {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fw, err := x.NewFileWriter(&FileWriterOptions{Tags: map[string]string{"group": day}})
			if err != nil {
				errs <- err
				return
			}
			rr, err := snap.ScanFiles(ctx, group, nil)
			if err != nil {
				fw.Abort()
				errs <- err
				return
			}
			defer rr.Release()
			if err := fw.Write(ctx, rr); err != nil {
				fw.Abort()
				errs <- err
				return
			}
			out, err := fw.Close(ctx)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			added = append(added, out...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, added, 2)
	for _, f := range added {
		assert.False(t, f.DataChange)
		assert.Equal(t, *f.PartitionValues["day"], f.Tags["group"])
	}
	require.NoError(t, x.RemoveFiles(files, false))
	require.NoError(t, x.SetOperation("OPTIMIZE", map[string]string{"predicate": "[]"}))
	require.NoError(t, x.SetOperationMetrics(map[string]string{"numAddedFiles": "99", "p50FileSize": "7"}))
	res, err := x.Commit(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(5), res.Version)
	assert.Equal(t, "99", res.Metrics["numAddedFiles"], "caller's metrics win")
	assert.Equal(t, "6", res.Metrics["numRemovedFiles"], "computed metrics stay")
	assert.Equal(t, "7", res.Metrics["p50FileSize"])

	after := readRows(t, tbl)
	assert.Equal(t, sortedCopy(append(before, expectedRows(t, [3]int{100, 4, 2})...)), after)
	lines := commitLines(t, tbl, 5)
	var tagged int
	for _, l := range lines {
		var a struct {
			Add *struct{ Tags map[string]string } `json:"add"`
		}
		require.NoError(t, json.Unmarshal([]byte(l), &a))
		if a.Add != nil && a.Add.Tags["group"] != "" {
			tagged++
		}
	}
	assert.Equal(t, 2, tagged)
}

func TestFileWriterMisuse(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	dir := t.TempDir()
	tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	other, err := Create(ctx, t.TempDir(), eventsSchema, nil)
	require.NoError(t, err)
	otherSnap, err := other.Snapshot(ctx)
	require.NoError(t, err)

	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"BeginAt another table's snapshot", func() error {
			_, err := tbl.BeginAt(ctx, otherSnap, nil)
			return err
		}, ErrInvalidArgument},
		{"commit with a FileWriter open", func() error {
			x, err := tbl.Begin(ctx, nil)
			if err != nil {
				return err
			}
			fw, err := x.NewFileWriter(nil)
			if err != nil {
				return err
			}
			rr := eventsReader(t, mem, 0, 3, 1)
			defer rr.Release()
			if err := fw.Write(ctx, rr); err != nil {
				return err
			}
			_, err = x.Commit(ctx)
			return err
		}, ErrInvalidArgument},
		{"write after close", func() error {
			x, err := tbl.Begin(ctx, nil)
			if err != nil {
				return err
			}
			defer x.Rollback()
			fw, err := x.NewFileWriter(nil)
			if err != nil {
				return err
			}
			if _, err := fw.Close(ctx); err != nil {
				return err
			}
			rec := eventsBatch(mem, 0, 1, 1)
			defer rec.Release()
			return fw.WriteBatch(ctx, rec)
		}, ErrTxnDone},
		{"metrics after commit", func() error {
			x, err := tbl.Begin(ctx, nil)
			if err != nil {
				return err
			}
			if _, err := x.Commit(ctx); err != nil {
				return err
			}
			return x.SetOperationMetrics(map[string]string{"a": "1"})
		}, ErrTxnDone},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			require.Error(t, err)
			assert.True(t, errors.Is(err, tc.want), "got %v", err)
		})
	}
	// The refused commit deleted the open writer's file.
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Empty(t, snapshotFiles(t, snap))
	left, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	require.NoError(t, err)
	assert.Empty(t, left)
}
