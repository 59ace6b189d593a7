package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// commitName is a Delta commit file name.
func commitName(v int64) string { return fmt.Sprintf("_delta_log/%020d.json", v) }

// listAll collects a listing, failing the test on any yielded error.
func listAll(t *testing.T, s storage.Store, prefix string) []storage.FileInfo {
	t.Helper()
	var out []storage.FileInfo
	for fi, err := range s.List(context.Background(), prefix) {
		require.NoError(t, err, "List(%q)", prefix)
		out = append(out, fi)
	}
	return out
}

func listPaths(t *testing.T, s storage.Store, prefix string) []string {
	t.Helper()
	var out []string
	for _, fi := range listAll(t, s, prefix) {
		out = append(out, fi.Path)
	}
	return out
}

func requireNotExist(t *testing.T, err error, msgAndArgs ...any) {
	t.Helper()
	require.Error(t, err, msgAndArgs...)
	assert.ErrorIs(t, err, storage.ErrNotExist, msgAndArgs...)
	assert.ErrorIs(t, err, fs.ErrNotExist, msgAndArgs...)
	assert.True(t, storage.IsNotExist(err), msgAndArgs...)
	assert.True(t, strings.HasPrefix(err.Error(), "storage: "), "error text %q", err)
}

func requireContent(t *testing.T, s storage.Store, path string, want []byte) {
	t.Helper()
	got, err := s.Get(context.Background(), path)
	require.NoError(t, err, "Get(%q)", path)
	require.True(t, bytes.Equal(want, got), "Get(%q): got %d bytes %.40q, want %d bytes %.40q", path, len(got), got, len(want), want)
}

func testNotExist(t *testing.T, s storage.Store) {
	ctx := context.Background()
	// One object exists so that "a missing sibling" and "a path through a
	// file" are also covered.
	require.NoError(t, s.Put(ctx, "dir/present", []byte("x")))
	for _, p := range []string{"missing", "dir/missing", "nodir/missing", "dir/present/below", "dir"} {
		t.Run(strings.ReplaceAll(p, "/", "_"), func(t *testing.T) {
			_, err := s.Get(ctx, p)
			requireNotExist(t, err, "Get(%q)", p)
			_, err = s.Stat(ctx, p)
			requireNotExist(t, err, "Stat(%q)", p)
			r, err := s.Open(ctx, p)
			if err == nil {
				_ = r.Close()
			}
			requireNotExist(t, err, "Open(%q)", p)
		})
	}
	assert.Empty(t, listPaths(t, s, "nodir/"))
}

func testPutGet(t *testing.T, s storage.Store) {
	ctx := context.Background()
	binary := make([]byte, 3000)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	cases := []struct {
		name, path string
		data       []byte
	}{
		{"commit", commitName(0), []byte(`{"commitInfo":{}}` + "\n")},
		{"empty", "empty.bin", []byte{}},
		{"binary", "a/b/c/d/e/blob.bin", binary},
		{"spaces_and_escapes", "part=a b%20c/file name=1.parquet", []byte("p")},
		{"unicode", "x/日本語/ü.json", []byte("u")},
		{"hidden", "_delta_log/.00000000000000000000.json.crc", []byte("crc")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, s.Put(ctx, tc.path, tc.data))
			requireContent(t, s, tc.path, tc.data)
		})
	}
	// Every object written is listed, in order.
	var want []string
	for _, tc := range cases {
		want = append(want, tc.path)
	}
	slices.Sort(want)
	assert.Equal(t, want, listPaths(t, s, ""))
}

func testPutOverwrite(t *testing.T, s storage.Store) {
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, "_last_checkpoint", []byte("a much longer first version")))
	require.NoError(t, s.Put(ctx, "_last_checkpoint", []byte("v2")))
	requireContent(t, s, "_last_checkpoint", []byte("v2"))
	fi, err := s.Stat(ctx, "_last_checkpoint")
	require.NoError(t, err)
	assert.Equal(t, int64(2), fi.Size)
	assert.Equal(t, []string{"_last_checkpoint"}, listPaths(t, s, ""))
}

