//go:build unix

package delta

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/stepstore"
)

// The crash matrix: a child process (this test binary) runs one write
// path on a local table and SIGKILLs itself just before its n-th storage
// step, for every n. After each kill the parent checks that the table
// opens, that every version reads, that the latest holds all or none of
// the interrupted change, and that the next writer succeeds. With
// LAKEHOUSE_UPDATE_RELIABILITY=1 the outcome table is written to
// RELIABILITY.md at the module root.

const (
	crashEnvOp  = "LAKEHOUSE_CRASH_OP"
	crashEnvAt  = "LAKEHOUSE_CRASH_AT"
	crashEnvDir = "LAKEHOUSE_CRASH_DIR"
)

// crashOps are the write paths of the matrix; each runs on a table holding
// rows 0..19 over two days (version 1) and adds rows 100.. when it takes
// effect.
var crashOps = append([]crashOp{
	{"append", nil, func(ctx context.Context, t testing.TB, tbl *Table) error {
		rr := eventsReader(t, tbl.opts.Allocator, 100, 10, 2)
		defer rr.Release()
		_, err := tbl.Append(ctx, rr, &TxnOptions{TargetFileSize: 1})
		return err
	}, func(t testing.TB) []string { return expectedRows(t, [3]int{0, 20, 2}, [3]int{100, 10, 2}) }, nil, nil},
	{"overwrite", nil, func(ctx context.Context, t testing.TB, tbl *Table) error {
		rr := eventsReader(t, tbl.opts.Allocator, 100, 10, 2)
		defer rr.Release()
		_, err := tbl.Overwrite(ctx, rr, nil)
		return err
	}, func(t testing.TB) []string { return expectedRows(t, [3]int{100, 10, 2}) }, nil, nil},
	{"replaceWhere", nil, func(ctx context.Context, t testing.TB, tbl *Table) error {
		rr := eventsReader(t, tbl.opts.Allocator, 100, 10, 1) // day d0 only
		defer rr.Release()
		_, err := tbl.Overwrite(ctx, rr, &TxnOptions{ReplaceWhere: "day = 'd0'"})
		return err
	}, func(t testing.TB) []string {
		var rows []string
		for _, r := range expectedRows(t, [3]int{0, 20, 2}) {
			if !strings.HasSuffix(r, "day: d0}") {
				rows = append(rows, r)
			}
		}
		rows = append(rows, expectedRows(t, [3]int{100, 10, 1})...)
		slices.Sort(rows)
		return rows
	}, nil, nil},
	{"append with checkpoint", map[string]string{"delta.checkpointInterval": "2"}, func(ctx context.Context, t testing.TB, tbl *Table) error {
		rr := eventsReader(t, tbl.opts.Allocator, 100, 10, 2)
		defer rr.Release()
		_, err := tbl.Append(ctx, rr, nil)
		return err
	}, func(t testing.TB) []string { return expectedRows(t, [3]int{0, 20, 2}, [3]int{100, 10, 2}) }, nil, nil},
	{"checkpoint", nil, func(ctx context.Context, t testing.TB, tbl *Table) error {
		_, err := tbl.Checkpoint(ctx, nil)
		return err
	}, func(t testing.TB) []string { return expectedRows(t, [3]int{0, 20, 2}) }, nil, nil},
}, moreCrashOps...)

// crashOp is one write path of the matrix.
type crashOp struct {
	name  string
	props map[string]string
	run   func(ctx context.Context, t testing.TB, tbl *Table) error
	// after gives the rows once the change took effect; nil means the rows
	// the parent's uninterrupted run left (the operations' results are
	// checked value by value by their own tests).
	after func(t testing.TB) []string
	// setup, when set, runs on the base table (rows 0..19, version 1)
	// before the operation: the state the operation starts from.
	setup func(t *testing.T, tbl *Table)
	// check, when set, replaces the default invariants (checkAfterCrash)
	// for operations whose effect is not a change of the table's rows.
	check func(t *testing.T, dir string, before map[string]bool) string
}

// crashBase creates the table every cell starts from: rows 0..19, version
// 1, then op's setup; it returns the rows the table then holds.
func crashBase(t *testing.T, dir string, op crashOp) []string {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem, NoSync: true}, Properties: op.props, PartitionBy: []string{"day"}})
	require.NoError(t, err)
	appendRows(t, tbl, mem, 0, 20)
	if op.setup != nil {
		op.setup(t, tbl)
	}
	rows := readRows(t, tbl)
	require.NoError(t, tbl.Close())
	return rows
}

