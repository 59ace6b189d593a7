package expr

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests use IANA zones regardless of the host

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testSchema is the table the semantics cases run over; four rows.
var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "l", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "d", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "dt", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "st", Type: arrow.StructOf(
		arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

const testBatchJSON = `[
 {"i": 1, "l": 10, "d": 1.5, "s": "abc", "b": true, "dt": "2020-01-01", "ts": "2020-01-01T00:00:00Z", "dec": "1.25", "st": {"x": 1, "y": "a"}, "amount": 5},
 {"i": -2, "l": 0, "d": "NaN", "s": "a_c", "b": false, "dt": "2019-12-31", "ts": "2020-01-01T12:34:56.789Z", "dec": "-3.50", "st": null, "amount": 0},
 {"i": null, "l": null, "d": null, "s": null, "b": null, "dt": null, "ts": null, "dec": null, "st": {"x": null, "y": "c"}, "amount": null},
 {"i": 2147483647, "l": 9223372036854775807, "d": -0.0, "s": "ABC", "b": true, "dt": "2020-02-29", "ts": "1970-01-01T00:00:00Z", "dec": "99999999.99", "st": {"x": 4, "y": null}, "amount": -1}
]`

func testBatch(t testing.TB, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	rec, _, err := array.RecordFromJSON(mem, testSchema, strings.NewReader(testBatchJSON))
	require.NoError(t, err)
	return rec
}

// values converts an Arrow array to Go values for assertions (nil = NULL).
func values(a arrow.Array) []any {
	out := make([]any, a.Len())
	for i := range out {
		if a.IsNull(i) || a.DataType().ID() == arrow.NULL {
			continue
		}
		switch x := a.(type) {
		case *array.Boolean:
			out[i] = x.Value(i)
		case *array.Int8:
			out[i] = int64(x.Value(i))
		case *array.Int16:
			out[i] = int64(x.Value(i))
		case *array.Int32:
			out[i] = int64(x.Value(i))
		case *array.Int64:
			out[i] = x.Value(i)
		case *array.Float32:
			out[i] = float64(x.Value(i))
		case *array.Float64:
			out[i] = x.Value(i)
		case *array.String:
			out[i] = x.Value(i)
		case *array.Binary:
			out[i] = string(x.Value(i))
		case *array.Decimal128:
			out[i] = decimalText(x.Value(i), x.DataType().(*arrow.Decimal128Type).Scale)
		case *array.Date32:
			out[i] = civilDate(int32(x.Value(i)))
		case *array.Timestamp:
			out[i] = time.UnixMicro(int64(x.Value(i))).UTC().Format("2006-01-02 15:04:05.999999")
		case *array.MonthDayNanoInterval:
			v := x.Value(i)
			out[i] = fmt.Sprintf("%d %d %d", v.Months, v.Days, v.Nanoseconds)
		default:
			out[i] = a.ValueStr(i)
		}
	}
	return out
}

type semCase struct {
	sql  string
	want []any // one value: the expression is expected to be the same on every row
	typ  string
	ansi bool
	tz   string
	err  error
}

func runSemantics(t *testing.T, cases []semCase) {
	for _, tc := range cases {
		name := tc.sql
		if tc.ansi {
			name += " [ANSI]"
		}
		if tc.tz != "" {
			name += " [" + tc.tz + "]"
		}
		t.Run(name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			batch := testBatch(t, mem)
			defer batch.Release()
			e, err := Parse(tc.sql)
			require.NoError(t, err)
			opts := &CompileOptions{ANSI: tc.ansi, Allocator: mem}
			if tc.tz != "" {
				loc, err := time.LoadLocation(tc.tz)
				require.NoError(t, err)
				opts.TimeZone = loc
			}
			p, err := Compile(e, testSchema, opts)
			if err == nil {
				var out arrow.Array
				out, err = p.Eval(context.Background(), batch)
				if err == nil {
					defer out.Release()
					require.Nil(t, tc.err, "expected error %v", tc.err)
					if tc.typ != "" {
						assert.Equal(t, tc.typ, sparkTypeName(p.ResultType()))
					}
					got := values(out)
					want := tc.want
					if len(want) == 1 {
						want = []any{want[0], want[0], want[0], want[0]}
					}
					assertValues(t, want, got)
					return
				}
			}
			require.NotNil(t, tc.err, "unexpected error: %v", err)
			assert.ErrorIs(t, err, tc.err)
		})
	}
}

