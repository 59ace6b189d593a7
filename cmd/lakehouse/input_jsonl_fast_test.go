package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanSchema has a column of every kind the row scanner decodes itself,
// and nested and decimal columns it hands to their builders.
var scanSchema = arrow.NewSchema([]arrow.Field{
	{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "q", Type: arrow.BinaryTypes.String, Nullable: true}, // bare values quoted
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "ntz", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Float64), Nullable: true},
}, nil)

var scanQuote = map[string]bool{"q": true}

// decodeBothWays decodes one line with the row scanner and with arrow's
// record decoder (the general path). accepted says the scanner took the
// line; the error is the one the path that decided reported.
func decodeBothWays(t *testing.T, mem memory.Allocator, line string) (fast, slow arrow.RecordBatch, accepted bool, fastErr, slowErr error) {
	t.Helper()
	jr := &jsonlReader{schema: scanSchema, names: map[string]bool{}, quote: scanQuote}
	for _, f := range scanSchema.Fields() {
		jr.names[f.Name] = true
	}
	fb := array.NewRecordBuilder(mem, scanSchema)
	defer fb.Release()
	rs := newRowScanner(fb, scanQuote)
	// A scan appends nothing: a second scanner says whether decodeLine's
	// will take the line.
	accepted = newRowScanner(fb, scanQuote).scan([]byte(line))
	fastErr, uneven := rs.decodeLine(jr, fb, []byte(line), 1)
	if fastErr == nil {
		fast = fb.NewRecordBatch()
	} else if !uneven {
		fb.NewRecordBatch().Release()
	}

	// The general path, with the same check of maps.
	sb := array.NewRecordBuilder(mem, scanSchema)
	defer sb.Release()
	slowErr = jr.decodeLineInto(sb, []byte(line), 1)
	if slowErr == nil {
		for _, i := range rs.mapCols {
			if msg := mapProblem(sb.Field(i)); msg != "" {
				slowErr = fmt.Errorf("column %q: %s", scanSchema.Field(i).Name, msg)
			}
		}
	}
	if slowErr == nil {
		slow = sb.NewRecordBatch()
	}
	return fast, slow, accepted, fastErr, slowErr
}

