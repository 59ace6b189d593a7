package delta

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// ExpiredLogFiles lists the log files (relative to the table root) that
// log cleanup would delete now: commits and checkpoints older than
// delta.logRetentionDuration that precede the newest checkpoint inside
// that window, as the cleanup after a checkpoint selects them. It deletes
// nothing.
func (t *Table) ExpiredLogFiles(ctx context.Context) ([]string, error) {
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	files, err := t.listLog(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range expiredLogFiles(files, snap.config, time.Now()) {
		out = append(out, f.Path)
	}
	return out, nil
}

// CleanupLog deletes the expired log files ExpiredLogFiles lists (and V2
// checkpoint sidecars no remaining checkpoint uses), which a checkpoint
// written by a commit does on its own; it is for tables whose writers
// never clean up. Every version it leaves a commit for stays readable.
func (t *Table) CleanupLog(ctx context.Context) error {
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return err
	}
	return t.cleanupLog(ctx, snap)
}

// cleanupLog deletes the log files expiredLogFiles selects, after a
// checkpoint of snap. The configuration is snap's: the version just
// checkpointed says whether cleanup is on and what the retention is.
func (t *Table) cleanupLog(ctx context.Context, snap *Snapshot) error {
	files, err := t.listLog(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	expired := expiredLogFiles(files, snap.config, now)
	for _, f := range expired {
		if err := t.store.Delete(ctx, f.Path); err != nil && !storage.IsNotExist(err) {
			return fmt.Errorf("delta: log cleanup: %w", err)
		}
	}
	return t.cleanupSidecars(ctx, files, expired, snap.config, now)
}

// cleanupSidecars deletes V2 checkpoint sidecars that no remaining
// checkpoint references once they are older than the log retention: the
// checkpoints that used them are gone. Tables without V2 checkpoints are
// not listed at all.
func (t *Table) cleanupSidecars(ctx context.Context, files, deleted []logreplay.LogFile, cfg protocol.Config, now time.Time) error {
	gone := map[string]bool{}
	for _, f := range deleted {
		gone[f.Path] = true
	}
	referenced := map[string]bool{}
	hadV2 := false
	for _, f := range files {
		if f.Kind != logreplay.KindV2Checkpoint {
			continue
		}
		hadV2 = true
		if gone[f.Path] {
			continue
		}
		err := t.readCheckpointFile(ctx, f.Path, f.Size, []string{"sidecar"}, func(actions []protocol.Action) error {
			for _, a := range actions {
				if a.Sidecar == nil {
					continue
				}
				// A sidecar outside _delta_log/_sidecars is not one
				// cleanup could delete: nothing to keep.
				if p, err := protocol.DecodePath(a.Sidecar.Path); err == nil {
					if rel, err := t.sidecarPath(p); err == nil {
						referenced[path.Base(rel)] = true
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if !hadV2 || len(deleted) == 0 {
		return nil
	}
	var sidecars []sidecarFile
	for fi, err := range t.store.List(ctx, logDir+"_sidecars/") {
		if err != nil {
			return fmt.Errorf("delta: log cleanup: list sidecars: %w", err)
		}
		sidecars = append(sidecars, sidecarFile{path: fi.Path, modTime: fi.ModTime})
	}
	for _, p := range expiredSidecars(sidecars, referenced, now.Add(-cfg.LogRetention())) {
		if err := t.store.Delete(ctx, p); err != nil && !storage.IsNotExist(err) {
			return fmt.Errorf("delta: log cleanup: %w", err)
		}
	}
	return nil
}

// sidecarFile is one listed file of _delta_log/_sidecars.
type sidecarFile struct {
	path    string
	modTime time.Time
}

// expiredSidecars chooses the sidecars to delete: not referenced by any
// remaining checkpoint (by file name) and last modified before cutoff, so
// that a sidecar of a checkpoint being written right now is never taken.
func expiredSidecars(files []sidecarFile, referenced map[string]bool, cutoff time.Time) []string {
	var out []string
	for _, f := range files {
		if !referenced[path.Base(f.path)] && f.modTime.Before(cutoff) {
			out = append(out, f.path)
		}
	}
	return out
}

// expiredLogFiles chooses the log files cleanup may delete from a listing
// of _delta_log (any order), so that every version it leaves a commit for
// stays reconstructable:
//
//   - nothing when delta.enableExpiredLogCleanup is false;
//   - only files older than delta.logRetentionDuration, and of those only
//     the leading run in version order: the first file modified after the
//     cutoff ends it, so a clock that went backwards cannot punch a hole
//     in the log;
//   - of that run, only commits, checkpoints, checksums and compactions
//     (ending) strictly below the boundary, the newest complete checkpoint
//     inside the run. The boundary checkpoint itself and every commit after
//     it stay, so no checkpoint means nothing is deleted, and a checkpoint
//     newer than the cutoff is never the boundary (the versions between an
//     older checkpoint and it are still within retention).
//
// Other files (_last_checkpoint, temporary files) are never selected.
func expiredLogFiles(files []logreplay.LogFile, cfg protocol.Config, now time.Time) []logreplay.LogFile {
	if !cfg.Bool(protocol.PropEnableExpiredLogCleanup, true) {
		return nil
	}
	cutoff := now.Add(-cfg.LogRetention()).UnixMilli()
	logFiles := make([]logreplay.LogFile, 0, len(files))
	for _, f := range files {
		if f.Kind != logreplay.KindOther {
			logFiles = append(logFiles, f)
		}
	}
	// Zero-padded versions make name order version order.
	slices.SortFunc(logFiles, func(a, b logreplay.LogFile) int { return strings.Compare(a.Name, b.Name) })
	n := 0
	for n < len(logFiles) && logFiles[n].ModTime <= cutoff {
		n++
	}
	expired := logFiles[:n]

	checkpoints := map[int64][]logreplay.LogFile{}
	for _, f := range expired {
		if f.IsCheckpoint() {
			checkpoints[f.Version] = append(checkpoints[f.Version], f)
		}
	}
	boundary := int64(-1)
	for v, cp := range checkpoints {
		// A checkpoint's own files make a segment for its version only
		// when they are complete (every part of a multi-part one).
		if v > boundary {
			if seg, err := logreplay.BuildSegment(cp, v); err == nil && seg.CheckpointVersion == v {
				boundary = v
			}
		}
	}
	var out []logreplay.LogFile
	for _, f := range expired {
		last := f.Version
		if f.Kind == logreplay.KindCompaction {
			last = f.EndVersion
		}
		if last < boundary {
			out = append(out, f)
		}
	}
	return out
}
