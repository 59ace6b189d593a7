package delta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// VacuumOptions configure Vacuum. A nil *VacuumOptions means the
// defaults: a full vacuum at the table's retention.
type VacuumOptions struct {
	// Retention is how long files stay after the table stops referencing
	// them: a file is deleted when no version newer than now-Retention
	// references it and it was last modified before then. nil means the
	// table's delta.deletedFileRetentionDuration (default 7 days). A
	// pointer, because zero is a meaningful retention:
	// Retention: new(time.Duration(0)) deletes every unreferenced file
	// (which needs DisableRetentionCheck).
	Retention *time.Duration
	// DisableRetentionCheck allows a Retention shorter than the table's
	// delta.deletedFileRetentionDuration (Spark's
	// spark.databricks.delta.retentionDurationCheck.enabled=false). Only
	// safe when no reader or writer is using an older version: a running
	// writer's new files and a reader's snapshot files can be deleted.
	DisableRetentionCheck bool
	// DryRun lists what would be deleted, deleting and committing nothing.
	DryRun bool
	// Lite finds the files to delete in the log alone (Spark's VACUUM
	// LITE): the files removed by commits that left the retention window
	// since the last VACUUM, instead of listing the whole table. Files
	// never committed (a killed writer's) are left for a full vacuum.
	// Fails with ErrVacuumLiteUnavailable when those commits were cleaned
	// up.
	Lite bool
	// Progress, when set, is called as each file is deleted.
	Progress func(Progress)
	// Parallelism bounds concurrent deletes; default 16.
	Parallelism int
}

// VacuumResult describes a vacuum.
type VacuumResult struct {
	// Files are the deleted files (with DryRun, those that would be),
	// relative to the table root, sorted.
	Files []string
	// NumFilesToDelete and SizeOfDataToDelete count Files and their bytes.
	NumFilesToDelete   int64
	SizeOfDataToDelete int64
	// NumDeletedFiles is how many files were deleted (0 with DryRun; in
	// Lite mode, files already gone are not counted).
	NumDeletedFiles int64
	// NumVacuumedDirectories counts the directories holding the table's
	// files, the root included (Spark's metric of the same name).
	NumVacuumedDirectories int64
	// Cutoff is now less the retention: unreferenced files modified
	// before it, and files removed before it, are deleted.
	Cutoff time.Time
	// StartVersion and EndVersion are the VACUUM START and VACUUM END
	// commits; -1 with DryRun.
	StartVersion, EndVersion int64
}

// lastVacuumInfo is the file in which VACUUM records the newest version
// outside the retention window it covered, so the next LITE vacuum reads
// only the commits after it (Spark's _last_vacuum_info).
const lastVacuumInfo = logDir + "_last_vacuum_info"

