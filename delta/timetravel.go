package delta

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// SnapshotAsOf returns the snapshot of the latest version committed at or
// before ts.
//
// Commit times are in-commit timestamps for versions written with that
// feature on, and commit-file modification times otherwise, made strictly
// increasing as Spark does (a commit that appears older than its
// predecessor counts as 1 ms after it). Following the spec, a time at or
// after delta.inCommitTimestampEnablementTimestamp only considers versions
// from delta.inCommitTimestampEnablementVersion on, and an earlier time only
// the versions before it. A time before the earliest recoverable version is
// ErrVersionNotFound; a time after the latest commit gives the latest
// version, as delta-rs does.
func (t *Table) SnapshotAsOf(ctx context.Context, ts time.Time) (*Snapshot, error) {
	latest, err := t.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	v, err := t.versionAsOf(ctx, latest, ts)
	if err != nil {
		return nil, err
	}
	if v == latest.Version() {
		return latest, nil
	}
	return t.SnapshotAt(ctx, v)
}

// CommitTimestamp returns the commit time of one version, by the rules of
// SnapshotAsOf.
func (t *Table) CommitTimestamp(ctx context.Context, version int64) (time.Time, error) {
	latest, err := t.Snapshot(ctx)
	if err != nil {
		return time.Time{}, err
	}
	commits, err := t.commitTimes(ctx, latest)
	if err != nil {
		return time.Time{}, err
	}
	for _, c := range commits {
		if c.version == version {
			return c.ts, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: version %d has no commit file", ErrVersionNotFound, version)
}

type commitTime struct {
	version int64
	ts      time.Time
	// info is the commit's commitInfo when finding ts meant reading the
	// commit (in-commit timestamps), so History need not read it again.
	info protocol.CommitInfo
}

// commitTimes lists every commit file with its effective timestamp,
// ascending by version.
func (t *Table) commitTimes(ctx context.Context, latest *Snapshot) ([]commitTime, error) {
	files, err := t.listLog(ctx)
	if err != nil {
		return nil, err
	}
	var commits []logreplay.LogFile
	for _, f := range files {
		if f.Kind == logreplay.KindCommit && f.Version <= latest.Version() {
			commits = append(commits, f)
		}
	}
	sort.Slice(commits, func(i, j int) bool { return commits[i].Version < commits[j].Version })

	ictFrom, ictOn := ictEnablement(latest)
	out := make([]commitTime, 0, len(commits))
	var prev time.Time
	for _, c := range commits {
		var ts time.Time
		var info protocol.CommitInfo
		if ictOn && c.Version >= ictFrom {
			ict, ci, err := t.inCommitTimestamp(ctx, c)
			if err != nil {
				return nil, err
			}
			ts, info = ict, ci
		} else {
			ts = time.UnixMilli(c.ModTime).UTC()
			if !prev.IsZero() && !ts.After(prev) {
				ts = prev.Add(time.Millisecond)
			}
		}
		prev = ts
		out = append(out, commitTime{version: c.Version, ts: ts, info: info})
	}
	return out, nil
}

// ictEnablement returns the first version carrying in-commit timestamps.
func ictEnablement(s *Snapshot) (from int64, on bool) {
	if !s.config.Bool(protocol.PropEnableICT, false) {
		return 0, false
	}
	return s.config.Int(protocol.PropICTEnablementVersion, 0), true
}

func (t *Table) inCommitTimestamp(ctx context.Context, f logreplay.LogFile) (time.Time, protocol.CommitInfo, error) {
	actions, err := t.readCommit(ctx, f)
	if err != nil {
		return time.Time{}, nil, err
	}
	for _, a := range actions {
		if a.CommitInfo != nil {
			if ts, ok := a.CommitInfo.InCommitTimestamp(); ok {
				return ts, a.CommitInfo, nil
			}
		}
	}
	return time.Time{}, nil, corrupt("commit %d has no inCommitTimestamp although in-commit timestamps are enabled", f.Version)
}

func (t *Table) versionAsOf(ctx context.Context, latest *Snapshot, ts time.Time) (int64, error) {
	commits, err := t.commitTimes(ctx, latest)
	if err != nil {
		return 0, err
	}
	if ictFrom, on := ictEnablement(latest); on {
		if enabledAt, ok := latest.config[protocol.PropICTEnablementTimestamp]; ok {
			ms, err := parseMillis(enabledAt)
			if err == nil {
				keep := commits[:0:0]
				for _, c := range commits {
					if (!ts.Before(time.UnixMilli(ms))) == (c.version >= ictFrom) {
						keep = append(keep, c)
					}
				}
				commits = keep
			}
		}
	}
	// Only versions that can still be reconstructed count.
	idx := sort.Search(len(commits), func(i int) bool { return commits[i].ts.After(ts) }) - 1
	if idx < 0 {
		earliest := "none"
		if len(commits) > 0 {
			earliest = commits[0].ts.Format(time.RFC3339Nano)
		}
		return 0, fmt.Errorf("%w: no version committed at or before %s (earliest commit: %s)", ErrVersionNotFound, ts.Format(time.RFC3339Nano), earliest)
	}
	return commits[idx].version, nil
}

func parseMillis(s string) (int64, error) {
	var ms int64
	_, err := fmt.Sscanf(s, "%d", &ms)
	return ms, err
}
