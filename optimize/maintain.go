package optimize

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Defaults of Policy, after the settings of Spark's auto compaction and
// Databricks' predictive optimization that they mirror.
const (
	// DefaultMaintainTargetFileSize is the size compaction fills files to
	// when the table has no delta.targetFileSize: Spark's
	// spark.databricks.delta.autoCompact.maxFileSize (128 MiB), the size
	// an incremental, always-on compaction aims for.
	DefaultMaintainTargetFileSize = 128 << 20
	// DefaultMinSmallFiles is how many small files a partition must hold
	// before it is compacted: Spark's
	// spark.databricks.delta.autoCompact.minNumFiles.
	DefaultMinSmallFiles = 50
	// DefaultMaxUnclusteredRatio is the share of a clustered (or
	// Z-ordered) table's bytes that may sit in unclustered files before
	// clustering runs. Spark has no such setting (its OPTIMIZE clusters
	// whatever is new); a tenth keeps a ticker from rewriting a little
	// new data into a large table on every tick.
	DefaultMaxUnclusteredRatio = 0.1
	// DefaultMaintainBatchSize splits compaction into commits of at most
	// this many input bytes, so that a run stopped by its budget keeps
	// what it finished (spark.databricks.delta.optimize.batchSize).
	DefaultMaintainBatchSize = 4 << 30
)

// Policy configures Maintain. A nil *Policy, like the zero value, uses
// the defaults each field documents.
type Policy struct {
	// TargetFileSize is the size compaction writes files of. Default: the
	// table's delta.targetFileSize, else DefaultMaintainTargetFileSize.
	TargetFileSize int64
	// SmallFileSize: files under it are small. Default TargetFileSize/2,
	// as Spark's autoCompact.minFileSize defaults to half its maxFileSize.
	SmallFileSize int64
	// MinSmallFiles: a partition with at least this many small files is
	// compacted; on a clustered or Z-ordered table, this many unclustered
	// files trigger clustering. Default DefaultMinSmallFiles.
	MinSmallFiles int64
	// MaxDeletedRowsRatio: a file whose deletion vector deletes more than
	// this share of its rows is purged. Default
	// DefaultMaxDeletedRowsRatio (Spark's optimize.maxDeletedRowsRatio).
	MaxDeletedRowsRatio float64
	// MaxUnclusteredRatio: clustering runs when more than this share of
	// the bytes is unclustered. Default DefaultMaxUnclusteredRatio.
	MaxUnclusteredRatio float64
	// MinVacuumBytes: VACUUM runs when at least this many bytes (and at
	// least one file) are unreferenced past the retention. Default 0: any
	// file.
	MinVacuumBytes int64
	// VacuumRetention overrides the table's
	// delta.deletedFileRetentionDuration for VACUUM; a shorter one fails
	// with delta.ErrRetentionTooShort (Maintain never disables the check:
	// a concurrent writer's files would be at risk).
	VacuumRetention *time.Duration
	// ZOrderBy names the Z-order columns of a table that is not
	// clustered. Default: the columns recorded in the tags of its Z-cubes;
	// a table never Z-ordered is only compacted.
	ZOrderBy []string
	// Disable lists actions never to run; Decide still explains whether
	// they were needed.
	Disable []Action
	// Budget bounds the time Maintain spends: once it is exceeded, no new
	// action and no new compaction batch starts, and what was left is
	// reported as deferred. The action running when the budget runs out
	// finishes its current batch. Zero means no limit.
	Budget time.Duration
	// DryRun inspects and decides but runs nothing.
	DryRun bool
	// BatchSize is passed to compaction (Options.BatchSize). Default
	// DefaultMaintainBatchSize.
	BatchSize int64
	// MaxConcurrency is passed to compaction (Options.MaxConcurrency).
	MaxConcurrency int
	// Progress, when set, receives the progress of each action.
	Progress func(delta.Progress)

	now func() time.Time // the clock; tests replace it
}

