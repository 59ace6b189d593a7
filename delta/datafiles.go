package delta

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// rootURL is the table location as an absolute URL, against which
// absolute paths in the log are resolved.
func (t *Table) rootURL() string {
	u := t.url
	if !strings.Contains(u, "://") {
		abs, err := filepath.Abs(u)
		if err == nil {
			u = "file://" + filepath.ToSlash(abs)
		}
	}
	return strings.TrimSuffix(u, "/")
}

// normalizeLocation reduces a URL or path to scheme://host/path form so
// that the many spellings of one location compare equal ("file:/x",
// "file:///x", "/x"; "s3a://" and "s3://").
func normalizeLocation(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return s
	}
	scheme := strings.ToLower(u.Scheme)
	switch scheme {
	case "", "file":
		scheme = "file"
		if u.Host == "localhost" {
			u.Host = ""
		}
	case "s3a", "s3n":
		scheme = "s3"
	case "abfs", "abfss", "wasb", "wasbs":
		scheme = "azblob"
	case "gcs":
		scheme = "gs"
	}
	return scheme + "://" + u.Host + path.Clean("/"+u.Path)
}

// isAbsolutePath reports whether a log path is absolute (a URI with a
// scheme, or a rooted path) rather than relative to the table root.
func isAbsolutePath(p string) bool {
	if strings.HasPrefix(p, "/") {
		return true
	}
	i := strings.Index(p, ":")
	return i > 0 && !strings.ContainsAny(p[:i], "/=")
}

// openDataFile opens a data file named by an add, remove or cdc action's
// path: relative to the table root, or absolute. Files inside the root
// are read through the table's store; files under an allowed root outside
// it (a shallow clone's, in its source table) through a store opened for
// the file's directory; anything else is ErrOutsideRoot, before any open.
func (t *Table) openDataFile(ctx context.Context, p string) (storage.ReaderAt, error) {
	loc, err := t.locate(p)
	if err != nil {
		return nil, err
	}
	if !loc.outside {
		r, err := t.store.Open(ctx, loc.rel)
		if err != nil {
			return nil, dataFileErr(p, err)
		}
		return r, nil
	}
	st, base, err := t.openOutside(ctx, p)
	if err != nil {
		return nil, err
	}
	r, err := st.Open(ctx, base)
	if err != nil {
		_ = st.Close()
		return nil, dataFileErr(p, err)
	}
	return &ownedReader{ReaderAt: r, store: st}, nil
}

func dataFileErr(p string, err error) error {
	if storage.IsNotExist(err) {
		// Matches ErrMissingDataFile and, through err, fs.ErrNotExist.
		return &prefixed{msg: fmt.Sprintf("delta: data file %s is missing (vacuumed, or the table was copied incompletely): %s", p, err), errs: []error{ErrMissingDataFile, err}}
	}
	return fmt.Errorf("delta: open data file %s: %w", p, err)
}

// ownedReader closes the store it was opened from.
type ownedReader struct {
	storage.ReaderAt
	store storage.Store
}

func (r *ownedReader) Close() error {
	err := r.ReaderAt.Close()
	if cerr := r.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// partitionValue returns the typed value of a partition column for one
// file. Under column mapping the log keys partition values by physical
// name; logical names are accepted too.
func (s *Snapshot) partitionValue(f *protocol.Add, col *protocol.StructField) (scalar.Scalar, error) {
	t, err := protocol.ToArrowType(col.Type)
	if err != nil {
		return nil, err
	}
	raw, ok := f.PartitionValues[col.PhysicalName(s.mapping)]
	if !ok {
		raw, ok = f.PartitionValues[col.Name]
	}
	if !ok {
		for k, v := range f.PartitionValues {
			if strings.EqualFold(k, col.Name) {
				raw, ok = v, true
			}
		}
	}
	if !ok {
		raw = nil // a missing key is a null partition value
	}
	sc, err := protocol.ParsePartitionValueIn(raw, t, s.table.opts.PartitionTimeZone)
	if err != nil {
		return nil, corrupt("file %s: %v", f.Path, err)
	}
	return sc, nil
}
