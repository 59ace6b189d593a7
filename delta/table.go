package delta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Options configure a Table. A nil *Options, like the zero value, means
// the defaults.
type Options struct {
	// Allocator is used for every Arrow allocation the table makes.
	// Default: memory.DefaultAllocator.
	Allocator memory.Allocator
	// URLMux resolves URLs whose scheme is not file:// or mem://. Default:
	// blob.DefaultURLMux(), where gocloud drivers register when the
	// application imports them (for example `import _
	// "gocloud.dev/blob/s3blob"`). This package imports no cloud driver.
	URLMux *blob.URLMux
	// PartitionTimeZone is the zone in which timestamp partition values
	// written without one ("2021-09-08 11:11:11") are read: the session
	// time zone of the engine that wrote them. Default: UTC, which is what
	// this library, delta-rs and Spark sessions set to UTC write.
	PartitionTimeZone *time.Location
	// NoSync skips fsync on local disks: commits stay atomic for readers but
	// a machine crash can lose recent ones. For tests and scratch tables.
	NoSync bool
	// AllowedRoots lists locations besides the table's own root from which
	// the log may name files to read: data, change data and deletion-vector
	// files given by absolute path. Each entry is a URL (s3://bucket/t,
	// file:///data/t) or a local path; a file is allowed when it lies
	// under one of them. A shallow clone's files live in its source table,
	// so reading one needs the source's root here. By default only the
	// table's root is read: any other path fails with ErrOutsideRoot
	// before anything is opened. Checkpoint sidecars are always confined
	// to the table's own _delta_log/_sidecars, as the protocol requires.
	AllowedRoots []string
	// AllowAnyRoot lifts the confinement of AllowedRoots altogether, and
	// the check of local symbolic links with it, for tables whose every
	// writer is trusted. Relative paths that climb out with ".." are still
	// refused.
	AllowAnyRoot bool
	// Logger receives warnings about recoverable problems found while
	// reading, such as a corrupt checkpoint that was skipped in favour of
	// an older one and the commits. Default: slog.Default().
	Logger *slog.Logger
	// Limits bound the size of single log lines, checkpoint footers,
	// deletion vectors and stats strings; the zero value means the
	// defaults (see Limits).
	Limits Limits
	// AutoCompact tunes the compaction that follows commits on tables
	// whose delta.autoOptimize.autoCompact property is on; the zero value
	// means Delta's defaults.
	AutoCompact AutoCompactOptions
	// IOConcurrency bounds the storage requests the table keeps in flight
	// where it reads many objects: the commits of a snapshot load,
	// checkpoint parts and sidecars, and the footers and column chunks of
	// the data files a scan reads ahead of decoding. It is independent of
	// CPU parallelism (ScanOptions.Parallelism): on an object store each
	// request mostly waits. 0 means DefaultIOConcurrency; 1 reads one
	// object at a time.
	IOConcurrency int
}

func (o *Options) withDefaults() Options {
	var out Options
	if o != nil {
		out = *o
	}
	if out.PartitionTimeZone == nil {
		out.PartitionTimeZone = time.UTC
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	out.Limits = out.Limits.withDefaults()
	if out.Allocator == nil {
		out.Allocator = memory.DefaultAllocator
	}
	return out
}

// Table is a handle on a Delta table location. It is safe for concurrent
// use; every read goes through an immutable Snapshot.
type Table struct {
	url   string
	store storage.Store
	owned bool // Close closes store
	opts  Options
	// latest is the last latest-version snapshot loaded through this
	// handle: the next Snapshot reads only the commits after it.
	latest atomic.Pointer[Snapshot]
	// realRoots caches each local root's path with links resolved
	// (checkLinks), which every data file opened would resolve again.
	realRoots sync.Map
}

// logDir is the transaction log directory, relative to the table root.
const logDir = "_delta_log/"

// Open opens the Delta table at url: a local path, file://, mem://, or any
// gocloud.dev/blob URL whose driver the application imported (s3://,
// gs://, azblob://). It fails with ErrNotATable when the location holds no
// _delta_log, and with ErrInvalidPath when url names no location (empty,
// malformed, or a scheme whose driver was not imported).
func Open(ctx context.Context, url string, opts *Options) (*Table, error) {
	t, err := openLocation(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	if err := t.checkIsTable(ctx); err != nil {
		_ = t.Close()
		return nil, err
	}
	return t, nil
}

// openLocation opens the store without requiring a table to exist (Create
// uses it).
func openLocation(ctx context.Context, url string, opts *Options) (*Table, error) {
	o := opts.withDefaults()
	st, err := storage.Open(ctx, url, &storage.OpenOptions{URLMux: o.URLMux, NoSync: o.NoSync})
	if err != nil {
		if errors.Is(err, storage.ErrInvalidURL) || errors.Is(err, storage.ErrInvalidPath) {
			return nil, &prefixed{msg: "delta: invalid table path " + strconv.Quote(storage.Redact(url)) + ": " + err.Error(), errs: []error{ErrInvalidPath, err}}
		}
		return nil, fmt.Errorf("delta: open %s: %w", storage.Redact(url), err)
	}
	return &Table{url: url, store: st, owned: true, opts: o}, nil
}

// OpenBucket opens the table stored under prefix in an open bucket. Close
// does not close the bucket.
func OpenBucket(ctx context.Context, bucket *blob.Bucket, prefix string, opts *Options) (*Table, error) {
	t := bucketTable(bucket, prefix, opts)
	if err := t.checkIsTable(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

func bucketTable(bucket *blob.Bucket, prefix string, opts *Options) *Table {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Table{url: "bucket:" + prefix, store: storage.NewBlobStore(bucket, prefix), opts: opts.withDefaults()}
}

func (t *Table) checkIsTable(ctx context.Context) error {
	// The hint file answers without listing a log of any length.
	if _, err := t.store.Stat(ctx, logDir+"_last_checkpoint"); err == nil {
		return nil
	}
	for _, err := range t.store.List(ctx, logDir) {
		if err != nil {
			return fmt.Errorf("delta: open %s: %w", t.name(), err)
		}
		return nil
	}
	return fmt.Errorf("%w: %s has no %s directory", ErrNotATable, t.name(), strings.TrimSuffix(logDir, "/"))
}

// name is the table's location for error messages and logs, with any
// credentials in it (userinfo, a SAS token in the query) redacted.
func (t *Table) name() string { return storage.Redact(t.url) }

// URL returns the location the table was opened at.
func (t *Table) URL() string { return t.url }

// Close releases the table's storage if Open opened it.
func (t *Table) Close() error {
	if t.owned {
		return t.store.Close()
	}
	return nil
}
