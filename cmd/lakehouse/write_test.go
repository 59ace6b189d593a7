package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lakehouseIn runs one command line with stdin.
func lakehouseIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestWriteJSONLCreatesAndAppends(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t")
	in := `{"id":1,"name":"a","ts":"2024-01-01T10:00:00Z","day":"2024-01-01","score":1.5,"tags":["x"],"addr":{"city":"Oslo"}}
{"id":2,"name":null,"ts":"2024-01-02T10:00:00.123456Z","day":"2024-01-02","score":2,"tags":[],"addr":{"city":null}}
`
	code, out, errs := lakehouseIn(t, in, "write", "--partition-by", "day", dir)
	require.Equal(t, 0, code, errs)
	var res map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, "CREATE TABLE AS SELECT", res["operation"])
	assert.Equal(t, "2", res["numOutputRows"])
	// A new table reports the protocol it got; zoned timestamps need no upgrade.
	assert.Equal(t, []any{float64(1), float64(2)}, []any{res["minReaderVersion"], res["minWriterVersion"]})

	code, out, errs = lakehouseIn(t, `{"id":3,"day":"2024-01-02"}`+"\n", "write", dir)
	require.Equal(t, 0, code, errs)
	assert.NotContains(t, out, "minReaderVersion", "an append writes no protocol")

	code, out, errs = lakehouse(t, "cat", "--format", "jsonl", dir)
	require.Equal(t, 0, code, errs)
	assert.ElementsMatch(t, []string{
		`{"id":1,"name":"a","ts":"2024-01-01T10:00:00.000000Z","day":"2024-01-01","score":1.5,"tags":["x"],"addr":{"city":"Oslo"}}`,
		`{"id":2,"name":null,"ts":"2024-01-02T10:00:00.123456Z","day":"2024-01-02","score":2,"tags":[],"addr":{"city":null}}`,
		`{"id":3,"name":null,"ts":null,"day":"2024-01-02","score":null,"tags":null,"addr":null}`,
	}, lines(out))

	// Unknown columns are refused rather than dropped.
	code, _, errs = lakehouseIn(t, `{"id":4,"colour":"red"}`+"\n", "write", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "colour")
	code, _, errs = lakehouseIn(t, `{"id":4,"colour":"red"}`+"\n", "write", "--merge-schema", dir)
	require.Equal(t, 0, code, errs)

	code, _, errs = lakehouseIn(t, `{"id":9,"day":"2024-01-09"}`+"\n", "write", "--mode", "overwrite", dir)
	require.Equal(t, 0, code, errs)
	code, out, _ = lakehouse(t, "cat", "--format", "jsonl", "--columns", "id", dir)
	require.Equal(t, 0, code)
	assert.Equal(t, []string{`{"id":9}`}, lines(out))
}

// TestWriteModeOnNewTable checks that either --mode creates a missing
// table: creation takes no mode, so the CLI must not pass one on.
func TestWriteModeOnNewTable(t *testing.T) {
	for _, mode := range []string{"append", "overwrite"} {
		t.Run(mode, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "t")
			code, out, errs := lakehouseIn(t, `{"id":1}`+"\n", "write", "--mode", mode, dir)
			require.Equal(t, 0, code, errs)
			var res map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &res))
			assert.Equal(t, "CREATE TABLE AS SELECT", res["operation"])
			code, out, _ = lakehouse(t, "cat", "--format", "jsonl", dir)
			require.Equal(t, 0, code)
			assert.Equal(t, []string{`{"id":1}`}, lines(out))
		})
	}
}

func TestWriteCSVAndParquet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t")
	code, _, errs := lakehouseIn(t, "id,price,ok,when,name\n1,2.5,true,2024-03-01,x\n2,,false,2024-03-02,\n", "write", "--format", "csv", dir)
	require.Equal(t, 0, code, errs)
	code, out, _ := lakehouse(t, "cat", "--format", "jsonl", dir)
	require.Equal(t, 0, code)
	assert.ElementsMatch(t, []string{
		`{"id":1,"price":2.5,"ok":true,"when":"2024-03-01","name":"x"}`,
		`{"id":2,"price":null,"ok":false,"when":"2024-03-02","name":null}`,
	}, lines(out))

	// Parquet input through the same path; ids that fit in 32 bits were
	// inferred as int.
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, {Name: "when", Type: arrow.FixedWidthTypes.Date32, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	b.Field(0).(*array.Int32Builder).Append(3)
	b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(mustDate("2024-03-03")))
	rec := b.NewRecordBatch()
	b.Release()
	var buf bytes.Buffer
	w, err := pqarrow.NewFileWriter(schema, &buf, nil, pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	rec.Release()
	code, _, errs = lakehouseIn(t, buf.String(), "write", "--format", "parquet", dir)
	require.Equal(t, 0, code, errs)
	code, out, _ = lakehouse(t, "cat", "--format", "jsonl", "--where", "id = 3", dir)
	require.Equal(t, 0, code)
	assert.Equal(t, []string{`{"id":3,"price":null,"ok":null,"when":"2024-03-03","name":null}`}, lines(out))
}

func TestCreateSetPropertyCheckpoint(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "t")
	schemaFile := filepath.Join(tmp, "schema.json")
	require.NoError(t, os.WriteFile(schemaFile, []byte(`{"type":"struct","fields":[
		{"name":"id","type":"long","nullable":false,"metadata":{}},
		{"name":"day","type":"date","nullable":true,"metadata":{"comment":"partition"}}]}`), 0o644))
	code, out, errs := lakehouse(t, "create", "--schema", schemaFile, "--partition-by", "day", "--property", "delta.enableChangeDataFeed=true", dir)
	require.Equal(t, 0, code, errs)
	assert.JSONEq(t, `{"version":0,"minReaderVersion":1,"minWriterVersion":4}`, out)

	code, _, errs = lakehouseIn(t, `{"id":null,"day":"2024-01-01"}`+"\n", "write", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "NOT NULL")

	code, _, errs = lakehouseIn(t, `{"id":1,"day":"2024-01-01"}`+"\n", "write", dir)
	require.Equal(t, 0, code, errs)
	code, out, errs = lakehouse(t, "set-property", dir, "owner=me", "delta.checkpointInterval=5")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, `"operation":"SET TBLPROPERTIES"`)
	code, out, errs = lakehouse(t, "checkpoint", dir)
	require.Equal(t, 0, code, errs)
	assert.JSONEq(t, `{"version":2,"kind":"classic","parts":1,"actions":3}`, out)
	_, err := os.Stat(filepath.Join(dir, "_delta_log", "00000000000000000002.checkpoint.parquet"))
	require.NoError(t, err)
	code, out, _ = lakehouse(t, "describe", "--format", "json", dir)
	require.Equal(t, 0, code)
	assert.Contains(t, out, `"owner":"me"`)

	code, _, errs = lakehouse(t, "set-property", "--unset", dir, "owner")
	require.Equal(t, 0, code, errs)
	code, _, _ = lakehouse(t, "create", "--schema", schemaFile, dir)
	assert.Equal(t, 1, code, "table exists")
}

func mustDate(s string) time.Time {
	v, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return v
}
