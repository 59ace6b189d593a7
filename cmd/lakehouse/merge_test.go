package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const mergeTarget = `{"id":1,"v":"a","n":10}
{"id":2,"v":"b","n":20}
{"id":3,"v":"c","n":30}
{"id":4,"v":"d","n":40}
`

const mergeSourceJSONL = `{"id":2,"v":"B","n":200,"op":"u"}
{"id":3,"v":"C","n":300,"op":"d"}
{"id":5,"v":"E","n":500,"op":"i"}
{"id":6,"v":"F","n":600,"op":"i"}
`

// mergeFixture is a target table and the sources a merge may read.
type mergeFixture struct {
	target, jsonl, txt, parquet, table string
}

func newMergeFixture(t *testing.T, targetProps ...string) mergeFixture {
	t.Helper()
	dir := t.TempDir()
	f := mergeFixture{
		target:  filepath.Join(dir, "target"),
		jsonl:   filepath.Join(dir, "src.jsonl"),
		txt:     filepath.Join(dir, "src.txt"),
		parquet: filepath.Join(dir, "src.parquet"),
		table:   filepath.Join(dir, "srctable"),
	}
	args := []string{"write"}
	for _, p := range targetProps {
		args = append(args, "--property", p)
	}
	code, _, errs := lakehouseIn(t, mergeTarget, append(args, f.target)...)
	require.Equal(t, 0, code, errs)
	require.NoError(t, os.WriteFile(f.jsonl, []byte(mergeSourceJSONL), 0o644))
	require.NoError(t, os.WriteFile(f.txt, []byte(mergeSourceJSONL), 0o644))
	writeMergeParquet(t, f.parquet)
	// The source table: version 0 holds id 2 only, version 1 adds id 5.
	code, _, errs = lakehouseIn(t, `{"id":2,"v":"T2","n":2}`+"\n", "write", f.table)
	require.Equal(t, 0, code, errs)
	code, _, errs = lakehouseIn(t, `{"id":5,"v":"T5","n":5}`+"\n", "write", f.table)
	require.Equal(t, 0, code, errs)
	return f
}

// writeMergeParquet writes ids 1 and 7 with an int32 n, which the merge
// casts into the target's long column.
func writeMergeParquet(t *testing.T, path string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 7}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"P1", "P7"}, nil)
	b.Field(2).(*array.Int32Builder).AppendValues([]int32{1000, 7000}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	require.NoError(t, err)
	w, err := pqarrow.NewFileWriter(schema, f, nil, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
}

// expand replaces the fixture placeholders in args.
func (f mergeFixture) expand(args []string) []string {
	r := strings.NewReplacer("JSONL", f.jsonl, "TXT", f.txt, "PARQUET", f.parquet, "SRCTABLE", f.table)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = r.Replace(a)
	}
	return append(out, f.target)
}

