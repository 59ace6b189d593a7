//go:build unix

package optimize

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/reliabilitydoc"
	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/stepstore"
)

// The crash matrix of OPTIMIZE, ZORDER BY and liquid clustering: the
// delta package's matrix (delta/crash_matrix_test.go) for the write
// paths of this package. A child process (this test binary) opens the
// table through storage.WrapForTest, which counts storage steps, and
// SIGKILLs itself before the n-th; the parent then checks that the table
// opens, every version reads the same rows (OPTIMIZE changes none), the
// latest holds the whole rewrite or none of it, and the next append
// succeeds.

const (
	optCrashEnvOp  = "LAKEHOUSE_OPT_CRASH_OP"
	optCrashEnvAt  = "LAKEHOUSE_OPT_CRASH_AT"
	optCrashEnvDir = "LAKEHOUSE_OPT_CRASH_DIR"
)

var optCrashOps = []struct {
	name      string
	clusterBy []string
	opts      *Options
}{
	{"optimize compaction", nil, nil},
	{"optimize zorder", nil, &Options{ZOrderBy: []string{"id", "score"}}},
	{"liquid clustering", []string{"id"}, nil},
}

// optCrashBase: rows 0..39 in four appends of ten over two days, so
// every partition has small files to compact.
func optCrashBase(t *testing.T, dir string, clusterBy []string) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	co := &delta.CreateOptions{Table: &delta.Options{Allocator: mem, NoSync: true}, ClusterBy: clusterBy}
	if clusterBy == nil {
		co.PartitionBy = []string{"day"}
	}
	tbl, err := delta.Create(ctx, dir, eventsSchema, co)
	require.NoError(t, err)
	for i := range 4 {
		rec := eventsBatch(mem, i*10, 10, 2)
		appendBatch(t, tbl, rec)
		rec.Release()
	}
	require.NoError(t, tbl.Close())
}

// optCrashRun opens dir with every storage step passed to at, and runs op.
func optCrashRun(t *testing.T, dir, name string, at func(int64, string)) error {
	storage.WrapForTest = stepstore.Wrapper(at, &stepstore.Options{FirstWrite: true})
	defer func() { storage.WrapForTest = nil }()
	for _, op := range optCrashOps {
		if op.name != name {
			continue
		}
		ctx := context.Background()
		tbl, err := delta.Open(ctx, dir, &delta.Options{NoSync: true, Allocator: memory.NewGoAllocator()})
		if err != nil {
			return err
		}
		defer tbl.Close()
		_, err = Compact(ctx, tbl, op.opts)
		return err
	}
	t.Fatalf("unknown crash op %q", name)
	return nil
}

func TestOptimizeCrashMatrix(t *testing.T) {
	if op := os.Getenv(optCrashEnvOp); op != "" {
		at, err := strconv.ParseInt(os.Getenv(optCrashEnvAt), 10, 64)
		require.NoError(t, err)
		kill := func() {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
		_ = optCrashRun(t, os.Getenv(optCrashEnvDir), op, func(n int64, _ string) {
			if n == at {
				kill()
			}
		})
		kill() // past the last step: die before reporting
	}
	if testing.Short() {
		t.Skip("the crash matrix starts a process per storage step; skipped with -short")
	}
	var b strings.Builder
	b.WriteString("## Crash matrix: OPTIMIZE, ZORDER BY, liquid clustering\n\n")
	b.WriteString("As the crash matrix above, for the optimize package (optimize/crash_test.go, which counts steps through storage.WrapForTest): a table of 40 rows in four appends (partitioned by day, or clustered by id), killed before each storage step of OPTIMIZE. Every version must read the same rows, the latest must hold the whole rewrite (`all`: an OPTIMIZE commit) or none of it, and the next append must succeed.\n\n")
	for _, op := range optCrashOps {
		fmt.Fprintf(&b, "### %s\n\n| step | killed before | outcome |\n|---:|---|---|\n", op.name)
		t.Run(op.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "t")
			optCrashBase(t, dir, op.clusterBy)
			var steps []string
			require.NoError(t, optCrashRun(t, dir, op.name, func(_ int64, what string) { steps = append(steps, what) }))
			require.NotEmpty(t, steps)
			steps = append(steps, "end")
			for n := int64(1); n <= int64(len(steps)); n++ {
				dir := filepath.Join(t.TempDir(), "t")
				optCrashBase(t, dir, op.clusterBy)
				cmd := exec.Command(os.Args[0], "-test.run=^TestOptimizeCrashMatrix$", "-test.count=1")
				cmd.Env = append(os.Environ(), optCrashEnvOp+"="+op.name, optCrashEnvAt+"="+strconv.FormatInt(n, 10), optCrashEnvDir+"="+dir)
				out, err := cmd.CombinedOutput()
				var exitErr *exec.ExitError
				require.ErrorAs(t, err, &exitErr, "the child must die at step %d (%s): %s", n, steps[n-1], out)
				ws, ok := exitErr.Sys().(syscall.WaitStatus)
				require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child at step %d: %v: %s", n, err, out)
				outcome := optCheckAfterCrash(t, dir)
				fmt.Fprintf(&b, "| %d | %s | %s |\n", n, optMDStep(steps[n-1]), outcome)
			}
		})
		b.WriteString("\n")
	}
	optReliabilitySection(t, b.String())
}

