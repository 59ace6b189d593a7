//go:build unix

package optimize

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// A killed OPTIMIZE: a child process (this test binary) runs Compact on a
// local table and is killed with SIGKILL at several points: from inside,
// after the first bin was rewritten (files written, nothing committed),
// after the first of several batches committed, and once Compact has
// returned; from outside, at fractions of the time an uninterrupted run
// takes, which lands in planning, rewriting and committing. After each
// kill the table must open, every version must read, the latest must hold
// exactly the rows it held before, at the old version or a version an
// OPTIMIZE commit made, and the next OPTIMIZE must succeed with the rows
// unchanged. checkAfterKill returns the version the kill left.

const (
	killEnvOp   = "LAKEHOUSE_OPT_KILL_OP"
	killEnvAt   = "LAKEHOUSE_OPT_KILL_AT"
	killEnvDir  = "LAKEHOUSE_OPT_KILL_DIR"
	killAppends = 24
)

// killOps are the OPTIMIZE runs killed: bin-packing a partitioned table
// in batches of one bin (three commits), and clustering a clustered one.
var killOps = []struct {
	name        string
	partitioned bool
	cluster     []string
	opts        func() *Options
	points      []string // kill points from inside the child
}{
	{"compact", true, nil, func() *Options { return &Options{BatchSize: 1, MaxConcurrency: 1} }, []string{"bin1", "batch1", "returned"}},
	// Clustering rewrites one bin, in one commit.
	{"cluster", false, []string{"id"}, func() *Options { return &Options{MaxConcurrency: 1, TargetFileSize: 4 << 10} }, []string{"bin1", "returned"}},
}

func TestOptimizeKilled(t *testing.T) {
	if op := os.Getenv(killEnvOp); op != "" {
		killChild(t, op, os.Getenv(killEnvAt), os.Getenv(killEnvDir))
		return
	}
	if testing.Short() {
		t.Skip("spawns child processes; skipped in -short mode")
	}
	for _, op := range killOps {
		t.Run(op.name, func(t *testing.T) {
			template := filepath.Join(t.TempDir(), "template")
			mem := newCheckedAllocator(t)
			opts := &delta.CreateOptions{Table: &delta.Options{Allocator: mem, NoSync: true}, ClusterBy: op.cluster}
			if op.partitioned {
				opts.PartitionBy = []string{"day"}
			}
			tbl, err := delta.Create(context.Background(), template, eventsSchema, opts)
			require.NoError(t, err)
			for i := range killAppends {
				rec := eventsBatch(mem, i*50, 50, 3)
				appendBatch(t, tbl, rec)
				rec.Release()
			}
			rows := tableRows(t, tbl)
			require.NoError(t, tbl.Close())

			// An uninterrupted run: how long Compact takes and which
			// versions it commits.
			dir := copyTable(t, template)
			took := runKillChild(t, op.name, "never", dir, 0)
			full := openAt(t, dir)
			newest, err := full.Snapshot(context.Background())
			require.NoError(t, err)
			require.Greater(t, newest.Version(), int64(killAppends), "the clean run commits")
			require.NoError(t, full.Close())

			// The versions the inside points must leave: nothing committed
			// after the first bin, one batch after the first batch, all
			// once Compact returned.
			want := map[string]int64{"bin1": killAppends, "batch1": killAppends + 1, "returned": newest.Version()}
			points := op.points
			for _, pct := range []int{5, 20, 40, 60, 80, 95} {
				points = append(points, fmt.Sprintf("after-%d%%", pct))
			}
			for _, at := range points {
				t.Run(at, func(t *testing.T) {
					dir := copyTable(t, template)
					var delay time.Duration
					if p, ok := strings.CutPrefix(at, "after-"); ok {
						pct, _ := strconv.Atoi(strings.TrimSuffix(p, "%"))
						delay = took * time.Duration(pct) / 100
					}
					runKillChild(t, op.name, at, dir, delay)
					v := checkAfterKill(t, dir, rows, int64(killAppends), newest.Version())
					if w, ok := want[at]; ok {
						assert.Equal(t, w, v, "version left by a kill at %s", at)
					}
					t.Logf("killed at %s (of %s): version %d (old %d, new %d)", at, took, v, killAppends, newest.Version())
				})
			}
		})
	}
}

