package stream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/stream"
)

// writeFile writes name under dir with the given modification time.
func writeFile(t testing.TB, dir, name, content string, mtime time.Time) {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	require.NoError(t, os.Chtimes(p, mtime, mtime))
}

// collector is a ForeachBatch sink keeping each batch's rows as JSON
// objects (as arrow's RecordToJSON writes them) and its schema.
type collector struct {
	mu      sync.Mutex
	batches [][]string
	schemas []*arrow.Schema
}

func (c *collector) sink() stream.Sink {
	return stream.ForeachBatch(func(_ context.Context, b *stream.Batch) error {
		var rows []string
		for _, r := range b.Records {
			var buf bytes.Buffer
			if err := array.RecordToJSON(r, &buf); err != nil {
				return err
			}
			for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
				if l == "" {
					continue
				}
				// Nulls are left out, to keep expectations short.
				var m map[string]any
				if err := json.Unmarshal([]byte(l), &m); err != nil {
					return err
				}
				for k, v := range m {
					if v == nil {
						delete(m, k)
					}
				}
				text, err := json.Marshal(m)
				if err != nil {
					return err
				}
				rows = append(rows, string(text))
			}
		}
		sort.Strings(rows)
		c.mu.Lock()
		c.batches = append(c.batches, rows)
		c.schemas = append(c.schemas, b.Schema)
		c.mu.Unlock()
		return nil
	})
}

func (c *collector) all() []string {
	var out []string
	for _, b := range c.batches {
		out = append(out, b...)
	}
	sort.Strings(out)
	return out
}

func TestFilesSourcePicksUpOnlyNewFiles(t *testing.T) {
	cases := []struct {
		name   string
		format string
		file   func(id int) string
		ext    string
	}{
		{"json", "json", func(id int) string { return `{"id":` + itoa(int64(id)) + "}\n" }, ".json"},
		{"csv", "csv", func(id int) string { return "id\n" + itoa(int64(id)) + "\n" }, ".csv"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			base := time.Now().Add(-time.Hour)
			writeFile(t, in, "a"+tc.ext, tc.file(1), base)
			writeFile(t, in, "sub/b"+tc.ext, tc.file(2), base.Add(time.Minute))
			writeFile(t, in, "_ignored"+tc.ext, tc.file(99), base)
			out := filepath.Join(dir, "out")
			sink := stream.NewDeltaSink(out, nil)
			defer sink.Close()
			run := func() *recorder {
				rec := &recorder{}
				src := stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: tc.format, SchemaHints: "id bigint"})
				require.NoError(t, runToEnd(t, stream.From(src).Select("id"), sink,
					&stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem, Listener: rec}))
				return rec
			}
			run()
			assert.Equal(t, []int64{1, 2}, tableInts(t, out, "id"))
			// c is new; d arrives late with an old modification time.
			writeFile(t, in, "c"+tc.ext, tc.file(3), base.Add(2*time.Minute))
			writeFile(t, in, "d"+tc.ext, tc.file(4), base.Add(-time.Hour))
			rec := run()
			assert.Equal(t, []int64{1, 2, 3, 4}, tableInts(t, out, "id"))
			require.Len(t, rec.progress, 1)
			assert.Equal(t, int64(2), rec.progress[0].NumInputRows)
			assert.JSONEq(t, `{"logOffset":1}`, string(rec.progress[0].Sources[0].EndOffset))
			// Nothing new: no batch, no duplicate.
			rec = run()
			assert.Empty(t, rec.progress)
			assert.Equal(t, []int64{1, 2, 3, 4}, tableInts(t, out, "id"))
			log1, err := os.ReadFile(filepath.Join(dir, "ck", "sources", "0", "1"))
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(log1), "v1\n"))
			assert.Contains(t, string(log1), `"path":"d`+tc.ext+`"`)
			schema0, err := os.ReadFile(filepath.Join(dir, "ck", "sources", "0", "_schemas", "0"))
			require.NoError(t, err)
			assert.Contains(t, string(schema0), `"name":"id","type":"long"`)
		})
	}
}

