package delta

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/dv"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// What RESTORE, CLONE and VACUUM share: how they name files outside and
// inside the table root, how they record themselves in commitInfo, and
// their errors.

// Errors returned by the table maintenance operations (Restore, Clone,
// Vacuum). Each can be matched with errors.Is.
var (
	// ErrMissingFiles matches every *MissingFilesError: files a version
	// references are gone from storage (vacuumed, or deleted by hand).
	ErrMissingFiles = errors.New("delta: referenced files are missing")

	// ErrRetentionTooShort is returned by Vacuum for a retention shorter
	// than the table's delta.deletedFileRetentionDuration without
	// VacuumOptions.DisableRetentionCheck (Spark's retentionDurationCheck).
	// Nothing is deleted and nothing committed.
	ErrRetentionTooShort = errors.New("delta: vacuum retention shorter than the table's")

	// ErrVacuumLiteUnavailable is returned by a LITE Vacuum when the
	// commits it must read were cleaned up since the last VACUUM (or no
	// VACUUM ever ran and the log no longer starts at version 0). A full
	// Vacuum works.
	ErrVacuumLiteUnavailable = errors.New("delta: VACUUM LITE cannot run on this log")
)

// MissingFilesError names files a version references that storage no
// longer holds. It matches ErrMissingFiles.
type MissingFilesError struct {
	// Version is the version whose files are missing.
	Version int64
	// Paths are the missing data and deletion-vector files as the log
	// names them, sorted.
	Paths []string
}

func (e *MissingFilesError) Error() string {
	const show = 10
	names := e.Paths
	more := ""
	if len(names) > show {
		more = fmt.Sprintf(" and %d more", len(names)-show)
		names = names[:show]
	}
	return fmt.Sprintf("delta: %d file(s) of version %d are missing from storage (vacuumed or deleted): %s%s",
		len(e.Paths), e.Version, strings.Join(names, ", "), more)
}

// Is makes errors.Is(err, ErrMissingFiles) and errors.Is(err,
// ErrMissingDataFile) hold.
func (e *MissingFilesError) Is(target error) bool {
	return target == ErrMissingFiles || target == ErrMissingDataFile
}

// maintInfo is what a maintenance commit records in commitInfo in place
// of the write metrics.
type maintInfo struct {
	metrics map[string]string
	// isolation, when set, is commitInfo.isolationLevel: Spark records
	// "SnapshotIsolation" for the commits that change no data (VACUUM).
	isolation string
}

// defaultMaintParallelism bounds the storage requests a maintenance
// operation keeps in flight (existence checks, copies, deletes).
const defaultMaintParallelism = 16

// qualifiedRoot returns the table root the way Spark qualifies it in the
// log ("file:/data/t" for local tables, the URL otherwise), for paths
// another table stores to point into this one. ok is false for locations
// no other handle can address: mem:// (private to its handle) and buckets
// the caller opened.
func (t *Table) qualifiedRoot() (string, bool) {
	root := t.rootURL()
	if strings.HasPrefix(root, "mem:") || strings.HasPrefix(root, "bucket:") {
		return "", false
	}
	root = normalizeLocation(root)
	if !strings.Contains(root, "://") {
		return "", false
	}
	if rest, ok := strings.CutPrefix(root, "file://"); ok {
		root = "file:" + rest
	}
	return strings.TrimSuffix(root, "/"), true
}

// relativeToRoot returns the path, relative to the table root, of a file
// named in the log: the path itself when relative, the rest of an
// absolute path inside the root. ok is false for files outside the table
// (a shallow clone's, say).
func (t *Table) relativeToRoot(p string) (string, bool) {
	if !isAbsolutePath(p) {
		return p, true
	}
	root := normalizeLocation(t.rootURL()) + "/"
	abs := normalizeLocation(p)
	if rel, ok := strings.CutPrefix(abs, root); ok && rel != "" {
		return rel, true
	}
	return "", false
}

// dvFilePath returns where an on-disk deletion vector lives, as a path
// openDataFile takes: relative for storage type "u", the stored URI for
// "p". ok is false for inline vectors.
func dvFilePath(d *protocol.DeletionVector) (string, bool, error) {
	if d == nil || d.IsInline() {
		return "", false, nil
	}
	switch d.StorageType {
	case dv.StorageUUID:
		rel, err := d.RelativePath()
		if err != nil {
			return "", false, corrupt("deletion vector %q: %v", d.PathOrInlineDv, err)
		}
		return rel, true, nil
	case dv.StorageAbsolute:
		p, err := protocol.DecodePath(d.PathOrInlineDv)
		if err != nil {
			return "", false, corrupt("deletion vector path %q: %v", d.PathOrInlineDv, err)
		}
		return p, true, nil
	}
	return "", false, corrupt("deletion vector storage type %q", d.StorageType)
}

// fileExists reports whether the file a log path names (data file or
// deletion vector, inside or outside the table) exists.
func (t *Table) fileExists(ctx context.Context, p string) (bool, error) {
	if rel, ok := t.relativeToRoot(p); ok {
		_, err := t.store.Stat(ctx, rel)
		switch {
		case err == nil:
			return true, nil
		case storage.IsNotExist(err):
			return false, nil
		}
		return false, fmt.Errorf("delta: stat %s: %w", p, err)
	}
	r, err := t.openDataFile(ctx, p)
	switch {
	case err == nil:
		_ = r.Close()
		return true, nil
	case storage.IsNotExist(err):
		return false, nil
	}
	return false, err
}

// withStats returns f's stats as JSON, encoding statistics a checkpoint
// held only in parsed form, so a copied add action keeps them.
func withStats(f *protocol.Add) string {
	if f.Stats == "" && f.StatsParsed != nil {
		if s, err := f.StatsParsed.Encode(); err == nil {
			return s
		}
	}
	return f.Stats
}