func assertValues(t *testing.T, want, got []any) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		if w, ok := want[i].(float64); ok && math.IsNaN(w) {
			g, ok := got[i].(float64)
			assert.True(t, ok && math.IsNaN(g), "row %d: want NaN, got %v", i, got[i])
			continue
		}
		if w, ok := want[i].(int); ok {
			want[i] = int64(w)
		}
		assert.Equal(t, want[i], got[i], "row %d", i)
	}
}

func row(v ...any) []any { return v }

// Each case states the value Spark 3.5 (non-ANSI unless marked) returns.
var semanticsLogicCases = []semCase{
	{sql: "NULL AND false", want: row(false)},
	{sql: "NULL AND true", want: row(nil)},
	{sql: "NULL OR true", want: row(true)},
	{sql: "NULL OR false", want: row(nil)},
	{sql: "NOT NULL", want: row(nil)},
	{sql: "b AND NULL", want: row(nil, false, nil, nil)},
	{sql: "b OR NULL", want: row(true, nil, nil, true)},
	{sql: "NOT b", want: row(false, true, nil, false)},
	{sql: "b IS NULL", want: row(false, false, true, false)},
	{sql: "b IS NOT TRUE", want: row(false, true, true, false)},
	{sql: "b IS UNKNOWN", want: row(false, false, true, false)},
	{sql: "i > 0 AND s = 'abc'", want: row(true, false, nil, false)},
	{sql: "i > 0 OR s = 'a_c'", want: row(true, true, nil, true)},
	{sql: "NULL <=> NULL", want: row(true)},
	{sql: "1 <=> NULL", want: row(false)},
	{sql: "i <=> NULL", want: row(false, false, true, false)},
	{sql: "i IS DISTINCT FROM 1", want: row(false, true, true, true)},
	{sql: "i = NULL", want: row(nil)},
	{sql: "i != 1", want: row(false, true, nil, true)},
}

func TestSemanticsLogic(t *testing.T) { runSemantics(t, semanticsLogicCases) }

var semanticsInBetweenCases = []semCase{
	{sql: "1 IN (1, NULL)", want: row(true)},
	{sql: "2 IN (1, NULL)", want: row(nil)},
	{sql: "2 NOT IN (1, NULL)", want: row(nil)},
	{sql: "2 IN (1, 3)", want: row(false)},
	{sql: "NULL IN (1)", want: row(nil)},
	{sql: "i IN (1, 2147483647)", want: row(true, false, nil, true)},
	{sql: "i NOT IN (1, -2)", want: row(false, false, nil, true)},
	{sql: "i IN (l, 1)", want: row(true, false, nil, false)},
	{sql: "s IN ('abc', NULL)", want: row(true, nil, nil, nil)},
	{sql: "i IN ('1', 2)", want: row(true, false, nil, false)}, // compared as strings
	{sql: "d IN (CAST('NaN' AS DOUBLE))", want: row(false, true, nil, false)},
	{sql: "d IN (0.0D)", want: row(false, false, nil, true)}, // -0.0 = 0.0
	{sql: "'b' BETWEEN 'a' AND 'c'", want: row(true)},
	{sql: "'B' BETWEEN 'a' AND 'c'", want: row(false)},
	{sql: "'abc' BETWEEN 'abc' AND 'abd'", want: row(true)},
	{sql: "s BETWEEN 'a' AND 'b'", want: row(true, true, nil, false)},
	{sql: "i BETWEEN -2 AND 1", want: row(true, true, nil, false)},
	{sql: "i NOT BETWEEN -2 AND 1", want: row(false, false, nil, true)},
	{sql: "i BETWEEN NULL AND 1", want: row(nil, nil, nil, false)},
	{sql: "dt BETWEEN '2020-01-01' AND '2020-12-31'", want: row(true, false, nil, true)},
}

