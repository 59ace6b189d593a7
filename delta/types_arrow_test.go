package delta

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// arrowTypeCase is one Arrow type: the values written (JSON, one null
// among them), and either the table type and rows read back, or the
// words of Create's refusal.
type arrowTypeCase struct {
	name  string
	typ   arrow.DataType
	vals  string
	build func(mem memory.Allocator) arrow.Array // when JSON cannot (dictionaries)

	table   string   // the column's Arrow type as read back
	rows    []string // sorted, as rowString renders them
	wantErr string
}

func ts(u arrow.TimeUnit, tz string) arrow.DataType {
	return &arrow.TimestampType{Unit: u, TimeZone: tz}
}

func arrowTypeCases() []arrowTypeCase {
	ints := func(lo, hi string) []string { return []string{"{v: " + lo + "}", "{v: " + hi + "}", "{v: null}"} }
	strs := []string{"{v: a}", "{v: null}", "{v: é}"}
	bins := []string{"{v: AAE=}", "{v: null}", "{v: }"}
	flts := []string{"{v: -2}", "{v: 1.5}", "{v: null}"}
	dates := []string{"{v: 1969-12-31}", "{v: 2024-02-29}", "{v: null}"}
	decs := []string{"{v: -9999999.99}", "{v: 1.25}", "{v: null}"}
	lists := []string{"{v: [1,2]}", "{v: []}", "{v: null}"}
	utc := "timestamp[us, tz=UTC]"
	return []arrowTypeCase{
		{name: "int8", typ: arrow.PrimitiveTypes.Int8, vals: `[-128,null,127]`, table: "int8", rows: ints("-128", "127")},
		{name: "int16", typ: arrow.PrimitiveTypes.Int16, vals: `[-32768,null,32767]`, table: "int16", rows: ints("-32768", "32767")},
		{name: "int32", typ: arrow.PrimitiveTypes.Int32, vals: `[-2147483648,null,2147483647]`, table: "int32", rows: ints("-2147483648", "2147483647")},
		{name: "int64", typ: arrow.PrimitiveTypes.Int64, vals: `[-9223372036854775808,null,9223372036854775807]`, table: "int64", rows: ints("-9223372036854775808", "9223372036854775807")},
		{name: "uint8", typ: arrow.PrimitiveTypes.Uint8, vals: `[0,null,255]`, table: "int16", rows: ints("0", "255")},
		{name: "uint16", typ: arrow.PrimitiveTypes.Uint16, vals: `[0,null,65535]`, table: "int32", rows: ints("0", "65535")},
		{name: "uint32", typ: arrow.PrimitiveTypes.Uint32, vals: `[0,null,4294967295]`, table: "int64", rows: ints("0", "4294967295")},
		{name: "uint64", typ: arrow.PrimitiveTypes.Uint64, vals: `[0,null,18446744073709551615]`, table: "decimal(20, 0)", rows: ints("0", "18446744073709551615")},
		{name: "float16", typ: arrow.FixedWidthTypes.Float16, vals: `[1.5,null,-2]`, table: "float32", rows: flts},
		{name: "float32", typ: arrow.PrimitiveTypes.Float32, vals: `[1.5,null,-2]`, table: "float32", rows: flts},
		{name: "float64", typ: arrow.PrimitiveTypes.Float64, vals: `[1.5,null,-2]`, table: "float64", rows: flts},
		{name: "bool", typ: arrow.FixedWidthTypes.Boolean, vals: `[true,null,false]`, table: "bool", rows: []string{"{v: false}", "{v: null}", "{v: true}"}},
		{name: "string", typ: arrow.BinaryTypes.String, vals: `["a",null,"é"]`, table: "utf8", rows: strs},
		{name: "large_string", typ: arrow.BinaryTypes.LargeString, vals: `["a",null,"é"]`, table: "utf8", rows: strs},
		{name: "string_view", typ: arrow.BinaryTypes.StringView, vals: `["a",null,"é"]`, table: "utf8", rows: strs},
		{name: "binary", typ: arrow.BinaryTypes.Binary, vals: `["AAE=",null,""]`, table: "binary", rows: bins},
		{name: "large_binary", typ: arrow.BinaryTypes.LargeBinary, vals: `["AAE=",null,""]`, table: "binary", rows: bins},
		{name: "binary_view", typ: arrow.BinaryTypes.BinaryView, vals: `["AAE=",null,""]`, table: "binary", rows: bins},
		{name: "fixed_size_binary", typ: &arrow.FixedSizeBinaryType{ByteWidth: 2}, vals: `["AAE=",null,"AQI="]`, table: "binary", rows: []string{"{v: AAE=}", "{v: AQI=}", "{v: null}"}},
		{name: "date32", typ: arrow.FixedWidthTypes.Date32, vals: `["2024-02-29",null,"1969-12-31"]`, table: "date32", rows: dates},
		{name: "date64", typ: arrow.FixedWidthTypes.Date64, vals: `["2024-02-29",null,"1969-12-31"]`, table: "date32", rows: dates},
		{name: "timestamp s UTC", typ: ts(arrow.Second, "UTC"), vals: `["2024-01-01T10:00:00Z",null,"1969-12-31T23:59:59Z"]`, table: utc,
			rows: []string{"{v: 1969-12-31T23:59:59Z}", "{v: 2024-01-01T10:00:00Z}", "{v: null}"}},
		{name: "timestamp ms UTC", typ: ts(arrow.Millisecond, "UTC"), vals: `["2024-01-01T10:00:00.123Z",null,"1969-12-31T23:59:59Z"]`, table: utc,
			rows: []string{"{v: 1969-12-31T23:59:59Z}", "{v: 2024-01-01T10:00:00.123Z}", "{v: null}"}},
		{name: "timestamp us UTC", typ: ts(arrow.Microsecond, "UTC"), vals: `["2024-01-01T10:00:00.123456Z",null,"1969-12-31T23:59:59Z"]`, table: utc,
			rows: []string{"{v: 1969-12-31T23:59:59Z}", "{v: 2024-01-01T10:00:00.123456Z}", "{v: null}"}},
		{name: "timestamp us other zone", typ: ts(arrow.Microsecond, "Europe/Oslo"), vals: `["2024-01-01T10:00:00.123456Z",null,"1969-12-31T23:59:59Z"]`, table: utc,
			rows: []string{"{v: 1969-12-31T23:59:59Z}", "{v: 2024-01-01T10:00:00.123456Z}", "{v: null}"}},
		{name: "timestamp us no zone", typ: ts(arrow.Microsecond, ""), vals: `["2024-01-01T10:00:00.123456",null,"1969-12-31T23:59:59"]`, table: "timestamp[us]",
			rows: []string{"{v: 1969-12-31T23:59:59}", "{v: 2024-01-01T10:00:00.123456}", "{v: null}"}},
		{name: "timestamp ns UTC", typ: ts(arrow.Nanosecond, "UTC"), vals: `["2024-01-01T10:00:00.123456789Z",null,null]`,
			wantErr: `column "v": Arrow type timestamp[ns, tz=UTC]: Delta stores microseconds; use timestamp[us, tz=UTC]`},
		{name: "timestamp ns no zone", typ: ts(arrow.Nanosecond, ""), vals: `["2024-01-01T10:00:00.123456789",null,null]`,
			wantErr: `column "v": Arrow type timestamp[ns]: Delta stores microseconds; use timestamp[us] (no zone: timestampNtz)`},
		{name: "decimal32", typ: &arrow.Decimal32Type{Precision: 9, Scale: 2}, vals: `["1.25",null,"-9999999.99"]`, table: "decimal(9, 2)", rows: decs},
		{name: "decimal64", typ: &arrow.Decimal64Type{Precision: 18, Scale: 2}, vals: `["1.25",null,"-9999999.99"]`, table: "decimal(18, 2)", rows: decs},
		{name: "decimal128", typ: &arrow.Decimal128Type{Precision: 38, Scale: 2}, vals: `["1.25",null,"-9999999.99"]`, table: "decimal(38, 2)", rows: decs},
		{name: "decimal256 38 digits", typ: &arrow.Decimal256Type{Precision: 38, Scale: 2}, vals: `["1.25",null,"-9999999.99"]`, table: "decimal(38, 2)", rows: decs},
		{name: "decimal256 50 digits", typ: &arrow.Decimal256Type{Precision: 50, Scale: 2}, vals: `["1.25",null,null]`,
			wantErr: "Delta decimals hold at most 38 digits; use decimal128 with precision at most 38, or string"},
		{name: "null", typ: arrow.Null, vals: `[null,null,null]`, table: "null", rows: []string{"{v: (null)}", "{v: (null)}", "{v: (null)}"}},
		{name: "struct", typ: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), vals: `[{"x":1},null,{"x":null}]`,
			table: "struct<x: int32 nullable>", rows: []string{`{v: null}`, `{v: {"x":1}}`, `{v: {"x":null}}`}},
		{name: "list", typ: arrow.ListOf(arrow.PrimitiveTypes.Int64), vals: `[[1,2],null,[]]`, table: "list<element: int64, nullable>", rows: lists},
		{name: "large_list", typ: arrow.LargeListOf(arrow.PrimitiveTypes.Int64), vals: `[[1,2],null,[]]`, table: "list<element: int64, nullable>", rows: lists},
		{name: "list_view", typ: arrow.ListViewOf(arrow.PrimitiveTypes.Int64), vals: `[[1,2],null,[]]`, wantErr: "use list (Delta arrays are variable-length lists)"},
		{name: "fixed_size_list", typ: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Int64), vals: `[[1,2],null,[3,4]]`, wantErr: "use list (Delta arrays are variable-length lists)"},
		{name: "map", typ: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), vals: `[[{"key":"a","value":1}],null,[]]`,
			table: "map<utf8, int32, items_nullable>", rows: []string{`{v: []}`, `{v: [{"key":"a","value":1}]}`, `{v: null}`}},
		{name: "dictionary", typ: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, build: buildDict,
			table: "utf8", rows: []string{"{v: a}", "{v: b}", "{v: null}"}},
		{name: "time32", typ: arrow.FixedWidthTypes.Time32ms, vals: `["10:00:00.123",null,"00:00:00"]`, wantErr: "store the time of day as long (microseconds since midnight) or string"},
		{name: "time64", typ: arrow.FixedWidthTypes.Time64us, vals: `["10:00:00.123456",null,"00:00:00"]`, wantErr: "store the time of day as long"},
		{name: "duration", typ: arrow.FixedWidthTypes.Duration_us, vals: `[1,null,2]`, wantErr: "store durations as long"},
		{name: "month interval", typ: arrow.FixedWidthTypes.MonthInterval, vals: `[{"months":1},null,{"months":2}]`, wantErr: "store intervals as a struct of long fields or as string"},
		{name: "day-time interval", typ: arrow.FixedWidthTypes.DayTimeInterval, vals: `[{"days":1,"milliseconds":2},null,{"days":0,"milliseconds":0}]`, wantErr: "store intervals"},
		{name: "dense union", typ: arrow.DenseUnionOf([]arrow.Field{{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true}}, []arrow.UnionTypeCode{0}), vals: `[[0,1],[0,null],[0,2]]`,
			wantErr: "use a struct with one nullable field per member"},
	}
}

