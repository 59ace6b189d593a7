package delta

import (
	"context"
	"maps"
	"sort"
	"time"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
)

// HistoryOptions limit History. A nil *HistoryOptions means every version.
type HistoryOptions struct {
	// Limit is the number of most recent versions to return; 0 means all.
	Limit int
}

// HistoryEntry is the provenance of one version.
type HistoryEntry struct {
	Version   int64
	Timestamp time.Time // in-commit timestamp, else commit-file time
	// CommitInfo is every field the writer recorded (operation,
	// operationParameters, operationMetrics, engineInfo, …); nil when the
	// commit recorded none.
	CommitInfo CommitInfo
}

// Operation returns the commit's operation name ("WRITE", "MERGE", …).
func (h HistoryEntry) Operation() string { return h.CommitInfo.Operation() }

// History returns the provenance of the table's versions, newest first.
// Versions whose commit files were cleaned up are not listed.
func (t *Table) History(ctx context.Context, opts *HistoryOptions) ([]HistoryEntry, error) {
	latest, err := t.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	times, err := t.commitTimes(ctx, latest)
	if err != nil {
		return nil, err
	}
	sort.Slice(times, func(i, j int) bool { return times[i].version > times[j].version })
	if opts != nil && opts.Limit > 0 && len(times) > opts.Limit {
		times = times[:opts.Limit]
	}
	out := make([]HistoryEntry, 0, len(times))
	for _, ct := range times {
		e := HistoryEntry{Version: ct.version, Timestamp: ct.ts, CommitInfo: CommitInfo(maps.Clone(ct.info))}
		if ct.info == nil {
			f := logreplay.LogFile{Path: logDir + logreplay.CommitName(ct.version), Name: logreplay.CommitName(ct.version), Version: ct.version, Kind: logreplay.KindCommit}
			actions, err := t.readCommit(ctx, f)
			if err != nil {
				return nil, wrapf(err, "history of %s", t.name())
			}
			for _, a := range actions {
				if a.CommitInfo != nil {
					e.CommitInfo = CommitInfo(maps.Clone(a.CommitInfo))
					break
				}
			}
		}
		out = append(out, e)
	}
	return out, nil
}