func TestSemanticsInBetween(t *testing.T) { runSemantics(t, semanticsInBetweenCases) }

var semanticsLikeCases = []semCase{
	{sql: `'a_c' LIKE 'a\_c'`, want: row(true)},
	{sql: `'abc' LIKE 'a\_c'`, want: row(false)},
	{sql: `'a%c' LIKE 'a!%c' ESCAPE '!'`, want: row(true)},
	{sql: `'abc' LIKE 'a!%c' ESCAPE '!'`, want: row(false)},
	{sql: `'abc' LIKE 'a%'`, want: row(true)},
	{sql: `'abc' LIKE '_b_'`, want: row(true)},
	{sql: `'ABC' LIKE 'abc'`, want: row(false)},
	{sql: `'ABC' ILIKE 'abc'`, want: row(true)},
	{sql: "'a\nb' LIKE 'a_b'", want: row(true)},
	{sql: `NULL LIKE 'a'`, want: row(nil)},
	{sql: `s LIKE 'a%'`, want: row(true, true, nil, false)},
	{sql: `s NOT LIKE '%c'`, want: row(false, false, nil, true)},
	{sql: `s LIKE 'a\_c'`, want: row(false, true, nil, false)},
	{sql: `s RLIKE '^a.c$'`, want: row(true, true, nil, false)},
	{sql: `s RLIKE 'b'`, want: row(true, false, nil, false)},
	{sql: `s LIKE s`, want: row(true, true, nil, true)},
	{sql: `i LIKE '2%'`, want: row(false, false, nil, true)},
	{sql: `'abc' LIKE 'a!bc' ESCAPE '!'`, err: ErrType},
	{sql: `'a\bc' LIKE 'a\bc'`, want: row(true)}, // \b is a backspace escape in Spark strings
}

func TestSemanticsLike(t *testing.T) { runSemantics(t, semanticsLikeCases) }

var semanticsArithmeticCases = []semCase{
	{sql: "7 / 2", want: row(3.5), typ: "DOUBLE"},
	{sql: "7 DIV 2", want: row(int64(3)), typ: "BIGINT"},
	{sql: "-7 DIV 2", want: row(int64(-3))},
	{sql: "-7 % 3", want: row(-1)},
	{sql: "7 % -3", want: row(1)},
	{sql: "1 / 0", want: row(nil)},
	{sql: "1 DIV 0", want: row(nil)},
	{sql: "1 % 0", want: row(nil)},
	{sql: "1.0D / 0.0D", want: row(nil)},
	{sql: "1 / 0", ansi: true, err: ErrArithmetic},
	{sql: "i / 0", ansi: true, err: ErrArithmetic},
	{sql: "2147483647 + 1", want: row(math.MinInt32), typ: "INT"},
	{sql: "i + 1", want: row(2, -1, nil, math.MinInt32), typ: "INT"},
	{sql: "i + 1", ansi: true, err: ErrArithmetic},
	{sql: "l + 1", want: row(int64(11), int64(1), nil, int64(math.MinInt64)), typ: "BIGINT"},
	{sql: "l * 2", ansi: true, err: ErrArithmetic},
	{sql: "i * 2", want: row(2, -4, nil, -2), typ: "INT"},
	{sql: "-i", want: row(-1, 2, nil, -2147483647)},
	{sql: "- CAST(-2147483648 AS INT)", want: row(math.MinInt32)},
	{sql: "i + 1L", want: row(int64(2), int64(-1), nil, int64(2147483648)), typ: "BIGINT"},
	{sql: "i + 1.5D", want: row(2.5, -0.5, nil, 2147483648.5), typ: "DOUBLE"},
	{sql: "'2' * 3", want: row(6.0), typ: "DOUBLE"},
	{sql: "1 + 2 * 3 - 4 / 2", want: row(5.0)},
	{sql: "5 & 3 | 8 ^ 1", want: row(9)},
	{sql: "~5", want: row(-6)},
	{sql: "3Y + 4Y", want: row(7), typ: "TINYINT"},
	{sql: "127Y + 1Y", want: row(-128)},
	{sql: "d + 1", want: row(2.5, math.NaN(), nil, 1.0)},
}

