package optimize

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

func lines(s string) []string { return strings.Split(strings.TrimSpace(s), "\n") }

// needed lists the actions a report chose.
func needed(rep *Report) []Action {
	var out []Action
	for _, d := range rep.Decisions {
		if d.Needed {
			out = append(out, d.Action)
		}
	}
	return out
}

func TestMaintainCompactsSmallFilesThenDoesNothing(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, nil, 8)
	before := tableRows(t, tbl)
	require.Len(t, files(t, tbl), 24)

	rep, err := Maintain(ctx, tbl, &Policy{MinSmallFiles: 5})
	require.NoError(t, err)
	assert.Equal(t, int64(8), rep.Stats.Version)
	assert.Equal(t, int64(24), rep.Stats.NumFiles)
	assert.Equal(t, int64(24), rep.Stats.SmallFiles)
	assert.Equal(t, int64(8), rep.Stats.MaxSmallFilesInPartition)
	require.Len(t, rep.Stats.Partitions, 3)
	for _, ps := range rep.Stats.Partitions {
		assert.Equal(t, int64(8), ps.NumFiles, ps.Partition)
		assert.Equal(t, int64(8), ps.Histogram[0], "all under 1 MiB")
	}
	assert.Equal(t, []Action{ActionCompact}, needed(rep))
	d := rep.Decision(ActionCompact)
	assert.Equal(t, StatusDone, d.Status, d.Result)
	assert.Contains(t, d.Result, "24 file(s)")
	assert.Equal(t, int64(9), rep.Version)
	assert.True(t, rep.Done())
	assert.Len(t, files(t, tbl), 3, "one file per partition")
	assert.Equal(t, before, tableRows(t, tbl))
	sum := rep.Summary()
	assert.Contains(t, sum, "table version 8: 24 file(s)")
	assert.Contains(t, sum, "in 3 partition(s)")
	assert.Contains(t, sum, "file sizes     <1MiB: 24")
	assert.Contains(t, sum, "compact     done     8 small file(s)")
	assert.LessOrEqual(t, len(lines(sum)), 24, "one screen")

	again, err := Maintain(ctx, tbl, &Policy{MinSmallFiles: 5})
	require.NoError(t, err)
	assert.Empty(t, needed(again), "a healthy table needs nothing")
	assert.False(t, again.Done())
	assert.Equal(t, int64(9), again.Version, "no commit")
	assert.Contains(t, again.Summary(), "nothing to do: the table is healthy")
}

func TestMaintainPurgesDeletionVectors(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, false, map[string]string{"delta.enableDeletionVectors": "true"}, 4)
	_, err := tbl.Delete(ctx, expr.Col("id").Lt(expr.Lit(int64(20))), nil)
	require.NoError(t, err)
	before := tableRows(t, tbl)

	rep, err := Maintain(ctx, tbl, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(-1), rep.Stats.CheckpointVersion)
	assert.Equal(t, int64(6), rep.Stats.CommitsSinceCheckpoint, "versions 0 to 5")
	assert.Equal(t, int64(1), rep.Stats.DVFiles)
	assert.Equal(t, int64(1), rep.Stats.DVHeavyFiles)
	assert.Equal(t, int64(20), rep.Stats.DeletedRows)
	assert.Equal(t, int64(200), rep.Stats.Rows)
	assert.InDelta(t, 0.1, rep.Stats.DeletedRatio(), 1e-9)
	assert.Equal(t, []Action{ActionPurge}, needed(rep))
	assert.Equal(t, StatusDone, rep.Decision(ActionPurge).Status, rep.Decision(ActionPurge).Result)
	for _, f := range files(t, tbl) {
		assert.Nil(t, f.DeletionVector)
	}
	assert.Equal(t, before, tableRows(t, tbl))

	again, err := Maintain(ctx, tbl, nil)
	require.NoError(t, err)
	assert.Empty(t, needed(again))
	assert.Equal(t, "no deletion vectors", again.Decision(ActionPurge).Reason)
}

func TestMaintainDryRunOnlyExplains(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, false, nil, 6)
	rep, err := Maintain(ctx, tbl, &Policy{MinSmallFiles: 2, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, []Action{ActionCompact}, needed(rep))
	assert.Equal(t, StatusPlanned, rep.Decision(ActionCompact).Status)
	assert.Equal(t, int64(6), rep.Version)
	assert.Len(t, files(t, tbl), 6, "nothing rewritten")
}

