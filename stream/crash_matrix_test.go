//go:build unix

package stream_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/reliabilitydoc"
	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/stepstore"
)

// TestStreamCrashMatrix is the crash matrix (delta/crash_matrix_test.go)
// for a streaming query from a Delta source into a DeltaSink: three input
// commits of three rows, one micro-batch each. A child process runs the
// query to the end of its input and SIGKILLs itself before its n-th
// storage step (counted through storage.WrapForTest: the source's reads,
// the sink's writes and the query checkpoint's files). The
// parent then restarts the query; the sink must hold each input row
// exactly once.
func TestStreamCrashMatrix(t *testing.T) {
	if at := os.Getenv("STREAM_STEP_AT"); at != "" {
		n, err := strconv.ParseInt(at, 10, 64)
		require.NoError(t, err)
		kill := func() {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
		storage.WrapForTest = stepstore.Wrapper(func(i int64, _ string) {
			if i == n {
				kill()
			}
		}, nil)
		crashChild("delta", os.Getenv("STREAM_CRASH_DIR"), "drain")
		kill() // past the last step: die before reporting
	}
	if testing.Short() {
		t.Skip("the crash matrix starts a process per storage step; skipped with -short")
	}
	setup := func() string {
		dir := t.TempDir()
		sourceTable(t, dir, []int64{0, 1, 2}, []int64{3, 4, 5}, []int64{6, 7, 8})
		return dir
	}
	// Count the steps on a clean run.
	dir := setup()
	var steps []string
	storage.WrapForTest = stepstore.Wrapper(func(_ int64, what string) { steps = append(steps, what) }, nil)
	rc := crashChild("delta", dir, "drain")
	storage.WrapForTest = nil
	require.Zero(t, rc)
	require.Equal(t, seq(0, 8), tableInts(t, filepath.Join(dir, "out"), "id"))
	steps = append(steps, "end")

	var b strings.Builder
	b.WriteString("## Crash matrix: streaming micro-batch (Delta source → DeltaSink)\n\n")
	b.WriteString("stream/crash_matrix_test.go: three input commits of three rows, one micro-batch each, drained by a query killed before each storage step of the source, the sink and the query checkpoint (paths are relative to each: `_delta_log/…` of the source or the sink, `offsets/`, `commits/`, `metadata` of the checkpoint). After the kill the query is restarted and drains the input; the sink must then hold every input row exactly once. The outcome column is the number of micro-batches the killed run had committed to its checkpoint.\n\n")
	b.WriteString("### delta source to DeltaSink\n\n| step | killed before | outcome |\n|---:|---|---|\n")
	for n := int64(1); n <= int64(len(steps)); n++ {
		dir := setup()
		cmd := exec.Command(os.Args[0], "-test.run=^TestStreamCrashMatrix$", "-test.count=1")
		cmd.Env = append(os.Environ(), "STREAM_STEP_AT="+strconv.FormatInt(n, 10), "STREAM_CRASH_DIR="+dir)
		out, err := cmd.CombinedOutput()
		var exitErr *exec.ExitError
		require.ErrorAs(t, err, &exitErr, "the child must die at step %d (%s): %s", n, steps[n-1], out)
		ws, ok := exitErr.Sys().(syscall.WaitStatus)
		require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child at step %d: %v: %s", n, err, out)
		batches := latestIn(t, filepath.Join(dir, "ck", "commits")) + 1

		outcome := fmt.Sprintf("%d batches committed; exactly once after restart", batches)
		if !assert.Zero(t, crashChild("delta", dir, "drain"), "restart after step %d", n) {
			outcome = "FAIL: restart"
		} else if !assert.Equal(t, seq(0, 8), tableInts(t, filepath.Join(dir, "out"), "id"), "after step %d", n) {
			outcome = "FAIL: not exactly once"
		}
		fmt.Fprintf(&b, "| %d | %s | %s |\n", n, streamMDStep(steps[n-1]), outcome)
	}
	b.WriteString("\n")
	streamReliabilitySection(t, b.String())
}

var streamPartName = regexp.MustCompile(`part-[^/]*\.parquet`)

func streamMDStep(what string) string {
	if what == "end" {
		return "nothing more: the query drained its input"
	}
	op, p, _ := strings.Cut(what, " ")
	if p == "" {
		return op + " a table root"
	}
	return op + " `" + streamPartName.ReplaceAllString(p, "part-….parquet") + "`"
}

// streamReliabilitySection writes this matrix's section of RELIABILITY.md
// (internal/reliabilitydoc) with LAKEHOUSE_UPDATE_RELIABILITY=1, and
// otherwise checks that the committed section has the same headings.
func streamReliabilitySection(t *testing.T, body string) {
	const file, name, cmd = "../RELIABILITY.md", "stream-crash-matrix", "go test -run TestStreamCrashMatrix ./stream/ (stream/crash_matrix_test.go)"
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
