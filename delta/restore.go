package delta

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// RestoreTarget names the version Restore returns the table to: Version,
// or, when Timestamp is set, the latest version committed at or before it
// (resolved as SnapshotAsOf does). Setting Timestamp together with a
// non-zero Version is an error.
type RestoreTarget struct {
	Version   int64
	Timestamp time.Time
}

// RestoreOptions configure Restore. A nil *RestoreOptions means the
// defaults.
type RestoreOptions struct {
	// IgnoreMissingFiles restores even when data or deletion-vector files
	// of the target version are gone from storage (vacuumed, or deleted by
	// hand). Those files are left out of the restored table, with their
	// rows: what a Spark reader with spark.sql.files.ignoreMissingFiles
	// would see. (Spark re-adds them, leaving a table other readers cannot
	// read.) By default Restore refuses with a *MissingFilesError naming
	// them.
	IgnoreMissingFiles bool
	// UserMetadata is recorded in commitInfo.userMetadata.
	UserMetadata string
	// Parallelism bounds the concurrent existence checks of restored
	// files; default 16.
	Parallelism int
}

// Restore returns the table to an earlier version in one commit (Spark's
// RESTORE TABLE … TO VERSION AS OF / TIMESTAMP AS OF): the files live at
// the target version but not now are added back (dataChange true), the
// files live now but not then are removed, and files live in both are left
// alone. A file whose deletion vector differs between the two versions is
// removed and re-added with the target version's vector. The target
// version's metadata (schema, properties, partitioning) comes back; the
// protocol is never downgraded (features added since stay), so the
// table's history stays readable. Application transaction ids and domain
// metadata are kept as they are now.
//
// The commit records operation "RESTORE" with Spark's parameters (version,
// timestamp) and metrics (numRestoredFiles, restoredFilesSize,
// numRemovedFiles, removedFilesSize, numOfFilesAfterRestore,
// tableSizeAfterRestore). The target must be older than the latest
// version. Restore checks that every file it re-adds still exists and
// fails with a *MissingFilesError naming those that do not, unless
// IgnoreMissingFiles is set. On any error, or a conflict with a concurrent
// commit, the table is unchanged.
func (t *Table) Restore(ctx context.Context, target RestoreTarget, opts *RestoreOptions) (*CommitResult, error) {
	var o RestoreOptions
	if opts != nil {
		o = *opts
	}
	if o.Parallelism <= 0 {
		o.Parallelism = defaultMaintParallelism
	}
	if !target.Timestamp.IsZero() && target.Version != 0 {
		return nil, fmt.Errorf("%w: restore to a version or a timestamp, not both", ErrInvalidArgument)
	}
	if target.Version < 0 {
		return nil, fmt.Errorf("%w: restore to version %d", ErrInvalidArgument, target.Version)
	}
	x, err := t.Begin(ctx, &TxnOptions{UserMetadata: o.UserMetadata})
	if err != nil {
		return nil, err
	}
	defer x.Rollback()
	latest := x.snap

	version := target.Version
	params := map[string]any{"version": version, "timestamp": nil}
	if !target.Timestamp.IsZero() {
		if version, err = t.versionAsOf(ctx, latest, target.Timestamp); err != nil {
			return nil, err
		}
		// Spark records the timestamp it was given (as a SQL timestamp in
		// the session zone, UTC here) and no version.
		params = map[string]any{"version": nil, "timestamp": sqlTimestamp(target.Timestamp)}
	}
	if version >= latest.Version() {
		return nil, fmt.Errorf("%w: version to restore (%d) must be older than the latest version (%d)", ErrInvalidArgument, version, latest.Version())
	}
	to, err := t.SnapshotAt(ctx, version)
	if err != nil {
		return nil, err
	}
	plan, err := planRestore(ctx, latest, to)
	if err != nil {
		return nil, err
	}
	missing, err := t.missingFiles(ctx, plan.add, o.Parallelism)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		if !o.IgnoreMissingFiles {
			paths := make([]string, 0, len(missing))
			for _, m := range missing {
				paths = append(paths, m.path)
			}
			slices.Sort(paths)
			return nil, &MissingFilesError{Version: version, Paths: slices.Compact(paths)}
		}
		plan.dropAdds(missing)
	}

	if len(plan.remove) > 0 && latest.config.Bool(protocol.PropAppendOnly, false) {
		// Like Spark, the table as it is now decides: removing data from an
		// append-only table is refused even if the old version allowed it.
		return nil, fmt.Errorf("%w: %s has delta.appendOnly=true; restoring version %d would remove %d file(s)", ErrAppendOnly, t.name(), version, len(plan.remove))
	}
	for _, f := range plan.remove {
		x.removeFile(f)
	}
	x.adds = append(x.adds, plan.add...)
	if err := x.restoreState(latest, to); err != nil {
		return nil, err
	}
	x.readWholeTable = true
	x.operation = "RESTORE"
	x.opParams = params
	x.maint = &maintInfo{metrics: plan.metrics()}
	return x.Commit(ctx)
}

