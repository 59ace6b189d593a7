package storage

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
)

// tmpPrefix starts the name of every temporary file the local store makes.
// List skips such names and paths may not use them.
const tmpPrefix = ".lakehouse-tmp-"

// localStore keeps objects as files under root. Directories are created on
// demand and never listed.
type localStore struct {
	root   string // absolute, cleaned
	noSync bool
	closed atomic.Bool
	// link is os.Link; tests replace it to exercise the fallback for file
	// systems without hard links.
	link func(oldname, newname string) error
}

// newLocalStore returns a Store over the directory root, which need not
// exist yet (see OpenOptions.NoSync for noSync).
func newLocalStore(root string, noSync bool) (*localStore, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("storage: local root %q: %w", root, err)
	}
	if fi, err := os.Stat(abs); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%w: local root %q is not a directory", ErrInvalidURL, root)
	}
	return &localStore{root: abs, noSync: noSync, link: os.Link}, nil
}

func (s *localStore) String() string { return "file://" + filepath.ToSlash(s.root) }

// begin runs the checks every operation starts with.
func (s *localStore) begin(ctx context.Context, op, p string) error {
	if s.closed.Load() {
		return pathErr(op, p, ErrClosed)
	}
	if err := checkPath(op, p); err != nil {
		return err
	}
	if strings.Contains("/"+p, "/"+tmpPrefix) {
		return pathErr(op, p, ErrInvalidPath) // List would never show it
	}
	if err := ctx.Err(); err != nil {
		return pathErr(op, p, err)
	}
	return nil
}

func (s *localStore) full(p string) string { return filepath.Join(s.root, filepath.FromSlash(p)) }

// mapLocalErr turns "no such object" conditions into ErrNotExist: a missing
// file, a missing or non-directory parent, or a directory where an object
// was asked for (directories are not objects).
func mapLocalErr(op, p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR) {
		return pathErr(op, p, ErrNotExist)
	}
	return pathErr(op, p, err)
}

func (s *localStore) Get(ctx context.Context, p string) ([]byte, error) {
	if err := s.begin(ctx, "get", p); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(s.full(p))
	if err != nil {
		return nil, mapLocalErr("get", p, err)
	}
	return data, nil
}

// localReader is an *os.File that knows its size.
type localReader struct {
	*os.File
	size int64
}

func (r *localReader) Size() int64 { return r.size }

// SmallReadsCheap is true: a read of a local file costs a system call.
func (r *localReader) SmallReadsCheap() bool { return true }

func (s *localStore) Open(ctx context.Context, p string) (ReaderAt, error) {
	if err := s.begin(ctx, "open", p); err != nil {
		return nil, err
	}
	f, err := os.Open(s.full(p))
	if err != nil {
		return nil, mapLocalErr("open", p, err)
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = syscall.EISDIR
	}
	if err != nil {
		_ = f.Close()
		return nil, mapLocalErr("open", p, err)
	}
	return &localReader{File: f, size: fi.Size()}, nil
}