func TestFilesAvailableNowMaxFilesPerTrigger(t *testing.T) {
	cases := []struct {
		maxFiles int
		batches  []int64 // rows per batch
	}{
		{1, []int64{1, 1, 1, 1, 1}},
		{2, []int64{2, 2, 1}},
		{5, []int64{5}},
		{0, []int64{5}},
	}
	for _, tc := range cases {
		t.Run("max="+itoa(int64(tc.maxFiles)), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			base := time.Now().Add(-time.Hour)
			for i := range 5 {
				writeFile(t, in, "f"+itoa(int64(i))+".json", `{"id":`+itoa(int64(i))+"}\n", base.Add(time.Duration(i)*time.Second))
			}
			rec := &recorder{}
			col := &collector{}
			src := stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", MaxFilesPerTrigger: tc.maxFiles, InferColumnTypes: true})
			require.NoError(t, runToEnd(t, stream.From(src), col.sink(),
				&stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem, Listener: rec}))
			var got []int64
			for _, p := range rec.progress {
				got = append(got, p.NumInputRows)
			}
			assert.Equal(t, tc.batches, got)
			assert.Equal(t, []string{`{"id":0}`, `{"id":1}`, `{"id":2}`, `{"id":3}`, `{"id":4}`}, col.all())
		})
	}
}