func TestSemanticsArithmetic(t *testing.T) { runSemantics(t, semanticsArithmeticCases) }

var semanticsDecimalCases = []semCase{
	{sql: "1.25 + 2.5", want: row("3.75"), typ: "DECIMAL(4,2)"},
	{sql: "1.25 * 2.5", want: row("3.125"), typ: "DECIMAL(6,3)"},
	{sql: "1.0 / 3", want: row("0.333333"), typ: "DECIMAL(7,6)"},
	{sql: "2.5 - 10", want: row("-7.5"), typ: "DECIMAL(4,1)"},
	{sql: "10.5 % 3", want: row("1.5"), typ: "DECIMAL(2,1)"},
	{sql: "dec + 1", want: row("2.25", "-2.50", nil, "100000000.99"), typ: "DECIMAL(11,2)"},
	{sql: "dec * 2.0", want: row("2.500", "-7.000", nil, "199999999.980"), typ: "DECIMAL(13,3)"},
	{sql: "dec / 0", want: row(nil)},
	{sql: "dec > 1.2", want: row(true, false, nil, true)},
	{sql: "dec = 1.250", want: row(true, false, nil, false)},
	{sql: "dec + 1.5D", want: row(2.75, -2.0, nil, 100000001.49), typ: "DOUBLE"},
	{sql: "CAST('123.456' AS DECIMAL(4,2))", want: row(nil)},
	{sql: "CAST('123.456' AS DECIMAL(4,2))", ansi: true, err: ErrArithmetic},
	{sql: "CAST('12.345' AS DECIMAL(5,2))", want: row("12.35")},
	{sql: "CAST(-12.345 AS DECIMAL(5,2))", want: row("-12.35")},
	{sql: "CAST(12345678901234567890123456789012345678 AS DECIMAL(38,0)) * 10", want: row(nil)},
	{sql: "CAST(1 AS DECIMAL(38,10)) * CAST(1 AS DECIMAL(38,10))", want: row("1.000000"), typ: "DECIMAL(38,6)"},
	{sql: "dec DIV 2", want: row(int64(0), int64(-1), nil, int64(49999999)), typ: "BIGINT"},
	{sql: "CAST(dec AS INT)", want: row(1, -3, nil, 99999999)},
}

func TestSemanticsDecimal(t *testing.T) { runSemantics(t, semanticsDecimalCases) }

