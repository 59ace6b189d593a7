package delta

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"path"
	"slices"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/checkpoint"
	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Snapshot returns the latest snapshot of the table.
func (t *Table) Snapshot(ctx context.Context) (*Snapshot, error) {
	return t.loadSnapshot(ctx, -1)
}

// SnapshotAt returns the snapshot at version. It fails with
// ErrVersionNotFound when the version does not exist or its log was
// cleaned up.
func (t *Table) SnapshotAt(ctx context.Context, version int64) (*Snapshot, error) {
	if version < 0 {
		return nil, fmt.Errorf("%w: version %d", ErrVersionNotFound, version)
	}
	return t.loadSnapshot(ctx, version)
}

func (t *Table) loadSnapshot(ctx context.Context, version int64) (*Snapshot, error) {
	seg, err := t.segment(ctx, version)
	if err != nil {
		return nil, err
	}
	if version < 0 {
		if prev := t.latest.Load(); prev != nil {
			if s, ok := t.extend(ctx, prev, seg); ok {
				t.remember(s)
				return s, nil
			}
		}
	}
	s, err := t.replay(ctx, seg)
	if err != nil {
		if s, ferr := t.fallBackFromCheckpoint(ctx, seg, err); ferr == nil {
			return s, nil
		}
		return nil, wrapf(classify(err), "%s version %d", t.name(), seg.Version)
	}
	if version < 0 {
		t.remember(s)
	}
	return s, nil
}

// remember keeps s as the latest snapshot unless a newer one is kept.
func (t *Table) remember(s *Snapshot) {
	for {
		prev := t.latest.Load()
		if prev != nil && prev.Version() >= s.Version() {
			return
		}
		if t.latest.CompareAndSwap(prev, s) {
			return
		}
	}
}

// extend builds the snapshot of seg from prev, a snapshot of an earlier
// segment of the same checkpoint, by replaying only the commits after
// prev's: the new commits first, then what prev's commits decided. It
// reports false when seg does not continue prev's segment (a new
// checkpoint, or a log that changed under it) or a new commit cannot be
// read; the caller then loads seg in full, which reports any error.
func (t *Table) extend(ctx context.Context, prev *Snapshot, seg *logreplay.Segment) (*Snapshot, bool) {
	p := prev.segment
	if seg.CheckpointVersion != p.CheckpointVersion || len(seg.Checkpoint) != len(p.Checkpoint) ||
		seg.Version < p.Version || len(seg.Deltas) < len(p.Deltas) {
		return nil, false
	}
	for i := range p.Checkpoint {
		if seg.Checkpoint[i].Path != p.Checkpoint[i].Path {
			return nil, false
		}
	}
	for i := range p.Deltas {
		if seg.Deltas[i].Path != p.Deltas[i].Path || seg.Deltas[i].Size != p.Deltas[i].Size {
			return nil, false
		}
	}
	if seg.Version == p.Version {
		return prev, true
	}
	state := logreplay.NewState()
	var commitInfo protocol.CommitInfo
	err := t.readCommitsNewestFirst(ctx, seg.Deltas[len(p.Deltas):], func(f logreplay.LogFile, actions []protocol.Action) {
		if f.Kind == logreplay.KindCommit && f.Version == seg.Version {
			commitInfo = findCommitInfo(actions)
		}
		state.ApplyCommit(actions)
	})
	if err != nil {
		return nil, false
	}
	state.ApplyState(prev.state)
	s := &Snapshot{table: t, segment: seg, state: state, commitInfo: commitInfo,
		sidecars: prev.sidecars, jsonCheckpointAdds: prev.jsonCheckpointAdds}
	if err := s.init(); err != nil {
		return nil, false
	}
	return s, true
}

// checkpointError marks a failure to read a segment's checkpoint (as
// opposed to its commits), which an older checkpoint can work around.
type checkpointError struct{ err error }

func (e *checkpointError) Error() string { return e.err.Error() }
func (e *checkpointError) Unwrap() error { return e.err }

