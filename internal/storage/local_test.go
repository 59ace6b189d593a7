package storage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// TestLocalTempFilesHidden: a temporary file left by a crashed writer (or
// one in flight) is neither listed nor addressable.
func TestLocalTempFilesHidden(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := storage.Open(ctx, dir, nil)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Put(ctx, "_delta_log/00000000000000000000.json", []byte("{}")))
	leftover := filepath.Join(dir, "_delta_log", ".lakehouse-tmp-CRASHED")
	require.NoError(t, os.WriteFile(leftover, []byte("partial"), 0o644))

	w, err := s.Create(ctx, "_delta_log/00000000000000000001.json")
	require.NoError(t, err)
	_, err = w.Write([]byte("in flight"))
	require.NoError(t, err)

	var got []string
	for fi, err := range s.List(ctx, "") {
		require.NoError(t, err)
		got = append(got, fi.Path)
	}
	assert.Equal(t, []string{"_delta_log/00000000000000000000.json"}, got)
	require.NoError(t, w.Abort())

	_, err = s.Get(ctx, "_delta_log/.lakehouse-tmp-CRASHED")
	assert.ErrorIs(t, err, storage.ErrInvalidPath, "temporary names are reserved")
	assert.ErrorIs(t, s.Put(ctx, ".lakehouse-tmp-x", nil), storage.ErrInvalidPath)
	assert.ErrorIs(t, s.Put(ctx, "a/.lakehouse-tmp-dir/x", nil), storage.ErrInvalidPath)

	entries, err := os.ReadDir(filepath.Join(dir, "_delta_log"))
	require.NoError(t, err)
	assert.Len(t, entries, 2, "the committed file and the crash leftover; Abort removed its own")
}

// TestLocalLayout: objects are plain files at their paths under the root,
// so other Delta readers see the same table.
func TestLocalLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := storage.Open(ctx, "file://"+filepath.ToSlash(dir), nil)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutIfAbsent(ctx, "part=1/data.parquet", []byte("PAR1")))
	got, err := os.ReadFile(filepath.Join(dir, "part=1", "data.parquet"))
	require.NoError(t, err)
	assert.Equal(t, "PAR1", string(got))
	fi, err := os.Stat(filepath.Join(dir, "part=1", "data.parquet"))
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode().Perm()&0o044, "files are readable by others (umask permitting), not 0600 temp files")
}

func TestLocalRootIsFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(f, nil, 0o644))
	_, err := storage.Open(context.Background(), f, nil)
	assert.ErrorIs(t, err, storage.ErrInvalidURL)
}

func TestContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, url := range []string{t.TempDir(), "mem://"} {
		s, err := storage.Open(context.Background(), url, nil)
		require.NoError(t, err)
		assert.ErrorIs(t, s.Put(ctx, "x", nil), context.Canceled, url)
		assert.ErrorIs(t, s.PutIfAbsent(ctx, "x", nil), context.Canceled, url)
		_, err = s.Get(ctx, "x")
		assert.ErrorIs(t, err, context.Canceled, url)
		require.NoError(t, s.Close())
	}
}

// TestMemOpensAreIndependent: each Open("mem://…") is its own bucket.
func TestMemOpensAreIndependent(t *testing.T) {
	ctx := context.Background()
	a, err := storage.Open(ctx, "mem://t1", nil)
	require.NoError(t, err)
	defer a.Close()
	b, err := storage.Open(ctx, "mem://t1", nil)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, a.Put(ctx, "x", []byte("a")))
	_, err = b.Get(ctx, "x")
	assert.True(t, storage.IsNotExist(err))
}

func TestOpenUnknownScheme(t *testing.T) {
	_, err := storage.Open(context.Background(), "nosuch://bucket/t1", nil)
	require.ErrorIs(t, err, storage.ErrInvalidURL, "a scheme with no driver is a URL the caller must fix")
	assert.Contains(t, err.Error(), `storage: invalid URL "nosuch://bucket/t1"`)
	assert.Contains(t, err.Error(), `no driver registered for "nosuch"`)
}

func TestPathErrorText(t *testing.T) {
	s, err := storage.Open(context.Background(), "mem://", nil)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Get(context.Background(), "_delta_log/00000000000000000007.json")
	assert.EqualError(t, err, `storage: get "_delta_log/00000000000000000007.json": object does not exist: file does not exist`)
	var pe *storage.PathError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "get", pe.Op)
}

// TestLocalRaceAcrossHandles: two stores opened on one directory (as two
// processes would) still give exactly one winner per commit. fileblob
// fails exactly this (deps.md §3).
func TestLocalRaceAcrossHandles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var stores [2]storage.Store
	for i := range stores {
		s, err := storage.Open(ctx, dir, &storage.OpenOptions{NoSync: true})
		require.NoError(t, err)
		defer s.Close()
		stores[i] = s
	}
	for v := range 50 {
		p := fmt.Sprintf("_delta_log/%020d.json", v)
		errs := make([]error, 16)
		var wg sync.WaitGroup
		for w := range errs {
			wg.Go(func() { errs[w] = stores[w%2].PutIfAbsent(ctx, p, fmt.Appendf(nil, "writer %d", w)) })
		}
		wg.Wait()
		winner := -1
		for w, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "version %d: writers %d and %d both won", v, winner, w)
				winner = w
				continue
			}
			require.ErrorIs(t, err, storage.ErrExist)
		}
		require.NotEqual(t, -1, winner, "version %d: no winner", v)
		got, err := stores[(winner+1)%2].Get(ctx, p)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("writer %d", winner), string(got), "the other handle reads the winner's bytes")
	}
}
