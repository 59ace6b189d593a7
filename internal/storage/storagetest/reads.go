package storagetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// objectSize is larger than storage.DefaultTailCacheSize several times over
// so reads exercise both the tail block and plain ranged reads.
const objectSize = 300_000

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func openObject(t *testing.T, s storage.Store, data []byte) storage.ReaderAt {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, "data/part-00000.parquet", data))
	r, err := s.Open(ctx, "data/part-00000.parquet")
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Close() })
	require.Equal(t, int64(len(data)), r.Size())
	return r
}

func testReadAt(t *testing.T, s storage.Store) {
	data := randomBytes(objectSize, 1)
	r := openObject(t, s, data)
	size := int64(len(data))
	cases := []struct {
		name    string
		off     int64
		n       int
		wantN   int
		wantEOF bool
	}{
		{"parquet_magic_tail", size - 8, 8, 8, false},
		{"footer", size - 5000, 4992, 4992, false},
		{"head", 0, 4, 4, false},
		{"middle", 100_000, 10_000, 10_000, false},
		{"spanning_tail_boundary", size - 70_000, 20_000, 20_000, false},
		{"whole", 0, int(size), int(size), false},
		{"ends_exactly_at_eof", size - 100, 100, 100, false},
		{"crosses_eof", size - 10, 100, 10, true},
		{"at_eof", size, 10, 0, true},
		{"past_eof", size + 1000, 10, 0, true},
		{"empty_buffer", 10, 0, 0, false},
		{"last_byte", size - 1, 1, 1, false},
		{"head_again", 0, 16, 16, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, tc.n)
			n, err := r.ReadAt(buf, tc.off)
			require.Equal(t, tc.wantN, n)
			if tc.wantEOF {
				require.ErrorIs(t, err, io.EOF)
			} else {
				require.NoError(t, err)
			}
			if n > 0 {
				require.True(t, bytes.Equal(data[tc.off:tc.off+int64(n)], buf[:n]), "bytes differ")
			}
		})
	}
	_, err := r.ReadAt(make([]byte, 1), -1)
	assert.Error(t, err, "negative offset")
	assert.False(t, errors.Is(err, io.EOF), "negative offset is not EOF")
}

func testReadAtConcurrent(t *testing.T, s storage.Store) {
	data := randomBytes(objectSize, 2)
	r := openObject(t, s, data)
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for g := range errs {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 10 {
				off := rng.Int64N(int64(len(data)))
				n := 1 + rng.IntN(20_000)
				if g%2 == 0 {
					off = int64(len(data)) - int64(n) - rng.Int64N(100) // footer-style reads
					if off < 0 {
						off = 0
					}
				}
				buf := make([]byte, n)
				got, err := r.ReadAt(buf, off)
				if err != nil && !(errors.Is(err, io.EOF) && off+int64(n) > int64(len(data))) {
					errs[g] = err
					return
				}
				if !bytes.Equal(data[off:off+int64(got)], buf[:got]) {
					errs[g] = errors.New("concurrent ReadAt returned wrong bytes")
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

func testSeekRead(t *testing.T, s storage.Store) {
	data := randomBytes(objectSize, 3)
	r := openObject(t, s, data)

	all, err := io.ReadAll(r)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, all), "sequential Read of the whole object")
	n, err := r.Read(make([]byte, 1))
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)

	pos, err := r.Seek(-100, io.SeekEnd)
	require.NoError(t, err)
	require.Equal(t, int64(len(data)-100), pos)
	tail, err := io.ReadAll(r)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data[len(data)-100:], tail))

	pos, err = r.Seek(1000, io.SeekStart)
	require.NoError(t, err)
	require.Equal(t, int64(1000), pos)
	buf := make([]byte, 500)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data[1000:1500], buf))
	pos, err = r.Seek(10, io.SeekCurrent)
	require.NoError(t, err)
	require.Equal(t, int64(1510), pos)
	_, err = io.ReadFull(r, buf)
	require.NoError(t, err)
	require.True(t, bytes.Equal(data[1510:2010], buf))

	_, err = r.Seek(-1, io.SeekStart)
	assert.Error(t, err, "seek before the start")
	pos, err = r.Seek(10, io.SeekEnd)
	require.NoError(t, err, "seeking past the end is allowed")
	n, err = r.Read(buf)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)
}