func TestFilesRescuedDataAndEvolution(t *testing.T) {
	type want struct {
		firstErr error    // of the run that meets the new file
		rows     []string // all rows after (re)starting, as JSON
		cols     []string // the last batch's columns
	}
	cases := []struct {
		name   string
		format string
		mode   string
		first  string
		second string
		want   want
	}{
		{"json addNewColumns", "json", stream.EvolveAddNewColumns,
			`{"a":1,"b":"x"}` + "\n", `{"a":2,"b":"y","c":true}` + "\n",
			want{stream.ErrSchemaEvolved, []string{`{"a":1,"b":"x"}`, `{"a":2,"b":"y","c":true}`}, []string{"a", "b", "c", "_rescued_data"}}},
		{"json rescue", "json", stream.EvolveRescue,
			`{"a":1,"b":"x"}` + "\n", `{"a":2,"b":"y","c":true}` + "\n",
			want{nil, []string{`{"_rescued_data":"{\"_file_path\":\"2.json\",\"c\":true}","a":2,"b":"y"}`, `{"a":1,"b":"x"}`}, []string{"a", "b", "_rescued_data"}}},
		{"json failOnNewColumns", "json", stream.EvolveFailOnNewColumns,
			`{"a":1,"b":"x"}` + "\n", `{"a":2,"c":true}` + "\n",
			want{stream.ErrNewColumns, nil, nil}},
		{"json none", "json", stream.EvolveNone,
			`{"a":1,"b":"x"}` + "\n", `{"a":2,"b":"y","c":true}` + "\n",
			want{nil, []string{`{"a":1,"b":"x"}`, `{"a":2,"b":"y"}`}, []string{"a", "b"}}},
		{"json type mismatch rescued", "json", stream.EvolveRescue,
			`{"a":1,"b":"x"}` + "\n", `{"a":"two","b":"y"}` + "\n",
			want{nil, []string{`{"_rescued_data":"{\"_file_path\":\"2.json\",\"a\":\"two\"}","b":"y"}`, `{"a":1,"b":"x"}`}, []string{"a", "b", "_rescued_data"}}},
		{"json malformed line rescued", "json", stream.EvolveRescue,
			`{"a":1,"b":"x"}` + "\n", `{"a":2,"b":"y"}` + "\n" + `{"a":3,"b":` + "\n" + `{"a":4,"b":"z"}` + "\n",
			want{nil, []string{`{"_rescued_data":"{\"_corrupt_record\":\"{\\\"a\\\":3,\\\"b\\\":\",\"_file_path\":\"2.json\"}"}`, `{"a":1,"b":"x"}`, `{"a":2,"b":"y"}`, `{"a":4,"b":"z"}`}, []string{"a", "b", "_rescued_data"}}},
		{"json malformed line without a rescue column", "json", stream.EvolveNone,
			`{"a":1,"b":"x"}` + "\n", `{"a":2,"b":"y"}` + "\n" + `{"a":3,"b":` + "\n",
			want{stream.ErrMalformedRecord, nil, nil}},
		{"csv addNewColumns", "csv", stream.EvolveAddNewColumns,
			"a,b\n1,x\n", "a,b,c\n2,y,true\n",
			want{stream.ErrSchemaEvolved, []string{`{"a":1,"b":"x"}`, `{"a":2,"b":"y","c":true}`}, []string{"a", "b", "c", "_rescued_data"}}},
		{"csv type mismatch rescued", "csv", stream.EvolveRescue,
			"a,b\n1,x\n", "a,b\nzz,y\n",
			want{nil, []string{`{"_rescued_data":"{\"_file_path\":\"2.csv\",\"a\":\"zz\"}","b":"y"}`, `{"a":1,"b":"x"}`}, []string{"a", "b", "_rescued_data"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			base := time.Now().Add(-time.Hour)
			writeFile(t, in, "1."+tc.format, tc.first, base)
			col := &collector{}
			run := func() error {
				src := stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: tc.format, SchemaEvolutionMode: tc.mode, InferColumnTypes: true, SchemaLocation: filepath.Join(dir, "schemas")})
				return runToEnd(t, stream.From(src), col.sink(), &stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem})
			}
			require.NoError(t, run())
			writeFile(t, in, "2."+tc.format, tc.second, base.Add(time.Minute))
			err := run()
			if tc.want.firstErr != nil {
				require.ErrorIs(t, err, tc.want.firstErr)
				err = run()
				if tc.want.firstErr == stream.ErrNewColumns || tc.want.firstErr == stream.ErrMalformedRecord {
					require.ErrorIs(t, err, tc.want.firstErr, "fails until the input or schema changes")
					return
				}
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want.rows, col.all())
			last := col.schemas[len(col.schemas)-1]
			var names []string
			for _, f := range last.Fields() {
				names = append(names, f.Name)
			}
			assert.Equal(t, tc.want.cols, names)
			if tc.mode == stream.EvolveAddNewColumns {
				s1, err := os.ReadFile(filepath.Join(dir, "schemas", "_schemas", "1"))
				require.NoError(t, err)
				var parsed map[string]any
				_, body, _ := strings.Cut(string(s1), "\n")
				require.NoError(t, json.Unmarshal([]byte(body), &parsed))
				assert.Len(t, parsed["fields"], 3)
			}
		})
	}
}

// Auto Loader's usual pipeline: addNewColumns stops the stream once, and
// the restarted stream adds the column to the Delta table (mergeSchema).
func TestAddNewColumnsIntoDelta(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	base := time.Now().Add(-time.Hour)
	writeFile(t, in, "1.json", `{"id":1}`+"\n", base)
	out := filepath.Join(dir, "out")
	sink := stream.NewDeltaSink(out, &stream.DeltaSinkOptions{MergeSchema: true})
	defer sink.Close()
	run := func() error {
		src := stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", InferColumnTypes: true})
		return runToEnd(t, stream.From(src), sink, &stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem})
	}
	require.NoError(t, run())
	writeFile(t, in, "2.json", `{"id":2,"extra":7}`+"\n", base.Add(time.Minute))
	require.ErrorIs(t, run(), stream.ErrSchemaEvolved)
	require.NoError(t, run())
	assert.Equal(t, []int64{1, 2}, tableInts(t, out, "id"))
	assert.Equal(t, []int64{7}, nonNullInts(t, out, "extra"))
}