// crashOpen opens dir with every storage step counted.
func crashOpen(t testing.TB, dir string, at func(int64, string)) *Table {
	return crashOpenCounted(t, dir, stepstore.New(nil, new(atomic.Int64), at, &stepstore.Options{FirstWrite: true}))
}

// crashOpenCounted opens dir counting its steps with those of like, so an
// operation over two tables (CLONE) has one sequence of steps.
func crashOpenCounted(t testing.TB, dir string, like *stepstore.Store) *Table {
	inner, err := storage.Open(context.Background(), dir, &storage.OpenOptions{NoSync: true})
	require.NoError(t, err)
	return &Table{url: dir, store: like.Share(inner), owned: true, opts: (&Options{NoSync: true}).withDefaults()}
}

func TestCrashMatrix(t *testing.T) {
	if op := os.Getenv(crashEnvOp); op != "" {
		crashChild(t, op)
		return
	}
	if testing.Short() {
		t.Skip("the crash matrix starts a process per storage step; skipped with -short")
	}
	type cell struct {
		step    int64
		what    string
		outcome string
	}
	results := map[string][]cell{}
	for _, op := range crashOps {
		t.Run(op.name, func(t *testing.T) {
			// Count the steps, and name them, on a clean run.
			dir := filepath.Join(t.TempDir(), "t")
			crashBase(t, dir, op)
			var steps []string
			tbl := crashOpen(t, dir, func(_ int64, what string) { steps = append(steps, what) })
			require.NoError(t, op.run(context.Background(), t, tbl))
			require.NoError(t, tbl.Close())
			require.NotEmpty(t, steps)
			after := readRows(t, openPlain(t, dir))
			if op.after != nil {
				require.Equal(t, op.after(t), after, "the uninterrupted run")
			}

			steps = append(steps, "end")
			for n := int64(1); n <= int64(len(steps)); n++ {
				dir := filepath.Join(t.TempDir(), "t")
				baseRows := crashBase(t, dir, op)
				before := readDir(t, dir)
				cmd := exec.Command(os.Args[0], "-test.run=^TestCrashMatrix$", "-test.count=1")
				cmd.Env = append(os.Environ(), crashEnvOp+"="+op.name, crashEnvAt+"="+strconv.FormatInt(n, 10), crashEnvDir+"="+dir)
				out, err := cmd.CombinedOutput()
				var exitErr *exec.ExitError
				require.ErrorAs(t, err, &exitErr, "the child must die at step %d (%s): %s", n, steps[n-1], out)
				ws, ok := exitErr.Sys().(syscall.WaitStatus)
				require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child at step %d: %v: %s", n, err, out)

				var outcome string
				if op.check != nil {
					outcome = op.check(t, dir, before)
				} else {
					outcome = checkAfterCrash(t, dir, before, baseRows, after)
				}
				results[op.name] = append(results[op.name], cell{n, steps[n-1], outcome})
			}
		})
	}
	var b strings.Builder
	b.WriteString("## Crash matrix\n\n")
	b.WriteString("Each write path runs in a child process on a local table of 20 rows (version 1), which kills itself with SIGKILL just before its n-th storage step (the last row: after the operation returned). Reads count as steps; a streamed file counts its creation, first write and close. ")
	b.WriteString("After each kill the table must open, every version must read, the latest must hold all (`all`) or none (`none`) of the interrupted change, and the next append must succeed. ")
	b.WriteString("For CLONE the source must be unchanged and the target either no table (and a new clone into it succeeds) or a whole clone that takes the next append. ")
	b.WriteString("VACUUM (no retention, after an overwrite replaced every file of version 1) must delete no file the latest version references; its outcome counts the replaced files it deleted (`some` is allowed: deletions are not atomic, and the next VACUUM finishes them). ")
	b.WriteString("Every step of every path runs, in about 15 s on 2 cores, so CI runs the whole matrix.\n\n")
	for _, op := range crashOps {
		fmt.Fprintf(&b, "### %s\n\n| step | killed before | outcome |\n|---:|---|---|\n", op.name)
		for _, c := range results[op.name] {
			fmt.Fprintf(&b, "| %d | %s | %s |\n", c.step, strings.ReplaceAll(mdStep(c.what), "|", "\\|"), c.outcome)
		}
		b.WriteString("\n")
	}
	reliabilitySection(t, "crash-matrix", "go test -run TestCrashMatrix ./delta/ (delta/crash_matrix_test.go)", b.String())
}