func buildDict(mem memory.Allocator) arrow.Array {
	b := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	defer b.Release()
	_ = b.AppendString("a")
	b.AppendNull()
	_ = b.AppendString("b")
	return b.NewArray()
}

// TestEveryArrowType: each Arrow type either maps to a Delta type on
// Create and is then accepted by Append and read back, or Create refuses
// it naming what to use instead. No type is accepted by one and refused
// by the other.
func TestEveryArrowType(t *testing.T) {
	ctx := context.Background()
	for _, tc := range arrowTypeCases() {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: tc.typ, Nullable: true}}, nil)
			tbl, err := Create(ctx, "mem://", schema, &CreateOptions{Table: &Options{Allocator: mem}})
			if tc.wantErr != "" {
				require.ErrorIs(t, err, ErrUnsupportedType)
				require.ErrorIs(t, err, ErrInvalidArgument)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Contains(t, err.Error(), `column "v"`)
				return
			}
			require.NoError(t, err)
			defer tbl.Close()

			var col arrow.Array
			if tc.build != nil {
				col = tc.build(mem)
			} else {
				col, _, err = array.FromJSON(mem, tc.typ, strings.NewReader(tc.vals))
				require.NoError(t, err)
			}
			rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
			col.Release()
			rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
			require.NoError(t, err)
			rec.Release()
			res, err := tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
			assert.Nil(t, res.Protocol, "an append of an existing column changes no protocol")

			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.table, snap.Schema().Field(0).Type.String())
			assert.Equal(t, tc.rows, snapshotRows(t, snap))
			// Only a timestamp without a zone needs more than reader 1 / writer 2.
			p := snap.Protocol()
			if tc.table == "timestamp[us]" {
				assert.Equal(t, []int32{3, 7}, []int32{p.MinReaderVersion, p.MinWriterVersion})
				assert.Equal(t, []string{"timestampNtz"}, p.ReaderFeatures)
			} else {
				assert.Equal(t, []int32{1, 2}, []int32{p.MinReaderVersion, p.MinWriterVersion})
			}
		})
	}
}