// fallBackFromCheckpoint rebuilds the snapshot of seg without its
// checkpoint when that checkpoint could not be read (cause): from the
// newest older checkpoint plus the commits after it, or from the commits
// alone back to version 0, as Spark does. Each skipped checkpoint is
// logged as a warning. It fails, and the caller reports cause, when the
// commits such a replay needs are gone.
func (t *Table) fallBackFromCheckpoint(ctx context.Context, seg *logreplay.Segment, cause error) (*Snapshot, error) {
	var files []logreplay.LogFile
	for err := cause; ; {
		var cpErr *checkpointError
		if !errors.As(err, &cpErr) || seg.CheckpointVersion < 0 || ctx.Err() != nil {
			return nil, err
		}
		if files == nil {
			var lerr error
			if files, lerr = t.listLog(ctx); lerr != nil {
				return nil, lerr
			}
		}
		bad := seg.CheckpointVersion
		files = slices.DeleteFunc(files, func(f logreplay.LogFile) bool {
			return f.Version >= bad && f.IsCheckpoint()
		})
		older, serr := logreplay.BuildSegment(files, seg.Version)
		if serr != nil {
			return nil, serr
		}
		from := "the commits from version 0"
		if older.CheckpointVersion >= 0 {
			from = fmt.Sprintf("the checkpoint of version %d and the commits after it", older.CheckpointVersion)
		}
		t.opts.Logger.WarnContext(ctx, "delta: checkpoint unreadable; reading "+from+" instead",
			"table", t.name(), "version", seg.Version, "checkpoint", bad, "error", err.Error())
		s, rerr := t.replay(ctx, older)
		if rerr == nil {
			return s, nil
		}
		seg, err = older, rerr
	}
}

// segment lists the log and chooses the files of one snapshot. For the
// latest version, _last_checkpoint narrows the listing; it is only a hint,
// so any problem with it (corrupt, stale, pointing at a missing
// checkpoint) is logged as a warning and the log is listed in full. The
// next checkpoint write replaces a hint in any of these states.
func (t *Table) segment(ctx context.Context, version int64) (*logreplay.Segment, error) {
	if version < 0 {
		if hint, ok := t.lastCheckpointHint(ctx); ok {
			files, err := t.listLogFrom(ctx, hint)
			if err != nil && ctx.Err() != nil {
				return nil, err
			}
			if err == nil {
				seg, serr := logreplay.BuildSegment(files, -1)
				switch {
				case serr == nil && seg.CheckpointVersion == hint:
					return seg, nil
				case serr == nil && seg.CheckpointVersion > hint:
					// A writer checkpointed and did not update the hint
					// (it died, or lost a race). The newer checkpoint is
					// listed from the hint onwards, so the segment holds.
					t.opts.Logger.WarnContext(ctx, "delta: _last_checkpoint is stale: a newer checkpoint exists",
						"table", t.name(), "hint", hint, "checkpoint", seg.CheckpointVersion)
					return seg, nil
				default:
					t.opts.Logger.WarnContext(ctx, "delta: _last_checkpoint names a checkpoint that is missing or incomplete; listing the whole log",
						"table", t.name(), "hint", hint)
				}
			}
		}
	}
	files, err := t.listLog(ctx)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: %s has no %s directory", ErrNotATable, t.name(), strings.TrimSuffix(logDir, "/"))
	}
	seg, err := logreplay.BuildSegment(files, version)
	if err != nil {
		return nil, wrapf(classify(err), "%s", t.name())
	}
	return seg, nil
}

// lastCheckpointHint reads _last_checkpoint. A missing file is the
// ordinary state of a table without checkpoints; an unreadable one is
// logged, and both give no hint.
func (t *Table) lastCheckpointHint(ctx context.Context) (int64, bool) {
	data, err := t.store.Get(ctx, logDir+"_last_checkpoint")
	if err != nil {
		if !storage.IsNotExist(err) && ctx.Err() == nil {
			t.opts.Logger.WarnContext(ctx, "delta: _last_checkpoint unreadable; listing the whole log", "table", t.name(), "error", err.Error())
		}
		return 0, false
	}
	lc, err := checkpoint.ParseLastCheckpoint(data)
	if err != nil {
		t.opts.Logger.WarnContext(ctx, "delta: _last_checkpoint is corrupt; listing the whole log", "table", t.name(), "error", err.Error())
		return 0, false
	}
	return lc.Version, true
}

// listLog lists every file directly inside _delta_log.
func (t *Table) listLog(ctx context.Context) ([]logreplay.LogFile, error) {
	return t.listLogPrefix(ctx, logDir, nil)
}