// restoreState sets the transaction's metadata and protocol to those of
// the restored version, as Spark does: the old metadata whole, and the
// union of both protocols.
func (x *Transaction) restoreState(latest, to *Snapshot) error {
	meta := *to.state.Metadata
	if meta.Configuration == nil {
		meta.Configuration = map[string]string{}
	}
	cur := latest.config
	switch {
	case cur.Bool(protocol.PropEnableICT, false) && !protocol.Config(meta.Configuration).Bool(protocol.PropEnableICT, false):
		// Turning in-commit timestamps off would let later commit times
		// go backwards against the recorded ones: keep them on, with the
		// enablement point the table has now.
		for _, k := range []string{protocol.PropEnableICT, protocol.PropICTEnablementVersion, protocol.PropICTEnablementTimestamp} {
			if v, ok := cur[k]; ok {
				meta.Configuration[k] = v
			}
		}
	case !cur.Bool(protocol.PropEnableICT, false) && protocol.Config(meta.Configuration).Bool(protocol.PropEnableICT, false):
		x.ictEnablement = true
	}
	x.meta = &meta
	x.metaChanged = true
	x.proto = mergeProtocols(to.state.Protocol, latest.state.Protocol)
	x.protoChanged = true
	schema, err := protocol.ParseSchema(meta.SchemaString)
	if err != nil {
		return corrupt("schema of version %d: %v", to.Version(), err)
	}
	x.schema = schema
	x.mapping = to.mapping
	return nil
}

// restorePlan is the difference between the current files and the
// restored version's.
type restorePlan struct {
	add    []*protocol.Add // files of the restored version not live now
	remove []*protocol.Add // files live now but not in the restored version
	// afterFiles and afterBytes count the restored version's files.
	afterFiles, afterBytes int64
}

// planRestore compares the two versions' files by logical identity (path
// and deletion vector). Only the current files are held in memory.
func planRestore(ctx context.Context, latest, to *Snapshot) (*restorePlan, error) {
	cur := map[protocol.FileKey]*protocol.Add{}
	for f, err := range latest.addFiles(ctx) {
		if err != nil {
			return nil, err
		}
		cur[f.Key()] = f
	}
	p := &restorePlan{}
	for f, err := range to.addFiles(ctx) {
		if err != nil {
			return nil, err
		}
		p.afterFiles++
		p.afterBytes += f.Size
		k := f.Key()
		if _, ok := cur[k]; ok {
			delete(cur, k)
			continue
		}
		add := *f
		add.DataChange = true
		add.Stats = withStats(f)
		add.StatsParsed = nil
		p.add = append(p.add, &add)
	}
	for _, f := range cur {
		p.remove = append(p.remove, f)
	}
	// A stable order makes the commit file reproducible.
	byPath := func(a, b *protocol.Add) int { return strings.Compare(a.Path, b.Path) }
	slices.SortFunc(p.add, byPath)
	slices.SortFunc(p.remove, byPath)
	return p, nil
}

// dropAdds leaves files out of the restore (IgnoreMissingFiles).
func (p *restorePlan) dropAdds(drop []missingFile) {
	gone := map[*protocol.Add]bool{}
	for _, m := range drop {
		gone[m.file] = true
		p.afterFiles--
		p.afterBytes -= m.file.Size
	}
	p.add = slices.DeleteFunc(p.add, func(f *protocol.Add) bool { return gone[f] })
}

// metrics are Spark's RESTORE operationMetrics.
func (p *restorePlan) metrics() map[string]string {
	var addBytes, removeBytes int64
	for _, f := range p.add {
		addBytes += f.Size
	}
	for _, f := range p.remove {
		removeBytes += f.Size
	}
	return map[string]string{
		"numRestoredFiles":       itoa(int64(len(p.add))),
		"restoredFilesSize":      itoa(addBytes),
		"numRemovedFiles":        itoa(int64(len(p.remove))),
		"removedFilesSize":       itoa(removeBytes),
		"numOfFilesAfterRestore": itoa(p.afterFiles),
		"tableSizeAfterRestore":  itoa(p.afterBytes),
	}
}

// missingFile is a file Restore would add back whose data file, or
// deletion-vector file, is gone.
type missingFile struct {
	file *protocol.Add
	path string // the missing file, as the log names it
}

// missingFiles checks, with bounded concurrency, that the data file and
// deletion-vector file of every file exist.
func (t *Table) missingFiles(ctx context.Context, files []*protocol.Add, parallelism int) ([]missingFile, error) {
	var mu sync.Mutex
	var missing []missingFile
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism)
	for _, f := range files {
		g.Go(func() error {
			gone := ""
			ok, err := t.fileExists(gctx, f.Path)
			if err != nil {
				return err
			}
			if !ok {
				gone = f.Path
			} else if p, onDisk, err := dvFilePath(f.DeletionVector); err != nil {
				return err
			} else if onDisk {
				if ok, err = t.fileExists(gctx, p); err != nil {
					return err
				}
				if !ok {
					gone = p
				}
			}
			if gone != "" {
				mu.Lock()
				missing = append(missing, missingFile{file: f, path: gone})
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return missing, nil
}

// sqlTimestamp renders t as Spark prints a SQL timestamp in a UTC
// session: "2024-05-01 12:00:00.0", the fraction without trailing zeros.
func sqlTimestamp(t time.Time) string {
	t = t.UTC()
	frac := strings.TrimRight(fmt.Sprintf("%09d", t.Nanosecond()), "0")
	if frac == "" {
		frac = "0"
	}
	return t.Format("2006-01-02 15:04:05") + "." + frac
}
