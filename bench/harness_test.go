package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// TestMain lets the test binary serve as the harness's Go child, as the
// bench binary does.
func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := childMain(spec); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestHarnessQuick runs the whole harness at -quick sizes, one run per
// engine, into a temporary copy of BENCHMARKS.md, and checks the section
// it writes. Outside CI a missing Python peer leaves that engine out (the
// section says why); under CI=true it fails the run.
func TestHarnessQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("bench: the end-to-end harness run takes about a minute; skipped under -short")
	}
	root := moduleRoot()
	orig, err := os.ReadFile(filepath.Join(root, "BENCHMARKS.md"))
	require.NoError(t, err)
	dir := t.TempDir()
	out := filepath.Join(dir, "BENCHMARKS.md")
	require.NoError(t, os.WriteFile(out, orig, 0o644))
	self, err := os.Executable()
	require.NoError(t, err)
	cfg := config{
		Dir: filepath.Join(dir, "cache"), Out: out, Runs: 1, Quick: true, Command: "go run ./bench -quick -runs 1",
		Python:       filepath.Join(root, ".cache", "venv-interop", "bin", "python"),
		DuckDBPython: filepath.Join(root, ".cache", "venv-duckdb", "bin", "python"),
		Self:         []string{self}, Log: t.Logf,
	}
	require.NoError(t, run(context.Background(), cfg))

	got, err := os.ReadFile(out)
	require.NoError(t, err)
	doc := string(got)
	i, j := strings.Index(doc, beginMarker), strings.Index(doc, endMarker)
	require.True(t, i >= 0 && j > i, "markers in order")
	assert.Equal(t, 1, strings.Count(doc, beginMarker))
	assert.Equal(t, 1, strings.Count(doc, endMarker))
	origText := string(orig)
	if k := strings.Index(origText, beginMarker); k >= 0 {
		origText = origText[:k]
	}
	assert.True(t, strings.HasPrefix(doc, strings.TrimRight(origText, "\n")), "the sections before the generated one are kept")

	sec := doc[i : j+len(endMarker)]
	assert.Contains(t, sec, "**-quick run: small sizes")
	assert.Contains(t, sec, "`go run ./bench -quick -runs 1`")
	ws := workloads(quickSizes)
	for _, w := range ws {
		assert.Contains(t, sec, "### "+w.Title+"\n")
	}
	assert.Equal(t, len(ws), strings.Count(sec, "\n| lakehouse | "), "one lakehouse line per workload")
	assert.Equal(t, len(ws), strings.Count(sec, "flat  flat%"), "one profile per workload")
	for _, line := range strings.Split(sec, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| engine") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		require.Len(t, cells, 5, line)
		if strings.HasPrefix(cells[4], "not run") {
			assert.False(t, prereq.InCI(), "under CI every peer runs: %s", line)
			continue
		}
		assert.True(t, strings.HasSuffix(cells[1], " ms"), line)
		assert.True(t, strings.HasSuffix(cells[3], " MiB"), line)
	}
}