// TestNanosecondValuesOnAppend: a nanosecond batch can be appended to a
// microsecond column when no digit is lost; otherwise the error names the
// column and the remedy, and nothing is committed.
func TestNanosecondValuesOnAppend(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: ts(arrow.Microsecond, "UTC"), Nullable: true}}, nil)
	tbl, err := Create(ctx, "mem://", schema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	nsSchema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: ts(arrow.Nanosecond, "UTC"), Nullable: true}}, nil)
	for _, tc := range []struct {
		vals    string
		wantErr string
		version int64
	}{
		{`["2024-01-01T10:00:00.123456Z"]`, "", 1},
		{`["2024-01-01T10:00:00.123456789Z"]`, `column "v": timestamp[ns, tz=UTC] values with sub-microsecond digits do not fit the table's timestamp[us, tz=UTC]; Delta stores microseconds, so truncate them first`, 1},
	} {
		rec, _, err := array.RecordFromJSON(mem, nsSchema, strings.NewReader(`[{"v":`+strings.Trim(tc.vals, "[]")+`}]`))
		require.NoError(t, err)
		rr, err := array.NewRecordReader(nsSchema, []arrow.RecordBatch{rec})
		require.NoError(t, err)
		rec.Release()
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		if tc.wantErr == "" {
			require.NoError(t, err)
		} else {
			require.ErrorIs(t, err, ErrSchemaMismatch)
			assert.Contains(t, err.Error(), tc.wantErr)
		}
		snap, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		assert.Equal(t, tc.version, snap.Version())
	}
}

