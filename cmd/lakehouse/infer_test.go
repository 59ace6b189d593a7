package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInferJSONLTypes: the inferred type of one column over the values
// of a sample, widening int → long → double, and quoted numbers staying
// strings only when every value is quoted.
func TestInferJSONLTypes(t *testing.T) {
	tests := []struct {
		name   string
		values []string // JSON values of column "v", one per record
		want   arrow.DataType
	}{
		{"integers are bigint, as Spark infers them", []string{"1", "-2", "2147483647"}, arrow.PrimitiveTypes.Int64},
		{"an int past 32 bits is bigint", []string{"1", "2147483648"}, arrow.PrimitiveTypes.Int64},
		{"a fraction widens to double", []string{"1", "2147483648", "2.5"}, arrow.PrimitiveTypes.Float64},
		{"an exponent is a double", []string{"1e3"}, arrow.PrimitiveTypes.Float64},
		{"past 64 bits is a double", []string{"1", "99999999999999999999"}, arrow.PrimitiveTypes.Float64},
		{"quoted numbers alone stay strings", []string{`"007"`, `"42"`}, arrow.BinaryTypes.String},
		{"quoted next to bare numbers is a number", []string{`1`, `"2"`}, arrow.PrimitiveTypes.Int64},
		{"quoted long next to bare int widens", []string{`1`, `"4294967296"`}, arrow.PrimitiveTypes.Int64},
		{"quoted fraction next to bare int is double", []string{`"2.5"`, `1`}, arrow.PrimitiveTypes.Float64},
		{"NaN in quotes is not a number", []string{`1`, `"NaN"`}, arrow.BinaryTypes.String},
		{"a word among numbers is a string", []string{`1`, `"x"`}, arrow.BinaryTypes.String},
		{"nulls do not decide", []string{"null", "3", "null"}, arrow.PrimitiveTypes.Int64},
		{"booleans", []string{"true", "false"}, arrow.FixedWidthTypes.Boolean},
		{"a boolean among numbers is a string", []string{"true", "1"}, arrow.BinaryTypes.String},
		{"dates", []string{`"2024-01-01"`, `"2024-02-29"`}, arrow.FixedWidthTypes.Date32},
		{"date and timestamp mix is a string", []string{`"2024-01-01"`, `"2024-01-01T10:00:00Z"`}, arrow.BinaryTypes.String},
		{"timestamps", []string{`"2024-01-01T10:00:00Z"`}, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{"all null is a string", []string{"null"}, arrow.BinaryTypes.String},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var in strings.Builder
			for _, v := range tc.values {
				in.WriteString(`{"v":` + v + "}\n")
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rr, err := readJSONL(strings.NewReader(in.String()), nil, false, mem)
			require.NoError(t, err)
			defer rr.Release()
			assert.Equal(t, tc.want.String(), rr.Schema().Field(0).Type.String())
			// Every sampled value decodes with the inferred type.
			rows := int64(0)
			for rr.Next() {
				rows += rr.RecordBatch().NumRows()
			}
			require.NoError(t, rr.Err())
			assert.Equal(t, int64(len(tc.values)), rows)
		})
	}
}

// TestInferCSVTypes: CSV cells widen the same way (CSV has no quoted
// numbers: every numeric cell is a number).
func TestInferCSVTypes(t *testing.T) {
	tests := []struct {
		cells []string
		want  arrow.DataType
	}{
		{[]string{"1", "2"}, arrow.PrimitiveTypes.Int64},
		{[]string{"1", "3000000000"}, arrow.PrimitiveTypes.Int64},
		{[]string{"1", "3000000000", "0.5"}, arrow.PrimitiveTypes.Float64},
		{[]string{"1", "x"}, arrow.BinaryTypes.String},
		{[]string{"2024-01-01", ""}, arrow.FixedWidthTypes.Date32},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.cells, ","), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rr, err := readCSV(strings.NewReader("v\n"+strings.Join(tc.cells, "\n")+"\n"), nil, false, mem)
			require.NoError(t, err)
			defer rr.Release()
			assert.Equal(t, tc.want.String(), rr.Schema().Field(0).Type.String())
			for rr.Next() {
			}
			require.NoError(t, rr.Err())
		})
	}
}

// TestWriteInfersMixedColumns: values of a column inferred from a mix
// read back as that type: quoted numbers next to bare ones as numbers,
// and bare numbers in a string column as their text.
func TestWriteInfersMixedColumns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t")
	in := `{"n":1,"s":1,"z":"007"}` + "\n" + `{"n":"2","s":"x","z":"008"}` + "\n" + `{"n":3.5,"s":true,"z":null}` + "\n"
	code, _, errs := lakehouseIn(t, in, "write", dir)
	require.Equal(t, 0, code, errs)
	code, out, errs := lakehouse(t, "cat", "--format", "jsonl", dir)
	require.Equal(t, 0, code, errs)
	assert.ElementsMatch(t, []string{
		`{"n":1,"s":"1","z":"007"}`,
		`{"n":2,"s":"x","z":"008"}`,
		`{"n":3.5,"s":"true","z":null}`,
	}, lines(out))
}