// TestRowScannerMatchesArrow: what the scanner decodes equals what arrow's
// decoder makes of the same line, and it declines (leaving the line to the
// general path) whatever it does not decode exactly so.
func TestRowScannerMatchesArrow(t *testing.T) {
	tests := []struct {
		name     string
		line     string
		accepted bool // the scanner decodes it itself
		wantErr  string
	}{
		{"every kind", `{"i8":-128,"i16":32767,"i32":-2147483648,"i64":9223372036854775807,"f32":1.5,"f64":-2.5e-3,"b":true,"s":"x","q":"y","d":"2024-02-29","ts":"2024-01-02T03:04:05.123456Z","ntz":"2024-01-02T03:04:05","dec":"12.34","st":{"a":1,"b":"z"},"l":[1,2,null],"m":[{"key":"k","value":1.5}]}`, true, ""},
		{"nulls and missing keys", `{"i64":null,"s":null,"st":null,"l":null}`, true, ""},
		{"empty object", `{}`, true, ""},
		{"keys out of order and white space", " { \"s\" : \"a\" ,\t\"i64\":\r\n7 } \r\n", true, ""},
		{"escapes", `{"s":"a\"b\\c\/d\b\f\n\r\t\u00e9\u20ac\ud83d\ude00"}`, true, ""},
		{"non-ASCII", `{"s":"héllo – 世界"}`, true, ""},
		{"quoted column takes bare values", `{"q":7}`, true, ""},
		{"quoted column takes booleans", `{"q":false}`, true, ""},
		{"quoted column takes exponents", `{"q":-1.5E+10}`, true, ""},
		{"negative zero", `{"i64":-0,"f64":-0}`, true, ""},
		{"nested values with escapes", `{"st":{"b":"\u00e9\n","a":-1},"l":[ 1 , 2 ],"m":[{"key":"\u00e9","value":null}]}`, true, ""},
		// Declined, then decoded by arrow as before.
		{"quoted int", `{"i64":"42"}`, false, ""},
		{"whole float in int column", `{"i64":1.0}`, false, ""},
		{"exponent in int column", `{"i32":1e3}`, false, ""},
		{"date as a day count", `{"d":19000}`, false, ""},
		{"timestamp as an epoch count", `{"ts":"1700000000000000"}`, false, ""},
		{"boolean as a string", `{"b":"true"}`, false, ""},
		{"escaped key", `{"i\u0036\u0034":5}`, false, ""},
		{"lone surrogate", `{"s":"\ud83d"}`, false, ""},
		// Refused, by either path, with arrow's message.
		{"int8 out of range", `{"i8":128}`, false, "cannot unmarshal 128"},
		{"int32 out of range", `{"i32":2147483648}`, false, "cannot unmarshal 2147483648"},
		{"int64 out of range", `{"i64":9223372036854775808}`, false, "cannot unmarshal"},
		{"float32 out of range", `{"f32":1e39}`, false, "cannot unmarshal"},
		{"fraction in int column", `{"i64":1.5}`, false, "cannot unmarshal 1.5"},
		{"number in string column", `{"s":7}`, false, "cannot unmarshal 7"},
		{"string in int column", `{"i64":"x"}`, false, "cannot unmarshal x"},
		{"bad date", `{"d":"2023-02-29"}`, false, "cannot unmarshal"},
		{"zone on a timestamp_ntz", `{"ntz":"2024-01-02T03:04:05Z"}`, false, "cannot unmarshal"},
		{"duplicate key", `{"i64":1,"i64":2}`, false, "key i64 shows up twice"},
		{"bad escape", `{"s":"a\x"}`, false, "invalid character 'x' in string escape code"},
		{"short unicode escape", `{"s":"\u12"}`, false, "invalid character"},
		{"control character in string", "{\"s\":\"a\x01\"}", false, "invalid character"},
		{"truncated", `{"i64":1,"s":`, false, "unexpected end of JSON input"},
		{"truncated nested", `{"st":{"a":1`, false, "unexpected end of JSON input"},
		{"trailing garbage", `{"i64":1} x`, false, "invalid character 'x' after top-level value"},
		{"two objects", `{"i64":1}{"i64":2}`, false, "invalid character '{' after top-level value"},
		{"not an object", `[1]`, false, "not a JSON object"},
		{"wrong nested type", `{"l":{"a":1}}`, true, `column "l": json: cannot unmarshal {`},
		{"map entry without a key", `{"m":[{}]}`, true, `column "m": a map entry needs a key and a value`},
		{"null map key", `{"m":[{"key":null,"value":1}]}`, true, `column "m": a map key is null`},
		{"wrong type inside struct", `{"st":{"a":"x"}}`, true, `column "st"`},
		{"deep nesting", `{"l":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, false, "exceeded max depth"},
		{"leading zero", `{"i64":01}`, false, "invalid character '1' after object key:value pair"},
		{"unknown key", `{"nope":1}`, false, "input has columns the table lacks: nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			fast, slow, accepted, fastErr, slowErr := decodeBothWays(t, mem, tc.line)
			if fast != nil {
				defer fast.Release()
			}
			if slow != nil {
				defer slow.Release()
			}
			assert.Equal(t, tc.accepted, accepted, "scanner accepted")
			if tc.wantErr != "" {
				err := slowErr
				if accepted {
					err = fastErr
					require.Error(t, slowErr, "the general path refuses it too")
				}
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, slowErr)
			require.NoError(t, fastErr)
			if accepted {
				require.NotNil(t, fast)
				assert.True(t, array.RecordEqual(fast, slow), "scanner:\n%v\narrow:\n%v", fast, slow)
			}
		})
	}
}

func TestParseIntLimits(t *testing.T) {
	tests := []struct {
		in   string
		bits int
		want int64
		ok   bool
	}{
		{"127", 8, 127, true},
		{"128", 8, 0, false},
		{"-128", 8, -128, true},
		{"-129", 8, 0, false},
		{"9223372036854775807", 64, 9223372036854775807, true},
		{"-9223372036854775808", 64, -9223372036854775808, true},
		{"9223372036854775808", 64, 0, false},
		{"99999999999999999999", 64, 0, false},
		{"-", 64, 0, false},
		{"1.5", 64, 0, false},
	}
	for _, tc := range tests {
		got, ok := parseInt([]byte(tc.in), tc.bits)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

// FuzzRowScanner: for any line, the scanner either declines it or decodes
// exactly what arrow's decoder does (or fails where arrow fails).
func FuzzRowScanner(f *testing.F) {
	f.Add(`{"i8":1,"i64":-5,"f32":1.5,"f64":2e10,"b":false,"s":"a\u00e9","q":3,"d":"2024-01-01","ts":"2024-01-02T03:04:05Z","dec":1.25,"st":{"a":1},"l":[1],"m":[{"key":"x","value":1}]}`)
	f.Add(`{"s":"\ud83d\ude00","ntz":"2024-01-02 03:04:05.5"}`)
	f.Add(`{"i16":-32769,"q":true,"d":"2024-13-01"}`)
	f.Add(`{"st":{"a":1,"a":2},"l":[1,"x"]}`)
	f.Fuzz(func(t *testing.T, line string) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		fast, slow, accepted, fastErr, slowErr := decodeBothWays(t, mem, line)
		if fast != nil {
			defer fast.Release()
		}
		if slow != nil {
			defer slow.Release()
		}
		if !accepted {
			return
		}
		if fastErr != nil {
			require.Error(t, slowErr, "the scanner failed a line arrow decodes: %q", line)
			return
		}
		require.NoError(t, slowErr, "the scanner decoded a line arrow refuses: %q", line)
		require.True(t, array.RecordEqual(fast, slow), "line %q\nscanner:\n%v\narrow:\n%v", line, fast, slow)
	})
}
