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
	commits, err := t.listCommitTimes(ctx, latest)
	if err != nil {
		return time.Time{}, err
	}
	for i := range commits {
		if commits[i].version == version {
			if err := t.resolveCommitTime(ctx, &commits[i]); err != nil {
				return time.Time{}, err
			}
			return commits[i].ts, nil
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
	// lazy marks an in-commit timestamp not read yet (ts is zero); file
	// is the commit to read it from.
	lazy bool
	file logreplay.LogFile
}

// commitTimes lists every commit file with its effective timestamp,
// ascending by version, reading every in-commit timestamp.
func (t *Table) commitTimes(ctx context.Context, latest *Snapshot) ([]commitTime, error) {
	out, err := t.listCommitTimes(ctx, latest)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := t.resolveCommitTime(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// listCommitTimes is commitTimes reading no commit: file times are set,
// and entries with in-commit timestamps are left lazy, for a lookup that
// bisects to read only the few it compares.
func (t *Table) listCommitTimes(ctx context.Context, latest *Snapshot) ([]commitTime, error) {
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
		if ictOn && c.Version >= ictFrom {
			// In-commit timestamps come after every file-time commit
			// (versions ascend), so prev below never needs them.
			out = append(out, commitTime{version: c.Version, lazy: true, file: c})
			continue
		}
		ts := time.UnixMilli(c.ModTime).UTC()
		if !prev.IsZero() && !ts.After(prev) {
			ts = prev.Add(time.Millisecond)
		}
		prev = ts
		out = append(out, commitTime{version: c.Version, ts: ts})
	}
	return out, nil
}

// resolveCommitTime reads a lazy entry's in-commit timestamp.
func (t *Table) resolveCommitTime(ctx context.Context, c *commitTime) error {
	if !c.lazy {
		return nil
	}
	ts, info, err := t.inCommitTimestamp(ctx, c.file)
	if err != nil {
		return err
	}
	c.ts, c.info, c.lazy = ts, info, false
	return nil
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

// versionAsOf bisects the commit times, reading the in-commit timestamps
// of only the commits the bisection compares: O(log n) commits of a table
// with in-commit timestamps, none before they were enabled.
func (t *Table) versionAsOf(ctx context.Context, latest *Snapshot, ts time.Time) (int64, error) {
	commits, err := t.listCommitTimes(ctx, latest)
	if err != nil {
		return 0, err
	}
	var readErr error
	at := func(i int) time.Time {
		if readErr == nil {
			readErr = t.resolveCommitTime(ctx, &commits[i])
		}
		return commits[i].ts
	}
	v, err := versionAtFunc(commits, at, ictLookupOf(latest), ts)
	if readErr != nil {
		return 0, readErr
	}
	return v, err
}

// ictLookup is what a timestamp lookup must know about in-commit
// timestamps: from which version they exist, and from which time.
type ictLookup struct {
	from      int64
	enabledAt time.Time // zero: no split (ICT off, or on from the start)
}

func ictLookupOf(latest *Snapshot) ictLookup {
	from, on := ictEnablement(latest)
	if !on {
		return ictLookup{}
	}
	at, ok := latest.config[protocol.PropICTEnablementTimestamp]
	if !ok {
		return ictLookup{}
	}
	ms, err := parseMillis(at)
	if err != nil {
		return ictLookup{}
	}
	return ictLookup{from: from, enabledAt: time.UnixMilli(ms)}
}

// window returns the commits [lo, hi) a lookup of ts searches. When
// in-commit timestamps were enabled on an existing table, a time at or
// after the enablement time only searches the versions that carry them,
// and an earlier time only the versions before, as the spec asks: the two
// clocks are not comparable. commits are ascending by version.
func (l ictLookup) window(commits []commitTime, ts time.Time) (lo, hi int) {
	if l.enabledAt.IsZero() {
		return 0, len(commits)
	}
	split := sort.Search(len(commits), func(i int) bool { return commits[i].version >= l.from })
	if ts.Before(l.enabledAt) {
		return 0, split
	}
	return split, len(commits)
}

// lastCommitAtOrBefore returns the index in commits of the last commit at
// or before ts, searching the lookup window by bisection as Spark does;
// lo-1 (possibly -1) when ts precedes the whole window. Commit times are
// strictly increasing by construction for file times and by the spec for
// in-commit timestamps; where a writer broke that, the bisection's answer
// is Spark's answer.
func lastCommitAtOrBefore(commits []commitTime, l ictLookup, ts time.Time) (i, lo, hi int) {
	return lastCommitAtOrBeforeFunc(commits, eagerTimes(commits), l, ts)
}

// lastCommitAtOrBeforeFunc is lastCommitAtOrBefore with commit i's time
// given by at, which may read it on demand.
func lastCommitAtOrBeforeFunc(commits []commitTime, at func(int) time.Time, l ictLookup, ts time.Time) (i, lo, hi int) {
	lo, hi = l.window(commits, ts)
	i = lo + sort.Search(hi-lo, func(k int) bool { return at(lo + k).After(ts) }) - 1
	return i, lo, hi
}

func eagerTimes(commits []commitTime) func(int) time.Time {
	return func(i int) time.Time { return commits[i].ts }
}

// versionAt returns the version current at ts: the last commit at or
// before it (time travel, and the end of a change feed). A time after the
// latest commit gives the latest version; one before the earliest commit
// is ErrVersionNotFound.
func versionAt(commits []commitTime, l ictLookup, ts time.Time) (int64, error) {
	return versionAtFunc(commits, eagerTimes(commits), l, ts)
}

func versionAtFunc(commits []commitTime, at func(int) time.Time, l ictLookup, ts time.Time) (int64, error) {
	i, lo, hi := lastCommitAtOrBeforeFunc(commits, at, l, ts)
	if i < lo {
		earliest := "none"
		if lo < hi {
			earliest = at(lo).Format(time.RFC3339Nano)
		}
		return 0, fmt.Errorf("%w: no version committed at or before %s (earliest commit: %s)", ErrVersionNotFound, ts.Format(time.RFC3339Nano), earliest)
	}
	return commits[i].version, nil
}

// firstVersionFrom returns the first version committed at or after ts (the
// start of a change feed, Spark's startingTimestamp). A time before the
// earliest commit gives the earliest version; one after the latest commit
// is ErrVersionNotFound, as in Spark without its allow-out-of-range option.
func firstVersionFrom(commits []commitTime, l ictLookup, ts time.Time) (int64, error) {
	i, lo, _ := lastCommitAtOrBefore(commits, l, ts)
	if i >= lo && commits[i].ts.Equal(ts) {
		return commits[i].version, nil
	}
	if i+1 < len(commits) {
		return commits[i+1].version, nil
	}
	if len(commits) == 0 {
		return 0, fmt.Errorf("%w: no commits", ErrVersionNotFound)
	}
	last := commits[len(commits)-1]
	return 0, fmt.Errorf("%w: %s is after the latest commit (version %d at %s)", ErrVersionNotFound,
		ts.Format(time.RFC3339Nano), last.version, last.ts.Format(time.RFC3339Nano))
}

func parseMillis(s string) (int64, error) {
	var ms int64
	_, err := fmt.Sscanf(s, "%d", &ms)
	return ms, err
}