func TestParseSchemaFlag(t *testing.T) {
	tests := []struct {
		in      string
		want    string // arrow schema fields, as "name: type" joined with "; "
		wantErr string
	}{
		{in: "id bigint, day date, amount decimal(10,2)", want: "id: int64?; day: date32?; amount: decimal(10, 2)?"},
		{in: "id BIGINT NOT NULL, name string", want: "id: int64; name: utf8?"},
		{in: "`odd name` int, ts timestamp_ntz", want: "odd name: int32?; ts: timestamp[us]?"},
		{in: `{"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{}}]}`, want: "a: int64?"},
		{in: "id", wantErr: `want a name and a type`},
		{in: "id bigint, id int", wantErr: `column "id" appears twice`},
		{in: "id frobnicate", wantErr: `column "id"`},
		{in: "id int,, day date", wantErr: "empty item"},
		{in: "", wantErr: "no columns"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			s, err := parseSchemaFlag(tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, f := range s.Fields() {
				q := ""
				if f.Nullable {
					q = "?"
				}
				got = append(got, f.Name+": "+f.Type.String()+q)
			}
			assert.Equal(t, tc.want, strings.Join(got, "; "))
		})
	}
}

// TestWriteSchemaFlag: --schema pins the types of a new table, refuses
// keys it lacks, and is checked against an existing table.
func TestWriteSchemaFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t")
	in := `{"id":1,"day":"2024-01-01","amount":"12.50"}` + "\n" + `{"id":2,"day":"2024-01-02","amount":3}` + "\n"
	code, _, errs := lakehouseIn(t, in, "write", "--schema", "id bigint NOT NULL, day date, amount decimal(10,2)", dir)
	require.Equal(t, 0, code, errs)
	code, out, errs := lakehouse(t, "cat", "--format", "jsonl", dir)
	require.Equal(t, 0, code, errs)
	assert.ElementsMatch(t, []string{`{"id":1,"day":"2024-01-01","amount":"12.50"}`, `{"id":2,"day":"2024-01-02","amount":"3.00"}`}, lines(out))
	code, out, errs = lakehouse(t, "describe", "--format", "json", dir)
	require.Equal(t, 0, code, errs)
	var desc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &desc))
	assert.Contains(t, out, "decimal(10,2)")

	cases := []struct {
		name, schema, in, wantErr string
	}{
		{"key outside --schema", "id bigint, day date, amount decimal(10,2)", `{"id":3,"colour":"red"}`, `key colour is not in --schema`},
		{"pinned type the table cannot take", "id string, day date, amount decimal(10,2)", `{"id":"3"}`, "schema mismatch"},
		{"bad DDL", "id bigint,", `{"id":3}`, "--schema"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := tableVersion(t, dir)
			code, _, errs := lakehouseIn(t, tc.in+"\n", "write", "--schema", tc.schema, dir)
			assert.NotEqual(t, 0, code)
			assert.Contains(t, errs, tc.wantErr)
			assert.Equal(t, before, tableVersion(t, dir), "the table is unchanged")
		})
	}
	// CSV takes --schema too: its order and types, whatever the header's
	// order; a column the header lacks is null.
	csvDir := filepath.Join(t.TempDir(), "csv")
	code, _, errs = lakehouseIn(t, "amount,id\n1.5,7\n", "write", "--format", "csv", "--schema", "id bigint, amount decimal(5,1), note string", csvDir)
	require.Equal(t, 0, code, errs)
	code, out, errs = lakehouse(t, "cat", "--format", "jsonl", csvDir)
	require.Equal(t, 0, code, errs)
	assert.Equal(t, []string{`{"id":7,"amount":"1.5","note":null}`}, lines(out))
	code, _, errs = lakehouseIn(t, "id,colour\n1,red\n", "write", "--format", "csv", "--schema", "id bigint", filepath.Join(t.TempDir(), "csv2"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "csv input has columns --schema lacks: colour")

	code, _, errs = lakehouseIn(t, "x", "write", "--format", "parquet", "--schema", "id bigint", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "parquet input carries its own schema")
}

func TestRenderWriteProgress(t *testing.T) {
	tests := []struct {
		rows, bytes int64
		elapsed     time.Duration
		want        string
	}{
		{0, 0, 0, "write: 0 rows, 0 B read, 0 B/s"},
		{1000, 512, time.Second, "write: 1000 rows, 512 B read, 512 B/s"},
		{5_000_000, 483 << 20, 10 * time.Second, "write: 5000000 rows, 483.0 MiB read, 48.3 MiB/s"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, renderWriteProgress(tc.rows, tc.bytes, tc.elapsed))
	}
}