// listLogFrom lists the log files of version and later (on object stores,
// from the 10,000-version block holding version: listed block by block),
// so a table with a long history is not listed whole.
func (t *Table) listLogFrom(ctx context.Context, version int64) ([]logreplay.LogFile, error) {
	const block = 10000
	if storage.ListsWholeDirectory(t.store) {
		// On local disk each prefix listing reads the whole directory:
		// read it once, skipping (before their metadata is read) the
		// files of versions before the one asked for.
		all, err := t.listLogEntries(ctx, storage.ListFrom(ctx, t.store, logDir, logDir+logreplay.VersionPrefix(version, 20)), nil)
		if err != nil {
			return nil, err
		}
		files := all[:0]
		for _, f := range all {
			if len(f.Name) >= 20 && allDigits(f.Name[:20]) {
				files = append(files, f)
			}
		}
		return files, nil
	}
	var files []logreplay.LogFile
	for b := version / block; ; b++ {
		before := len(files)
		var err error
		files, err = t.listLogPrefix(ctx, logDir+logreplay.VersionPrefix(b*block, 16), files)
		if err != nil {
			return nil, err
		}
		full := false
		for _, f := range files[before:] {
			if f.Kind == logreplay.KindCommit && f.Version == b*block+block-1 {
				full = true
			}
		}
		if !full {
			return files, nil
		}
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func (t *Table) listLogPrefix(ctx context.Context, prefix string, acc []logreplay.LogFile) ([]logreplay.LogFile, error) {
	return t.listLogEntries(ctx, t.store.List(ctx, prefix), acc)
}

func (t *Table) listLogEntries(ctx context.Context, list iter.Seq2[storage.FileInfo, error], acc []logreplay.LogFile) ([]logreplay.LogFile, error) {
	for fi, err := range list {
		if err != nil {
			return nil, fmt.Errorf("delta: list %s%s: %w", t.name(), logDir, err)
		}
		rel := strings.TrimPrefix(fi.Path, logDir)
		if strings.Contains(rel, "/") {
			continue // _sidecars/, _commits/, _staged_commits/
		}
		f := logreplay.ParseFileName(rel)
		f.Path, f.Size, f.ModTime = fi.Path, fi.Size, fi.ModTime.UnixMilli()
		acc = append(acc, f)
	}
	return acc, nil
}

// readCommit reads and parses one commit or compaction file, and checks
// that a commit follows the spec's rules for one version (a violation is
// ErrCorruptLog naming the file). A file no
// longer than the line limit is read whole (it cannot hold a longer
// line); a larger one is streamed, holding one line at a time, so an
// oversize line fails with ErrLimitExceeded instead of being allocated.
func (t *Table) readCommit(ctx context.Context, f logreplay.LogFile) ([]protocol.Action, error) {
	maxLine := effective(t.opts.Limits.MaxLogLineBytes)
	var actions []protocol.Action
	var err error
	if maxLine == 0 || (f.Size > 0 && f.Size <= maxLine) {
		var data []byte
		if data, err = t.store.Get(ctx, f.Path); err == nil {
			actions, err = checkpoint.ParseJSON(data)
		}
	} else {
		var r storage.ReaderAt
		if r, err = t.store.Open(ctx, f.Path); err == nil {
			actions, err = checkpoint.ReadJSON(r, maxLine)
			_ = r.Close()
		}
	}
	if err == nil && f.Kind == logreplay.KindCommit {
		err = protocol.CheckCommit(actions)
	}
	switch {
	case err == nil:
		return actions, nil
	case storage.IsNotExist(err):
		return nil, corrupt("%s disappeared while reading (concurrent cleanup?)", f.Name)
	case errors.Is(err, protocol.ErrMalformed):
		return nil, corrupt("%s: %v", f.Name, err)
	}
	if lerr := limitFromInternal(err, f.Name); lerr != err {
		return nil, lerr
	}
	return nil, fmt.Errorf("delta: read %s: %w", f.Name, err)
}

// replay reads the segment's deltas newest first, then the checkpoint's
// non-file actions, and builds the snapshot. File actions of the checkpoint
// are not read here: Files streams them on demand.
func (t *Table) replay(ctx context.Context, seg *logreplay.Segment) (*Snapshot, error) {
	state := logreplay.NewState()
	var commitInfo protocol.CommitInfo
	err := t.readCommitsNewestFirst(ctx, seg.Deltas, func(f logreplay.LogFile, actions []protocol.Action) {
		if f.Kind == logreplay.KindCommit && f.Version == seg.Version {
			commitInfo = findCommitInfo(actions)
		}
		state.ApplyCommit(actions)
	})
	if err != nil {
		return nil, err
	}
	s := &Snapshot{table: t, segment: seg, state: state, commitInfo: commitInfo}
	if len(seg.Checkpoint) > 0 {
		if err := s.readCheckpointState(ctx); err != nil {
			return nil, &checkpointError{err: err}
		}
	}
	if err := s.init(); err != nil {
		return nil, err
	}
	return s, nil
}

// readCheckpointState reads protocol, metadata, txn and domain actions of
// the checkpoint, and the sidecar list of a V2 checkpoint. The parts of a
// multi-part checkpoint are read concurrently and applied in order.
func (s *Snapshot) readCheckpointState(ctx context.Context) error {
	files := make([]checkpointRead, len(s.segment.Checkpoint))
	for i, f := range s.segment.Checkpoint {
		files[i] = checkpointRead{path: f.Path, size: f.Size, bytes: f.Size}
	}
	return s.table.readCheckpointFiles(ctx, files, checkpoint.StateColumns, func(p string, actions []protocol.Action) error {
		for i := range actions {
			a := &actions[i]
			switch {
			case a.Sidecar != nil:
				s.sidecars = append(s.sidecars, *a.Sidecar)
			case a.CheckpointMetadata != nil:
				if a.CheckpointMetadata.Version != s.segment.CheckpointVersion {
					return corrupt("checkpoint %s says version %d", path.Base(p), a.CheckpointMetadata.Version)
				}
			case a.Add != nil && strings.HasSuffix(p, ".json"):
				s.jsonCheckpointAdds = append(s.jsonCheckpointAdds, a.Add)
			default:
				s.state.ApplyCheckpointNonFile(a)
			}
		}
		return nil
	})
}

// readCheckpointFile streams the actions of one checkpoint file (parquet
// or JSON) restricted to the given top-level columns.
//
// size, when above 0, is the file's size as the log listing reported it:
// on an object store the file is then opened without asking for it.
func (t *Table) readCheckpointFile(ctx context.Context, p string, size int64, columns []string, fn func([]protocol.Action) error) error {
	if strings.HasSuffix(p, ".json") {
		r, err := t.store.Open(ctx, p)
		if err != nil {
			return fmt.Errorf("delta: read checkpoint %s: %w", path.Base(p), err)
		}
		actions, err := checkpoint.ReadJSON(r, effective(t.opts.Limits.MaxLogLineBytes))
		_ = r.Close()
		if lerr := limitFromInternal(err, path.Base(p)); lerr != err {
			return lerr
		}
		if err != nil {
			return corrupt("checkpoint %s: %v", path.Base(p), err)
		}
		return fn(actions)
	}
	r, err := storage.OpenSized(ctx, t.store, p, size)
	if err != nil {
		if storage.IsNotExist(err) {
			return corrupt("checkpoint file %s is missing", path.Base(p))
		}
		return fmt.Errorf("delta: open checkpoint %s: %w", path.Base(p), err)
	}
	defer r.Close()
	if err := checkpoint.CheckFooter(r, effective(t.opts.Limits.MaxCheckpointFooterBytes)); err != nil {
		if storage.IsNotExist(err) { // a sized open finds out here
			return corrupt("checkpoint file %s is missing", path.Base(p))
		}
		if lerr := limitFromInternal(err, path.Base(p)); lerr != err {
			return lerr
		}
		return fmt.Errorf("delta: read checkpoint %s: %w", path.Base(p), err)
	}
	if err := checkpoint.ReadParquet(ctx, r, columns, t.opts.Allocator, fn); err != nil {
		return wrapf(classify(err), "checkpoint %s", path.Base(p))
	}
	return nil
}

// sidecarPath resolves a sidecar action's (decoded) path to a path in the
// table's store. Sidecars live in _delta_log/_sidecars and the action
// usually stores just the file name; a relative path is taken inside that
// directory, and an absolute one must name a file in this table's
// _delta_log/_sidecars. Anything else, in particular a path that climbs
// out, is ErrOutsideRoot: AllowedRoots does not apply to sidecars.
func (t *Table) sidecarPath(p string) (string, error) {
	const dir = logDir + "_sidecars/"
	var rel string
	if isAbsolutePath(p) {
		abs := normalizeLocation(p)
		r, ok := strings.CutPrefix(abs, t.rootLocation()+"/")
		if !ok || !strings.HasPrefix(r, dir) {
			return "", t.outsideErr(p)
		}
		rel = r
	} else {
		if slices.Contains(strings.Split(p, "/"), "..") {
			return "", t.outsideErr(p)
		}
		rel = path.Clean(p)
		if !strings.HasPrefix(rel, dir) {
			rel = path.Clean(dir + rel)
		}
		if !strings.HasPrefix(rel, dir) {
			return "", t.outsideErr(p)
		}
	}
	if err := t.checkLinks(t.rootLocation(), rel, p); err != nil {
		return "", err
	}
	return rel, nil
}

// findCommitInfo returns the commit's commitInfo action, nil without one.
func findCommitInfo(actions []protocol.Action) protocol.CommitInfo {
	for _, a := range actions {
		if a.CommitInfo != nil {
			return a.CommitInfo
		}
	}
	return nil
}
