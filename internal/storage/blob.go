package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"sync"
	"time"

	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"
)

// DefaultTailCacheSize is the tail block a blob ReaderAt fetches on its
// first read near the end of an object. 64 KiB holds the footer of all but
// very wide Parquet files.
const DefaultTailCacheSize = 64 << 10

// blobStore maps store paths to keys prefix+path in a gocloud bucket.
type blobStore struct {
	bucket   *blob.Bucket
	prefix   string // "" or ends in "/"
	owned    bool   // Close closes the bucket
	tailSize int64  // 0 disables the tail cache

	closeOnce sync.Once
	closed    chan struct{}

	// onRangeRead, when set (tests only), is told about every ranged GET.
	onRangeRead func(key string, off, n int64)
}

// NewBlobStore returns a Store over an already open bucket; every path is
// stored under key prefix+"/"+path (prefix may be empty, and a trailing
// slash is optional). The caller keeps ownership of bucket: closing the
// Store does not close it, so one bucket can serve many stores (for
// example several tables in one memblob bucket).
func NewBlobStore(bucket *blob.Bucket, prefix string) Store {
	return newBlobStore(bucket, prefix, false, DefaultTailCacheSize)
}

func newBlobStore(bucket *blob.Bucket, prefix string, owned bool, tailSize int64) *blobStore {
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	if tailSize < 0 {
		tailSize = 0
	}
	return &blobStore{bucket: bucket, prefix: prefix, owned: owned, tailSize: tailSize, closed: make(chan struct{})}
}

func (s *blobStore) key(p string) string { return s.prefix + p }

func (s *blobStore) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

func (s *blobStore) begin(ctx context.Context, op, p string) error {
	if s.isClosed() {
		return pathErr(op, p, ErrClosed)
	}
	if err := checkPath(op, p); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return pathErr(op, p, err)
	}
	return nil
}

// mapBlobErr translates gocloud error codes into this package's sentinels.
func mapBlobErr(op, p string, err error) error {
	if err == nil {
		return nil
	}
	if gcerrors.Code(err) == gcerrors.NotFound {
		return pathErr(op, p, ErrNotExist)
	}
	return pathErr(op, p, err)
}

func (s *blobStore) Get(ctx context.Context, p string) ([]byte, error) {
	if err := s.begin(ctx, "get", p); err != nil {
		return nil, err
	}
	data, err := s.bucket.ReadAll(ctx, s.key(p))
	if err != nil {
		return nil, mapBlobErr("get", p, err)
	}
	return data, nil
}

func (s *blobStore) Stat(ctx context.Context, p string) (FileInfo, error) {
	if err := s.begin(ctx, "stat", p); err != nil {
		return FileInfo{}, err
	}
	attrs, err := s.bucket.Attributes(ctx, s.key(p))
	if err != nil {
		return FileInfo{}, mapBlobErr("stat", p, err)
	}
	return FileInfo{Path: p, Size: attrs.Size, ModTime: attrs.ModTime}, nil
}

func (s *blobStore) Open(ctx context.Context, p string) (ReaderAt, error) {
	if err := s.begin(ctx, "open", p); err != nil {
		return nil, err
	}
	attrs, err := s.bucket.Attributes(ctx, s.key(p))
	if err != nil {
		return nil, mapBlobErr("open", p, err)
	}
	return &blobReader{ctx: ctx, store: s, path: p, key: s.key(p), size: attrs.Size}, nil
}

// List streams the bucket listing, which every gocloud driver returns in
// ascending key order. Keys ending in "/" are "directory marker" objects
// some tools create; they are not objects of ours and are skipped. The
// order is checked as it streams (ErrUnsorted) rather than trusted.
func (s *blobStore) List(ctx context.Context, prefix string) iter.Seq2[FileInfo, error] {
	return func(yield func(FileInfo, error) bool) {
		if s.isClosed() {
			yield(FileInfo{}, pathErr("list", prefix, ErrClosed))
			return
		}
		if err := checkPrefix(prefix); err != nil {
			yield(FileInfo{}, err)
			return
		}
		it := s.bucket.List(&blob.ListOptions{Prefix: s.prefix + prefix})
		prev := ""
		for {
			obj, err := it.Next(ctx)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield(FileInfo{}, mapBlobErr("list", prefix, err))
				return
			}
			if obj.IsDir || strings.HasSuffix(obj.Key, "/") || !strings.HasPrefix(obj.Key, s.prefix) {
				continue
			}
			rel := obj.Key[len(s.prefix):]
			if prev != "" && rel <= prev {
				yield(FileInfo{}, pathErr("list", prefix, fmt.Errorf("%w: %q after %q", ErrUnsorted, rel, prev)))
				return
			}
			prev = rel
			if !yield(FileInfo{Path: rel, Size: obj.Size, ModTime: obj.ModTime}, nil) {
				return
			}
		}
	}
}