// resolve fills in the defaults against a snapshot's properties.
func (p *Policy) resolve(props map[string]string) (*Policy, error) {
	r := &Policy{}
	if p != nil {
		*r = *p
	}
	for _, v := range []struct {
		name string
		val  float64
	}{
		{"TargetFileSize", float64(r.TargetFileSize)}, {"SmallFileSize", float64(r.SmallFileSize)},
		{"MinSmallFiles", float64(r.MinSmallFiles)}, {"MaxUnclusteredRatio", r.MaxUnclusteredRatio},
		{"MinVacuumBytes", float64(r.MinVacuumBytes)}, {"Budget", float64(r.Budget)}, {"BatchSize", float64(r.BatchSize)},
	} {
		if v.val < 0 {
			return nil, invalidf("policy %s %v is negative", v.name, v.val)
		}
	}
	if r.TargetFileSize == 0 {
		r.TargetFileSize = DefaultMaintainTargetFileSize
		if n, err := strconv.ParseInt(strings.TrimSpace(props["delta.targetFileSize"]), 10, 64); err == nil && n > 0 {
			r.TargetFileSize = n
		}
	}
	if r.SmallFileSize == 0 {
		r.SmallFileSize = max(r.TargetFileSize/2, 1)
	}
	if r.MinSmallFiles == 0 {
		r.MinSmallFiles = DefaultMinSmallFiles
	}
	if r.MaxDeletedRowsRatio == 0 {
		r.MaxDeletedRowsRatio = DefaultMaxDeletedRowsRatio
	}
	if r.MaxUnclusteredRatio == 0 {
		r.MaxUnclusteredRatio = DefaultMaxUnclusteredRatio
	}
	if r.BatchSize == 0 {
		r.BatchSize = DefaultMaintainBatchSize
	}
	if r.now == nil {
		r.now = time.Now
	}
	return r, nil
}

// Report is what Maintain found, decided and did.
type Report struct {
	// Stats is what the inspection found.
	Stats TableStats
	// Policy is the policy with its defaults filled in.
	Policy Policy
	// Decisions has one entry per action, in Actions order, with why it
	// was chosen or skipped and what became of it.
	Decisions []Decision
	// Version is the table version after the run.
	Version int64
	// Inspect is how long the inspection took; Elapsed the whole run.
	Inspect, Elapsed time.Duration
	// BudgetExceeded reports that actions or batches were deferred.
	BudgetExceeded bool
}

// Done reports whether any action committed something.
func (r *Report) Done() bool {
	for _, d := range r.Decisions {
		if d.Status == StatusDone || d.Status == StatusPartial {
			return true
		}
	}
	return false
}

// Decision returns the decision for action a.
func (r *Report) Decision(a Action) *Decision {
	for i := range r.Decisions {
		if r.Decisions[i].Action == a {
			return &r.Decisions[i]
		}
	}
	return nil
}

