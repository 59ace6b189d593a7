package optimize

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Deciding what a table needs is pure: Decide turns the TableStats that
// Maintain gathered and a resolved Policy into one Decision per action,
// chosen or skipped, each with the reason in words. Nothing here touches
// storage, so the rules are tested table-driven on hand-made stats.

// Action is one kind of maintenance Maintain can run.
type Action string

// The actions, in the order Maintain runs them: deleted rows go first so
// that the compaction after them packs the purged files too; the log is
// checkpointed after the rewrites committed; VACUUM comes last, since it
// only ever deletes files older than the retention.
const (
	ActionPurge      Action = "purge"       // REORG … APPLY (PURGE): drop rows deletion vectors mark deleted
	ActionCompact    Action = "compact"     // OPTIMIZE: bin-pack small files
	ActionCluster    Action = "cluster"     // OPTIMIZE on a clustered table: Hilbert-cluster new files
	ActionZOrder     Action = "zorder"      // OPTIMIZE ZORDER BY the table's Z-order columns
	ActionCheckpoint Action = "checkpoint"  // write a checkpoint of the latest version
	ActionLogCleanup Action = "log-cleanup" // delete expired commits and checkpoints
	ActionVacuum     Action = "vacuum"      // VACUUM files removed longer than the retention ago
)

// Actions lists every action in the order Maintain considers them.
var Actions = []Action{ActionPurge, ActionCompact, ActionCluster, ActionZOrder, ActionCheckpoint, ActionLogCleanup, ActionVacuum}

// SizeBuckets are the upper bounds (exclusive) of the file size histogram
// buckets of PartitionStats.Histogram; the last bucket holds the rest.
var SizeBuckets = []int64{1 << 20, 8 << 20, 32 << 20, 128 << 20, 512 << 20, 1 << 30}

// sizeBucket returns the histogram bucket of a file size.
func sizeBucket(size int64) int {
	for i, b := range SizeBuckets {
		if size < b {
			return i
		}
	}
	return len(SizeBuckets)
}

// BucketLabel names histogram bucket i ("<1MiB", "1MiB-8MiB", …, ">=1GiB").
func BucketLabel(i int) string {
	switch {
	case i == 0:
		return "<" + shortBytes(SizeBuckets[0])
	case i >= len(SizeBuckets):
		return ">=" + shortBytes(SizeBuckets[len(SizeBuckets)-1])
	}
	return shortBytes(SizeBuckets[i-1]) + "-" + shortBytes(SizeBuckets[i])
}

func shortBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%dGiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

// PartitionStats describe the live files of one partition ("" for an
// unpartitioned table).
type PartitionStats struct {
	// Partition is "col=value/…" in partition column order.
	Partition string `json:"partition"`
	NumFiles  int64  `json:"numFiles"`
	Bytes     int64  `json:"bytes"`
	// SmallFiles are files under Policy.SmallFileSize.
	SmallFiles int64 `json:"smallFiles"`
	// Histogram counts files per SizeBuckets bucket.
	Histogram []int64 `json:"histogram"`
}

