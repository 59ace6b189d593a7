package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// result runs a command that must succeed and decodes its JSON line.
func result(t *testing.T, stdin string, args ...string) map[string]any {
	t.Helper()
	code, out, errs := lakehouseIn(t, stdin, args...)
	require.Equal(t, 0, code, errs)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &m), out)
	return m
}

func TestRestoreCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t")
	result(t, `{"id":1,"p":"a"}`+"\n"+`{"id":2,"p":"b"}`+"\n", "write", "--partition-by", "p", dir) // v0
	time.Sleep(20 * time.Millisecond)                                                               // commit times a millisecond apart must not tie
	result(t, "", "delete", "--where", "p = 'a'", dir)                                              // v1
	time.Sleep(20 * time.Millisecond)
	result(t, `{"id":3,"p":"a"}`+"\n", "write", dir) // v2

	cases := []struct {
		name     string
		args     []string
		want     map[string]any
		rows     []string
		wantCode int // for failures: 2 for a bad command line, 1 for a runtime failure
	}{
		{
			name: "by version",
			args: []string{"--version", "0"},
			want: map[string]any{"version": float64(3), "operation": "RESTORE", "numRestoredFiles": "1", "numRemovedFiles": "1", "numOfFilesAfterRestore": "2"},
			rows: []string{`{"id":1,"p":"a"}`, `{"id":2,"p":"b"}`},
		},
		{
			name: "by timestamp",
			args: []string{"--timestamp", commitTime(t, dir, 1).Add(time.Millisecond).Format(time.RFC3339Nano)},
			want: map[string]any{"version": float64(4), "operation": "RESTORE", "numRestoredFiles": "0", "numRemovedFiles": "1", "numOfFilesAfterRestore": "1"},
			rows: []string{`{"id":2,"p":"b"}`},
		},
		{name: "timestamp before the first commit", args: []string{"--timestamp", "2001-01-01T00:00:00Z"}, wantCode: 1},
		{name: "no target", args: nil, wantCode: 2},
		{name: "both targets", args: []string{"--version", "0", "--timestamp", "2024-01-01"}, wantCode: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil {
				code, _, errs := lakehouse(t, append(append([]string{"restore"}, tc.args...), dir)...)
				assert.Equal(t, tc.wantCode, code, errs)
				assert.Contains(t, errs, "lakehouse: ")
				return
			}
			got := result(t, "", append(append([]string{"restore"}, tc.args...), dir)...)
			for k, v := range tc.want {
				assert.Equal(t, v, got[k], k)
			}
			code, out, errs := lakehouse(t, "cat", "--format", "jsonl", dir)
			require.Equal(t, 0, code, errs)
			assert.ElementsMatch(t, tc.rows, lines(out))
		})
	}
}

func TestCloneCommand(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	result(t, `{"id":1}`+"\n"+`{"id":2}`+"\n", "write", src) // v0
	result(t, `{"id":3}`+"\n", "write", src)                 // v1

	for _, tc := range []struct {
		name   string
		args   []string
		copied string
		rows   []string
	}{
		{"deep", nil, "2", []string{`{"id":1}`, `{"id":2}`, `{"id":3}`}},
		{"shallow", []string{"--shallow"}, "0", []string{`{"id":1}`, `{"id":2}`, `{"id":3}`}},
		{"shallow at a version", []string{"--shallow", "--version", "0"}, "0", []string{`{"id":1}`, `{"id":2}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "clone")
			got := result(t, "", append(append([]string{"clone"}, tc.args...), src, dst)...)
			assert.Equal(t, "CLONE", got["operation"])
			assert.Equal(t, float64(0), got["version"])
			assert.Equal(t, tc.copied, got["numCopiedFiles"])
			if tc.copied == "0" {
				// A shallow clone reads its source's files only when told
				// it may, and the error says how.
				code, out, errs := lakehouse(t, "cat", "--format", "jsonl", dst)
				assert.Equal(t, 1, code)
				assert.Empty(t, out)
				assert.Contains(t, errs, "file outside the table root")
				assert.Contains(t, errs, "--allow-root")
			}
			code, out, errs := lakehouse(t, "cat", "--format", "jsonl", "--allow-root", src, dst)
			require.Equal(t, 0, code, errs)
			assert.ElementsMatch(t, tc.rows, lines(out))
		})
	}
	code, _, errs := lakehouse(t, "clone", src)
	assert.Equal(t, 2, code, "a usage error")
	assert.Contains(t, errs, "SOURCE and TARGET")
}

func TestVacuumCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t")
	result(t, `{"id":1}`+"\n", "write", dir)
	orphan := filepath.Join(dir, "part-00099-killed.snappy.parquet")
	require.NoError(t, os.WriteFile(orphan, []byte("partial"), 0o644))
	old := time.Now().Add(-10 * 24 * time.Hour)
	require.NoError(t, os.Chtimes(orphan, old, old))

	got := result(t, "", "vacuum", "--dry-run", dir)
	assert.Equal(t, []any{"part-00099-killed.snappy.parquet"}, got["files"])
	assert.Equal(t, float64(1), got["numFilesToDelete"])
	assert.Equal(t, float64(0), got["numDeletedFiles"])
	assert.FileExists(t, orphan)

	code, _, errs := lakehouse(t, "vacuum", "--retain", "1h", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "retention")

	got = result(t, "", "vacuum", "--retain", "1h", "--force", dir)
	assert.Equal(t, float64(1), got["numDeletedFiles"])
	assert.Equal(t, float64(2), got["version"], "VACUUM END")
	assert.NoFileExists(t, orphan)

	got = result(t, "", "vacuum", "--lite", dir)
	assert.Equal(t, float64(0), got["numDeletedFiles"])

	code, out, errs := lakehouse(t, "history", "--format", "jsonl", "--limit", "2", dir)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "VACUUM END")
}

// commitTime is the time a version was committed, as the log records it
// for a table without in-commit timestamps.
func commitTime(t *testing.T, dir string, v int) time.Time {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", v)))
	require.NoError(t, err)
	return fi.ModTime().UTC().Truncate(time.Millisecond)
}