// Maintain keeps a table healthy in one call, like Databricks' predictive
// optimization: it inspects the table (Inspect), decides which of
// Actions it needs (Decide, with the thresholds of the policy), and runs
// those, in order, within Policy.Budget. The Report explains every
// decision, chosen or skipped, with the measured values.
//
// It is meant to run on a ticker in a service that keeps appending:
// every rewrite commits with dataChange=false against the snapshot it
// planned from, so concurrent appends never conflict with it and lose
// nothing; VACUUM keeps the table's retention (a shorter
// VacuumRetention is refused), so files a running writer has not
// committed yet are never deleted. An action that loses a race with a
// concurrent DELETE, UPDATE or OPTIMIZE is reported as StatusConflict
// and left to the next run, which is not an error; any other failure
// stops the run and is returned with the report so far. A healthy table
// gets no commit at all.
func Maintain(ctx context.Context, tbl *delta.Table, policy *Policy) (*Report, error) {
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	p, err := policy.resolve(snap.Properties())
	if err != nil {
		return nil, err
	}
	start := p.now()
	stats, err := inspect(ctx, tbl, snap, p)
	if err != nil {
		return nil, err
	}
	rep := &Report{Stats: *stats, Policy: *p, Version: stats.Version}
	rep.Policy.now = nil
	rep.Decisions = Decide(stats, p)
	rep.Inspect = p.now().Sub(start)
	defer func() { rep.Elapsed = p.now().Sub(start) }()
	if p.DryRun {
		return rep, nil
	}
	over := func() bool { return p.Budget > 0 && p.now().Sub(start) >= p.Budget }
	for i := range rep.Decisions {
		d := &rep.Decisions[i]
		if !d.Needed {
			continue
		}
		if over() {
			d.Status = StatusDeferred
			d.Result = "budget of " + p.Budget.String() + " used up"
			rep.BudgetExceeded = true
			continue
		}
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		began := p.now()
		err := runAction(ctx, tbl, d, stats, p, over)
		d.Duration = p.now().Sub(began)
		if d.Status == StatusPartial {
			rep.BudgetExceeded = true
		}
		if errors.Is(err, delta.ErrConflict) {
			d.Status = StatusConflict
			d.Result = "a concurrent commit changed the same files; the next run retries: " + err.Error()
			continue
		}
		if err != nil {
			d.Status = StatusFailed
			d.Result = err.Error()
			return rep, err
		}
	}
	if snap, err := tbl.Snapshot(ctx); err == nil {
		rep.Version = snap.Version()
	}
	return rep, nil
}

// runAction runs one needed action and records its outcome in d.
func runAction(ctx context.Context, tbl *delta.Table, d *Decision, stats *TableStats, p *Policy, over func() bool) error {
	d.Status = StatusDone
	switch d.Action {
	case ActionPurge:
		res, err := tbl.Purge(ctx, nil, nil)
		if err != nil {
			return err
		}
		if res == nil {
			d.Result = "nothing left to purge"
			return nil
		}
		d.Result = fmt.Sprintf("version %d: %s files rewritten without %d deleted row(s)", res.Version, res.Metrics["numRemovedFiles"], stats.DeletedRows)
		return nil
	case ActionCompact, ActionCluster, ActionZOrder:
		o := &Options{
			TargetFileSize:      p.TargetFileSize,
			MinFileSize:         p.SmallFileSize,
			MaxDeletedRowsRatio: p.MaxDeletedRowsRatio,
			BatchSize:           p.BatchSize,
			MaxConcurrency:      p.MaxConcurrency,
			Progress:            p.Progress,
		}
		if d.Action == ActionZOrder {
			o.ZOrderBy = stats.ZOrderBy
		}
		res, deferred, err := compact(ctx, tbl, o, over)
		if err != nil {
			return err
		}
		m := res.Metrics
		d.Result = fmt.Sprintf("%d file(s), %s → %d file(s), %s in %d commit(s)",
			m.NumFilesRemoved, humanSize(m.FilesRemoved.TotalSize), m.NumFilesAdded, humanSize(m.FilesAdded.TotalSize), len(res.Commits))
		if deferred > 0 {
			d.Status = StatusPartial
			d.Result += fmt.Sprintf("; %d file(s) deferred: budget used up", deferred)
		}
		return nil
	case ActionCheckpoint:
		info, err := tbl.Checkpoint(ctx, nil)
		if err != nil {
			return err
		}
		d.Result = fmt.Sprintf("%s checkpoint of version %d, %d action(s)", info.Kind, info.Version, info.Actions)
		return nil
	case ActionLogCleanup:
		if err := tbl.CleanupLog(ctx); err != nil {
			return err
		}
		d.Result = fmt.Sprintf("%d expired log file(s) deleted", stats.ExpiredLogFiles)
		return nil
	case ActionVacuum:
		res, err := tbl.Vacuum(ctx, &delta.VacuumOptions{Retention: p.VacuumRetention, Progress: p.Progress})
		if err != nil {
			return err
		}
		d.Result = fmt.Sprintf("%d file(s), %s deleted", res.NumDeletedFiles, humanSize(res.SizeOfDataToDelete))
		return nil
	}
	return nil
}
