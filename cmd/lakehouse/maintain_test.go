package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaintainCommand(t *testing.T) {
	dir := smallFilesTable(t, 6)

	// A dry run explains and changes nothing.
	code, out, errs := lakehouse(t, "maintain", "--dry-run", "--format", "text", "--min-small-files", "3", dir)
	require.Equal(t, 0, code, errs)
	assert.Empty(t, errs, "no progress bar on a pipe")
	assert.Contains(t, out, "table version 5: 6 file(s)")
	assert.Contains(t, out, "in 2 partition(s)")
	assert.Contains(t, out, "compact     planned  3 small file(s)")
	assert.Contains(t, out, "vacuum      skipped  no file unreferenced past the retention")
	assert.LessOrEqual(t, len(lines(out)), 24, "one screen")
	code, out, _ = lakehouse(t, "files", "--format", "jsonl", dir)
	require.Equal(t, 0, code)
	assert.Len(t, lines(out), 6, "nothing rewritten")

	// JSON on a pipe by default; the run compacts.
	code, out, errs = lakehouse(t, "maintain", "--min-small-files", "3", dir)
	require.Equal(t, 0, code, errs)
	var rep struct {
		Version   int64                                `json:"version"`
		Stats     struct{ NumFiles, SmallFiles int64 } `json:"stats"`
		Decisions []struct {
			Action, Status, Reason, Result string
			Needed                         bool
		} `json:"decisions"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep), out)
	assert.Equal(t, int64(6), rep.Version)
	assert.Equal(t, int64(6), rep.Stats.NumFiles)
	require.Len(t, rep.Decisions, 7)
	for _, d := range rep.Decisions {
		assert.NotEmpty(t, d.Reason, d.Action)
		if d.Action == "compact" {
			assert.Equal(t, "done", d.Status)
			assert.Regexp(t, `^6 file\(s\), \S+ \S+ → 2 file\(s\), \S+ \S+ in 1 commit\(s\)$`, d.Result)
		} else {
			assert.Equal(t, "skipped", d.Status, d.Action)
		}
	}

	// On a terminal: a summary that says the table is now healthy.
	var o, e bytes.Buffer
	code = run(context.Background(), &env{stdout: &o, stderr: &e, tty: true, progressTTY: true}, []string{"maintain", "--min-small-files", "3", dir})
	require.Equal(t, 0, code, e.String())
	assert.Contains(t, o.String(), "nothing to do: the table is healthy")
}

func TestMaintainCommandProgressOnTerminal(t *testing.T) {
	dir := smallFilesTable(t, 4)
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errb, tty: true, progressTTY: true}, []string{"maintain", "--min-small-files", "2", dir})
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, errb.String(), "optimize rewrite [")
	assert.True(t, bytes.HasSuffix(errb.Bytes(), []byte("\r\033[K")), "the bar is cleared before the summary prints")
	assert.Contains(t, out.String(), "compact     done")
}

func TestMaintainCommandMistakes(t *testing.T) {
	dir := smallFilesTable(t, 1)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--budget", "-1s", dir}, exitUsage, "lakehouse: maintain: --budget -1s is negative"},
		{[]string{"--format", "yaml", dir}, exitUsage, `--format "yaml": use json or text`},
		{[]string{"--budget", "soon", dir}, exitUsage, `invalid value "soon" for flag -budget`},
		{[]string{filepath.Join(dir, "nope")}, exitFailure, "no such directory"},
		{[]string{}, exitUsage, "missing TABLE"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, out, errs := lakehouse(t, append([]string{"maintain"}, tc.args...)...)
			assert.Equal(t, tc.code, code, errs)
			assert.Empty(t, out)
			assert.Contains(t, errs, tc.want)
		})
	}
}

func TestOptimizeAndClusterBySummaries(t *testing.T) {
	dir := smallFilesTable(t, 4)
	written, err := filepath.Glob(filepath.Join(dir, "day=*", "*.parquet"))
	require.NoError(t, err)
	require.Len(t, written, 4)
	var size int64
	for _, f := range written {
		st, err := os.Stat(f)
		require.NoError(t, err)
		size += st.Size()
	}
	code, out, errs := lakehouse(t, "optimize", "--format", "text", dir)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, []string{
		"OPTIMIZE (bin-packing): version 4, 1 commit(s)",
		"  removed     4 file(s), " + humanBytes(float64(size)),
	}, lines(out)[:2])
	assert.Contains(t, out, "  added       2 file(s)")
	assert.Contains(t, out, "  partitions  2 optimized; 4 file(s) considered, 0 left alone\n")
	assert.Regexp(t, `(?m)^  took        \S+$`, out)

	code, out, errs = lakehouse(t, "optimize", "--format", "text", dir)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "OPTIMIZE (bin-packing): nothing to rewrite at version 4\n  considered 2 file(s); 2 skipped (already compacted or clustered)\n", out)

	code, _, errs = lakehouse(t, "optimize", "--format", "xml", dir)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, `--format "xml"`)

	tmp := t.TempDir()
	tbl := filepath.Join(tmp, "c")
	for i := range 3 {
		code, _, errs := lakehouseIn(t, fmt.Sprintf(`{"id":%d,"name":"n%d"}`+"\n", i, i), "write", tbl)
		require.Equal(t, 0, code, errs)
	}
	code, out, errs = lakehouse(t, "cluster-by", "--format", "text", tbl, "id")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "CLUSTER BY id: version 3; clustering columns were none\n"+
		"  existing files are not rewritten: run 'lakehouse optimize "+tbl+"' to cluster them (--full reclusters every file)\n", out)
	code, out, errs = lakehouse(t, "optimize", "--format", "text", tbl)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "OPTIMIZE (clustering by id): version 4, 1 commit(s)")
	assert.Contains(t, out, "  clustered   3 unclustered and 0 clustered file(s) rewritten")
	code, out, errs = lakehouse(t, "cluster-by", "--format", "text", tbl, "NONE")
	require.Equal(t, 0, code, errs)
	assert.Equal(t, "CLUSTER BY NONE: version 5; clustering columns were id\n  files stay as they are; new files are no longer clustered\n", out)
}

func TestOptimizeClusteredTableWithoutStats(t *testing.T) {
	tbl := filepath.Join(t.TempDir(), "c")
	for i := range 2 {
		code, _, errs := lakehouseIn(t, fmt.Sprintf(`{"id":%d,"name":"n%d"}`+"\n", i, i), "write", tbl)
		require.Equal(t, 0, code, errs)
	}
	code, _, errs := lakehouse(t, "cluster-by", tbl, "name")
	require.Equal(t, 0, code, errs)
	// Statistics narrowed to id alone: name (leaf 2) has none any more.
	code, _, errs = lakehouse(t, "set-property", tbl, "delta.dataSkippingNumIndexedCols=1")
	require.Equal(t, 0, code, errs)
	for _, cmd := range []string{"optimize", "maintain"} {
		code, _, errs = lakehouse(t, cmd, tbl)
		assert.Equal(t, exitFailure, code, cmd)
		assert.Contains(t, errs, `clustering columns must have statistics: "name" is past delta.dataSkippingNumIndexedCols`, cmd)
		assert.NotContains(t, errs, "lakehouse help", "not a command-line mistake")
	}
	code, _, errs = lakehouse(t, "cluster-by", tbl, "nope.x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errs, `clustering column "nope.x" is not in the schema`)
}
