package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/corpustest"
)

func corpus(t *testing.T, table string) string {
	t.Helper()
	return corpustest.Table(t, table)
}

// lakehouse runs one command line and returns exit status, stdout, stderr.
func lakehouse(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func lines(s string) []string {
	return strings.Split(strings.TrimRight(s, "\n"), "\n")
}

func TestCatJSONL(t *testing.T) {
	table := corpus(t, "dat/all_primitive_types")
	code, out, stderr := lakehouse(t, "cat", "--format", "jsonl", "--limit", "2", table)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, []string{
		`{"utf8":"0","int64":0,"int32":0,"int16":0,"int8":0,"float32":0,"float64":0,"bool":true,"binary":"","decimal":"10.000","date32":"1970-01-01","timestamp":"1970-01-01T00:00:00.000000Z"}`,
		`{"utf8":"1","int64":1,"int32":1,"int16":1,"int8":1,"float32":1,"float64":1,"bool":false,"binary":"AA==","decimal":"11.000","date32":"1970-01-02","timestamp":"1970-01-01T01:00:00.000000Z"}`,
	}, lines(out))
}

func TestCatProjectionFilterVersion(t *testing.T) {
	table := corpus(t, "dat/basic_append")
	code, out, stderr := lakehouse(t, "cat", "--version", "0", "--format", "jsonl", table)
	require.Equal(t, 0, code, stderr)
	v0 := len(lines(out))
	code, out, _ = lakehouse(t, "cat", "--format", "jsonl", table)
	require.Equal(t, 0, code)
	assert.Greater(t, len(lines(out)), v0, "the latest version has more rows than version 0")

	part := corpus(t, "dat/basic_partitioned")
	code, out, stderr = lakehouse(t, "cat", "--columns", "number,letter", "--where", "letter = 'a' OR letter IS NULL", "--format", "jsonl", part)
	require.Equal(t, 0, code, stderr)
	assert.ElementsMatch(t, []string{`{"number":1,"letter":"a"}`, `{"number":4,"letter":"a"}`, `{"number":6,"letter":null}`}, lines(out))

	code, out, _ = lakehouse(t, "cat", "--format", "csv", "--columns", "letter,number", "--where", "number = 6", part)
	require.Equal(t, 0, code)
	assert.Equal(t, []string{"letter,number", ",6"}, lines(out))
}

func TestCatTimestamp(t *testing.T) {
	table := corpus(t, "dat/basic_append")
	code, out, stderr := lakehouse(t, "cat", "--timestamp", "2100-01-01T00:00:00Z", "--format", "jsonl", table)
	require.Equal(t, 0, code, stderr)
	_, latest, _ := lakehouse(t, "cat", "--format", "jsonl", table)
	assert.Equal(t, latest, out, "a time after the last commit reads the latest version")
	code, _, stderr = lakehouse(t, "cat", "--timestamp", "1990-01-01T00:00:00Z", table)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "version not found")
}

func TestDescribeJSON(t *testing.T) {
	table := corpus(t, "dat/basic_partitioned")
	code, out, stderr := lakehouse(t, "describe", "--format", "json", table)
	require.Equal(t, 0, code, stderr)
	var d map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	assert.EqualValues(t, 1, d["version"])
	assert.EqualValues(t, 6, d["numFiles"])
	assert.Positive(t, d["sizeInBytes"])
	p := d["protocol"].(map[string]any)
	assert.EqualValues(t, 1, p["minReaderVersion"])
	assert.EqualValues(t, 2, p["minWriterVersion"])
	assert.Equal(t, []any{}, p["readerFeatures"])
	m := d["metadata"].(map[string]any)
	for _, k := range []string{"id", "name", "description", "partitionColumns", "configuration", "schemaString", "createdTime"} {
		assert.Contains(t, m, k)
	}
	assert.Equal(t, []any{"letter"}, m["partitionColumns"])
}

func TestHistoryAndFiles(t *testing.T) {
	table := corpus(t, "dat/basic_append")
	code, out, stderr := lakehouse(t, "history", "--format", "jsonl", table)
	require.Equal(t, 0, code, stderr)
	hist := lines(out)
	require.Len(t, hist, 2)
	var h map[string]any
	require.NoError(t, json.Unmarshal([]byte(hist[0]), &h))
	assert.EqualValues(t, 1, h["version"], "newest first")
	assert.Equal(t, "WRITE", h["operation"])
	assert.Contains(t, h, "operationParameters")
	assert.Contains(t, h, "timestamp")
	assert.Contains(t, h, "engineInfo", "the rest of commitInfo is kept")

	code, out, _ = lakehouse(t, "history", "--limit", "1", "--format", "jsonl", table)
	require.Equal(t, 0, code)
	assert.Len(t, lines(out), 1)

	code, out, stderr = lakehouse(t, "files", "--format", "jsonl", table)
	require.Equal(t, 0, code, stderr)
	for _, l := range lines(out) {
		var f map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &f))
		for _, k := range []string{"path", "partitionValues", "size", "modificationTime", "stats"} {
			assert.Contains(t, f, k)
		}
	}
}

func TestUnsupportedFeatureIsAnErrorNotPartialOutput(t *testing.T) {
	table := corpus(t, "delta-golden/deltalog-invalid-protocol-version")
	code, out, stderr := lakehouse(t, "cat", "--format", "jsonl", table)
	assert.Equal(t, 1, code)
	assert.Empty(t, out)
	assert.Contains(t, stderr, "unsupported table feature")
}

func TestChanges(t *testing.T) {
	table := corpus(t, "delta-kernel-rs/cdf-table-simple")
	code, out, stderr := lakehouse(t, "changes", "--from", "0", "--format", "jsonl", table)
	require.Equal(t, 0, code, stderr)
	for _, l := range lines(out) {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m))
		assert.Contains(t, []any{"insert", "delete", "update_preimage", "update_postimage"}, m["_change_type"])
		assert.Contains(t, m, "_commit_version")
		assert.Contains(t, m, "_commit_timestamp")
	}
	code, _, stderr = lakehouse(t, "changes", "--from", "3", table)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "version not found")
}