func TestMergeCommand(t *testing.T) {
	st := []string{"--target-alias", "t", "--source-alias", "s", "--on", "t.id = s.id"}
	upserted := []string{
		`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"B","n":200}`, `{"id":3,"v":"C","n":300}`,
		`{"id":4,"v":"d","n":40}`, `{"id":5,"v":"E","n":500}`, `{"id":6,"v":"F","n":600}`,
	}
	cases := []struct {
		name    string
		props   []string // target table properties
		args    []string
		stdin   string
		want    []string
		metrics map[string]string
	}{
		{name: "upsert from a JSON-lines file",
			args: append([]string{"--source", "JSONL", "--matched-update-all", "--not-matched-insert-all"}, st...),
			want: upserted,
			metrics: map[string]string{"numSourceRows": "4", "numTargetRowsUpdated": "2", "numTargetRowsInserted": "2",
				"numTargetRowsDeleted": "0"}},
		{name: "upsert with deletion vectors, spilled past --max-memory",
			props: []string{"delta.enableDeletionVectors=true"},
			args:  append([]string{"--source", "JSONL", "--max-memory", "1", "--not-matched-insert-all", "--matched-update-all"}, st...),
			want:  upserted, metrics: map[string]string{"numTargetDeletionVectorsAdded": "1", "numTargetFilesRemoved": "0"}},
		{name: "matched clauses in order: conditional delete first",
			args:    append([]string{"--source", "JSONL", "--matched-delete=AND s.op = 'd'", "--matched-update", "SET v = s.v"}, st...),
			want:    []string{`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"B","n":20}`, `{"id":4,"v":"d","n":40}`},
			metrics: map[string]string{"numTargetRowsMatchedDeleted": "1", "numTargetRowsMatchedUpdated": "1"}},
		{name: "matched clauses in order: unconditional update first takes every match",
			args: append([]string{"--source", "JSONL", "--matched-update", "SET t.v = s.v", "--matched-delete=s.op = 'd'"}, st...),
			want: []string{`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"B","n":20}`, `{"id":3,"v":"C","n":30}`, `{"id":4,"v":"d","n":40}`}},
		{name: "conditional update with an expression, then delete",
			args: append([]string{"--source", "JSONL", "--matched-update", "AND s.op = 'u' SET n = t.n + s.n, v = concat(t.v, ',', s.v)", "--matched-delete"}, st...),
			want: []string{`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"b,B","n":220}`, `{"id":4,"v":"d","n":40}`}},
		{name: "insert with a column list, a condition and commas inside values",
			args: append([]string{"--source", "JSONL", "--not-matched-insert", "AND s.id > 5 (id, v) VALUES (s.id, concat(s.v, ', ', 'x(y)'))"}, st...),
			want: []string{`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"b","n":20}`, `{"id":3,"v":"c","n":30}`, `{"id":4,"v":"d","n":40}`,
				`{"id":6,"v":"F, x(y)","n":null}`}},
		{name: "insert in the SET form, two insert clauses in order",
			args: append([]string{"--source", "JSONL", "--not-matched-insert", "AND s.id = 5 SET id = s.id, n = -1", "--not-matched-insert", "SET id = s.id, v = 'other'"}, st...),
			want: []string{`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"b","n":20}`, `{"id":3,"v":"c","n":30}`, `{"id":4,"v":"d","n":40}`,
				`{"id":5,"v":null,"n":-1}`, `{"id":6,"v":"other","n":null}`}},
		{name: "not matched by source: conditional delete, then update",
			args:    append([]string{"--source", "JSONL", "--not-matched-by-source-delete=AND t.n < 15", "--not-matched-by-source-update", "SET n = t.n + 1"}, st...),
			want:    []string{`{"id":2,"v":"b","n":20}`, `{"id":3,"v":"c","n":30}`, `{"id":4,"v":"d","n":41}`},
			metrics: map[string]string{"numTargetRowsNotMatchedBySourceDeleted": "1", "numTargetRowsNotMatchedBySourceUpdated": "1"}},
		{name: "default aliases target and source",
			args: []string{"--source", "JSONL", "--on", "target.id = source.id", "--matched-delete"},
			want: []string{`{"id":1,"v":"a","n":10}`, `{"id":4,"v":"d","n":40}`}},
		{name: "merge schema adds the source's extra column",
			args: append([]string{"--source", "JSONL", "--merge-schema", "--matched-update-all", "--not-matched-insert-all=AND s.op = 'i'"}, st...),
			want: []string{`{"id":1,"v":"a","n":10,"op":null}`, `{"id":2,"v":"B","n":200,"op":"u"}`, `{"id":3,"v":"C","n":300,"op":"d"}`,
				`{"id":4,"v":"d","n":40,"op":null}`, `{"id":5,"v":"E","n":500,"op":"i"}`, `{"id":6,"v":"F","n":600,"op":"i"}`}},
		{name: "CSV on stdin",
			args:  append([]string{"--source", "-", "--source-format", "csv", "--matched-update", "SET n = s.n", "--not-matched-insert-all"}, st...),
			stdin: "id,n,v\n4,44,x\n9,99,nine\n",
			want: []string{`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"b","n":20}`, `{"id":3,"v":"c","n":30}`, `{"id":4,"v":"d","n":44}`,
				`{"id":9,"v":"nine","n":99}`}},
		{name: "a file with another extension and --source-format",
			args: append([]string{"--source", "TXT", "--source-format", "jsonl", "--matched-delete=AND s.n > 250"}, st...),
			want: []string{`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"b","n":20}`, `{"id":4,"v":"d","n":40}`}},
		{name: "JSON lines on stdin by default",
			args:  append([]string{"--source", "-", "--matched-delete"}, st...),
			stdin: `{"id":1}` + "\n",
			want:  []string{`{"id":2,"v":"b","n":20}`, `{"id":3,"v":"c","n":30}`, `{"id":4,"v":"d","n":40}`}},
		{name: "Parquet file with an int column cast into a long",
			args: append([]string{"--source", "PARQUET", "--matched-update-all", "--not-matched-insert-all"}, st...),
			want: []string{`{"id":1,"v":"P1","n":1000}`, `{"id":2,"v":"b","n":20}`, `{"id":3,"v":"c","n":30}`, `{"id":4,"v":"d","n":40}`,
				`{"id":7,"v":"P7","n":7000}`}},
		{name: "Delta table source at its latest version",
			args: append([]string{"--source", "SRCTABLE", "--matched-update-all", "--not-matched-insert-all"}, st...),
			want: []string{`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"T2","n":2}`, `{"id":3,"v":"c","n":30}`, `{"id":4,"v":"d","n":40}`,
				`{"id":5,"v":"T5","n":5}`}},
		{name: "Delta table source at --source-version 0",
			args: append([]string{"--source", "SRCTABLE", "--source-version", "0", "--matched-update-all", "--not-matched-insert-all"}, st...),
			want: []string{`{"id":1,"v":"a","n":10}`, `{"id":2,"v":"T2","n":2}`, `{"id":3,"v":"c","n":30}`, `{"id":4,"v":"d","n":40}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newMergeFixture(t, tc.props...)
			code, out, errs := lakehouseIn(t, tc.stdin, append([]string{"merge"}, f.expand(tc.args)...)...)
			require.Equal(t, 0, code, errs)
			var res map[string]any
			require.NoError(t, json.Unmarshal([]byte(out), &res))
			assert.Equal(t, "MERGE", res["operation"])
			assert.EqualValues(t, 1, res["version"])
			for k, v := range tc.metrics {
				assert.Equal(t, v, res[k], k)
			}
			code, out, errs = lakehouse(t, "cat", "--format", "jsonl", f.target)
			require.Equal(t, 0, code, errs)
			assert.ElementsMatch(t, tc.want, lines(out))
		})
	}
}

func TestMergeCommandErrors(t *testing.T) {
	st := []string{"--target-alias", "t", "--source-alias", "s", "--on", "t.id = s.id"}
	cases := []struct {
		name  string
		args  []string
		usage bool // a mistake in the command line rather than a failure
		msg   string
	}{
		{"no source", []string{"--on", "t.id = s.id", "--matched-delete"}, true, "--source is required"},
		{"no condition", []string{"--source", "JSONL", "--matched-delete"}, true, "--on is required"},
		{"bad condition", []string{"--source", "JSONL", "--on", "t.id = = s.id", "--matched-delete"}, true, "--on"},
		{"no clause", append([]string{"--source", "JSONL"}, st...), true, "at least one clause"},
		{"update without SET", append([]string{"--source", "JSONL", "--matched-update", "v = s.v"}, st...), true, "SET column = expression"},
		{"assignment without =", append([]string{"--source", "JSONL", "--matched-update", "SET v"}, st...), true, "want 'column = expression'"},
		{"assignment to an expression", append([]string{"--source", "JSONL", "--matched-update", "SET v || 'x' = s.v"}, st...), true, "is not a column name"},
		{"assignment to a source column", append([]string{"--source", "JSONL", "--matched-update", "SET s.v = 'x'"}, st...), true, "not a column of the target"},
		{"column set twice", append([]string{"--source", "JSONL", "--matched-update", "SET v = 'x', V = 'y'"}, st...), true, "set twice"},
		{"insert counts differ", append([]string{"--source", "JSONL", "--not-matched-insert", "(id, v) VALUES (s.id)"}, st...), true, "2 columns but 1 values"},
		{"insert without a column list", append([]string{"--source", "JSONL", "--not-matched-insert", "VALUES (s.id)"}, st...), true, "no (column, …) list"},
		{"unterminated quote", append([]string{"--source", "JSONL", "--matched-update", "SET v = 'x"}, st...), true, "unterminated"},
		{"unbalanced parenthesis", append([]string{"--source", "JSONL", "--matched-update", "SET v = concat(s.v"}, st...), true, "unbalanced"},
		{"detached switch condition", append([]string{"--source", "JSONL", "--matched-delete", "AND s.op = 'd'"}, st...), true, "attach it to its flag with '='"},
		{"unknown extension", append([]string{"--source", "TXT", "--matched-delete"}, st...), true, "--source-format"},
		{"format for a table", append([]string{"--source", "SRCTABLE", "--source-format", "csv", "--matched-delete"}, st...), true, "Delta table"},
		{"version for a file", append([]string{"--source", "JSONL", "--source-version", "1", "--matched-delete"}, st...), true, "--source-version applies to a Delta table"},
		{"bad max memory", append([]string{"--source", "JSONL", "--max-memory", "lots", "--matched-delete"}, st...), true, "not a positive byte count"},
		{"two tables", append([]string{"--source", "JSONL", "--matched-delete", "other"}, st...), true, "TABLE"},
		{"missing source file", append([]string{"--source", "JSONL.missing", "--matched-delete"}, st...), false, "no such file"},
		{"unknown column in a clause", append([]string{"--source", "JSONL", "--matched-update", "SET nope = 1"}, st...), false, "nope"},
		{"several source rows match one target row", append([]string{"--source", "-", "--matched-update-all"}, st...), false, "more than one source row"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newMergeFixture(t)
			args := f.expand(tc.args)
			stdin := `{"id":2,"v":"x","n":1}` + "\n" + `{"id":2,"v":"y","n":2}` + "\n"
			code, out, errs := lakehouseIn(t, stdin, append([]string{"merge"}, args...)...)
			// Usage mistakes exit 2, runtime failures 1.
			if tc.usage {
				assert.Equal(t, 2, code, errs)
				assert.Contains(t, errs, "lakehouse help merge")
			} else {
				assert.Equal(t, 1, code, errs)
			}
			assert.Empty(t, out)
			assert.True(t, strings.HasPrefix(errs, "lakehouse: "), errs)
			assert.Contains(t, errs, tc.msg)
			// The table is unchanged: still one version, the rows written.
			code, out, _ = lakehouse(t, "cat", "--format", "jsonl", f.target)
			require.Equal(t, 0, code)
			assert.ElementsMatch(t, lines(mergeTarget), lines(out))
			code, out, _ = lakehouse(t, "history", "--format", "jsonl", f.target)
			require.Equal(t, 0, code)
			assert.Len(t, lines(out), 1)
		})
	}
}

func TestSplitTopLevel(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"a = 1, b = 2", []string{"a = 1", "b = 2"}, ""},
		{"a = f(x, y), b = 'c,d', c = \"e,\\\"f\"", []string{"a = f(x, y)", "b = 'c,d'", "c = \"e,\\\"f\""}, ""},
		{"`a,b` = 1, c = (1, 2)", []string{"`a,b` = 1", "c = (1, 2)"}, ""},
		{"a = 'it\\'s, fine'", []string{"a = 'it\\'s, fine'"}, ""},
		{"a = 1,", nil, "empty item"},
		{"a = (1", nil, "unbalanced"},
		{"a = 1)", nil, "unbalanced"},
		{"a = 'x", nil, "unterminated"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := splitTopLevel(tc.in, ',')
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestFindKeywordAndAssign(t *testing.T) {
	kw := []struct {
		in   string
		at   int
		want bool
	}{
		{"AND s.x > 1 SET a = 1", 12, true},
		{"set a = 1", 0, true},
		{"AND s.set = 'SET' SET a = 1", 18, true},
		{"AND offset > 1 SET a = 1", 15, true},
		{"AND (x SET) SET a = 1", 12, true},
		{"a = 1", 0, false},
	}
	for _, tc := range kw {
		at, ok := findKeyword(tc.in, "SET")
		assert.Equal(t, tc.want, ok, tc.in)
		assert.Equal(t, tc.at, at, tc.in)
	}
	assign := []struct {
		in string
		at int
	}{
		{"a = b", 2},
		{"a=b == c", 1},
		{"`x=y` = 1", 6},
		{"a = b <=> c", 2},
	}
	for _, tc := range assign {
		at, ok := findAssign(tc.in)
		assert.True(t, ok, tc.in)
		assert.Equal(t, tc.at, at, tc.in)
	}
	_, ok := findAssign("a <= b")
	assert.False(t, ok)
}

func TestParseBytes(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		err  bool
	}{
		{"1", 1, false},
		{"268435456", 268435456, false},
		{"256MiB", 256 << 20, false},
		{"256M", 256 << 20, false},
		{"2 GB", 2 << 30, false},
		{"64k", 64 << 10, false},
		{"0", 0, true},
		{"-5", 0, true},
		{"lots", 0, true},
		{"99999999999G", 0, true},
	}
	for _, tc := range cases {
		got, err := parseBytes(tc.in)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}