func (s *blobStore) Put(ctx context.Context, p string, data []byte) error {
	if err := s.begin(ctx, "put", p); err != nil {
		return err
	}
	return mapBlobErr("put", p, s.upload(ctx, s.key(p), bytes.NewReader(data), false))
}

// conflictRetries bounds how often PutIfAbsent retries an S3
// "ConditionalRequestConflict" (409): S3 returns it while another
// conditional write to the key is in flight, and the retry then either
// wins or gets the definitive 412.
const conflictRetries = 5

func (s *blobStore) PutIfAbsent(ctx context.Context, p string, data []byte) error {
	if err := s.begin(ctx, "put-if-absent", p); err != nil {
		return err
	}
	key := s.key(p)
	for attempt := 0; ; attempt++ {
		err := s.upload(ctx, key, bytes.NewReader(data), true)
		switch {
		case err == nil:
			return nil
		case gcerrors.Code(err) == gcerrors.FailedPrecondition:
			return pathErr("put-if-absent", p, ErrExist)
		case isConditionalConflict(err) && attempt < conflictRetries:
			select {
			case <-ctx.Done():
				return pathErr("put-if-absent", p, ctx.Err())
			case <-time.After(time.Duration(10<<attempt) * time.Millisecond):
			}
		default:
			return mapBlobErr("put-if-absent", p, err)
		}
	}
}

// isConditionalConflict recognises S3's 409 ConditionalRequestConflict
// through the error-code method AWS API errors carry, without importing the
// AWS SDK.
func isConditionalConflict(err error) bool {
	var coded interface{ ErrorCode() string }
	return errors.As(err, &coded) && coded.ErrorCode() == "ConditionalRequestConflict"
}

// upload writes one object through Bucket.Upload, the one gocloud write path
// that does not panic when an azureblob conditional write loses. No
// ContentMD5 is set: with it, Upload falls back to the panicking
// Write/Close path. A driver panic is still turned into an error whose
// outcome is unknown (the object may or may not exist).
func (s *blobStore) upload(ctx context.Context, key string, r io.Reader, ifNotExist bool) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("storage: blob driver panicked writing %q; the write may or may not have happened: %v", key, v)
		}
	}()
	return s.bucket.Upload(ctx, key, r, &blob.WriterOptions{
		ContentType: contentTypeFor(key),
		IfNotExist:  ifNotExist,
	})
}

// Create streams through a pipe into one Bucket.Upload running in its own
// goroutine. Abort cancels the upload's context before failing the pipe,
// so the driver sees a cancelled write and stores nothing.
func (s *blobStore) Create(ctx context.Context, p string) (Writer, error) {
	if err := s.begin(ctx, "create", p); err != nil {
		return nil, err
	}
	uctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	w := &blobWriter{path: p, pw: pw, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = s.upload(uctx, s.key(p), pr, false)
		// Unblock a Write still waiting on the pipe if the upload ended early.
		pr.CloseWithError(errUploadEnded(w.err))
	}()
	return w, nil
}

func errUploadEnded(err error) error {
	if err != nil {
		return err
	}
	return errors.New("storage: upload already finished")
}

var errAborted = errors.New("storage: write aborted")

type blobWriter struct {
	path   string
	pw     *io.PipeWriter
	cancel context.CancelFunc
	done   chan struct{}
	err    error // set by the upload goroutine before done closes
	state  int   // 0 open, 1 closed, 2 aborted
}

func (w *blobWriter) Write(p []byte) (int, error) {
	if w.state != 0 {
		return 0, pathErr("create", w.path, ErrClosed)
	}
	n, err := w.pw.Write(p)
	if err != nil {
		return n, mapBlobErr("create", w.path, err)
	}
	return n, nil
}

func (w *blobWriter) Close() error {
	if w.state != 0 {
		return pathErr("create", w.path, ErrClosed)
	}
	w.state = 1
	_ = w.pw.Close()
	<-w.done
	w.cancel()
	return mapBlobErr("create", w.path, w.err)
}

// Abort cancels the upload; after Close it does nothing.
func (w *blobWriter) Abort() error {
	if w.state != 0 {
		return nil
	}
	w.state = 2
	w.cancel()
	w.pw.CloseWithError(errAborted)
	<-w.done
	return nil
}

func (s *blobStore) Delete(ctx context.Context, p string) error {
	if err := s.begin(ctx, "delete", p); err != nil {
		return err
	}
	err := s.bucket.Delete(ctx, s.key(p))
	if err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return pathErr("delete", p, err)
	}
	return nil
}

// Close closes the bucket if Open opened it; a bucket handed to
// NewBlobStore stays open.
func (s *blobStore) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.closed)
		if s.owned {
			err = s.bucket.Close()
		}
	})
	return err
}
