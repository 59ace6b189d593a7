package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"gocloud.dev/blob"
)

// blobReader gives random access to one blob. ReadAt is safe for concurrent
// use (Parquet readers fetch column chunks in parallel); Read and Seek share
// one position and are not.
type blobReader struct {
	ctx   context.Context // from Open; governs every request
	store *blobStore
	path  string
	key   string
	size  int64

	tailMu  sync.Mutex
	tail    []byte // bytes [tailOff, size), once fetched
	tailOff int64

	seqMu     sync.Mutex
	pos       int64        // Read/Seek position
	stream    *blob.Reader // open sequential reader, positioned at streamPos
	streamPos int64
	closed    bool
	isClosed  atomic.Bool // mirrors closed for the lock-free ReadAt path
}

func (r *blobReader) Size() int64 { return r.size }

// maxTailSpan bounds how far before the tail block a read may start and
// still be fetched to EOF and cached: a footer a little larger than the
// tail block costs one more request, not one per read.
func (r *blobReader) maxTailSpan() int64 { return 4 * r.store.tailSize }

func (r *blobReader) ReadAt(p []byte, off int64) (int, error) {
	if r.isClosed.Load() {
		return 0, pathErr("read", r.path, ErrClosed)
	}
	if off < 0 {
		return 0, pathErr("read", r.path, fmt.Errorf("negative offset %d", off))
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	if want == 0 {
		return 0, nil
	}
	if data := r.cachedTail(off); data != nil {
		n := copy(p[:want], data)
		return n, eofIfShort(n, len(p))
	}
	if tail := r.store.tailSize; tail > 0 && off+want > r.size-tail {
		start := max(0, min(off, r.size-tail))
		if r.size-start <= r.maxTailSpan() {
			data, err := r.fetchTail(start)
			if err != nil {
				return 0, err
			}
			n := copy(p[:want], data[off-start:])
			return n, eofIfShort(n, len(p))
		}
	}
	n, err := r.rangeRead(p[:want], off)
	if err != nil {
		return n, err
	}
	return n, eofIfShort(n, len(p))
}

func eofIfShort(n, asked int) error {
	if n < asked {
		return io.EOF
	}
	return nil
}

// cachedTail returns the cached bytes from off to EOF, or nil.
func (r *blobReader) cachedTail(off int64) []byte {
	r.tailMu.Lock()
	defer r.tailMu.Unlock()
	if r.tail == nil || off < r.tailOff {
		return nil
	}
	return r.tail[off-r.tailOff:]
}

// fetchTail reads [start, size) in one request and keeps it if it reaches
// further back than what is cached. Concurrent callers may fetch twice;
// that costs a request, never correctness.
func (r *blobReader) fetchTail(start int64) ([]byte, error) {
	buf := make([]byte, r.size-start)
	if _, err := r.rangeRead(buf, start); err != nil {
		return nil, err
	}
	r.tailMu.Lock()
	if r.tail == nil || start < r.tailOff {
		r.tail, r.tailOff = buf, start
	}
	r.tailMu.Unlock()
	return buf, nil
}

// rangeRead fills p from off with one ranged GET. The object shrinking
// under us (it never should: objects are immutable once written) shows as
// io.ErrUnexpectedEOF.
func (r *blobReader) rangeRead(p []byte, off int64) (int, error) {
	if hook := r.store.onRangeRead; hook != nil {
		hook(r.key, off, int64(len(p)))
	}
	rr, err := r.store.bucket.NewRangeReader(r.ctx, r.key, off, int64(len(p)), nil)
	if err != nil {
		return 0, mapBlobErr("read", r.path, err)
	}
	n, err := io.ReadFull(rr, p)
	if cerr := rr.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, mapBlobErr("read", r.path, err)
	}
	return n, nil
}

// Read streams from the current position with one ranged reader that stays
// open while reads are sequential; a Seek elsewhere reopens it.
func (r *blobReader) Read(p []byte) (int, error) {
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	if r.closed {
		return 0, pathErr("read", r.path, ErrClosed)
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if data := r.cachedTail(r.pos); data != nil {
		n := copy(p, data)
		r.pos += int64(n)
		return n, nil
	}
	if r.stream == nil || r.streamPos != r.pos {
		r.closeStream()
		if hook := r.store.onRangeRead; hook != nil {
			hook(r.key, r.pos, -1)
		}
		s, err := r.store.bucket.NewRangeReader(r.ctx, r.key, r.pos, -1, nil)
		if err != nil {
			return 0, mapBlobErr("read", r.path, err)
		}
		r.stream, r.streamPos = s, r.pos
	}
	n, err := r.stream.Read(p)
	r.pos += int64(n)
	r.streamPos = r.pos
	if errors.Is(err, io.EOF) {
		r.closeStream()
		if r.pos < r.size {
			return n, pathErr("read", r.path, io.ErrUnexpectedEOF)
		}
		return n, nil // the next Read reports io.EOF from pos >= size
	}
	if err != nil {
		r.closeStream()
		return n, mapBlobErr("read", r.path, err)
	}
	return n, nil
}

func (r *blobReader) closeStream() {
	if r.stream != nil {
		_ = r.stream.Close()
		r.stream = nil
	}
}

func (r *blobReader) Seek(offset int64, whence int) (int64, error) {
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.pos + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return r.pos, pathErr("seek", r.path, fmt.Errorf("invalid whence %d", whence))
	}
	if abs < 0 {
		return r.pos, pathErr("seek", r.path, fmt.Errorf("negative position %d", abs))
	}
	r.pos = abs
	return abs, nil
}

func (r *blobReader) Close() error {
	r.seqMu.Lock()
	defer r.seqMu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.isClosed.Store(true)
	r.closeStream()
	r.tailMu.Lock()
	r.tail = nil
	r.tailMu.Unlock()
	return nil
}