func testPutIfAbsentExisting(t *testing.T, s storage.Store) {
	ctx := context.Background()
	p := commitName(1)
	require.NoError(t, s.PutIfAbsent(ctx, p, []byte("first")))
	for _, second := range [][]byte{[]byte("second"), []byte("first"), {}} {
		err := s.PutIfAbsent(ctx, p, second)
		require.Error(t, err)
		assert.ErrorIs(t, err, storage.ErrExist)
		assert.ErrorIs(t, err, fs.ErrExist)
		assert.True(t, storage.IsExist(err))
		assert.False(t, storage.IsNotExist(err))
		assert.True(t, strings.HasPrefix(err.Error(), "storage: "), "error text %q", err)
	}
	requireContent(t, s, p, []byte("first"))
	// A put-if-absent after a plain Put also loses.
	require.NoError(t, s.Put(ctx, commitName(2), []byte("put")))
	assert.ErrorIs(t, s.PutIfAbsent(ctx, commitName(2), []byte("late")), storage.ErrExist)
	// After Delete the name is free again.
	require.NoError(t, s.Delete(ctx, p))
	require.NoError(t, s.PutIfAbsent(ctx, p, []byte("again")))
	requireContent(t, s, p, []byte("again"))
	assert.Equal(t, []string{commitName(1), commitName(2)}, listPaths(t, s, "_delta_log/"))
}

// testPutIfAbsentRace is rule S2: RaceWriters goroutines race for each of
// RaceKeys commit names; exactly one wins each, every loser gets ErrExist,
// the stored bytes are the winner's, and concurrent readers never see a
// loser's bytes or a partial object.
func testPutIfAbsentRace(t *testing.T, s storage.Store, o Options) {
	ctx := context.Background()
	payload := func(key, writer int) []byte {
		// Distinct, fairly large payloads make torn or mixed writes visible.
		return bytes.Repeat(fmt.Appendf(nil, "key %d writer %d;", key, writer), 200)
	}
	for key := range o.RaceKeys {
		p := commitName(int64(key))
		errs := make([]error, o.RaceWriters)
		var (
			start   = make(chan struct{})
			stop    = make(chan struct{})
			wg      sync.WaitGroup
			readers sync.WaitGroup
			seenMu  sync.Mutex
			seen    [][]byte
			readErr error
		)
		for range 2 {
			readers.Go(func() {
				<-start
				for {
					select {
					case <-stop:
						return
					default:
					}
					got, err := s.Get(ctx, p)
					seenMu.Lock()
					switch {
					case err == nil:
						seen = append(seen, got)
					case !storage.IsNotExist(err) && readErr == nil:
						readErr = err
					}
					seenMu.Unlock()
				}
			})
		}
		for w := range o.RaceWriters {
			wg.Go(func() {
				<-start
				errs[w] = s.PutIfAbsent(ctx, p, payload(key, w))
			})
		}
		close(start)
		wg.Wait()
		close(stop)
		readers.Wait()

		winner := -1
		for w, err := range errs {
			switch {
			case err == nil:
				require.Equal(t, -1, winner, "key %d: writers %d and %d both won", key, winner, w)
				winner = w
			default:
				require.ErrorIs(t, err, storage.ErrExist, "key %d writer %d", key, w)
			}
		}
		require.NotEqual(t, -1, winner, "key %d: no writer won", key)
		want := payload(key, winner)
		requireContent(t, s, p, want)
		require.NoError(t, readErr, "key %d: concurrent Get", key)
		for _, got := range seen {
			require.True(t, bytes.Equal(want, got), "key %d: a reader saw %d bytes %.40q that are not the winner's", key, len(got), got)
		}
	}
	paths := listPaths(t, s, "_delta_log/")
	require.Len(t, paths, o.RaceKeys, "listing holds exactly the committed versions")
	for i, p := range paths {
		assert.Equal(t, commitName(int64(i)), p)
	}
}

