package delta

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// Helpers shared by the RESTORE, CLONE and VACUUM tests.

// newMaintTable creates a local table of eventsSchema in a fresh
// directory and appends rows 0..n-1 (one commit), partitioned by day
// when partitioned is set.
func newMaintTable(t *testing.T, mem memory.Allocator, n int, partitioned bool, props map[string]string) (*Table, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	opts := &CreateOptions{Table: &Options{Allocator: mem, NoSync: true}, Properties: props}
	if partitioned {
		opts.PartitionBy = []string{"day"}
	}
	tbl, err := Create(ctx, dir, eventsSchema, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = tbl.Close() })
	if n > 0 {
		appendRows(t, tbl, mem, 0, n)
	}
	return tbl, dir
}

func appendRows(t *testing.T, tbl *Table, mem memory.Allocator, from, n int) *CommitResult {
	t.Helper()
	rr := eventsReader(t, mem, from, n, 2)
	defer rr.Release()
	res, err := tbl.Append(context.Background(), rr, nil)
	require.NoError(t, err)
	return res
}

func deleteWhere(t *testing.T, tbl *Table, sql string) *CommitResult {
	t.Helper()
	e, err := expr.Parse(sql)
	require.NoError(t, err)
	res, err := tbl.Delete(context.Background(), e, nil)
	require.NoError(t, err)
	return res
}

// logListing names every file under _delta_log, to show an operation
// left the log as it was.
func logFilesOf(t *testing.T, tbl *Table) []string {
	t.Helper()
	var out []string
	for fi, err := range tbl.store.List(context.Background(), logDir) {
		require.NoError(t, err)
		out = append(out, fi.Path)
	}
	return out
}

// filesOnDisk lists the files under a local table root outside
// _delta_log, relative and sorted, temporary files included.
func filesOnDisk(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	if _, err := os.Stat(root); os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "_delta_log" {
				return filepath.SkipDir
			}
			return nil
		}
		out = append(out, rel)
		return nil
	}))
	sort.Strings(out)
	return out
}

// age sets the modification time of every file under root outside
// _delta_log to now-d.
func age(t *testing.T, root string, d time.Duration) {
	t.Helper()
	when := time.Now().Add(-d)
	for _, rel := range filesOnDisk(t, root) {
		require.NoError(t, os.Chtimes(filepath.Join(root, rel), when, when))
	}
}

// commitInfoOf returns the commitInfo of one version.
func commitInfoOf(t *testing.T, tbl *Table, v int64) map[string]any {
	t.Helper()
	line := commitLines(t, tbl, v)[0]
	var a struct {
		CommitInfo map[string]any `json:"commitInfo"`
	}
	require.NoError(t, json.Unmarshal([]byte(line), &a))
	require.NotNil(t, a.CommitInfo, "first line of commit %d is commitInfo", v)
	return a.CommitInfo
}

// liveFiles returns the paths of the latest snapshot's files, with a
// "+dv" suffix for those with a deletion vector.
func liveFiles(t *testing.T, tbl *Table) []string {
	t.Helper()
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	var out []string
	for f, err := range snap.Files(context.Background()) {
		require.NoError(t, err)
		p := f.Path
		if f.DeletionVector != nil {
			p += "+dv:" + f.DeletionVector.StorageType
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func hasPrefixAll(ss []string, prefix string) bool {
	for _, s := range ss {
		if !strings.HasPrefix(s, prefix) {
			return false
		}
	}
	return len(ss) > 0
}
