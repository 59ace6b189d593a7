package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

func TestParseDDLNested(t *testing.T) {
	elem := func(dt arrow.DataType) arrow.DataType {
		return arrow.ListOfField(arrow.Field{Name: "element", Type: dt, Nullable: true})
	}
	mapOf := func(k, v arrow.DataType) arrow.DataType {
		return arrow.MapOfFields(arrow.Field{Name: "key", Type: k}, arrow.Field{Name: "value", Type: v, Nullable: true})
	}
	tests := []struct {
		name, in string
		want     []arrow.Field
		format   string // formatDDL of want
	}{
		{"struct", "s struct<a:int,b:string>",
			[]arrow.Field{{Name: "s", Type: arrow.StructOf(
				arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
				arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true}},
			"s STRUCT<a: INT, b: STRING>"},
		{"array", "ids ARRAY<bigint> NOT NULL",
			[]arrow.Field{{Name: "ids", Type: elem(arrow.PrimitiveTypes.Int64)}},
			"ids ARRAY<BIGINT> NOT NULL"},
		{"map", "m map<string, double>",
			[]arrow.Field{{Name: "m", Type: mapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64), Nullable: true}},
			"m MAP<STRING, DOUBLE>"},
		{"nested combination", "`odd name` array<map<string,struct<`x y`: decimal(10,2) not null, t timestamp_ntz>>>, d date",
			[]arrow.Field{
				{Name: "odd name", Type: elem(mapOf(arrow.BinaryTypes.String, arrow.StructOf(
					arrow.Field{Name: "x y", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}},
					arrow.Field{Name: "t", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true}))), Nullable: true},
				{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
			},
			"`odd name` ARRAY<MAP<STRING, STRUCT<`x y`: DECIMAL(10,2) NOT NULL, t: TIMESTAMP_NTZ>>>, d DATE"},
		{"back quote in a name", "`a``b` int, `1st` long",
			[]arrow.Field{{Name: "a`b", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, {Name: "1st", Type: arrow.PrimitiveTypes.Int64, Nullable: true}},
			"`a``b` INT, `1st` BIGINT"},
		{"keywords as names", "array array<int>, not boolean not null, `struct` struct<>",
			[]arrow.Field{
				{Name: "array", Type: elem(arrow.PrimitiveTypes.Int32), Nullable: true},
				{Name: "not", Type: arrow.FixedWidthTypes.Boolean},
				{Name: "struct", Type: arrow.StructOf(), Nullable: true},
			},
			"array ARRAY<INT>, not BOOLEAN NOT NULL, struct STRUCT<>"},
		{"spark type names", "a tinyint, b smallint, c float, d binary, e timestamp, f varchar(5), g dec(5)",
			[]arrow.Field{
				{Name: "a", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
				{Name: "b", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
				{Name: "c", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
				{Name: "d", Type: arrow.BinaryTypes.Binary, Nullable: true},
				{Name: "e", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
				{Name: "f", Type: arrow.BinaryTypes.String, Nullable: true},
				{Name: "g", Type: &arrow.Decimal128Type{Precision: 5}, Nullable: true},
			},
			"a TINYINT, b SMALLINT, c FLOAT, d BINARY, e TIMESTAMP, f STRING, g DECIMAL(5,0)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDDLColumns(tc.in)
			require.NoError(t, err)
			want := arrow.NewSchema(tc.want, nil)
			assert.True(t, arrow.NewSchema(got, nil).Equal(want), "got %v\nwant %v", got, tc.want)
			text, err := formatDDL(got)
			require.NoError(t, err)
			assert.Equal(t, tc.format, text)
			again, err := parseDDLColumns(text)
			require.NoError(t, err)
			assert.True(t, arrow.NewSchema(again, nil).Equal(want), "round trip of %q", text)
		})
	}
}

// TestDDLMatchesSchemaJSON: a nested DDL schema is the schema the same
// Delta schema JSON gives, so a pinned schema compares equal to a table's.
func TestDDLMatchesSchemaJSON(t *testing.T) {
	ddl, err := parseSchemaFlag("s struct<a:int NOT NULL,b:string>, l array<bigint>, m map<string,double>, n decimal(12,3) not null")
	require.NoError(t, err)
	js, err := parseSchemaFlag(`{"type":"struct","fields":[
		{"name":"s","type":{"type":"struct","fields":[{"name":"a","type":"integer","nullable":false,"metadata":{}},{"name":"b","type":"string","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},
		{"name":"l","type":{"type":"array","elementType":"long","containsNull":true},"nullable":true,"metadata":{}},
		{"name":"m","type":{"type":"map","keyType":"string","valueType":"double","valueContainsNull":true},"nullable":true,"metadata":{}},
		{"name":"n","type":"decimal(12,3)","nullable":false,"metadata":{}}]}`)
	require.NoError(t, err)
	assert.True(t, ddl.Equal(js), "DDL %v\nJSON %v", ddl, js)
	_, err = delta.ParseSchemaJSON(`{"type":"struct","fields":[]}`)
	require.NoError(t, err)
}

func TestParseDDLErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"s struct<a:int", `after column "a": expected "," or ">", found the end`},
		{"s struct<a:int,>", "empty item"},
		{"l array<>", "expected a type"},
		{"l array<int", `expected ">"`},
		{"m map<string>", `MAP: expected ","`},
		{"d decimal(10,", "expected an integer parameter"},
		{"d decimal(50,2)", "invalid DECIMAL(50,2)"},
		{"x int not", "expected NULL after NOT"},
		{"`x int", "unclosed back quote"},
		{"`` int", "empty column name"},
		{"x int; drop", `unexpected ';'`},
		{"s struct<a:int,A:string>", `column "A" appears twice`},
		{"a int b int", `expected ","`},
		{"a frobnicate", `column "a"`},
		{"a " + strings.Repeat("array<", 200) + "int" + strings.Repeat(">", 200), "nested deeper than 100"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := parseDDLColumns(tc.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

func TestFormatDDLRefuses(t *testing.T) {
	for _, dt := range []arrow.DataType{
		arrow.PrimitiveTypes.Uint32,
		&arrow.TimestampType{Unit: arrow.Nanosecond},
		arrow.ListOfNonNullable(arrow.PrimitiveTypes.Int32),
	} {
		_, err := formatDDL([]arrow.Field{{Name: "x", Type: dt}})
		assert.Error(t, err, dt.String())
	}
}

// FuzzDDLRoundTrip: whatever parses formats to text that parses to the
// same schema.
func FuzzDDLRoundTrip(f *testing.F) {
	f.Add("id bigint NOT NULL, day date, amount decimal(10,2)")
	f.Add("s struct<a:int,b:string>, l array<bigint>, m map<string,double>")
	f.Add("`odd ``name``` array<map<string,struct<`x y`: decimal(10,2) not null>>>")
	f.Add("a struct<>, b timestamp_ntz, c varchar(3)")
	f.Fuzz(func(t *testing.T, in string) {
		fields, err := parseDDLColumns(in)
		if err != nil {
			return
		}
		text, err := formatDDL(fields)
		require.NoError(t, err, "parsed %q but cannot format it", in)
		again, err := parseDDLColumns(text)
		require.NoError(t, err, "formatted %q as %q, which does not parse", in, text)
		require.True(t, arrow.NewSchema(again, nil).Equal(arrow.NewSchema(fields, nil)), "%q → %q", in, text)
	})
}

// TestWriteNestedSchemaFlag: a nested --schema creates the table with
// those types, and rows with nested values read back as written.
func TestWriteNestedSchemaFlag(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "t")
	in := `{"id":1,"tags":["a","b"],"addr":{"city":"Oslo","zip":150},"m":[{"key":"x","value":1.5}]}` + "\n" +
		`{"id":2,"tags":null,"addr":{"city":"Bergen"},"m":[]}` + "\n"
	code, _, errs := lakehouseIn(t, in, "write", "--schema", "id bigint NOT NULL, tags array<string>, addr struct<city: string, zip: int>, m map<string,double>", dir)
	require.Equal(t, 0, code, errs)
	code, out, errs := lakehouse(t, "cat", "--format", "jsonl", dir)
	require.Equal(t, 0, code, errs)
	assert.ElementsMatch(t, []string{
		`{"id":1,"tags":["a","b"],"addr":{"city":"Oslo","zip":150},"m":[{"key":"x","value":1.5}]}`,
		`{"id":2,"tags":null,"addr":{"city":"Bergen","zip":null},"m":[]}`,
	}, lines(out))

	// A nested value of the wrong shape names its line and adds nothing.
	code, _, errs = lakehouseIn(t, `{"id":3,"addr":{"city":"Oslo","zip":"x"}}`+"\n", "write", "--schema", "id bigint NOT NULL, tags array<string>, addr struct<city: string, zip: int>, m map<string,double>", dir)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, `line 1: column "addr"`)
	assert.Equal(t, 0, tableVersion(t, dir))
}
