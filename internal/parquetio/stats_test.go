package parquetio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

func statsOf(t *testing.T, s *arrow.Schema, rows string, opts *parquetio.WriteOptions) parquetio.FileStats {
	t.Helper()
	mem := checkedMem(t)
	if opts == nil {
		opts = &parquetio.WriteOptions{}
	}
	opts.Allocator = mem
	rr := recordReaderOf(t, mem, s, rows)
	defer rr.Release()
	st, err := parquetio.WriteFile(context.Background(), io.Discard, rr, opts)
	require.NoError(t, err)
	return st
}

func statsJSON(t *testing.T, st parquetio.FileStats) string {
	t.Helper()
	b, err := st.JSON()
	require.NoError(t, err)
	parsed, err := protocol.ParseStats(string(b))
	require.NoError(t, err, "our stats must parse: %s", b)
	require.NotNil(t, parsed.NumRecords)
	require.Equal(t, st.NumRecords, *parsed.NumRecords)
	return string(b)
}

func TestStatsAllTypes(t *testing.T) {
	st := statsOf(t, allTypesSchema(false), allTypesRows, nil)
	want := `{"numRecords":3,` +
		`"minValues":{"str":"a","long":-9223372036854775808,"int":-1,"short":-2,"byte":-3,"float":-1.5,"double":-0.25,` +
		`"date":"1969-12-31","ts":"1969-12-31T23:59:59.999Z","ntz":"1900-01-01T00:00:00.000","dec9":-1.05,"dec18":-0.001,` +
		`"dec38":-1E-10,"s":{"a":1,"b":{"c":"deep"}}},` +
		`"maxValues":{"str":"b","long":9223372036854775807,"int":1,"short":2,"byte":3,"float":1.5,"double":1.0E300,` +
		`"date":"2024-02-29","ts":"2024-02-29T23:59:59.999Z","ntz":"2262-04-11T23:47:16.854","dec9":999.99,"dec18":123456789012345.678,` +
		`"dec38":1234567890123456789012345678.0123456789,"s":{"a":1,"b":{"c":"deep"}}},` +
		`"nullCount":{"str":1,"long":1,"int":1,"short":1,"byte":1,"float":1,"double":1,"bool":1,"bin":1,"date":1,"ts":1,"ntz":1,` +
		`"dec9":1,"dec18":1,"dec38":1,"s":{"a":2,"b":{"c":2}},"arr":1,"m":1,"v":2}}`
	assert.Equal(t, want, statsJSON(t, st))
	assert.Equal(t, json.Number("-1"), st.MinValues["int"])
	assert.Equal(t, map[string]any{"a": json.Number("2"), "b": map[string]any{"c": json.Number("2")}}, st.NullCount["s"])
}

func TestStatsPhysicalNames(t *testing.T) {
	s := allTypesSchema(true)
	st := statsOf(t, s, allTypesRows, &parquetio.WriteOptions{ColumnMapping: parquetio.ColumnMappingName})
	strKey, _ := phys(t, s, "str")
	abcKey, _ := phys(t, s, "s.b.c")
	assert.Equal(t, "a", st.MinValues[strKey])
	parts := strings.Split(abcKey, ".")
	assert.Equal(t, "deep", st.MaxValues[parts[0]].(map[string]any)[parts[1]].(map[string]any)[parts[2]])
	assert.NotContains(t, statsJSON(t, st), `"str"`)
}

