package delta

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Confinement: every file the log names for reading is checked against
// the table root (and Options.AllowedRoots) before any store is asked for
// it. The checks work on the decoded log path, so "%2E%2E" is already
// ".." here, and on normalized locations, so "file:/t/x", "file:///t/x"
// and "/t/x" compare equal.

// fileLoc is where a file named in the log is read from.
type fileLoc struct {
	// rel is the path relative to the table's store, when inside the root.
	rel string
	// outside is true for a file under an allowed root other than the
	// table's: it is read through a store opened at its directory.
	outside bool
}

// openForeignStore opens the store of an allowed location outside the
// table; tests replace it to see every such open.
var openForeignStore = storage.Open

// locate checks that the file at log path p may be read and says where it
// is. It fails with ErrOutsideRoot, naming p, for anything outside the
// table root that the options do not allow.
func (t *Table) locate(p string) (fileLoc, error) {
	root := t.rootLocation()
	if !isAbsolutePath(p) {
		rel := path.Clean(p)
		if rel == ".." || strings.HasPrefix(rel, "../") || strings.HasPrefix(rel, "/") {
			return fileLoc{}, t.outsideErr(p)
		}
		return fileLoc{rel: rel}, t.checkLinks(root, rel, p)
	}
	abs := normalizeLocation(p)
	if rel, ok := strings.CutPrefix(abs, root+"/"); ok && rel != "" {
		return fileLoc{rel: rel}, t.checkLinks(root, rel, p)
	}
	if t.opts.AllowAnyRoot {
		return fileLoc{outside: true}, nil
	}
	for _, r := range t.opts.AllowedRoots {
		allowed := rootLocationOf(r)
		if rel, ok := strings.CutPrefix(abs, allowed+"/"); ok && rel != "" {
			return fileLoc{outside: true}, t.checkLinks(allowed, rel, p)
		}
	}
	return fileLoc{}, t.outsideErr(p)
}

func (t *Table) outsideErr(p string) error {
	return fmt.Errorf("%w: %s names %s; add its location to Options.AllowedRoots if the table may read it",
		ErrOutsideRoot, t.name(), p)
}

// rootLocation is the table root in normalized form, without a trailing
// slash.
func (t *Table) rootLocation() string { return rootLocationOf(t.rootURL()) }

// rootLocationOf normalizes a root given as a URL or a local path
// (relative paths are taken from the working directory).
func rootLocationOf(r string) string {
	if !strings.Contains(r, "://") && !strings.HasPrefix(r, "file:") {
		if abs, err := filepath.Abs(r); err == nil {
			r = "file://" + filepath.ToSlash(abs)
		}
	}
	return strings.TrimSuffix(normalizeLocation(r), "/")
}

// checkLinks refuses a local file whose real location, symbolic links
// resolved, leaves root. Object stores have no links. A file that does not
// resolve (missing, a loop) is left for the open to report. The check and
// the open are two steps: a writer racing to swap a link in between is
// outside what this guards against (it would need write access to the
// table directory).
func (t *Table) checkLinks(root, rel, p string) error {
	dir, ok := strings.CutPrefix(root, "file://")
	if !ok || t.opts.AllowAnyRoot {
		return nil
	}
	realRoot, err := t.realRoot(dir)
	if err != nil {
		return nil
	}
	if !strings.Contains(rel, "..") && noLinksBelow(realRoot, rel) {
		return nil
	}
	real, err := filepath.EvalSymlinks(filepath.Join(realRoot, filepath.FromSlash(rel)))
	if err != nil {
		return nil
	}
	in, err := filepath.Rel(realRoot, real)
	if err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) {
		return t.outsideErr(p)
	}
	return nil
}

// realRoot resolves the links of a local root once per table handle.
func (t *Table) realRoot(dir string) (string, error) {
	if r, ok := t.realRoots.Load(dir); ok {
		return r.(string), nil
	}
	r, err := filepath.EvalSymlinks(filepath.FromSlash(dir))
	if err != nil {
		return "", err
	}
	t.realRoots.Store(dir, r)
	return r, nil
}

// noLinksBelow reports whether every component of rel under root exists
// and is no symbolic link: the file is then inside root without resolving
// anything, one Lstat per component instead of EvalSymlinks over the
// root's whole path.
func noLinksBelow(root, rel string) bool {
	cur := root
	for _, c := range strings.Split(filepath.FromSlash(rel), string(filepath.Separator)) {
		if c == "" || c == "." {
			continue
		}
		cur = filepath.Join(cur, c)
		fi, err := os.Lstat(cur)
		if err != nil || fi.Mode()&fs.ModeSymlink != 0 {
			return false
		}
	}
	return true
}

// openOutside opens a store at the directory of an allowed file outside
// the table, returning it with the file's name in it.
func (t *Table) openOutside(ctx context.Context, p string) (storage.Store, string, error) {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if strings.HasPrefix(dir, "file:") || strings.HasPrefix(dir, "/") {
		abs := normalizeLocation(p)
		dir = strings.TrimPrefix(abs[:strings.LastIndex(abs, "/")], "file://")
	}
	st, err := openForeignStore(ctx, dir, &storage.OpenOptions{URLMux: t.opts.URLMux})
	if err != nil {
		return nil, "", fmt.Errorf("delta: %s is outside the table and its location cannot be opened: %w", p, err)
	}
	return st, base, nil
}