// mdStep shortens the random parts of file names (UUIDs, temporary names)
// so the generated table is stable from run to run.
func mdStep(what string) string {
	if what == "end" {
		return "nothing more: the operation returned"
	}
	op, p, _ := strings.Cut(what, " ")
	if p == "" {
		return op + " the table root"
	}
	if strings.HasSuffix(p, "/") {
		return op + " `" + p + "`"
	}
	base := filepath.Base(p)
	switch {
	case strings.HasPrefix(base, "part-"):
		base = "part-….parquet"
	}
	dir := filepath.Dir(p)
	if strings.HasPrefix(dir, "day=") || dir == "." {
		dir = strings.Split(dir, "/")[0]
	}
	if dir == "." {
		return op + " `" + base + "`"
	}
	return op + " `" + dir + "/" + base + "`"
}

// crashChild runs op on the table at $LAKEHOUSE_CRASH_DIR and kills the
// process before storage step $LAKEHOUSE_CRASH_AT.
func crashChild(t *testing.T, name string) {
	at, err := strconv.ParseInt(os.Getenv(crashEnvAt), 10, 64)
	require.NoError(t, err)
	for _, op := range crashOps {
		if op.name != name {
			continue
		}
		tbl := crashOpen(t, os.Getenv(crashEnvDir), func(n int64, _ string) {
			if n == at {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {} // the signal is on its way
			}
		})
		tbl.opts.Allocator = newCheckedAllocator(t)
		err := op.run(context.Background(), t, tbl)
		// Past the last step: the operation completed (or failed, which
		// the parent's clean run rules out); die before reporting it.
		_ = err
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	t.Fatalf("unknown crash op %q", name)
}

// checkAfterCrash verifies the invariants after a kill and names the
// outcome: "all" or "none" of the change, or what failed.
func checkAfterCrash(t *testing.T, dir string, before map[string]bool, baseRows, after []string) string {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Open(ctx, dir, &Options{Allocator: mem, NoSync: true})
	if !assert.NoError(t, err) {
		return "FAIL: open: " + err.Error()
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if !assert.NoError(t, err) {
		return "FAIL: snapshot: " + err.Error()
	}
	for v := int64(0); v <= snap.Version(); v++ {
		s, err := tbl.SnapshotAt(ctx, v)
		if !assert.NoError(t, err, "version %d", v) {
			return fmt.Sprintf("FAIL: version %d: %v", v, err)
		}
		_ = snapshotRows(t, s)
	}
	rows := snapshotRows(t, snap)
	outcome := ""
	switch {
	case slices.Equal(rows, baseRows):
		outcome = "none"
	case slices.Equal(rows, after):
		outcome = "all"
	default:
		assert.Fail(t, "partial change", "rows: %v", rows)
		return "FAIL: partial change"
	}
	if slices.Equal(after, baseRows) {
		// A checkpoint changes no rows: "all" means it was written whole.
		outcome = "none"
		if files := readDir(t, dir); hasNewCheckpoint(files, before) {
			outcome = "all"
		}
	}
	rr := eventsReader(t, mem, 500, 4, 2)
	defer rr.Release()
	if _, err := tbl.Append(ctx, rr, nil); !assert.NoError(t, err, "next writer") {
		return "FAIL: next append: " + err.Error()
	}
	if got := len(readRows(t, tbl)); !assert.Equal(t, len(rows)+4, got) {
		return "FAIL: next append rows"
	}
	return outcome
}

func hasNewCheckpoint(files, before map[string]bool) bool {
	for f := range files {
		if !before[f] && strings.Contains(f, ".checkpoint.") {
			return true
		}
	}
	return false
}

// readDir lists every file under dir (relative, slash-separated).
func readDir(t *testing.T, dir string) map[string]bool {
	out := map[string]bool{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = true
		}
		return err
	}))
	return out
}