var semanticsCastCases = []semCase{
	{sql: "CAST('abc' AS INT)", want: row(nil)},
	{sql: "CAST('abc' AS INT)", ansi: true, err: ErrInvalidCast},
	{sql: "TRY_CAST('abc' AS INT)", ansi: true, want: row(nil)},
	{sql: "CAST('  12  ' AS INT)", want: row(12)},
	{sql: "CAST('1.9' AS INT)", want: row(1)},
	{sql: "CAST('99999999999' AS INT)", want: row(nil)},
	{sql: "CAST(3000000000L AS INT)", want: row(-1294967296)},
	{sql: "CAST(3000000000L AS INT)", ansi: true, err: ErrArithmetic},
	{sql: "CAST(1.9D AS INT)", want: row(1)},
	{sql: "CAST(-1.9D AS INT)", want: row(-1)},
	{sql: "CAST(1e20 AS INT)", want: row(math.MaxInt32)},
	{sql: "CAST(CAST('NaN' AS DOUBLE) AS INT)", want: row(0)},
	{sql: "CAST('yes' AS BOOLEAN)", want: row(true)},
	{sql: "CAST('maybe' AS BOOLEAN)", want: row(nil)},
	{sql: "CAST(1e7 AS STRING)", want: row("1.0E7")},
	{sql: "CAST(0.1D AS STRING)", want: row("0.1")},
	{sql: "CAST(100.0D AS STRING)", want: row("100.0")},
	{sql: "CAST(1.5e-4 AS STRING)", want: row("1.5E-4")},
	{sql: "CAST(d AS STRING)", want: row("1.5", "NaN", nil, "-0.0")},
	{sql: "CAST(dec AS STRING)", want: row("1.25", "-3.50", nil, "99999999.99")},
	{sql: "CAST(b AS INT)", want: row(1, 0, nil, 1)},
	{sql: "CAST(dt AS STRING)", want: row("2020-01-01", "2019-12-31", nil, "2020-02-29")},
	{sql: "CAST(ts AS STRING)", want: row("2020-01-01 00:00:00", "2020-01-01 12:34:56.789", nil, "1970-01-01 00:00:00")},
	{sql: "CAST(ts AS BIGINT)", want: row(int64(1577836800), int64(1577882096), nil, int64(0))},
	{sql: "CAST('2020-01-01 12:00:00' AS DATE)", want: row("2020-01-01")},
	{sql: "CAST('2020-1-5' AS DATE)", want: row("2020-01-05")},
	{sql: "CAST('2020-13-05' AS DATE)", want: row(nil)},
	{sql: "CAST('inf' AS DOUBLE)", want: row(math.Inf(1))},
	{sql: "CAST(i AS TINYINT)", want: row(1, -2, nil, -1)},
	{sql: "CAST(dt AS INT)", want: row(nil)},
	{sql: "CAST(dt AS INT)", ansi: true, err: ErrType},
}

func TestSemanticsCast(t *testing.T) { runSemantics(t, semanticsCastCases) }

var semanticsDatetimeCases = []semCase{
	{sql: "DATE '2020-01-01' = '2020-01-01'", want: row(true)},
	{sql: "dt >= '2020-01-01'", want: row(true, false, nil, true)},
	{sql: "dt = '2020-1-1'", want: row(true, false, nil, false)},
	{sql: "dt > 'garbage'", want: row(nil)},
	{sql: "ts > '2020-01-01'", want: row(false, true, nil, false)},
	{sql: "ts >= DATE '2020-01-01'", want: row(true, true, nil, false)},
	{sql: "ts = TIMESTAMP '2020-01-01 12:34:56.789'", want: row(false, true, nil, false)},
	{sql: "ts = '2020-01-01T04:34:56.789-08:00'", want: row(false, true, nil, false)},
	{sql: "ts = TIMESTAMP '2020-01-01 04:34:56.789'", tz: "America/Los_Angeles", want: row(false, true, nil, false)},
	{sql: "ts > '2020-01-01'", tz: "America/Los_Angeles", want: row(false, true, nil, false)},
	{sql: "CAST(ts AS STRING)", tz: "America/Los_Angeles", want: row("2019-12-31 16:00:00", "2020-01-01 04:34:56.789", nil, "1969-12-31 16:00:00")},
	{sql: "CAST(ts AS DATE)", tz: "America/Los_Angeles", want: row("2019-12-31", "2020-01-01", nil, "1969-12-31")},
	{sql: "CAST(ts AS DATE)", tz: "Asia/Kolkata", want: row("2020-01-01", "2020-01-01", nil, "1970-01-01")},
	{sql: "CAST(DATE '2020-01-01' AS TIMESTAMP)", tz: "Asia/Kolkata", want: row("2019-12-31 18:30:00")},
	{sql: "CAST(TIMESTAMP_NTZ '2020-01-01 00:00:00' AS TIMESTAMP)", tz: "Asia/Kolkata", want: row("2019-12-31 18:30:00")},
	{sql: "dt + 1", want: row("2020-01-02", "2020-01-01", nil, "2020-03-01"), typ: "DATE"},
	{sql: "dt + -INTERVAL 1 DAY", want: row("2019-12-31", "2019-12-30", nil, "2020-02-28")},
	{sql: "ts - INTERVAL '1-1' YEAR TO MONTH", want: row("2018-12-01 00:00:00", "2018-12-01 12:34:56.789", nil, "1968-12-01 00:00:00")},
	{sql: "dt - DATE '2020-01-01'", want: row("0 0 0", "0 -1 0", nil, "0 59 0"), typ: "INTERVAL"},
	{sql: "ts - TIMESTAMP '2020-01-01 00:00:00Z'", want: row("0 0 0", "0 0 45296789000000", nil, "0 0 -1577836800000000000")},
	{sql: "dt - 1", want: row("2019-12-31", "2019-12-30", nil, "2020-02-28")},
	{sql: "dt + INTERVAL 1 MONTH", want: row("2020-02-01", "2020-01-31", nil, "2020-03-29"), typ: "DATE"},
	{sql: "DATE '2020-01-31' + INTERVAL '1' MONTH", want: row("2020-02-29")},
	{sql: "ts + INTERVAL 1 DAY 2 HOURS", want: row("2020-01-02 02:00:00", "2020-01-02 14:34:56.789", nil, "1970-01-02 02:00:00"), typ: "TIMESTAMP"},
	{sql: "TIMESTAMP '2020-03-07 12:00:00' + INTERVAL 1 DAY", tz: "America/Los_Angeles", want: row("2020-03-08 19:00:00")},
}

