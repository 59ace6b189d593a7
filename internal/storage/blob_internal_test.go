package storage

import (
	"bytes"
	"context"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	"gocloud.dev/blob/driver"
	"gocloud.dev/blob/memblob"
	"gocloud.dev/gcerrors"
)

// rangeLog records the ranged GETs a blobStore makes.
type rangeLog struct {
	mu    sync.Mutex
	calls [][2]int64 // offset, length
}

func (l *rangeLog) hook(_ string, off, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, [2]int64{off, n})
}

func (l *rangeLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.calls)
}

func newLoggedStore(t *testing.T, tail int64, data []byte) (*blobStore, *rangeLog) {
	t.Helper()
	s := newBlobStore(memblob.OpenBucket(nil), "t", true, tail)
	t.Cleanup(func() { _ = s.Close() })
	log := &rangeLog{}
	s.onRangeRead = log.hook
	require.NoError(t, s.Put(context.Background(), "f.parquet", data))
	return s, log
}

// TestFooterReadsCostOneRequest reads a Parquet footer the way readers do
// (8-byte length+magic, then the footer, then a column chunk) and counts
// the requests.
func TestFooterReadsCostOneRequest(t *testing.T) {
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i % 251)
	}
	size := int64(len(data))
	cases := []struct {
		name         string
		tail         int64
		footerLen    int64
		wantRequests int
	}{
		{"footer_inside_tail", DefaultTailCacheSize, 20_000, 1},
		{"footer_larger_than_tail", DefaultTailCacheSize, 100_000, 2},
		{"footer_beyond_tail_span", DefaultTailCacheSize, 500_000, 2}, // a plain ranged read, not cached
		{"cache_disabled", 0, 20_000, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, log := newLoggedStore(t, tc.tail, data)
			r, err := s.Open(context.Background(), "f.parquet")
			require.NoError(t, err)
			defer r.Close()

			magic := make([]byte, 8)
			_, err = r.ReadAt(magic, size-8)
			require.NoError(t, err)
			require.Equal(t, data[size-8:], magic)
			footer := make([]byte, tc.footerLen)
			_, err = r.ReadAt(footer, size-8-tc.footerLen)
			require.NoError(t, err)
			require.True(t, bytes.Equal(data[size-8-tc.footerLen:size-8], footer))
			require.Equal(t, tc.wantRequests, log.count(), "requests for the footer: %v", log.calls)

			// Footer bytes read again are free once cached.
			before := log.count()
			_, err = r.ReadAt(magic, size-8)
			require.NoError(t, err)
			if tc.tail > 0 {
				assert.Equal(t, before, log.count(), "re-reading the tail")
			}
			// A column chunk far from the end is one plain ranged read.
			chunk := make([]byte, 1000)
			_, err = r.ReadAt(chunk, 4096)
			require.NoError(t, err)
			require.True(t, bytes.Equal(data[4096:5096], chunk))
			assert.Equal(t, [2]int64{4096, 1000}, log.calls[len(log.calls)-1])
		})
	}
}

// TestSequentialReadStreams: Read keeps one ranged reader open while reads
// are sequential instead of issuing one request per Read.
func TestSequentialReadStreams(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 20_000)
	s, log := newLoggedStore(t, 0, data)
	r, err := s.Open(context.Background(), "f.parquet")
	require.NoError(t, err)
	defer r.Close()
	buf := make([]byte, 1000)
	var got []byte
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	require.True(t, bytes.Equal(data, got))
	assert.Equal(t, 1, log.count(), "one streaming request for a sequential read")
	_, err = r.Seek(5, io.SeekStart)
	require.NoError(t, err)
	_, err = r.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, 2, log.count(), "a seek reopens the stream")
}

func TestReaderAfterClose(t *testing.T) {
	s, _ := newLoggedStore(t, DefaultTailCacheSize, []byte("hello"))
	r, err := s.Open(context.Background(), "f.parquet")
	require.NoError(t, err)
	require.NoError(t, r.Close())
	require.NoError(t, r.Close(), "second Close")
	_, err = r.ReadAt(make([]byte, 1), 0)
	assert.ErrorIs(t, err, ErrClosed)
	_, err = r.Read(make([]byte, 1))
	assert.ErrorIs(t, err, ErrClosed)
}

// oddDriver is a gocloud driver that misbehaves on purpose: it lists keys
// in the order given and its writers panic.
type oddDriver struct {
	driver.Bucket // nil: methods not overridden are never called
	keys          []string
}

func (d *oddDriver) ErrorCode(error) gcerrors.ErrorCode { return gcerrors.Unknown }
func (d *oddDriver) Close() error                       { return nil }

func (d *oddDriver) ListPaged(context.Context, *driver.ListOptions) (*driver.ListPage, error) {
	page := &driver.ListPage{}
	for _, k := range d.keys {
		page.Objects = append(page.Objects, &driver.ListObject{Key: k, Size: 1})
	}
	return page, nil
}

func (d *oddDriver) NewTypedWriter(context.Context, string, string, *driver.WriterOptions) (driver.Writer, error) {
	return panicWriter{}, nil
}

// panicWriter fails like gocloud v0.47.0's azureblob writer does when a
// conditional write loses: with a nil-pointer panic.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("runtime error: invalid memory address") }
func (panicWriter) Upload(io.Reader) error    { panic("runtime error: invalid memory address") }
func (panicWriter) Close() error              { panic("runtime error: invalid memory address") }

func TestDriverPanicBecomesError(t *testing.T) {
	ctx := context.Background()
	s := NewBlobStore(blob.NewBucket(&oddDriver{}), "")
	for name, write := range map[string]func() error{
		"put":           func() error { return s.Put(ctx, "x", []byte("x")) },
		"put-if-absent": func() error { return s.PutIfAbsent(ctx, "x", []byte("x")) },
		"create": func() error {
			w, err := s.Create(ctx, "x")
			if err != nil {
				return err
			}
			if _, err := w.Write([]byte("x")); err != nil {
				return err
			}
			return w.Close()
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := write()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "panicked")
			assert.False(t, IsExist(err), "a panic is not a lost race: the outcome is unknown")
		})
	}
}

func TestListDetectsUnsortedBackend(t *testing.T) {
	s := NewBlobStore(blob.NewBucket(&oddDriver{keys: []string{"a", "c", "dir/", "b"}}), "")
	var got []string
	var lastErr error
	for fi, err := range s.List(context.Background(), "") {
		if err != nil {
			lastErr = err
			break
		}
		got = append(got, fi.Path)
	}
	assert.Equal(t, []string{"a", "c"}, got, "directory markers are skipped")
	assert.ErrorIs(t, lastErr, ErrUnsorted)
}

// TestNewBlobStoreLeavesBucketOpen: the caller owns a bucket passed in.
func TestNewBlobStoreLeavesBucketOpen(t *testing.T) {
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	a := NewBlobStore(bucket, "t1/")
	b := NewBlobStore(bucket, "/t2")
	require.NoError(t, a.Put(ctx, "x", []byte("1")))
	require.NoError(t, b.Put(ctx, "x", []byte("2")))
	require.NoError(t, a.Close())
	got, err := b.Get(ctx, "x")
	require.NoError(t, err, "closing one store leaves the shared bucket open")
	assert.Equal(t, "2", string(got))
	keys, err := bucket.ReadAll(ctx, "t1/x")
	require.NoError(t, err)
	assert.Equal(t, "1", string(keys))
}