func optCheckAfterCrash(t *testing.T, dir string) string {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := delta.Open(ctx, dir, &delta.Options{Allocator: mem, NoSync: true})
	if !assert.NoError(t, err) {
		return "FAIL: open: " + err.Error()
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if !assert.NoError(t, err) {
		return "FAIL: snapshot: " + err.Error()
	}
	var want []string
	for v := int64(0); v <= snap.Version(); v++ {
		s, err := tbl.SnapshotAt(ctx, v)
		if !assert.NoError(t, err, "version %d", v) {
			return fmt.Sprintf("FAIL: version %d: %v", v, err)
		}
		rows := scanRows(t, s)
		if v == 4 {
			want = rows
			require.Len(t, want, 40)
		}
		if v > 4 && !assert.Equal(t, want, rows, "version %d", v) {
			return fmt.Sprintf("FAIL: version %d rows", v)
		}
	}
	outcome := "none"
	if snap.Version() == 5 {
		outcome = "all"
	}
	rec := eventsBatch(mem, 500, 4, 2)
	defer rec.Release()
	appendBatch(t, tbl, rec)
	snap, err = tbl.Snapshot(ctx)
	require.NoError(t, err)
	if !assert.Len(t, scanRows(t, snap), 44) {
		return "FAIL: next append rows"
	}
	return outcome
}

// scanRows renders every row of snap, sorted.
func scanRows(t *testing.T, snap *delta.Snapshot) []string {
	rr, err := snap.Scan(context.Background(), nil)
	require.NoError(t, err)
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := range int(rec.NumRows()) {
			var cols []string
			for j := range int(rec.NumCols()) {
				cols = append(cols, rec.Column(j).ValueStr(i))
			}
			rows = append(rows, strings.Join(cols, ","))
		}
	}
	require.NoError(t, rr.Err())
	slices.Sort(rows)
	return rows
}

var optPartName = regexp.MustCompile(`part-[^/]*\.parquet`)

func optMDStep(what string) string {
	if what == "end" {
		return "nothing more: the operation returned"
	}
	op, p, _ := strings.Cut(what, " ")
	if p == "" {
		return op + " the table root"
	}
	return op + " `" + optPartName.ReplaceAllString(p, "part-….parquet") + "`"
}

// optReliabilitySection writes this matrix's section of RELIABILITY.md
// (internal/reliabilitydoc) with LAKEHOUSE_UPDATE_RELIABILITY=1, and
// otherwise checks that the committed section has the same headings.
func optReliabilitySection(t *testing.T, body string) {
	const file, name, cmd = "../RELIABILITY.md", "optimize-crash-matrix", "go test -run TestOptimizeCrashMatrix ./optimize/ (optimize/crash_test.go)"
	if reliabilitydoc.Updating() {
		require.NoError(t, reliabilitydoc.Write(file, name, cmd, body))
		return
	}
	committed, ok, err := reliabilitydoc.Section(file, name)
	require.NoError(t, err)
	require.True(t, ok, "RELIABILITY.md lacks the %s section: run %s with LAKEHOUSE_UPDATE_RELIABILITY=1", name, cmd)
	heads := regexp.MustCompile(`(?m)^### .*$`)
	require.Equal(t, heads.FindAllString(body, -1), heads.FindAllString(committed, -1), "RELIABILITY.md's %s section is out of date: run %s with LAKEHOUSE_UPDATE_RELIABILITY=1", name, cmd)
}