// TestWriteProgressOnlyOnTerminal: the bar draws on a terminal and is
// cleared before the result line; a pipe gets nothing.
func TestWriteProgressOnlyOnTerminal(t *testing.T) {
	var sb strings.Builder
	for i := range 200_000 {
		sb.WriteString(`{"id":` + strings.Repeat("1", 1+i%5) + "}\n")
	}
	for _, tty := range []bool{false, true} {
		var out, errb bytes.Buffer
		dir := filepath.Join(t.TempDir(), "t")
		code := run(t.Context(), &env{stdin: strings.NewReader(sb.String()), stdout: &out, stderr: &errb, progressTTY: tty}, []string{"write", dir})
		require.Equal(t, 0, code, errb.String())
		assert.Contains(t, out.String(), `"numOutputRows":"200000"`)
		if !tty {
			assert.Empty(t, errb.String(), "nothing on a pipe")
			continue
		}
		assert.Contains(t, errb.String(), "write: 65536 rows")
		assert.True(t, bytes.HasSuffix(errb.Bytes(), []byte("\r\033[K")), "the bar is cleared before the result prints")
	}
}

// TestReadCSVPinnedOrder: with --schema, CSV batches come in the
// schema's column order with nulls for columns the header lacks, and
// every buffer is released.
func TestReadCSVPinnedOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema, err := parseSchemaFlag("id bigint, amount double, note string")
	require.NoError(t, err)
	rr, err := readCSV(strings.NewReader("amount,ID\n1.5,7\n2,8\n"), schema, true, mem)
	require.NoError(t, err)
	rr.Retain()
	rr.Release() // a retained reader survives one Release
	defer rr.Release()
	require.True(t, rr.Next())
	rec := rr.RecordBatch()
	assert.Equal(t, schema.String(), rec.Schema().String())
	got, err := json.Marshal(rec)
	require.NoError(t, err)
	assert.JSONEq(t, `[{"id":7,"amount":1.5,"note":null},{"id":8,"amount":2,"note":null}]`, string(got))
	assert.False(t, rr.Next())
	require.NoError(t, rr.Err())
}

// observeBothWays infers a schema from lines with observeFlat (when it
// takes every line) and with the general decoder.
func observeBothWays(t *testing.T, lines ...string) (flat, general *inferrer, took bool) {
	t.Helper()
	flat, general, took = newInferrer(), newInferrer(), true
	for _, ln := range lines {
		took = took && flat.observeFlat([]byte(ln))
		dec := json.NewDecoder(strings.NewReader(ln))
		dec.UseNumber()
		row, err := decodeOrdered(dec)
		if err != nil {
			return flat, general, false
		}
		obj, ok := row.(*orderedObject)
		if !ok {
			return flat, general, false
		}
		general.observeObject(obj)
	}
	return flat, general, took
}

// TestObserveFlatMatchesGeneral: inference from flat objects without
// decoding them gives the schema (and quoted columns) the general
// decoder gives; nested lines are left to the general decoder.
func TestObserveFlatMatchesGeneral(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		took  bool
	}{
		{"scalars", []string{`{"a":1,"b":"x","c":2.5,"d":true,"e":null,"f":"2024-01-01","g":"2024-01-01T00:00:00Z"}`, `{"a":3000000000,"b":7,"h":"42"}`}, true},
		{"quoted numbers", []string{`{"z":"007"}`, `{"z":"12"}`, `{"n":"8"}`, `{"n":9}`}, true},
		{"escapes", []string{` { "s" : "a\n\u00e9" , "t":"\"2024-01-01\""} `}, true},
		{"nested", []string{`{"a":{"b":1}}`}, false},
		{"escaped key", []string{`{"\u0061":1}`}, false},
		{"truncated", []string{`{"a":1,`}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			flat, general, took := observeBothWays(t, tc.lines...)
			require.Equal(t, tc.took, took)
			if took {
				assert.Equal(t, general.fields(), flat.fields())
				assert.Equal(t, general.quoted(), flat.quoted())
			}
		})
	}
}

// FuzzObserveFlat: whenever observeFlat takes a line, it infers what the
// general decoder infers from it.
func FuzzObserveFlat(f *testing.F) {
	f.Add(`{"a":1,"b":"x","c":-2.5e3,"d":false,"e":null}`)
	f.Add(`{"d":"2024-02-29","t":"2024-01-01 10:00:00Z","q":"1e5"}`)
	f.Fuzz(func(t *testing.T, line string) {
		flat, general, took := observeBothWays(t, line)
		if !took {
			return
		}
		require.Equal(t, general.fields(), flat.fields(), "line %q", line)
		require.Equal(t, general.quoted(), flat.quoted(), "line %q", line)
	})
}