// TableStats is what Maintain found in the table: the input of Decide.
type TableStats struct {
	// Version is the version inspected.
	Version int64 `json:"version"`
	// Partitions, sorted by their labels; one entry for an
	// unpartitioned table.
	Partitions []PartitionStats `json:"partitions"`
	// NumFiles and Bytes count the live files.
	NumFiles int64 `json:"numFiles"`
	Bytes    int64 `json:"bytes"`
	// SmallFiles and SmallBytes count files under Policy.SmallFileSize.
	SmallFiles int64 `json:"smallFiles"`
	SmallBytes int64 `json:"smallBytes"`
	// MaxSmallFilesInPartition is the largest SmallFiles of any partition:
	// compaction packs within partitions, so that is what decides it.
	MaxSmallFilesInPartition int64 `json:"maxSmallFilesInPartition"`
	// ClusteringColumns are the table's liquid clustering columns (nil if
	// none); ZOrderBy the columns of the Z-cubes found in file tags (or
	// Policy.ZOrderBy).
	ClusteringColumns []string `json:"clusteringColumns"`
	ZOrderBy          []string `json:"zOrderBy"`
	// UnclusteredFiles and UnclusteredBytes count, on a clustered table,
	// files no clustering run wrote; on a Z-ordered one, files outside
	// every Z-cube. Zero otherwise.
	UnclusteredFiles int64 `json:"unclusteredFiles"`
	UnclusteredBytes int64 `json:"unclusteredBytes"`
	// Rows counts the rows files hold (deleted ones included); DeletedRows
	// those deletion vectors mark deleted. RowsKnown is false when a file
	// has no row count in its statistics.
	Rows        int64 `json:"rows"`
	DeletedRows int64 `json:"deletedRows"`
	RowsKnown   bool  `json:"rowsKnown"`
	// DVFiles have a deletion vector; DVHeavyFiles delete more than
	// Policy.MaxDeletedRowsRatio of their rows (or an unknown share).
	DVFiles      int64 `json:"dvFiles"`
	DVHeavyFiles int64 `json:"dvHeavyFiles"`
	// CheckpointVersion is the version of the latest checkpoint (-1:
	// none); CommitsSinceCheckpoint the commits after it (all commits
	// when there is none). CheckpointInterval is the table's
	// delta.checkpointInterval.
	CheckpointVersion      int64 `json:"checkpointVersion"`
	CommitsSinceCheckpoint int64 `json:"commitsSinceCheckpoint"`
	CheckpointInterval     int64 `json:"checkpointInterval"`
	// ExpiredLogFiles counts the log files log cleanup would delete.
	ExpiredLogFiles int64 `json:"expiredLogFiles"`
	// VacuumableFiles and VacuumableBytes are what VACUUM would delete
	// (its dry run at the policy's retention). VacuumError, when set,
	// says why that could not be computed; VACUUM is then skipped.
	VacuumableFiles int64  `json:"vacuumableFiles"`
	VacuumableBytes int64  `json:"vacuumableBytes"`
	VacuumError     string `json:"vacuumError"`
}

// DeletedRatio is DeletedRows/Rows (0 for an empty table).
func (s *TableStats) DeletedRatio() float64 {
	if s.Rows <= 0 {
		return 0
	}
	return float64(s.DeletedRows) / float64(s.Rows)
}

// UnclusteredRatio is UnclusteredBytes/Bytes (0 for an empty table).
func (s *TableStats) UnclusteredRatio() float64 {
	if s.Bytes <= 0 {
		return 0
	}
	return float64(s.UnclusteredBytes) / float64(s.Bytes)
}

// Status is what became of a Decision.
type Status string

// Statuses of a decision.
const (
	StatusSkipped  Status = "skipped"  // not needed (or disabled): Reason says why
	StatusPlanned  Status = "planned"  // needed; a dry run stops here
	StatusDone     Status = "done"     // run and committed
	StatusPartial  Status = "partial"  // some batches committed before the budget ran out
	StatusDeferred Status = "deferred" // needed, but the budget ran out first
	StatusConflict Status = "conflict" // a concurrent commit won; the next run retries
	StatusFailed   Status = "failed"   // failed; Maintain returned the error
)

// Decision is what Maintain decided for one action, and why.
type Decision struct {
	Action Action
	// Needed reports that the table needs the action.
	Needed bool
	// Reason explains the decision with the measured value and the
	// threshold it was compared with.
	Reason string
	// Status is what happened; Result, once run, what the action did
	// ("120 files → 2 files, 1.2 MiB").
	Status Status
	Result string
	// Duration is how long the action ran.
	Duration time.Duration
}

// Decide chooses the actions a table with these stats needs under p
// (resolved: every threshold set). It is a pure function of its inputs.
func Decide(s *TableStats, p *Policy) []Decision {
	out := make([]Decision, 0, len(Actions))
	for _, a := range Actions {
		d := Decision{Action: a}
		d.Needed, d.Reason = decide(a, s, p)
		if d.Needed && slices.Contains(p.Disable, a) {
			d.Needed, d.Reason = false, d.Reason+"; disabled by the policy"
		}
		d.Status = StatusSkipped
		if d.Needed {
			d.Status = StatusPlanned
		}
		out = append(out, d)
	}
	return out
}