// TestProtocolUpgradeReported: the commit that needs a newer protocol says
// so in CommitResult.Protocol; one that does not leaves it nil.
func TestProtocolUpgradeReported(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	for _, tc := range []struct {
		name     string
		typ      arrow.DataType
		val      string
		wantRW   []int32
		features []string
	}{
		{"zoned timestamp", ts(arrow.Microsecond, "UTC"), "2024-01-01T10:00:00Z", []int32{1, 2}, nil},
		{"timestamp without zone", ts(arrow.Microsecond, ""), "2024-01-01T10:00:00", []int32{3, 7}, []string{"timestampNtz"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: tc.typ, Nullable: true}}, nil)
			rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[{"v":"`+tc.val+`"}]`))
			require.NoError(t, err)
			rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
			require.NoError(t, err)
			rec.Release()
			tbl, res, err := CreateAsSelect(ctx, "mem://", rr, &CreateOptions{Table: &Options{Allocator: mem}})
			rr.Release()
			require.NoError(t, err)
			defer tbl.Close()
			require.NotNil(t, res.Protocol, "a new table writes its protocol")
			assert.Equal(t, tc.wantRW, []int32{res.Protocol.MinReaderVersion, res.Protocol.MinWriterVersion})
			assert.Equal(t, tc.features, res.Protocol.ReaderFeatures)

			rr, err = array.NewRecordReader(schema, nil)
			require.NoError(t, err)
			res, err = tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
			assert.Nil(t, res.Protocol)
		})
	}
}

// TestNotNullListsInvariants: with a table-features protocol, a NOT NULL
// column (top level or in a struct) lists the invariants writer feature,
// without which Spark refuses the table; a NOT NULL array element does
// not, and legacy protocols need no list.
func TestNotNullListsInvariants(t *testing.T) {
	ctx := context.Background()
	ntz := arrow.Field{Name: "t", Type: ts(arrow.Microsecond, ""), Nullable: true}
	for _, tc := range []struct {
		name   string
		fields []arrow.Field
		writer []string
	}{
		{"top-level NOT NULL", []arrow.Field{ntz, {Name: "id", Type: arrow.PrimitiveTypes.Int64}}, []string{"invariants", "timestampNtz"}},
		{"NOT NULL in a struct", []arrow.Field{ntz, {Name: "s", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64}), Nullable: true}}, []string{"invariants", "timestampNtz"}},
		{"NOT NULL array element only", []arrow.Field{ntz, {Name: "a", Type: arrow.ListOfNonNullable(arrow.PrimitiveTypes.Int64), Nullable: true}}, []string{"timestampNtz"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl, err := Create(ctx, "mem://", arrow.NewSchema(tc.fields, nil), nil)
			require.NoError(t, err)
			defer tbl.Close()
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.writer, snap.Protocol().WriterFeatures)
			assert.Equal(t, []string{"timestampNtz"}, snap.Protocol().ReaderFeatures)
		})
	}
	// A legacy protocol implies invariants through writer version 2.
	tbl, err := Create(ctx, "mem://", arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil), nil)
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, Protocol{MinReaderVersion: 1, MinWriterVersion: 2}, snap.Protocol())
}
