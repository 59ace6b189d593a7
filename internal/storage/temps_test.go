package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// TestLocalTempFiles: the temporary files a killed writer leaves are
// found by ListTemp (only in the directories it may descend into) and
// removed by DeleteTemp, which touches nothing else.
func TestLocalTempFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := storage.Open(ctx, dir, nil)
	require.NoError(t, err)
	defer s.Close()
	tf, ok := s.(storage.TempFiles)
	require.True(t, ok, "the local store writes through temporary files")
	require.NoError(t, s.Put(ctx, "p=1/data.parquet", []byte("PAR1")))
	for _, p := range []string{".lakehouse-tmp-A", "p=1/.lakehouse-tmp-B", "_delta_log/.lakehouse-tmp-C"} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte("partial"), 0o644))
	}

	list := func(descend func(string) bool) []string {
		var got []string
		for fi, err := range tf.ListTemp(ctx, "", descend) {
			require.NoError(t, err)
			assert.EqualValues(t, len("partial"), fi.Size)
			assert.False(t, fi.ModTime.IsZero())
			got = append(got, fi.Path)
		}
		sort.Strings(got)
		return got
	}
	assert.Equal(t, []string{".lakehouse-tmp-A", "_delta_log/.lakehouse-tmp-C", "p=1/.lakehouse-tmp-B"}, list(nil))
	assert.Equal(t, []string{".lakehouse-tmp-A", "p=1/.lakehouse-tmp-B"}, list(func(d string) bool { return d != "_delta_log/" }))

	for _, tc := range []struct {
		path string
		err  error
	}{
		{"p=1/.lakehouse-tmp-B", nil},
		{"p=1/.lakehouse-tmp-B", nil}, // already gone
		{"p=1/data.parquet", storage.ErrInvalidPath},
		{"../.lakehouse-tmp-A", storage.ErrInvalidPath},
	} {
		err := tf.DeleteTemp(ctx, tc.path)
		if tc.err == nil {
			assert.NoError(t, err, tc.path)
		} else {
			assert.ErrorIs(t, err, tc.err, tc.path)
		}
	}
	assert.Equal(t, []string{".lakehouse-tmp-A", "_delta_log/.lakehouse-tmp-C"}, list(nil))
	_, err = s.Stat(ctx, "p=1/data.parquet")
	assert.NoError(t, err, "DeleteTemp only deletes temporary files")
	assert.True(t, storage.IsTempName("a/.lakehouse-tmp-x"))
	assert.False(t, storage.IsTempName(".lakehouse-tmp-x/data.parquet"))
}
