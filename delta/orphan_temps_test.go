package delta

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// TestKilledWriterTempFiles leaves the temporary files of writers killed
// mid-write, of a data file and of the next commit (as storage.Create
// and PutIfAbsent leave them on local disk), and checks they are never
// read as data or as log, that a VACUUM within the retention keeps them
// (a slow writer may still own them), and that one past it removes them.
func TestKilledWriterTempFiles(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, dir := newMaintTable(t, mem, 6, false, map[string]string{"delta.deletedFileRetentionDuration": "interval 1 hours"})
	want := readRows(t, tbl)
	for _, p := range []string{"part-00000-killed.c000.snappy.parquet", "_delta_log/00000000000000000002.json"} {
		w, err := tbl.store.Create(ctx, p)
		require.NoError(t, err)
		_, err = w.Write([]byte(`{"add":{"path":"part-00000-killed.c000.snappy.parquet","size":1,"modificationTime":1,"dataChange":true}}`))
		require.NoError(t, err)
		// Killed: neither Close nor Abort runs.
	}
	temps := tempsOnDisk(t, dir)
	require.Len(t, temps, 2)

	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(1), snap.Version(), "a commit's temporary file is not a commit")
	assert.Equal(t, want, snapshotRows(t, snap))
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		assert.False(t, storage.IsTempName(f.Path), f.Path)
	}

	// Within the retention: kept.
	res, err := tbl.Vacuum(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, res.Files)
	assert.Equal(t, temps, tempsOnDisk(t, dir))

	// Past it: removed, from the data directory and from _delta_log.
	when := time.Now().Add(-2 * time.Hour)
	for _, p := range temps {
		require.NoError(t, os.Chtimes(filepath.Join(dir, p), when, when))
	}
	res, err = tbl.Vacuum(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, temps, res.Files)
	assert.Empty(t, tempsOnDisk(t, dir))

	// The next writer succeeds and the table holds exactly its rows too.
	appendRows(t, tbl, mem, 100, 2)
	assert.Len(t, readRows(t, tbl), len(want)+2)
}

// tempsOnDisk lists the local store's temporary files under root, sorted.
func tempsOnDisk(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasPrefix(d.Name(), ".lakehouse-tmp-") {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	}))
	slices.Sort(out)
	return out
}