func (s *localStore) Stat(ctx context.Context, p string) (FileInfo, error) {
	if err := s.begin(ctx, "stat", p); err != nil {
		return FileInfo{}, err
	}
	fi, err := os.Stat(s.full(p))
	if err == nil && fi.IsDir() {
		err = syscall.EISDIR
	}
	if err != nil {
		return FileInfo{}, mapLocalErr("stat", p, err)
	}
	return FileInfo{Path: p, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

func (s *localStore) Put(ctx context.Context, p string, data []byte) error {
	if err := s.begin(ctx, "put", p); err != nil {
		return err
	}
	final := s.full(p)
	tmp, err := s.writeTemp(filepath.Dir(final), data)
	if err != nil {
		return pathErr("put", p, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		_ = os.Remove(tmp)
		return pathErr("put", p, err)
	}
	if err := s.syncDir(filepath.Dir(final)); err != nil {
		return pathErr("put", p, err)
	}
	return nil
}

// PutIfAbsent lets the kernel decide the race: link(2) (or, where links
// are refused, renameat2 with RENAME_NOREPLACE) fails with EEXIST when the
// name is taken, atomically, and the published file is already complete,
// so no reader sees partial bytes (S2, S5).
func (s *localStore) PutIfAbsent(ctx context.Context, p string, data []byte) error {
	if err := s.begin(ctx, "put-if-absent", p); err != nil {
		return err
	}
	final := s.full(p)
	tmp, err := s.writeTemp(filepath.Dir(final), data)
	if err != nil {
		return pathErr("put-if-absent", p, err)
	}
	linkErr := s.publishNoReplace(tmp, final)
	rmErr := os.Remove(tmp)
	if errors.Is(rmErr, fs.ErrNotExist) {
		rmErr = nil // renamed into place by the fallback
	}
	switch {
	case errors.Is(linkErr, fs.ErrExist):
		return pathErr("put-if-absent", p, ErrExist)
	case linkErr != nil:
		return pathErr("put-if-absent", p, linkErr)
	case rmErr != nil:
		// The object is committed; only the temporary name lingers.
		return pathErr("put-if-absent", p, fmt.Errorf("committed, but removing temporary file: %w", rmErr))
	}
	if err := s.syncDir(filepath.Dir(final)); err != nil {
		return pathErr("put-if-absent", p, err)
	}
	return nil
}

func (s *localStore) Create(ctx context.Context, p string) (Writer, error) {
	if err := s.begin(ctx, "create", p); err != nil {
		return nil, err
	}
	final := s.full(p)
	f, err := s.createTemp(filepath.Dir(final))
	if err != nil {
		return nil, pathErr("create", p, err)
	}
	return &localWriter{ctx: ctx, store: s, path: p, final: final, f: f}, nil
}

func (s *localStore) Delete(ctx context.Context, p string) error {
	if err := s.begin(ctx, "delete", p); err != nil {
		return err
	}
	full := s.full(p)
	fi, err := os.Lstat(full)
	if err != nil {
		if mapped := mapLocalErr("delete", p, err); errors.Is(mapped, ErrNotExist) {
			return nil
		}
		return pathErr("delete", p, err)
	}
	if fi.IsDir() {
		return nil // a directory is not an object, so there is nothing to delete
	}
	if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return pathErr("delete", p, err)
	}
	return nil
}

func (s *localStore) Close() error {
	s.closed.Store(true)
	return nil
}

// createTemp makes a fresh temporary file in dir, creating dir (and its
// parents) first. O_EXCL with a random name means concurrent writers never
// share a temporary file.
func (s *localStore) createTemp(dir string) (*os.File, error) {
	if err := s.ensureDir(dir); err != nil {
		return nil, err
	}
	for range 3 {
		name := filepath.Join(dir, tmpPrefix+rand.Text())
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue // 130 random bits collided: try another name
		}
		return f, err
	}
	return nil, errors.New("storage: could not create a unique temporary file")
}

// writeTemp writes data to a new temporary file in dir, synced unless
// noSync, and returns its name.
func (s *localStore) writeTemp(dir string, data []byte) (string, error) {
	f, err := s.createTemp(dir)
	if err != nil {
		return "", err
	}
	name := f.Name()
	_, err = f.Write(data)
	if err == nil && !s.noSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(name)
		return "", err
	}
	return name, nil
}

// ensureDir creates dir if needed. When it had to create directories it
// syncs their parents, so the new entries survive a crash along with the
// object about to be linked into them.
func (s *localStore) ensureDir(dir string) error {
	if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if s.noSync {
		return nil
	}
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if err := syncDirPath(d); err != nil {
			return err
		}
		if len(d) <= len(s.root) || d == filepath.Dir(d) {
			return nil
		}
	}
}

// syncDir makes a new directory entry durable.
func (s *localStore) syncDir(dir string) error {
	if s.noSync {
		return nil
	}
	return syncDirPath(dir)
}

func syncDirPath(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSUP) {
		err = nil // some filesystems cannot sync directories; nothing more to do
	}
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// localWriter streams into a temporary file that Close renames into place.
type localWriter struct {
	ctx   context.Context
	store *localStore
	path  string
	final string
	f     *os.File
	done  bool // closed or aborted
}

func (w *localWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, pathErr("create", w.path, ErrClosed)
	}
	n, err := w.f.Write(p)
	if err != nil {
		return n, pathErr("create", w.path, err)
	}
	return n, nil
}

func (w *localWriter) Close() error {
	if w.done {
		return pathErr("create", w.path, ErrClosed)
	}
	w.done = true
	tmp := w.f.Name()
	err := w.ctx.Err()
	if err == nil && !w.store.noSync {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, w.final)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return pathErr("create", w.path, err)
	}
	if err := w.store.syncDir(filepath.Dir(w.final)); err != nil {
		return pathErr("create", w.path, err)
	}
	return nil
}

// Abort discards the temporary file. After Close it does nothing, so
// "defer w.Abort()" is safe.
func (w *localWriter) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	tmp := w.f.Name()
	_ = w.f.Close()
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return pathErr("create", w.path, err)
	}
	return nil
}

var _ io.ReaderAt = (*localReader)(nil)

// errNotDir matches a path component that is a file where a directory was
// expected.
var errNotDir = syscall.ENOTDIR