func TestMaintainClustersAClusteredTable(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, false, nil, 3)
	_, err := tbl.ClusterBy(ctx, []string{"id"}, nil)
	require.NoError(t, err)
	before := tableRows(t, tbl)
	rep, err := Maintain(ctx, tbl, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(3), rep.Stats.UnclusteredFiles)
	assert.Equal(t, []Action{ActionCluster}, needed(rep))
	assert.Equal(t, StatusDone, rep.Decision(ActionCluster).Status, rep.Decision(ActionCluster).Result)
	for _, f := range files(t, tbl) {
		assert.Equal(t, delta.ClusteringProviderLiquid, f.ClusteringProvider)
	}
	assert.Equal(t, before, tableRows(t, tbl))
	again, err := Maintain(ctx, tbl, nil)
	require.NoError(t, err)
	assert.Empty(t, needed(again))
	assert.Equal(t, "every file is clustered", again.Decision(ActionCluster).Reason)
}

// A clock that only moves when the test says so.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestMaintainBudget(t *testing.T) {
	ctx := context.Background()
	t.Run("used up before the first action: everything deferred", func(t *testing.T) {
		mem := newCheckedAllocator(t)
		tbl := newEventsTable(t, mem, false, nil, 4)
		clock := &testClock{now: time.Unix(0, 0)}
		p := &Policy{MinSmallFiles: 2, Budget: time.Minute, now: clock.Now}
		// Inspection itself takes two minutes.
		rep, err := maintainWithHook(ctx, tbl, p, func() { clock.advance(2 * time.Minute) })
		require.NoError(t, err)
		assert.True(t, rep.BudgetExceeded)
		d := rep.Decision(ActionCompact)
		assert.Equal(t, StatusDeferred, d.Status)
		assert.Equal(t, "budget of 1m0s used up", d.Result)
		assert.Equal(t, int64(4), rep.Version, "nothing committed")
	})
	t.Run("runs out between batches: the first batch stays", func(t *testing.T) {
		mem := newCheckedAllocator(t)
		tbl := newEventsTable(t, mem, true, nil, 4)
		before := tableRows(t, tbl)
		clock := &testClock{now: time.Unix(0, 0)}
		p := &Policy{MinSmallFiles: 2, Budget: time.Minute, BatchSize: 1, MaxConcurrency: 1, now: clock.Now}
		// Each partition is a bin and a batch of its own; rewriting the
		// first takes longer than the budget.
		p.Progress = func(delta.Progress) { clock.advance(2 * time.Minute) }
		rep, err := Maintain(ctx, tbl, p)
		require.NoError(t, err)
		d := rep.Decision(ActionCompact)
		assert.Equal(t, StatusPartial, d.Status)
		assert.Contains(t, d.Result, "4 file(s)")
		assert.Contains(t, d.Result, "8 file(s) deferred: budget used up")
		assert.True(t, rep.BudgetExceeded)
		assert.Equal(t, int64(5), rep.Version, "one batch committed")
		assert.Len(t, files(t, tbl), 9, "one partition compacted, two left")
		assert.Equal(t, before, tableRows(t, tbl))

		// The next run finishes the job.
		p.Progress = nil
		rep, err = Maintain(ctx, tbl, p)
		require.NoError(t, err)
		assert.Equal(t, StatusDone, rep.Decision(ActionCompact).Status)
		assert.Len(t, files(t, tbl), 3)
	})
}

// maintainWithHook runs Maintain with hook called once inspection is
// done (through the clock's first reading after it).
func maintainWithHook(ctx context.Context, tbl *delta.Table, p *Policy, hook func()) (*Report, error) {
	var once sync.Once
	clock := p.now
	calls := 0
	p.now = func() time.Time {
		calls++
		if calls == 2 {
			once.Do(hook)
		}
		return clock()
	}
	return Maintain(ctx, tbl, p)
}