func TestSemanticsDatetime(t *testing.T) { runSemantics(t, semanticsDatetimeCases) }

var semanticsMiscCases = []semCase{
	{sql: "'1' = 1", want: row(true)},
	{sql: "'1.5' = 1", want: row(true)}, // the string is cast to INT
	{sql: "1.5 = '1.5'", want: row(true)},
	{sql: "CAST('NaN' AS DOUBLE) = CAST('NaN' AS DOUBLE)", want: row(true)},
	{sql: "d > 1e308", want: row(false, true, nil, false)},
	{sql: "d = 0", want: row(false, false, nil, true)},
	{sql: "CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' END", want: row("pos", "neg", nil, "pos")},
	{sql: "CASE WHEN i > 0 THEN 1 ELSE 2.5D END", want: row(1.0, 2.5, 2.5, 1.0)},
	{sql: "CASE i WHEN 1 THEN 'one' WHEN -2 THEN 'minus two' ELSE 'other' END", want: row("one", "minus two", "other", "other")},
	{sql: "CASE WHEN true THEN 1 END", want: row(1)},
	{sql: "CASE WHEN l != 0 THEN 100 DIV l ELSE -1 END", ansi: true, want: row(int64(10), int64(-1), int64(-1), int64(0))},
	{sql: "CASE WHEN i > 0 THEN 'pos' WHEN i < 0 THEN 'neg' END", ansi: true, want: row("pos", "neg", nil, "pos")},
	{sql: "CASE WHEN i < 2 THEN i + 1 ELSE 0 END", ansi: true, want: row(2, -1, 0, 0)},
	{sql: "if(i = 2147483647, 0, i + 1)", ansi: true, want: row(2, -1, nil, 0)},
	{sql: "coalesce(i, 1 DIV 0)", ansi: true, err: ErrArithmetic},
	{sql: "l != 0 AND 100 DIV l > 5", ansi: true, want: row(true, false, nil, false)},
	{sql: "l = 0 OR 100 DIV l > 5", ansi: true, want: row(true, true, nil, false)},
	{sql: "i < 2 AND i + 1 > 0", ansi: true, want: row(true, false, nil, false)},
	{sql: "i + 1 > 0 AND i < 2", ansi: true, err: ErrArithmetic},
	{sql: "coalesce(i, 0)", want: row(1, -2, 0, math.MaxInt32)},
	{sql: "coalesce(NULL, s, 'z')", want: row("abc", "a_c", "z", "ABC")},
	{sql: "nvl(st.x, -1)", want: row(1, -1, -1, 4)},
	{sql: "if(b, 'y', 'n')", want: row("y", "n", "n", "y")},
	{sql: "st.x", want: row(1, nil, nil, 4)},
	{sql: "ST.X IS NULL", want: row(false, true, true, false)},
	{sql: "st.y", want: row("a", nil, "c", nil)},
	{sql: "`st`.`y` = 'c'", want: row(false, nil, true, nil)},
	{sql: "amount > 0 AND ts IS NOT NULL", want: row(true, false, false, false)},
	{sql: "I > 0", want: row(true, false, nil, true)},
}