func TestStatsColumnSelection(t *testing.T) {
	s := allTypesSchema(false)
	two, none, all := 2, 0, -1
	tests := []struct {
		name     string
		opts     *parquetio.WriteOptions
		wantMins []string
		wantNull []string
	}{
		{"first two", &parquetio.WriteOptions{NumIndexedCols: &two}, []string{"long", "str"}, []string{"long", "str"}},
		{"none", &parquetio.WriteOptions{NumIndexedCols: &none}, nil, nil},
		{"all", &parquetio.WriteOptions{NumIndexedCols: &all}, []string{"byte", "date", "dec18", "dec38", "dec9", "double", "float", "int", "long", "ntz", "s", "short", "str", "ts"},
			[]string{"arr", "bin", "bool", "byte", "date", "dec18", "dec38", "dec9", "double", "float", "int", "long", "m", "ntz", "s", "short", "str", "ts", "v"}},
		{"explicit list", &parquetio.WriteOptions{StatsColumns: []string{"S.b", "long", "bool"}}, []string{"long", "s"}, []string{"bool", "long", "s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := statsOf(t, s, allTypesRows, tc.opts)
			assert.ElementsMatch(t, tc.wantMins, keys(st.MinValues))
			assert.ElementsMatch(t, tc.wantNull, keys(st.NullCount))
			statsJSON(t, st)
		})
	}
	st := statsOf(t, s, allTypesRows, &parquetio.WriteOptions{StatsColumns: []string{"s.b"}})
	assert.Equal(t, map[string]any{"b": map[string]any{"c": "deep"}}, st.MinValues["s"])
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestStatsFloatsAndStrings(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		field("d", arrow.PrimitiveTypes.Float64),
		field("allnan", arrow.PrimitiveTypes.Float32),
		field("inf", arrow.PrimitiveTypes.Float64),
		field("long", arrow.BinaryTypes.String),
		field("nulls", arrow.BinaryTypes.String),
	}, nil)
	// JSON has no NaN literal: build the batch by hand.
	mem := checkedMem(t)
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	nan := func() float64 { var z float64; return z / z }
	b.Field(0).(*array.Float64Builder).AppendValues([]float64{2, nan(), -3}, nil)
	b.Field(1).(*array.Float32Builder).AppendValues([]float32{float32(nan()), float32(nan()), float32(nan())}, nil)
	inf := 1 / func() float64 { return 0 }()
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{inf, 1, -inf}, nil)
	b.Field(3).(*array.StringBuilder).AppendValues([]string{strings.Repeat("x", 40), strings.Repeat("y", 33) + "é", "<&>"}, nil)
	b.Field(4).(*array.StringBuilder).AppendNulls(3)
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(s, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	defer rr.Release()
	st, err := parquetio.WriteFile(context.Background(), io.Discard, rr, &parquetio.WriteOptions{Allocator: mem})
	require.NoError(t, err)
	want := `{"numRecords":3,` +
		`"minValues":{"d":-3.0,"allnan":"NaN","inf":"-Infinity","long":"<&>"},` +
		`"maxValues":{"d":"NaN","allnan":"NaN","inf":"Infinity","long":"` + strings.Repeat("y", 32) + "\x7f" + `"},` +
		`"nullCount":{"d":0,"allnan":0,"inf":0,"long":0,"nulls":3}}`
	assert.Equal(t, want, statsJSON(t, st))
}

func TestStatsTightBounds(t *testing.T) {
	st := statsOf(t, arrow.NewSchema([]arrow.Field{field("i", arrow.PrimitiveTypes.Int32)}, nil), `[{"i":4}]`, nil)
	tb := true
	st.TightBounds = &tb
	assert.Equal(t, `{"numRecords":1,"minValues":{"i":4},"maxValues":{"i":4},"nullCount":{"i":0},"tightBounds":true}`, statsJSON(t, st))
	// Hand-built stats print their keys sorted.
	hand := parquetio.FileStats{NumRecords: 2, NullCount: map[string]any{"b": json.Number("0"), "a": map[string]any{"z": json.Number("1"), "y": "q"}}}
	assert.Equal(t, `{"numRecords":2,"nullCount":{"a":{"y":"q","z":1},"b":0}}`, statsJSON(t, hand))
}

