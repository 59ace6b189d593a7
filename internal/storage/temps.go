package storage

import (
	"context"
	"errors"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// TempFiles is implemented by stores whose writes go through temporary
// objects that List never shows and that a writer killed mid-write leaves
// behind: the local store's ".lakehouse-tmp-*" files. Table maintenance
// (VACUUM) uses it to remove stale ones. Stores writing without temporary
// objects (blob stores: an unfinished upload is never an object) do not
// implement it.
type TempFiles interface {
	// ListTemp yields the temporary files under prefix (a directory
	// path, "" or ending in "/"), descending only into directories for
	// which descend returns true (it gets the directory's path, ending in
	// "/"). Order is unspecified.
	ListTemp(ctx context.Context, prefix string, descend func(dir string) bool) iter.Seq2[FileInfo, error]
	// DeleteTemp removes one temporary file ListTemp yielded; a missing
	// file is not an error.
	DeleteTemp(ctx context.Context, path string) error
}

// IsTempName reports whether the last element of a path names a
// temporary file of this package.
func IsTempName(p string) bool { return strings.HasPrefix(path.Base(p), tmpPrefix) }

func (s *localStore) ListTemp(ctx context.Context, prefix string, descend func(string) bool) iter.Seq2[FileInfo, error] {
	return func(yield func(FileInfo, error) bool) {
		if s.closed.Load() {
			yield(FileInfo{}, pathErr("list-temp", prefix, ErrClosed))
			return
		}
		if prefix != "" && (!strings.HasSuffix(prefix, "/") || checkPrefix(prefix) != nil) {
			yield(FileInfo{}, pathErr("list-temp", prefix, ErrInvalidPath))
			return
		}
		s.walkTemps(ctx, prefix, descend, yield)
	}
}

// walkTemps lists the directory rel; it returns false once the caller
// stopped or an error was yielded.
func (s *localStore) walkTemps(ctx context.Context, rel string, descend func(string) bool, yield func(FileInfo, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(FileInfo{}, pathErr("list-temp", rel, err))
		return false
	}
	entries, err := os.ReadDir(filepath.Join(s.root, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return true
		}
		yield(FileInfo{}, pathErr("list-temp", rel, err))
		return false
	}
	for _, e := range entries {
		p := rel + e.Name()
		switch {
		case e.IsDir():
			if descend == nil || descend(p+"/") {
				if !s.walkTemps(ctx, p+"/", descend, yield) {
					return false
				}
			}
		case strings.HasPrefix(e.Name(), tmpPrefix):
			fi, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // finished (renamed or removed) meanwhile
			}
			if err != nil {
				yield(FileInfo{}, pathErr("list-temp", p, err))
				return false
			}
			if !yield(FileInfo{Path: p, Size: fi.Size(), ModTime: fi.ModTime()}, nil) {
				return false
			}
		}
	}
	return true
}

func (s *localStore) DeleteTemp(ctx context.Context, p string) error {
	if s.closed.Load() {
		return pathErr("delete-temp", p, ErrClosed)
	}
	if err := checkPath("delete-temp", p); err != nil {
		return err
	}
	if !IsTempName(p) {
		return pathErr("delete-temp", p, ErrInvalidPath)
	}
	if err := ctx.Err(); err != nil {
		return pathErr("delete-temp", p, err)
	}
	if err := os.Remove(s.full(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return pathErr("delete-temp", p, err)
	}
	return nil
}
