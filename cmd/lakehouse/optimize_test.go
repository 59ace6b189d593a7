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

// smallFilesTable writes n one-row commits into a table partitioned by day.
func smallFilesTable(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "t")
	for i := range n {
		in := fmt.Sprintf(`{"id":%d,"name":"n%d","day":"d%d"}`+"\n", i, i, i%2)
		code, _, errs := lakehouseIn(t, in, "write", "--partition-by", "day", dir)
		require.Equal(t, 0, code, errs)
	}
	return dir
}

func TestOptimizeCommand(t *testing.T) {
	dir := smallFilesTable(t, 6)
	tests := []struct {
		name        string
		args        []string
		wantRemoved string
		wantZOrder  bool
	}{
		{"one partition", []string{"--where", "day = 'd0'"}, "3", false},
		{"z-ordered: d0's one file and d1's three", []string{"--zorder-by", "id,name", "--target-size", "1g"}, "4", true},
		{"nothing left to do", []string{"--zorder-by", "id,name"}, "0", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := lakehouse(t, append(append([]string{"optimize"}, tc.args...), dir)...)
			require.Equal(t, 0, code, errs)
			require.Len(t, lines(out), 1, "one JSON line")
			var res map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &res))
			assert.Equal(t, "OPTIMIZE", res["operation"])
			assert.Equal(t, tc.wantRemoved, res["numRemovedFiles"])
			for _, k := range []string{"numAddedFiles", "numBatches", "totalConsideredFiles", "totalFilesSkipped", "numDeletionVectorsRemoved"} {
				assert.Contains(t, res, k)
			}
			_, z := res["zOrderStats"]
			assert.Equal(t, tc.wantZOrder, z)
		})
	}
	code, out, _ := lakehouse(t, "cat", "--format", "jsonl", "--columns", "id", dir)
	require.Equal(t, 0, code)
	assert.Len(t, lines(out), 6, "rows kept")
	code, out, _ = lakehouse(t, "files", "--format", "jsonl", dir)
	require.Equal(t, 0, code)
	assert.Len(t, lines(out), 2, "one file per partition")
}

func TestOptimizeCommandMistakes(t *testing.T) {
	dir := smallFilesTable(t, 2)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"data column in --where", []string{"--where", "id > 1"}, `column "id" is not a partition column`},
		{"z-order by a partition column", []string{"--zorder-by", "day"}, "is a partition column"},
		{"bad size", []string{"--target-size", "big"}, "--target-size"},
		{"bad predicate", []string{"--where", "day = "}, "--where"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := lakehouse(t, append(append([]string{"optimize"}, tc.args...), dir)...)
			assert.Equal(t, exitUsage, code)
			assert.Empty(t, out)
			assert.True(t, strings.HasPrefix(errs, "lakehouse: optimize: "), errs)
			assert.Contains(t, errs, tc.want)
		})
	}
}

func TestOptimizeProgressOnTerminal(t *testing.T) {
	dir := smallFilesTable(t, 4)
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errb, progressTTY: true}, []string{"optimize", dir})
	require.Equal(t, 0, code, errb.String())
	assert.Contains(t, errb.String(), "optimize rewrite [")
	assert.True(t, bytes.HasSuffix(errb.Bytes(), []byte("\r\033[K")), "the bar is cleared before the result prints")
}

func TestClusterByCommands(t *testing.T) {
	tmp := t.TempDir()
	schema := filepath.Join(tmp, "s.json")
	require.NoError(t, os.WriteFile(schema, []byte(`{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},{"name":"name","type":"string","nullable":true,"metadata":{}}]}`), 0o644))
	dir := filepath.Join(tmp, "t")
	code, _, errs := lakehouse(t, "create", "--schema", schema, "--cluster-by", "id", dir)
	require.Equal(t, 0, code, errs)
	for i := range 4 {
		code, _, errs := lakehouseIn(t, fmt.Sprintf(`{"id":%d,"name":"n%d"}`+"\n", i, i), "write", dir)
		require.Equal(t, 0, code, errs)
	}
	steps := []struct {
		args    []string
		op      string
		removed string
	}{
		{[]string{"optimize", dir}, "OPTIMIZE", "4"},
		{[]string{"optimize", dir}, "OPTIMIZE", "0"},
		{[]string{"cluster-by", dir, "name,id"}, "CLUSTER BY", ""},
		{[]string{"describe", "--format", "json", dir}, "", ""},
		{[]string{"optimize", "--full", dir}, "OPTIMIZE", "1"},
		{[]string{"cluster-by", dir, "NONE"}, "CLUSTER BY", ""},
	}
	for _, s := range steps {
		code, out, errs := lakehouse(t, s.args...)
		require.Equal(t, 0, code, "%v: %s", s.args, errs)
		var res map[string]any
		require.NoError(t, json.Unmarshal([]byte(out), &res), out)
		if s.args[0] == "describe" {
			assert.Equal(t, []any{"name", "id"}, res["clusteringColumns"])
			continue
		}
		assert.Equal(t, s.op, res["operation"], s.args)
		if s.removed != "" {
			assert.Equal(t, s.removed, res["numRemovedFiles"], s.args)
			assert.Contains(t, res, "clusteringStats", s.args)
		}
	}
	code, out, _ := lakehouse(t, "describe", "--format", "json", dir)
	require.Equal(t, 0, code)
	var desc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &desc), out)
	assert.Equal(t, []any{}, desc["clusteringColumns"], "CLUSTER BY NONE")
	code, out, _ = lakehouse(t, "files", "--format", "jsonl", dir)
	require.Equal(t, 0, code)
	require.Len(t, lines(out), 1)
	assert.Contains(t, out, `"clusteringProvider":"liquid"`)
	code, out, _ = lakehouse(t, "cat", "--format", "jsonl", "--columns", "id", dir)
	require.Equal(t, 0, code)
	assert.Len(t, lines(out), 4, "rows kept")

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"cluster-by", dir, "nope"}, "not in the schema"},
		{[]string{"cluster-by", dir}, "expected TABLE"},
		{[]string{"optimize", "--full", "--zorder-by", "id", dir}, "exclude"},
		{[]string{"create", "--schema", schema, "--cluster-by", "id", "--partition-by", "name", filepath.Join(tmp, "u")}, "both partitioned and clustered"},
	}
	for _, b := range bad {
		code, _, errs := lakehouse(t, b.args...)
		assert.NotEqual(t, 0, code, b.args)
		assert.Contains(t, errs, b.want, b.args)
	}
}