// Vacuum deletes the files under the table root the table no longer
// needs (Spark's VACUUM): data files, deletion-vector files and
// _change_data files that neither the current version nor any removal
// within the retention window references and that were last modified
// before the window, which covers files of failed or killed writers
// (and their ".lakehouse-tmp-*" temporary files on local disks, in
// _delta_log too, where killed commits leave them). It never touches
// _delta_log otherwise, nor any file or directory whose name starts with
// "_" or "." (hidden, as Spark treats them) except partition directories
// and _change_data; a deleted file's Hadoop checksum (".<name>.crc",
// which Spark writes beside files on local disks) goes with it. Files
// outside the root (a shallow clone's) are never deleted. Files are
// deleted in parallel.
//
// A retention shorter than the table's delta.deletedFileRetentionDuration
// fails with ErrRetentionTooShort unless DisableRetentionCheck is set.
// Like Spark, Vacuum needs the table to be writable by this package
// (readers and writers of tables with the vacuumProtocolCheck feature must
// check the full protocol before vacuuming), and records two
// commitInfo-only commits, "VACUUM START" (numFilesToDelete,
// sizeOfDataToDelete) before deleting and "VACUUM END" (status, and
// numDeletedFiles, numVacuumedDirectories) after; DryRun commits nothing.
//
// Vacuum does not know about shallow clones of this table: files a
// shallow clone still references are deleted once this table no longer
// references them within the retention window, breaking the clone.
// Deep-clone tables that must outlive the source's retention.
func (t *Table) Vacuum(ctx context.Context, opts *VacuumOptions) (*VacuumResult, error) {
	var o VacuumOptions
	if opts != nil {
		o = *opts
	}
	if o.Parallelism <= 0 {
		o.Parallelism = defaultMaintParallelism
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkWritable(snap.state.Protocol, snap.state.Metadata); err != nil {
		return nil, err
	}
	configured := snap.config.DeletedFileRetention()
	retention := configured
	if o.Retention != nil {
		retention = *o.Retention
		if retention < 0 {
			return nil, fmt.Errorf("%w: vacuum retention %s is negative", ErrInvalidArgument, retention)
		}
		if retention < configured && !o.DisableRetentionCheck {
			return nil, fmt.Errorf("%w: retention %s is shorter than %s=%s; files that a running writer or a reader of an older version needs could be deleted (set DisableRetentionCheck, CLI --force, only if nothing else uses the table)",
				ErrRetentionTooShort, retention, protocol.PropDeletedFileRetention, configured)
		}
	}
	v := &vacuum{t: t, snap: snap, cutoff: time.Now().Add(-retention), outside: -1}
	if err := v.collectValid(ctx); err != nil {
		return nil, err
	}
	if o.Lite {
		err = v.candidatesFromLog(ctx)
	} else {
		err = v.candidatesFromListing(ctx)
	}
	if err != nil {
		return nil, err
	}
	slices.SortFunc(v.found, func(a, b vacuumFile) int { return strings.Compare(a.path, b.path) })
	res := &VacuumResult{Cutoff: v.cutoff, StartVersion: -1, EndVersion: -1, NumVacuumedDirectories: int64(len(v.dirs)) + 1}
	for _, f := range v.found {
		res.Files = append(res.Files, f.path)
		res.SizeOfDataToDelete += f.size
	}
	res.NumFilesToDelete = int64(len(v.found))
	if o.DryRun {
		return res, nil
	}

	params := map[string]any{
		"retentionCheckEnabled":  !o.DisableRetentionCheck,
		"defaultRetentionMillis": configured.Milliseconds(),
	}
	if o.Retention != nil {
		params["specifiedRetentionMillis"] = retention.Milliseconds()
	}
	start, err := t.commitVacuumEvent(ctx, "VACUUM START", params, map[string]string{
		"numFilesToDelete":   itoa(res.NumFilesToDelete),
		"sizeOfDataToDelete": itoa(res.SizeOfDataToDelete),
	})
	if err != nil {
		return nil, err
	}
	res.StartVersion = start.Version
	deleted, delErr := v.deleteAll(ctx, o.Parallelism, o.Lite, o.Progress)
	res.NumDeletedFiles = deleted
	if delErr != nil {
		// Spark records the failure too; the deletion error is the one
		// the caller needs.
		_, _ = t.commitVacuumEvent(context.WithoutCancel(ctx), "VACUUM END", map[string]any{"status": "FAILED"}, map[string]string{})
		return nil, delErr
	}
	end, err := t.commitVacuumEvent(ctx, "VACUUM END", map[string]any{"status": "COMPLETED"}, map[string]string{
		"numDeletedFiles":        itoa(deleted),
		"numVacuumedDirectories": itoa(res.NumVacuumedDirectories),
	})
	if err != nil {
		return nil, err
	}
	res.EndVersion = end.Version
	v.saveLastVacuumInfo(ctx)
	return res, nil
}

// commitVacuumEvent commits a commitInfo-only commit, as Spark records
// the start and end of a vacuum.
func (t *Table) commitVacuumEvent(ctx context.Context, op string, params map[string]any, metrics map[string]string) (*CommitResult, error) {
	x, err := t.Begin(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer x.Rollback()
	x.operation = op
	x.opParams = params
	x.maint = &maintInfo{metrics: metrics, isolation: "SnapshotIsolation"}
	res, err := x.Commit(ctx)
	if err != nil {
		return nil, fmt.Errorf("delta: vacuum of %s: record %s: %w", t.name(), op, err)
	}
	return res, nil
}

// vacuum is one run of Vacuum.
type vacuum struct {
	t      *Table
	snap   *Snapshot
	cutoff time.Time
	// valid are the files (relative to the root) the current version or a
	// removal within the retention window references.
	valid map[string]struct{}
	// found are the files to delete; dirs the directories seen.
	found []vacuumFile
	dirs  map[string]struct{}
	// checksums are the hidden ".<name>.crc" files listed: Hadoop's local
	// file system writes one beside each file and deletes it with the
	// file, and so does vacuum.
	checksums map[string]bool
	// outside is the newest version committed before the cutoff, once a
	// LITE vacuum resolved it; -1 before.
	outside int64
}

// vacuumFile is a file to delete.
type vacuumFile struct {
	path string
	size int64
	temp bool // a temporary file, deleted through storage.TempFiles
}

// collectValid gathers the paths the table still references: every live
// file and the files of unexpired removes, with their deletion vectors.
func (v *vacuum) collectValid(ctx context.Context) error {
	v.valid = map[string]struct{}{}
	keep := func(p string, d *protocol.DeletionVector) error {
		if rel, ok := v.t.relativeToRoot(p); ok {
			v.valid[rel] = struct{}{}
		}
		dvPath, onDisk, err := dvFilePath(d)
		if err != nil {
			return err
		}
		if onDisk {
			if rel, ok := v.t.relativeToRoot(dvPath); ok {
				v.valid[rel] = struct{}{}
			}
		}
		return nil
	}
	for f, err := range v.snap.addFiles(ctx) {
		if err != nil {
			return err
		}
		if err := keep(f.Path, f.DeletionVector); err != nil {
			return err
		}
	}
	cutoff := v.cutoff.UnixMilli()
	for r, err := range v.snap.removeFiles(ctx) {
		if err != nil {
			return err
		}
		if r.DeletionTimestamp == nil || *r.DeletionTimestamp < cutoff {
			continue // expired: its file may go
		}
		if err := keep(r.Path, r.DeletionVector); err != nil {
			return err
		}
	}
	return nil
}

// consider adds a file to delete when it is old enough and unreferenced.
func (v *vacuum) consider(p string, size int64, modTime time.Time, temp bool) {
	if !modTime.Before(v.cutoff) {
		return
	}
	if _, ok := v.valid[p]; ok {
		return
	}
	v.found = append(v.found, vacuumFile{path: p, size: size, temp: temp})
}

// candidatesFromListing lists every file under the root (full vacuum).
func (v *vacuum) candidatesFromListing(ctx context.Context) error {
	v.dirs = map[string]struct{}{}
	hidden := v.hiddenRule()
	visible := func(p string) bool {
		for _, name := range strings.Split(strings.TrimSuffix(p, "/"), "/") {
			if hidden(name) {
				return false
			}
		}
		return true
	}
	v.checksums = map[string]bool{}
	for fi, err := range v.t.store.List(ctx, "") {
		if err != nil {
			return fmt.Errorf("delta: vacuum of %s: %w", v.t.name(), err)
		}
		if !visible(fi.Path) {
			if name := path.Base(fi.Path); strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".crc") {
				v.checksums[fi.Path] = true
			}
			continue
		}
		for d := path.Dir(fi.Path); d != "."; d = path.Dir(d) {
			v.dirs[d] = struct{}{}
		}
		v.consider(fi.Path, fi.Size, fi.ModTime, false)
	}
	// Temporary files of killed writers are invisible to List; they are
	// our own, so the hidden-name rule does not protect them, but only
	// those in visible directories are the table's data.
	if tf, ok := v.t.store.(storage.TempFiles); ok {
		for fi, err := range tf.ListTemp(ctx, "", visible) {
			if err != nil {
				return fmt.Errorf("delta: vacuum of %s: %w", v.t.name(), err)
			}
			v.consider(fi.Path, fi.Size, fi.ModTime, true)
		}
		// A writer killed while committing or checkpointing leaves its
		// temporary file in _delta_log. Such a file is never part of the
		// log (it has no log file name and List hides it), so once older
		// than the retention it is removed like the others; nothing else
		// in _delta_log is touched.
		for fi, err := range tf.ListTemp(ctx, logDir, nil) {
			if err != nil {
				return fmt.Errorf("delta: vacuum of %s: %w", v.t.name(), err)
			}
			v.consider(fi.Path, fi.Size, fi.ModTime, true)
		}
	}
	return nil
}

// hiddenRule returns Spark's test for names vacuum ignores: those
// starting with "_" or ".", except partition directories
// ("<column>=…"), _change_data and _delta_index; and "metadata" on
// tables that also keep Iceberg metadata (UniForm).
func (v *vacuum) hiddenRule() func(name string) bool {
	var parts []string
	for _, c := range v.snap.state.Metadata.PartitionColumns {
		parts = append(parts, c+"=")
		if f, _ := v.snap.schema.Field(c); f != nil {
			parts = append(parts, f.PhysicalName(v.snap.mapping)+"=")
		}
	}
	iceberg := strings.Contains(strings.ToLower(v.snap.config["delta.universalFormat.enabledFormats"]), "iceberg")
	return func(name string) bool {
		if iceberg && name == "metadata" {
			return true
		}
		if !strings.HasPrefix(name, "_") && !strings.HasPrefix(name, ".") {
			return false
		}
		if strings.HasPrefix(name, "_change_data") || strings.HasPrefix(name, "_delta_index") {
			return false
		}
		for _, p := range parts {
			if strings.HasPrefix(name, p) {
				return false
			}
		}
		return true
	}
}

// candidatesFromLog finds the files to delete in the commits that left
// the retention window since the last vacuum (LITE): the files and
// deletion vectors their removes name, and their change data files.
func (v *vacuum) candidatesFromLog(ctx context.Context) error {
	v.dirs = map[string]struct{}{}
	outside, err := v.t.versionAsOf(ctx, v.snap, v.cutoff)
	if errors.Is(err, ErrVersionNotFound) {
		return nil // no commit is older than the window: nothing expired
	}
	if err != nil {
		return err
	}
	files, err := v.t.listLog(ctx)
	if err != nil {
		return err
	}
	commits := map[int64]logreplay.LogFile{}
	earliest := int64(-1)
	for _, f := range files {
		if f.Kind == logreplay.KindCommit {
			commits[f.Version] = f
			if earliest < 0 || f.Version < earliest {
				earliest = f.Version
			}
		}
	}
	last, haveLast := v.t.readLastVacuumInfo(ctx)
	if earliest != 0 && (!haveLast || last < earliest) {
		return fmt.Errorf("%w: %s: the commits since the last VACUUM were cleaned up (earliest commit %d); run a full VACUUM",
			ErrVacuumLiteUnavailable, v.t.name(), earliest)
	}
	from := earliest
	if haveLast {
		from = last + 1
	}
	from = min(from, v.snap.Version())
	seen := map[string]bool{}
	add := func(p string, size int64, modTime time.Time) {
		rel, ok := v.t.relativeToRoot(p)
		if !ok || seen[rel] {
			return
		}
		seen[rel] = true
		v.consider(rel, size, modTime, false)
	}
	for ver := from; ver <= outside; ver++ {
		f, ok := commits[ver]
		if !ok {
			return fmt.Errorf("%w: %s: commit %d is missing; run a full VACUUM", ErrVacuumLiteUnavailable, v.t.name(), ver)
		}
		actions, err := v.t.readCommit(ctx, f)
		if err != nil {
			return err
		}
		for _, a := range actions {
			switch {
			case a.Remove != nil:
				var at time.Time
				if ts := a.Remove.DeletionTimestamp; ts != nil {
					at = time.UnixMilli(*ts)
				}
				var size int64
				if a.Remove.Size != nil {
					size = *a.Remove.Size
				}
				if dvPath, onDisk, err := dvFilePath(a.Remove.DeletionVector); err == nil && onDisk {
					add(dvPath, int64(a.Remove.DeletionVector.SizeInBytes), at)
				}
				add(a.Remove.Path, size, at)
			case a.CDC != nil:
				add(a.CDC.Path, a.CDC.Size, time.Time{})
			}
		}
	}
	v.outside = outside
	return nil
}

// deleteAll deletes the files found, a bounded number at a time, and
// returns how many it deleted. In lite mode a file already gone is not
// counted (the log names files long deleted).
func (v *vacuum) deleteAll(ctx context.Context, parallelism int, lite bool, progress func(Progress)) (int64, error) {
	var n atomic.Int64
	counter := newFileCounter(progress, "VACUUM", "delete", len(v.found))
	tf, _ := v.t.store.(storage.TempFiles)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelism)
	for _, f := range v.found {
		g.Go(func() error {
			if f.temp {
				if err := tf.DeleteTemp(gctx, f.path); err != nil {
					return fmt.Errorf("delta: vacuum: delete %s: %w", f.path, err)
				}
				n.Add(1)
				return nil
			}
			if lite {
				if _, err := v.t.store.Stat(gctx, f.path); storage.IsNotExist(err) {
					return nil
				}
			}
			if err := v.t.store.Delete(gctx, f.path); err != nil {
				return fmt.Errorf("delta: vacuum: delete %s: %w", f.path, err)
			}
			n.Add(1)
			counter.add()
			dir, name := path.Split(f.path)
			if crc := dir + "." + name + ".crc"; v.checksums[crc] {
				if err := v.t.store.Delete(gctx, crc); err != nil {
					return fmt.Errorf("delta: vacuum: delete %s: %w", crc, err)
				}
			}
			return nil
		})
	}
	err := g.Wait()
	return n.Load(), err
}

// readLastVacuumInfo returns the version the last vacuum recorded.
func (t *Table) readLastVacuumInfo(ctx context.Context) (int64, bool) {
	data, err := t.store.Get(ctx, lastVacuumInfo)
	if err != nil {
		return 0, false
	}
	var info struct {
		Version *int64 `json:"latestCommitVersionOutsideOfRetentionWindow"`
	}
	if json.Unmarshal(data, &info) != nil || info.Version == nil {
		return 0, false
	}
	return *info.Version, true
}

// saveLastVacuumInfo records the newest version outside the retention
// window, from which the next LITE vacuum starts. Best effort, as in
// Spark: without it a LITE vacuum reads from the log's start.
func (v *vacuum) saveLastVacuumInfo(ctx context.Context) {
	outside := v.outside
	if outside < 0 {
		var err error
		if outside, err = v.t.versionAsOf(ctx, v.snap, v.cutoff); err != nil {
			return
		}
	}
	data, err := json.Marshal(map[string]int64{"latestCommitVersionOutsideOfRetentionWindow": outside})
	if err != nil {
		return
	}
	_ = v.t.store.Put(ctx, lastVacuumInfo, data)
}