// copyTable copies a local table into a new temporary directory.
func copyTable(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "t")
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

func openAt(t *testing.T, dir string) *delta.Table {
	t.Helper()
	tbl, err := delta.Open(context.Background(), dir, &delta.Options{Allocator: newCheckedAllocator(t), NoSync: true})
	require.NoError(t, err)
	return tbl
}

// runKillChild runs the child for one kill point and returns how long its
// Compact ran (from its "start" line to its "done" line). With a delay, the
// parent kills the child that long after the child said it started.
func runKillChild(t *testing.T, op, at, dir string, delay time.Duration) time.Duration {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestOptimizeKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), killEnvOp+"="+op, killEnvAt+"="+at, killEnvDir+"="+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	var started, finished time.Time
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), "KILLTEST done") {
			finished = time.Now()
		}
		if strings.Contains(sc.Text(), "KILLTEST start") {
			started = time.Now()
			if delay > 0 {
				time.Sleep(delay)
				_ = cmd.Process.Signal(syscall.SIGKILL)
			}
		}
	}
	err = cmd.Wait()
	took := finished.Sub(started)
	require.False(t, started.IsZero(), "the child started Compact: %s %s", lines, stderr.String())
	if at == "never" {
		require.NoError(t, err, "the clean run: %s %s", lines, stderr.String())
		return took
	}
	// A child killed after it finished (a late delay) exits cleanly.
	if err != nil {
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr)
		ws, ok := exitErr.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "killed by SIGKILL, not failed: %s %s", lines, stderr.String())
	} else {
		require.True(t, strings.HasPrefix(at, "after-"), "the child must die at %s: %s", at, lines)
	}
	return took
}

// killChild runs one OPTIMIZE in the child and kills itself at the point
// named by at.
func killChild(t *testing.T, name, at, dir string) {
	die := func() {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is on its way
	}
	for _, op := range killOps {
		if op.name != name {
			continue
		}
		tbl, err := delta.Open(context.Background(), dir, &delta.Options{NoSync: true})
		require.NoError(t, err)
		o := op.opts()
		bins := 0
		o.Progress = func(delta.Progress) {
			bins++
			if at == "bin1" && bins == 1 {
				die()
			}
		}
		var stop func() bool
		if at == "batch1" {
			// Called before the second batch: the first is committed.
			stop = func() bool { die(); return true }
		}
		fmt.Println("KILLTEST start")
		_, _, err = compact(context.Background(), tbl, o, stop)
		require.NoError(t, err)
		if at == "returned" {
			die()
		}
		fmt.Println("KILLTEST done")
		return
	}
	t.Fatalf("unknown kill op %q", name)
}

// checkAfterKill checks the table a killed OPTIMIZE left: it opens, every
// version reads, the latest is the old version or one OPTIMIZE made, its
// rows are the original ones, and the next OPTIMIZE succeeds.
func checkAfterKill(t *testing.T, dir string, rows []string, old, newest int64) int64 {
	ctx := context.Background()
	tbl := openAt(t, dir)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	v := snap.Version()
	assert.True(t, v >= old && v <= newest, "version %d: the old %d or one OPTIMIZE committed (up to %d)", v, old, newest)
	for ver := old; ver <= v; ver++ {
		s, err := tbl.SnapshotAt(ctx, ver)
		require.NoError(t, err, "version %d reads", ver)
		if ver > old {
			ci, ok := s.CommitInfo()
			require.True(t, ok)
			assert.Equal(t, "OPTIMIZE", ci.Operation(), "version %d", ver)
		}
	}
	assert.Equal(t, rows, tableRows(t, tbl), "rows of version %d", v)
	res, err := Compact(ctx, tbl, &Options{MaxConcurrency: 1})
	require.NoError(t, err, "the next OPTIMIZE succeeds")
	assert.Equal(t, rows, tableRows(t, tbl), "rows after the next OPTIMIZE (version %d)", res.Version)
	return v
}
