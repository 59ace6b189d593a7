package delta

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/corpustest"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// TestCorpusDeletionVectors checks every deletion vector of every version of
// every corpus table against its data file: the decoded cardinality equals
// the action's, every deleted index is within the file's row count, and a
// scan of the file returns numRecords − cardinality rows (numRecords from
// the file's footer, an independent count, and from stats where present).
//
// Tables the reader refuses (the conformance test's negative tables) and
// files absent by design have nothing to check and are passed over; the
// test fails if it found no vectors at all.
func TestCorpusDeletionVectors(t *testing.T) {
	root := corpustest.Dir(t)
	var tables []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "_delta_log" {
			tables = append(tables, filepath.Dir(p))
			return filepath.SkipDir
		}
		return nil
	}))
	checked, inline := 0, 0
	for _, dir := range tables {
		name, _ := filepath.Rel(root, dir)
		ctx := context.Background()
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		tbl, err := Open(ctx, dir, &Options{Allocator: mem})
		if err != nil {
			continue
		}
		latest, err := tbl.Snapshot(ctx)
		if err != nil {
			tbl.Close()
			continue
		}
		seen := map[string]bool{} // path + DV id: each pair is checked once
		for v := latest.Version(); v >= 0; v-- {
			snap, err := tbl.SnapshotAt(ctx, v)
			if err != nil {
				// Cleaned-up or deliberately broken versions: whether they
				// should load is the conformance test's business.
				break
			}
			for f, err := range snap.addFiles(ctx) {
				require.NoError(t, err, "%s@%d", name, v)
				if f.DeletionVector == nil || seen[f.Path+"|"+f.DeletionVector.UniqueID()] {
					continue
				}
				seen[f.Path+"|"+f.DeletionVector.UniqueID()] = true
				if !checkFileDV(t, ctx, snap, f, name, v) {
					continue
				}
				checked++
				if f.DeletionVector.IsInline() {
					inline++
				}
			}
		}
		tbl.Close()
		mem.AssertSize(t, 0)
	}
	require.Positive(t, checked, "no deletion vectors with data files found in the corpus")
	assert.Positive(t, inline, "the corpus has inline deletion vectors (delta-kernel-rs/cdf-table-with-dv)")
	t.Logf("checked %d deletion vectors (%d inline) against their data files", checked, inline)
}

// checkFileDV checks one file's DV; false when the data file is absent.
func checkFileDV(t *testing.T, ctx context.Context, snap *Snapshot, f *protocol.Add, name string, v int64) bool {
	t.Helper()
	what := name + "@" + itoa(v) + " " + f.Path
	r, err := snap.table.openDataFile(ctx, f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	require.NoError(t, err, what)
	info, err := parquetio.ReadFileInfo(r)
	require.NoError(t, err, what)
	require.NoError(t, r.Close())

	deleted, err := snap.table.deletedRows(ctx, f.Path, f.DeletionVector)
	require.NoError(t, err, what)
	assert.Equal(t, uint64(f.DeletionVector.Cardinality), deleted.GetCardinality(), "%s: decoded cardinality", what)
	if !deleted.IsEmpty() {
		assert.Less(t, deleted.Maximum(), uint64(info.NumRows), "%s: deleted index within the file's %d rows", what, info.NumRows)
	}
	if n, ok := fileNumRecords(f); ok {
		assert.Equal(t, info.NumRows, n, "%s: numRecords in stats vs the footer", what)
	}

	p, err := snap.planScan(nil)
	require.NoError(t, err, what)
	fb, err := snap.openFileBatches(ctx, p, f)
	require.NoError(t, err, what)
	defer fb.close()
	var rows int64
	for {
		rec, err := fb.next(ctx)
		require.NoError(t, err, what)
		if rec == nil {
			break
		}
		rows += rec.NumRows()
		rec.Release()
	}
	assert.Equal(t, info.NumRows-f.DeletionVector.Cardinality, rows, "%s: rows scanned = numRecords − cardinality", what)
	return true
}
