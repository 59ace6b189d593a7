package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// TestRunReplacesOnlyItsOwnTable runs the quickstart against each kind of
// target path: it may create or reuse what is missing, empty or its own,
// and must leave everything else byte for byte as it was.
func TestRunReplacesOnlyItsOwnTable(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		ok    bool
	}{
		{"missing", func(*testing.T, string) {}, true},
		{"empty directory", func(t *testing.T, p string) { require.NoError(t, os.Mkdir(p, 0o755)) }, true},
		{"earlier quickstart table", func(t *testing.T, p string) {
			require.NoError(t, run(context.Background(), p, &strings.Builder{}))
		}, true},
		{"user directory", func(t *testing.T, p string) {
			require.NoError(t, os.Mkdir(p, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(p, "notes.txt"), []byte("mine"), 0o644))
		}, false},
		{"user file", func(t *testing.T, p string) {
			require.NoError(t, os.WriteFile(p, []byte("mine"), 0o644))
		}, false},
		{"marker is a directory", func(t *testing.T, p string) {
			require.NoError(t, os.MkdirAll(filepath.Join(p, markerName), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(p, "notes.txt"), []byte("mine"), 0o644))
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "quickstart-table")
			tc.setup(t, path)
			before := snapshotTree(t, path)

			var out strings.Builder
			err := run(ctx, path, &out)
			if !tc.ok {
				require.ErrorIs(t, err, errNotOurs)
				assert.Contains(t, err.Error(), path)
				assert.Equal(t, before, snapshotTree(t, path), "a path the quickstart did not create is untouched")
				return
			}
			require.NoError(t, err)
			assert.Contains(t, out.String(), "created "+path+" at version 0")
			assert.Contains(t, out.String(), "time travel to version 0: 1000 rows")
			marker, err := os.ReadFile(filepath.Join(path, markerName))
			require.NoError(t, err)
			assert.Equal(t, markerText, string(marker))

			tbl, err := delta.Open(ctx, path, nil)
			require.NoError(t, err)
			defer tbl.Close()
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(1), snap.Version(), "a fresh table: create, then one append")
			st, err := snap.FileStats(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(1500), st.NumRecords)
		})
	}
}

// snapshotTree maps every path under root (root itself included) to its
// contents; directories map to "dir". A missing root gives nil.
func snapshotTree(t *testing.T, root string) map[string]string {
	t.Helper()
	if _, err := os.Lstat(root); os.IsNotExist(err) {
		return nil
	}
	tree := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			tree[p] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		tree[p] = string(b)
		return err
	})
	require.NoError(t, err)
	return tree
}
