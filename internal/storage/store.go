package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"time"
)

var (
	// ErrNotExist is returned when an object does not exist. It wraps
	// fs.ErrNotExist so either sentinel matches.
	ErrNotExist = fmt.Errorf("storage: object does not exist: %w", fs.ErrNotExist)
	// ErrExist is returned by PutIfAbsent when the object already exists.
	// It wraps fs.ErrExist.
	ErrExist = fmt.Errorf("storage: object already exists: %w", fs.ErrExist)
)

// FileInfo describes one object returned by List or Stat.
type FileInfo struct {
	Path    string    // relative to the store root, slash-separated
	Size    int64     // bytes
	ModTime time.Time // last modification time as the store reports it
}

// ReaderAt is a random-access reader over one object, as the parquet
// readers need it. Size is known up front so footers can be read without a
// second round trip.
type ReaderAt interface {
	io.ReaderAt
	io.Seeker
	io.Reader
	Size() int64
	Close() error
}

// SmallReadsCheap is implemented by readers for which many small reads
// cost about what one large read does: local files, where a read is a
// system call and not a round trip. A parquet decoder may then read a
// column chunk page by page into buffers it reuses, instead of fetching
// the whole chunk into a fresh allocation (whose page faults and zeroing
// cost three times the copy), and it skips the bytes of pages it seeks
// past.
type SmallReadsCheap interface {
	SmallReadsCheap() bool
}

// ReadsCheaply reports whether r says small reads of it are cheap.
func ReadsCheaply(r ReaderAt) bool {
	c, ok := r.(SmallReadsCheap)
	return ok && c.SmallReadsCheap()
}

// Store is the storage interface every table operation uses. All methods
// take ctx first and honour cancellation where the backend allows it.
type Store interface {
	// Get reads a whole object.
	Get(ctx context.Context, path string) ([]byte, error)
	// Open returns a random-access reader over an object.
	Open(ctx context.Context, path string) (ReaderAt, error)
	// Stat describes one object.
	Stat(ctx context.Context, path string) (FileInfo, error)
	// List yields every object whose path starts with prefix, sorted (S1).
	// Only objects are listed; "directories" are not entries.
	List(ctx context.Context, prefix string) iter.Seq2[FileInfo, error]
	// Put writes an object, replacing any previous content (S5).
	Put(ctx context.Context, path string, data []byte) error
	// PutIfAbsent writes an object only if none exists at path (S2).
	PutIfAbsent(ctx context.Context, path string, data []byte) error
	// Create returns a writer for a large object; the object appears,
	// whole, when Close returns nil (S5). Abort discards it.
	Create(ctx context.Context, path string) (Writer, error)
	// Delete removes an object (S4).
	Delete(ctx context.Context, path string) error
	// Close releases the store's resources.
	Close() error
}

// Writer streams one object. Nothing is visible until Close succeeds.
type Writer interface {
	io.Writer
	// Close commits the object.
	Close() error
	// Abort discards everything written; the object is not created.
	Abort() error
}

// IsNotExist reports whether err means a missing object.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// IsExist reports whether err means an object that already exists.
func IsExist(err error) bool { return errors.Is(err, fs.ErrExist) }
