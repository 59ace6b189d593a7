package storage

import (
	"context"
	"errors"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// List walks the directory tree depth first and streams files in UTF-8
// byte order of their full paths without collecting the whole tree: within
// one directory, entries are visited in the order of name for files and
// name+"/" for directories, which is exactly the order their full paths
// sort in ("a-b" < "a/x" because '-' < '/'). Only one directory's entries
// are held at a time per level.
func (s *localStore) List(ctx context.Context, prefix string) iter.Seq2[FileInfo, error] {
	return s.listFrom(ctx, prefix, "")
}

// listFrom is List without the paths that sort before from, which are
// skipped before their metadata is read: on a directory of 100,000
// commits, reading each entry's size and time is what costs.
func (s *localStore) listFrom(ctx context.Context, prefix, from string) iter.Seq2[FileInfo, error] {
	return func(yield func(FileInfo, error) bool) {
		if s.closed.Load() {
			yield(FileInfo{}, pathErr("list", prefix, ErrClosed))
			return
		}
		if err := checkPrefix(prefix); err != nil {
			yield(FileInfo{}, err)
			return
		}
		startDir := ""
		if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
			startDir = prefix[:i+1]
		}
		s.walk(ctx, startDir, prefix, from, yield)
	}
}

// ListFrom lists the files under prefix whose paths sort at or after
// from, in order. Local disk skips the others before reading their
// metadata; other stores list prefix and drop them.
func ListFrom(ctx context.Context, s Store, prefix, from string) iter.Seq2[FileInfo, error] {
	if l, ok := s.(interface {
		listFrom(ctx context.Context, prefix, from string) iter.Seq2[FileInfo, error]
	}); ok {
		return l.listFrom(ctx, prefix, from)
	}
	return func(yield func(FileInfo, error) bool) {
		for fi, err := range s.List(ctx, prefix) {
			if err == nil && fi.Path < from {
				continue
			}
			if !yield(fi, err) {
				return
			}
		}
	}
}

type listEntry struct {
	key   string // path relative to root; directories end in "/"
	entry fs.DirEntry
}

// walk lists the directory rel ("" or ending in "/"), leaving out paths
// that sort before from; it returns false when the caller stopped the
// iteration or an error was yielded.
func (s *localStore) walk(ctx context.Context, rel, prefix, from string, yield func(FileInfo, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(FileInfo{}, pathErr("list", prefix, err))
		return false
	}
	entries, err := readDirUnsorted(filepath.Join(s.root, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNotDir) {
			return true // nothing stored under here
		}
		yield(FileInfo{}, pathErr("list", prefix, err))
		return false
	}
	keys := make([]listEntry, 0, len(entries))
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, tmpPrefix) {
			continue // an in-flight (or crashed) write, not an object
		}
		key := rel + name
		if e.IsDir() {
			key += "/"
			// Descend only where the prefix can still match, and where
			// some path sorts at or after from (every path under key
			// sorts before from when from is greater and not inside it).
			if !strings.HasPrefix(key, prefix) && !strings.HasPrefix(prefix, key) {
				continue
			}
			if key < from && !strings.HasPrefix(from, key) {
				continue
			}
		} else if !strings.HasPrefix(key, prefix) || key < from {
			continue
		}
		keys = append(keys, listEntry{key: key, entry: e})
	}
	slices.SortFunc(keys, func(a, b listEntry) int { return strings.Compare(a.key, b.key) })
	for _, k := range keys {
		if strings.HasSuffix(k.key, "/") {
			if !s.walk(ctx, k.key, prefix, from, yield) {
				return false
			}
			continue
		}
		info, err := k.entry.Info()
		if k.entry.Type()&fs.ModeSymlink != 0 {
			info, err = os.Stat(filepath.Join(s.root, filepath.FromSlash(k.key)))
			if err == nil && info.IsDir() {
				continue // a link to a directory is not an object; links are not followed
			}
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since ReadDir
		}
		if err != nil {
			yield(FileInfo{}, pathErr("list", prefix, err))
			return false
		}
		if !yield(FileInfo{Path: k.key, Size: info.Size(), ModTime: info.ModTime()}, nil) {
			return false
		}
	}
	return true
}

// readDirUnsorted reads a directory without os.ReadDir's sort: entries are
// filtered by prefix first and only the survivors sorted, which matters for
// a _delta_log holding 100,000 commits listed from a recent version.
func readDirUnsorted(dir string) ([]fs.DirEntry, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// wholeDirectoryLister marks stores whose List reads every entry of a
// directory whatever the prefix asks for (local disk): a caller that would
// list several prefixes of one directory does better listing it once.
type wholeDirectoryLister interface{ listsWholeDirectory() }

func (s *localStore) listsWholeDirectory() {}

// ListsWholeDirectory reports whether s reads a whole directory for any
// List of a prefix inside it.
func ListsWholeDirectory(s Store) bool {
	_, ok := s.(wholeDirectoryLister)
	return ok
}

// IsLocal reports whether s reads local files, where a read is a system
// call rather than a network round trip worth overlapping with others.
func IsLocal(s Store) bool {
	_, ok := s.(*localStore)
	return ok
}