// decide applies the rule of one action.
func decide(a Action, s *TableStats, p *Policy) (bool, string) {
	clustered := len(s.ClusteringColumns) > 0
	zordered := !clustered && len(s.ZOrderBy) > 0
	switch a {
	case ActionPurge:
		if s.DVHeavyFiles == 0 {
			if s.DVFiles == 0 {
				return false, "no deletion vectors"
			}
			return false, fmt.Sprintf("%d file(s) with deletion vectors, none deleting more than %s of its rows", s.DVFiles, pct(p.MaxDeletedRowsRatio))
		}
		return true, fmt.Sprintf("%d file(s) delete more than %s of their rows (%s of the table's rows are deleted)", s.DVHeavyFiles, pct(p.MaxDeletedRowsRatio), pct(s.DeletedRatio()))
	case ActionCompact:
		if clustered || zordered {
			return false, "the table is clustered; clustering packs its files"
		}
		if s.MaxSmallFilesInPartition < p.MinSmallFiles {
			return false, fmt.Sprintf("at most %d small file(s) (< %s) in a partition, fewer than %d", s.MaxSmallFilesInPartition, humanSize(p.SmallFileSize), p.MinSmallFiles)
		}
		return true, fmt.Sprintf("%d small file(s) (< %s) in a partition, at least %d; %d in the table", s.MaxSmallFilesInPartition, humanSize(p.SmallFileSize), p.MinSmallFiles, s.SmallFiles)
	case ActionCluster, ActionZOrder:
		if a == ActionCluster && !clustered {
			return false, "the table has no clustering columns"
		}
		if a == ActionZOrder && !zordered {
			if clustered {
				return false, "the table is clustered; ZORDER BY does not apply"
			}
			return false, "the table was never Z-ordered"
		}
		what := "unclustered"
		if zordered {
			what = "outside Z-cubes"
		}
		if s.UnclusteredFiles == 0 {
			return false, "every file is clustered"
		}
		if s.UnclusteredFiles >= p.MinSmallFiles {
			return true, fmt.Sprintf("%d file(s) %s, at least %d", s.UnclusteredFiles, what, p.MinSmallFiles)
		}
		if r := s.UnclusteredRatio(); r > p.MaxUnclusteredRatio {
			return true, fmt.Sprintf("%s of the bytes %s (%d file(s)), more than %s", pct(r), what, s.UnclusteredFiles, pct(p.MaxUnclusteredRatio))
		}
		return false, fmt.Sprintf("%d file(s), %s of the bytes %s: under %d files and %s", s.UnclusteredFiles, pct(s.UnclusteredRatio()), what, p.MinSmallFiles, pct(p.MaxUnclusteredRatio))
	case ActionCheckpoint:
		interval := s.CheckpointInterval
		if interval <= 0 {
			interval = 10
		}
		if s.CommitsSinceCheckpoint <= interval {
			return false, fmt.Sprintf("%d commit(s) to replay on top of the last checkpoint, no more than delta.checkpointInterval=%d", s.CommitsSinceCheckpoint, interval)
		}
		return true, fmt.Sprintf("%d commit(s) to replay on top of the last checkpoint, more than delta.checkpointInterval=%d", s.CommitsSinceCheckpoint, interval)
	case ActionLogCleanup:
		if s.ExpiredLogFiles == 0 {
			return false, "no log files past delta.logRetentionDuration"
		}
		return true, fmt.Sprintf("%d log file(s) past delta.logRetentionDuration", s.ExpiredLogFiles)
	case ActionVacuum:
		if s.VacuumError != "" {
			return false, "cannot tell what VACUUM would delete: " + s.VacuumError
		}
		if s.VacuumableFiles == 0 {
			return false, "no file unreferenced past the retention"
		}
		if s.VacuumableBytes < p.MinVacuumBytes {
			return false, fmt.Sprintf("%d file(s), %s unreferenced past the retention, under %s", s.VacuumableFiles, humanSize(s.VacuumableBytes), humanSize(p.MinVacuumBytes))
		}
		return true, fmt.Sprintf("%d file(s), %s unreferenced past the retention", s.VacuumableFiles, humanSize(s.VacuumableBytes))
	}
	return false, "unknown action"
}

func pct(r float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", r*100), "0"), ".") + "%"
}

// humanSize formats a byte count in binary units.
func humanSize(n int64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	f := float64(n)
	i := 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}