func TestSemanticsMisc(t *testing.T) { runSemantics(t, semanticsMiscCases) }

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		sql  string
		err  error
		pos  int
		text string
	}{
		{"amout > 0", ErrUnknownColumn, 0, "did you mean amount"},
		{"st.z = 1", ErrUnknownColumn, 0, "cannot resolve st.z"},
		{"i.x = 1", ErrUnknownColumn, 0, "not a struct"},
		{"i > true", ErrType, 2, "cannot compare INT with BOOLEAN"},
		{"i AND b", ErrType, 0, "must be BOOLEAN"},
		{"NOT s", ErrType, 4, "must be BOOLEAN"},
		{"b + 1", ErrType, 2, "does not accept BOOLEAN"},
		{"frobnicate(i)", ErrUnknownFunction, 0, "frobnicate"},
		{"coalesce()", ErrType, 0, "at least 1"},
		{"CASE WHEN i THEN 1 END", ErrType, 10, "BOOLEAN"},
		{"i IN (dt)", ErrType, 2, "IN list"},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			e, err := Parse(tc.sql)
			require.NoError(t, err)
			_, err = Compile(e, testSchema, nil)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tc.err), "%v", err)
			var ce *CompileError
			require.ErrorAs(t, err, &ce)
			assert.Equal(t, tc.pos, ce.Pos, err.Error())
			assert.Contains(t, err.Error(), tc.text)
		})
	}
}

func TestAmbiguousColumn(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "Ab", Type: arrow.PrimitiveTypes.Int32}, {Name: "aB", Type: arrow.PrimitiveTypes.Int32}}, nil)
	_, err := Compile(Col("ab"), schema, nil)
	assert.ErrorIs(t, err, ErrAmbiguousColumn)
	_, err = Compile(Col("aB"), schema, nil) // exact match wins
	assert.NoError(t, err)
}

func TestFilter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	batch := testBatch(t, mem)
	defer batch.Release()
	p, err := Compile(Col("amount").Ge(Lit(0)), testSchema, &CompileOptions{Allocator: mem})
	require.NoError(t, err)
	out, err := p.Filter(context.Background(), batch)
	require.NoError(t, err)
	defer out.Release()
	assert.Equal(t, []any{int64(1), int64(-2)}, values(out.Column(0)))

	all, err := Compile(Or(Col("b").IsNotNull(), Lit(true)), testSchema, &CompileOptions{Allocator: mem})
	require.NoError(t, err)
	kept, err := all.Filter(context.Background(), batch)
	require.NoError(t, err)
	assert.Equal(t, batch.NumRows(), kept.NumRows())
	kept.Release()

	none, err := Compile(Lit(nil), testSchema, &CompileOptions{Allocator: mem})
	require.NoError(t, err)
	empty, err := none.Filter(context.Background(), batch)
	require.NoError(t, err)
	assert.Equal(t, int64(0), empty.NumRows())
	empty.Release()

	np, err := Compile(Col("i").Add(Lit(1)), testSchema, &CompileOptions{Allocator: mem})
	require.NoError(t, err)
	_, err = np.Filter(context.Background(), batch)
	assert.ErrorIs(t, err, ErrNotPredicate)
}

func TestLiteralDecimalBuilder(t *testing.T) {
	e, err := LitDecimal("12.50")
	require.NoError(t, err)
	assert.Equal(t, "12.50BD", e.String())
	p, err := Compile(e, testSchema, nil)
	require.NoError(t, err)
	assert.Equal(t, "DECIMAL(4,2)", sparkTypeName(p.ResultType()))
	_ = decimal128.Num{}
}
