package expr

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

// Columns arrive in whatever Arrow types the reader produced; they are
// read as the Spark type they represent.
func TestInputTypeConversion(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "sv", Type: arrow.BinaryTypes.StringView, Nullable: true},
		{Name: "ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "America/New_York"}, Nullable: true},
		{Name: "ms", Type: &arrow.TimestampType{Unit: arrow.Millisecond}, Nullable: true},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "dict", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}, Nullable: true},
	}, nil)
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[
		{"ls": "abc", "sv": "x", "ns": "2020-01-01T00:00:00.000001999Z", "ms": "2020-01-01T00:00:00.5", "u8": 200, "u64": 18446744073709551615, "dict": "k1"},
		{"ls": null, "sv": null, "ns": null, "ms": null, "u8": null, "u64": null, "dict": null}
	]`))
	require.NoError(t, err)
	defer rec.Release()
	cases := []struct {
		sql  string
		want []any
	}{
		{"ls || sv", []any{"abcx", nil}},
		{"ns = TIMESTAMP '2020-01-01 00:00:00.000001Z'", []any{true, nil}},
		{"ms = TIMESTAMP_NTZ '2020-01-01 00:00:00.5'", []any{true, nil}},
		{"u8 + 100Y", []any{int64(300), nil}},
		{"u64 > 18446744073709551614", []any{true, nil}},
		{"dict = 'k1'", []any{true, nil}},
		{"upper(dict)", []any{"K1", nil}},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			e, err := Parse(tc.sql)
			require.NoError(t, err)
			p, err := Compile(e, schema, &CompileOptions{Allocator: mem})
			require.NoError(t, err)
			out, err := p.Eval(context.Background(), rec)
			require.NoError(t, err)
			defer out.Release()
			assert.Equal(t, tc.want, values(out))
		})
	}
}