// testCreateClose is rule S5 for streamed writes: nothing is visible
// before Close; after it, the whole object is.
func testCreateClose(t *testing.T, s storage.Store) {
	ctx := context.Background()
	data := randomBytes(objectSize, 4)
	p := "date=2024-01-01/part-00000-abc.snappy.parquet"
	w, err := s.Create(ctx, p)
	require.NoError(t, err)
	defer func() { assert.NoError(t, w.Abort(), "Abort after Close is a no-op") }()
	for chunk := range slices.Chunk(data, 7_777) {
		n, err := w.Write(chunk)
		require.NoError(t, err)
		require.Equal(t, len(chunk), n)
	}
	_, err = s.Get(ctx, p)
	requireNotExist(t, err, "S5: the object is not visible before Close")
	assert.Empty(t, listPaths(t, s, ""), "S5: nothing listed before Close")

	require.NoError(t, w.Close())
	requireContent(t, s, p, data)
	assert.Equal(t, []string{p}, listPaths(t, s, ""))
	assert.ErrorIs(t, w.Close(), storage.ErrClosed, "second Close")
	_, err = w.Write([]byte("late"))
	assert.ErrorIs(t, err, storage.ErrClosed, "Write after Close")
}

func testCreateAbort(t *testing.T, s storage.Store) {
	ctx := context.Background()
	w, err := s.Create(ctx, "dir/aborted.parquet")
	require.NoError(t, err)
	_, err = w.Write(randomBytes(100_000, 5))
	require.NoError(t, err)
	require.NoError(t, w.Abort())
	require.NoError(t, w.Abort(), "a second Abort is harmless")
	assert.ErrorIs(t, w.Close(), storage.ErrClosed, "Close after Abort")

	_, err = s.Get(ctx, "dir/aborted.parquet")
	requireNotExist(t, err)
	assert.Empty(t, listPaths(t, s, ""), "an aborted write leaves nothing listed")

	// Abort before any Write leaves nothing either.
	w, err = s.Create(ctx, "dir/aborted2.parquet")
	require.NoError(t, err)
	require.NoError(t, w.Abort())
	assert.Empty(t, listPaths(t, s, ""))
}

func testCreateAbortKeepsOld(t *testing.T, s storage.Store) {
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, "obj", []byte("old")))
	w, err := s.Create(ctx, "obj")
	require.NoError(t, err)
	_, err = w.Write([]byte("new content that must not appear"))
	require.NoError(t, err)
	requireContent(t, s, "obj", []byte("old"))
	require.NoError(t, w.Abort())
	requireContent(t, s, "obj", []byte("old"))

	w, err = s.Create(ctx, "obj")
	require.NoError(t, err)
	_, err = w.Write([]byte("new"))
	require.NoError(t, err)
	require.NoError(t, w.Close())
	requireContent(t, s, "obj", []byte("new"))
}

func testCreateEmpty(t *testing.T, s storage.Store) {
	ctx := context.Background()
	w, err := s.Create(ctx, "empty")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	requireContent(t, s, "empty", []byte{})
	fi, err := s.Stat(ctx, "empty")
	require.NoError(t, err)
	assert.Equal(t, int64(0), fi.Size)
	r, err := s.Open(ctx, "empty")
	require.NoError(t, err)
	defer r.Close()
	n, err := r.ReadAt(make([]byte, 4), 0)
	assert.Equal(t, 0, n)
	assert.ErrorIs(t, err, io.EOF)
}