// listFixture is a set of names chosen to trip naive orderings: Delta's
// zero-padded versions, '-' and '.' (which sort before '/') next to
// directories, upper case before lower case, multi-byte UTF-8 last. No name
// is both an object and a "directory" of others: object stores allow that,
// file systems do not, and Delta never needs it.
var listFixture = []string{
	"_delta_log/00000000000000000000.json",
	"_delta_log/00000000000000000001.json",
	"_delta_log/00000000000000000002.json",
	"_delta_log/00000000000000000009.json",
	"_delta_log/00000000000000000010.checkpoint.parquet",
	"_delta_log/00000000000000000010.json",
	"_delta_log/00000000000000000011.json",
	"_delta_log/00000000000000000019.json",
	"_delta_log/00000000000000000020.json",
	"_delta_log/00000000000000000100.json",
	"_delta_log/_commits/00000000000000000021.3a0d65cd-0c4a-4a6e-9b4c-7f1b8b1a2b3c.json",
	"_delta_log/_last_checkpoint",
	"a-b",
	"a.b",
	"a/b",
	"a/c/d",
	"a0",
	"aa/x",
	"B",
	"date=2024-01-01/part-00000.parquet",
	"date=2024-01-01/part-00001.parquet",
	"date=2024-01-02/hour=1/part-00000.parquet",
	"date=2024-01-02/hour=10/part-00000.parquet",
	"date=2024-01-02/hour=2/part-00000.parquet",
	"z/é.parquet",
	"z/ω.parquet",
}

func putFixture(t *testing.T, s storage.Store) {
	t.Helper()
	ctx := context.Background()
	// Written in a shuffled order so a store returning insertion order fails.
	order := slices.Clone(listFixture)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, p := range order {
		require.NoError(t, s.Put(ctx, p, []byte(p)), "Put(%q)", p)
	}
}

// testListSorted is rule S1.
func testListSorted(t *testing.T, s storage.Store) {
	putFixture(t, s)
	want := slices.Clone(listFixture)
	slices.Sort(want) // Go string order is UTF-8 byte order
	all := listAll(t, s, "")
	var got []string
	for _, fi := range all {
		got = append(got, fi.Path)
		assert.Equal(t, int64(len(fi.Path)), fi.Size, "size of %q", fi.Path)
		assert.False(t, fi.ModTime.IsZero(), "mod time of %q", fi.Path)
	}
	require.Equal(t, want, got)
}

func testListPrefixes(t *testing.T, s storage.Store) {
	putFixture(t, s)
	sorted := slices.Clone(listFixture)
	slices.Sort(sorted)
	withPrefix := func(prefix string) []string {
		var out []string
		for _, p := range sorted {
			if strings.HasPrefix(p, prefix) {
				out = append(out, p)
			}
		}
		return out
	}
	for _, prefix := range []string{
		"_delta_log/",
		"_delta_log",
		"_delta_log/0000000000000000001",  // versions 10–19: a partial file name
		"_delta_log/00000000000000000010", // a version and its checkpoint
		"_delta_log/_commits/",
		"a",
		"a/",
		"a/b",
		"a-",
		"date=2024-01-02/hour=1",
		"date=2024-01-02/",
		"z/",
		"missing/",
		"_delta_log/99",
	} {
		t.Run(strings.ReplaceAll(prefix, "/", "|"), func(t *testing.T) {
			assert.Equal(t, withPrefix(prefix), listPaths(t, s, prefix))
		})
	}
}

// testListFrom: storage.ListFrom is List without the paths before from,
// on stores that skip them early (local disk) and on those that do not.
func testListFrom(t *testing.T, s storage.Store) {
	putFixture(t, s)
	sorted := slices.Clone(listFixture)
	slices.Sort(sorted)
	for _, tc := range []struct{ prefix, from string }{
		{"", ""},
		{"", "a/"},
		{"", "a0"},
		{"", "date=2024-01-02/hour=2"},
		{"_delta_log/", "_delta_log/00000000000000000010"},
		{"_delta_log/", "_delta_log/00000000000000000011.json"},
		{"_delta_log/", "_delta_log/_"},
		{"_delta_log/", "_delta_log/99"},
		{"a", "a/b/"},
		{"z/", "z/ω"},
		{"z/", "zz"},
	} {
		t.Run(strings.ReplaceAll(tc.prefix+" from "+tc.from, "/", "|"), func(t *testing.T) {
			var want, got []string
			for _, p := range sorted {
				if strings.HasPrefix(p, tc.prefix) && p >= tc.from {
					want = append(want, p)
				}
			}
			for fi, err := range storage.ListFrom(context.Background(), s, tc.prefix, tc.from) {
				require.NoError(t, err)
				got = append(got, fi.Path)
				assert.Equal(t, int64(len(fi.Path)), fi.Size, "size of %q", fi.Path)
			}
			assert.Equal(t, want, got)
		})
	}
}

