package storage

import (
	"errors"
	"strconv"
	"strings"
)

var (
	// ErrInvalidPath is returned for a path or list prefix that is not a
	// clean, relative, slash-separated name (see the package doc), and for
	// paths the local store reserves for its temporary files.
	ErrInvalidPath = errors.New("storage: invalid path")
	// ErrClosed is returned by every operation on a Store after Close, and
	// by Writer.Close after the writer was closed or aborted.
	ErrClosed = errors.New("storage: closed")
	// ErrInvalidURL is returned by Open for a URL it cannot map to a store.
	ErrInvalidURL = errors.New("storage: invalid URL")
	// ErrUnsorted is yielded by List when a backend returns keys out of
	// UTF-8 byte order; rule S1 would otherwise break silently.
	ErrUnsorted = errors.New("storage: backend listed keys out of order")
)

// PathError records a failed operation on one object. Err is the reason:
// one of this package's sentinels (ErrNotExist, ErrExist, ErrInvalidPath…)
// or the backend's own error, so errors.Is and errors.As see through it.
type PathError struct {
	Op   string // "get", "open", "stat", "list", "put", "put-if-absent", "create", "delete"
	Path string // the store-relative path (or list prefix)
	Err  error
}

func (e *PathError) Error() string {
	reason := "<nil>"
	if e.Err != nil {
		reason = strings.TrimPrefix(e.Err.Error(), "storage: ")
	}
	return "storage: " + e.Op + " " + strconv.Quote(e.Path) + ": " + reason
}

func (e *PathError) Unwrap() error { return e.Err }

func pathErr(op, path string, err error) error {
	return &PathError{Op: op, Path: path, Err: err}
}