// TestStatsMatchSpark rewrites Spark-written corpus files with WriteFile and
// compares our stats string with the one Spark recorded in the log.
func TestStatsMatchSpark(t *testing.T) {
	for _, name := range sparkStatsTables {
		t.Run(name, func(t *testing.T) {
			root := filepath.Join(corpusDir(t), name, "delta")
			tb, ok := loadTable(t, root)
			require.True(t, ok)
			sparkStats := addStats(t, root)
			mem := checkedMem(t)
			for _, f := range tb.Files {
				rr, err := parquetio.NewRecordReader(context.Background(), openFile(t, tb.localPath(f.Path)), &parquetio.ReadOptions{Schema: tb.DataSchema, Allocator: mem})
				require.NoError(t, err)
				var buf bytes.Buffer
				st, err := parquetio.WriteFile(context.Background(), &buf, rr, &parquetio.WriteOptions{Allocator: mem})
				rr.Release()
				require.NoError(t, err)
				assert.Equal(t, sparkStats[f.Path], statsJSON(t, st), f.Path)
			}
		})
	}
}

// addStats returns the stats string of every add action in a table's log.
func addStats(t *testing.T, root string) map[string]string {
	out := map[string]string{}
	logs, err := filepath.Glob(filepath.Join(root, "_delta_log", "*.json"))
	require.NoError(t, err)
	for _, l := range logs {
		data, err := os.ReadFile(l)
		require.NoError(t, err)
		for _, line := range strings.Split(string(data), "\n") {
			var a struct {
				Add *struct {
					Path  string `json:"path"`
					Stats string `json:"stats"`
				} `json:"add"`
			}
			if json.Unmarshal([]byte(line), &a) == nil && a.Add != nil {
				out[a.Add.Path] = a.Add.Stats
			}
		}
	}
	return out
}

// sparkStatsTables are corpus tables whose adds carry Spark-written stats
// for the file as written (no DV-adjusted tightBounds, UTC session).
var sparkStatsTables = []string{
	"dat/all_primitive_types", "dat/basic_append", "dat/basic_partitioned", "dat/multi_partitioned_2",
	"delta-golden/data-reader-timestamp_ntz", "delta-golden/basic-decimal-table", "delta-golden/basic-with-inserts-updates",
	"delta-golden/parquet-all-types", "delta-golden/type-widening-nested",
}

// TestRowGroupStats checks that the Parquet statistics of each row group,
// converted to add.stats form, give the bounds WriteFile computes for the
// same rows.
func TestRowGroupStats(t *testing.T) {
	mem := checkedMem(t)
	s := allTypesSchema(false)
	rr := recordReaderOf(t, mem, s, allTypesRows)
	defer rr.Release()
	var buf bytes.Buffer
	_, err := parquetio.WriteFile(context.Background(), &buf, rr, &parquetio.WriteOptions{RowGroupSize: 2, Allocator: mem})
	require.NoError(t, err)
	info, err := parquetio.ReadFileInfo(readerOf(buf.Bytes()))
	require.NoError(t, err)
	require.Len(t, info.RowGroups, 2)

	var rows []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(allTypesRows), &rows))
	for g, rgRows := range [][]json.RawMessage{rows[:2], rows[2:]} {
		enc, err := json.Marshal(rgRows)
		require.NoError(t, err)
		want := statsOf(t, s, string(enc), nil)
		got := info.RowGroups[g].Stats
		assert.Equal(t, want.NumRecords, got.NumRecords)
		require.NotNil(t, got.TightBounds)
		bounds := func(st parquetio.FileStats) string {
			js, err := parquetio.FileStats{NumRecords: st.NumRecords, MinValues: st.MinValues, MaxValues: st.MaxValues}.JSON()
			require.NoError(t, err)
			return string(js)
		}
		assert.Equal(t, bounds(want), bounds(got), "row group %d", g)
		assert.Equal(t, want.NullCount["str"], got.NullCount["str"])
		assert.Equal(t, want.NullCount["s"], got.NullCount["s"])
		assert.NotContains(t, got.NullCount, "arr", "no statistics inside lists")
	}
}