func testListStopEarly(t *testing.T, s storage.Store) {
	putFixture(t, s)
	var got []string
	for fi, err := range s.List(context.Background(), "_delta_log/") {
		require.NoError(t, err)
		got = append(got, fi.Path)
		if len(got) == 3 {
			break
		}
	}
	assert.Equal(t, []string{commitName(0), commitName(1), commitName(2)}, got)
}

func testListAfterDelete(t *testing.T, s storage.Store) {
	ctx := context.Background()
	putFixture(t, s)
	require.NoError(t, s.Delete(ctx, "a/c/d"))
	require.NoError(t, s.Delete(ctx, "a/b"))
	require.NoError(t, s.Delete(ctx, commitName(1)))
	assert.Equal(t, []string{"a-b", "a.b", "a0", "aa/x"}, listPaths(t, s, "a"))
	assert.NotContains(t, listPaths(t, s, "_delta_log/"), commitName(1))
}

func testStat(t *testing.T, s storage.Store) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("0123456789"), 1234)
	require.NoError(t, s.Put(ctx, "dir/file.parquet", data))
	fi, err := s.Stat(ctx, "dir/file.parquet")
	require.NoError(t, err)
	assert.Equal(t, "dir/file.parquet", fi.Path)
	assert.Equal(t, int64(len(data)), fi.Size)
	assert.False(t, fi.ModTime.IsZero())
	listed := listAll(t, s, "dir/")
	require.Len(t, listed, 1)
	assert.Equal(t, fi.Size, listed[0].Size)
}

func testDeleteIdempotent(t *testing.T, s storage.Store) {
	ctx := context.Background()
	require.NoError(t, s.Delete(ctx, "never/existed"), "S4: deleting a missing object")
	require.NoError(t, s.Put(ctx, "dir/x", []byte("x")))
	require.NoError(t, s.Delete(ctx, "dir/x"))
	require.NoError(t, s.Delete(ctx, "dir/x"), "S4: deleting twice")
	_, err := s.Get(ctx, "dir/x")
	requireNotExist(t, err)
	assert.Empty(t, listPaths(t, s, ""))
}

func testInvalidPaths(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for _, p := range []string{"", ".", "/abs", "a/", "a//b", "../x", "a/../b", "a/./b", "./a"} {
		t.Run(fmt.Sprintf("%q", p), func(t *testing.T) {
			assert.ErrorIs(t, s.Put(ctx, p, []byte("x")), storage.ErrInvalidPath)
			assert.ErrorIs(t, s.PutIfAbsent(ctx, p, []byte("x")), storage.ErrInvalidPath)
			_, err := s.Get(ctx, p)
			assert.ErrorIs(t, err, storage.ErrInvalidPath)
			_, err = s.Stat(ctx, p)
			assert.ErrorIs(t, err, storage.ErrInvalidPath)
			_, err = s.Open(ctx, p)
			assert.ErrorIs(t, err, storage.ErrInvalidPath)
			_, err = s.Create(ctx, p)
			assert.ErrorIs(t, err, storage.ErrInvalidPath)
			assert.ErrorIs(t, s.Delete(ctx, p), storage.ErrInvalidPath)
		})
	}
	for _, prefix := range []string{"/", "/a", "../", "a//", "a/../b"} {
		var got error
		for _, err := range s.List(ctx, prefix) {
			got = err
			break
		}
		assert.ErrorIs(t, got, storage.ErrInvalidPath, "List(%q)", prefix)
	}
	assert.Empty(t, listPaths(t, s, ""), "nothing was written")
}

func testClosed(t *testing.T, s storage.Store) {
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, "x", []byte("x")))
	require.NoError(t, s.Close())
	_, err := s.Get(ctx, "x")
	assert.ErrorIs(t, err, storage.ErrClosed)
	assert.ErrorIs(t, s.Put(ctx, "y", nil), storage.ErrClosed)
	assert.ErrorIs(t, s.PutIfAbsent(ctx, "y", nil), storage.ErrClosed)
	for _, err := range s.List(ctx, "") {
		assert.ErrorIs(t, err, storage.ErrClosed)
	}
	assert.NoError(t, s.Close(), "a second Close is harmless")
}