func TestMaintainWithConcurrentAppendsLosesNothing(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, map[string]string{"delta.enableDeletionVectors": "true"}, 3)
	var appended atomic.Int64
	appended.Store(150)
	stop := make(chan struct{})
	done := make(chan error)
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			rec := eventsBatch(mem, 1000+i*10, 10, 3)
			rr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
			if err == nil {
				_, err = tbl.Append(ctx, rr, nil)
				rr.Release()
			}
			rec.Release()
			if err != nil {
				done <- err
				return
			}
			appended.Add(10)
		}
	}()
	runs := 0
	for range 6 {
		rep, err := Maintain(ctx, tbl, &Policy{MinSmallFiles: 3})
		require.NoError(t, err)
		for _, d := range rep.Decisions {
			assert.NotEqual(t, StatusFailed, d.Status, d.Result)
		}
		if rep.Done() {
			runs++
		}
	}
	close(stop)
	require.NoError(t, <-done)
	assert.Positive(t, runs, "some run compacted")
	assert.Greater(t, appended.Load(), int64(150), "appends ran meanwhile")
	rows := tableRows(t, tbl)
	assert.Len(t, rows, int(appended.Load()), "every appended row is there once")
	seen := map[string]bool{}
	for _, r := range rows {
		assert.False(t, seen[r], "duplicate row %s", r)
		seen[r] = true
	}
}

func TestMaintainLogAndVacuum(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, false, nil, 12)
	// A writer that never checkpointed: drop the checkpoint the commit
	// of version 10 wrote.
	logDir := filepath.Join(strings.TrimPrefix(tbl.URL(), "file://"), "_delta_log")
	cps, err := filepath.Glob(filepath.Join(logDir, "*.checkpoint*.parquet"))
	require.NoError(t, err)
	require.NotEmpty(t, cps)
	for _, p := range append(cps, filepath.Join(logDir, "_last_checkpoint")) {
		require.NoError(t, os.Remove(p))
	}
	// Retentions of zero make every removed file and every commit before
	// a checkpoint expire at once (only safe with no other reader or
	// writer, as here).
	_, err = tbl.SetProperties(ctx, map[string]string{
		"delta.deletedFileRetentionDuration": "interval 0 seconds",
		"delta.logRetentionDuration":         "interval 0 seconds",
	}, nil)
	require.NoError(t, err)
	before := tableRows(t, tbl)
	policy := &Policy{MinSmallFiles: 5}

	// Run 1: compaction and a checkpoint; nothing expired yet without a
	// checkpoint to keep.
	rep, err := Maintain(ctx, tbl, policy)
	require.NoError(t, err)
	assert.Equal(t, int64(14), rep.Stats.CommitsSinceCheckpoint, "versions 0 to 13")
	assert.Equal(t, []Action{ActionCompact, ActionCheckpoint}, needed(rep))
	for _, a := range needed(rep) {
		assert.Equal(t, StatusDone, rep.Decision(a).Status, rep.Decision(a).Result)
	}
	assert.Equal(t, "classic checkpoint of version 14, 3 action(s)", rep.Decision(ActionCheckpoint).Result, "protocol, metadata, the one file")

	// Run 2: the commits before the checkpoint and the compacted files
	// are past their (zero) retention.
	rep, err = Maintain(ctx, tbl, policy)
	require.NoError(t, err)
	assert.Equal(t, int64(14), rep.Stats.CheckpointVersion)
	assert.Equal(t, int64(14), rep.Stats.ExpiredLogFiles, "commits 0 to 13")
	assert.Equal(t, int64(12), rep.Stats.VacuumableFiles, "the files compaction replaced")
	assert.Equal(t, []Action{ActionLogCleanup, ActionVacuum}, needed(rep))
	for _, a := range needed(rep) {
		assert.Equal(t, StatusDone, rep.Decision(a).Status, rep.Decision(a).Result)
	}
	commits, err := filepath.Glob(filepath.Join(logDir, "*.json"))
	require.NoError(t, err)
	assert.Len(t, commits, 3, "the checkpointed version and the two VACUUM commits")
	assert.Equal(t, before, tableRows(t, tbl))

	// Run 3: nothing left.
	rep, err = Maintain(ctx, tbl, policy)
	require.NoError(t, err)
	assert.Empty(t, needed(rep), rep.Summary())
}

func TestMaintainConcurrentRunsConflictCleanly(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, nil, 6)
	before := tableRows(t, tbl)
	reps := make([]*Report, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = Maintain(ctx, tbl, &Policy{MinSmallFiles: 3})
		}()
	}
	wg.Wait()
	for i, rep := range reps {
		require.NoError(t, errs[i])
		st := rep.Decision(ActionCompact).Status
		assert.Contains(t, []Status{StatusDone, StatusConflict}, st, rep.Decision(ActionCompact).Result)
	}
	assert.Equal(t, before, tableRows(t, tbl))
	rep, err := Maintain(ctx, tbl, &Policy{MinSmallFiles: 3})
	require.NoError(t, err)
	assert.Empty(t, needed(rep), "one of the two compacted everything")
}
