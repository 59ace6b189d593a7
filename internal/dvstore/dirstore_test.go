package dvstore_test

import (
	"context"
	"errors"
	"iter"
	"os"
	"path/filepath"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// dirStore is a read-only storage.Store over a local directory, enough for
// Load; the write methods are never called by this package.
type dirStore struct{ root string }

var errReadOnly = errors.New("dirStore: read-only")

type fileReader struct {
	*os.File
	size int64
}

func (f fileReader) Size() int64 { return f.size }

func (s dirStore) full(p string) string { return filepath.Join(s.root, filepath.FromSlash(p)) }

func (s dirStore) Get(_ context.Context, p string) ([]byte, error) { return os.ReadFile(s.full(p)) }

func (s dirStore) Open(_ context.Context, p string) (storage.ReaderAt, error) {
	f, err := os.Open(s.full(p))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, storage.ErrNotExist
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return fileReader{f, st.Size()}, nil
}

func (s dirStore) Stat(_ context.Context, p string) (storage.FileInfo, error) {
	st, err := os.Stat(s.full(p))
	if err != nil {
		return storage.FileInfo{}, err
	}
	return storage.FileInfo{Path: p, Size: st.Size(), ModTime: st.ModTime()}, nil
}

func (s dirStore) List(context.Context, string) iter.Seq2[storage.FileInfo, error] {
	return func(yield func(storage.FileInfo, error) bool) { yield(storage.FileInfo{}, errReadOnly) }
}
func (s dirStore) Put(context.Context, string, []byte) error         { return errReadOnly }
func (s dirStore) PutIfAbsent(context.Context, string, []byte) error { return errReadOnly }
func (s dirStore) Create(context.Context, string) (storage.Writer, error) {
	return nil, errReadOnly
}
func (s dirStore) Delete(context.Context, string) error { return errReadOnly }
func (s dirStore) Close() error                         { return nil }
