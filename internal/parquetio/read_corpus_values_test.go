package parquetio_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

// readTable reads every live file of a corpus table with its latest data
// schema and returns the columns' values in file order.
func readTable(t *testing.T, name string) map[string][]any {
	t.Helper()
	tb, ok := loadTable(t, filepath.Join(corpusDir(t), name, "delta"))
	require.True(t, ok, name)
	mem := checkedMem(t)
	out := map[string][]any{}
	for _, f := range tb.Files {
		cols := readColumns(t, tb.localPath(f.Path), &parquetio.ReadOptions{Schema: tb.DataSchema, ColumnMapping: tb.Mode, Allocator: mem})
		for k, v := range cols {
			out[k] = append(out[k], v...)
		}
	}
	return out
}

func TestReadAllPrimitiveTypes(t *testing.T) {
	c := readTable(t, "dat/all_primitive_types")
	assert.Equal(t, []any{"0", "1", "2", "3", "4"}, c["utf8"])
	assert.Equal(t, []any{int64(0), int64(1), int64(2), int64(3), int64(4)}, c["int64"])
	assert.Equal(t, []any{int16(0), int16(1), int16(2), int16(3), int16(4)}, c["int16"])
	assert.Equal(t, []any{int8(0), int8(1), int8(2), int8(3), int8(4)}, c["int8"])
	assert.Equal(t, []any{float32(0), float32(1), float32(2), float32(3), float32(4)}, c["float32"])
	assert.Equal(t, []any{true, false, true, false, true}, c["bool"])
	assert.Equal(t, []any{"", "\x00", "\x00\x00", "\x00\x00\x00", "\x00\x00\x00\x00"}, c["binary"])
	assert.Equal(t, []any{"10", "11", "12", "13", "14"}, c["decimal"]) // decimal(5,3) stored as INT32
	assert.Equal(t, []any{"1970-01-01", "1970-01-02", "1970-01-03", "1970-01-04", "1970-01-05"}, c["date32"])
	// Stored as INT96.
	assert.Equal(t, []any{"1970-01-01T00:00:00Z", "1970-01-01T01:00:00Z", "1970-01-01T02:00:00Z", "1970-01-01T03:00:00Z", "1970-01-01T04:00:00Z"}, c["timestamp"])
}

func TestReadInt96OutsideNanosecondRange(t *testing.T) {
	c := readTable(t, "delta-rs/table_with_edge_timestamps")
	assert.Equal(t, []any{"9999-12-31T00:00:00Z", "9999-12-30T00:00:00Z"}, c["BIG_DATE"])
	assert.Equal(t, []any{"2022-01-01T00:00:00Z", "2022-02-01T00:00:00Z"}, c["NORMAL_DATE"])
}

func TestReadInt96BeforeEpoch(t *testing.T) {
	c := readTable(t, "delta-golden/kernel-timestamp-int96")
	assert.ElementsMatch(t, []any{"2020-02-01T08:09:10Z", "1999-01-01T09:00:00Z", nil, "1969-01-01T00:00:00Z", "2000-01-01T09:00:00Z"}, c["time"])
}

func TestReadTypeWidening(t *testing.T) {
	c := readTable(t, "delta-kernel-rs/type-widening")
	assert.ElementsMatch(t, []any{int64(1), int64(9223372036854775807)}, c["byte_long"])
	assert.ElementsMatch(t, []any{3.4000000953674316, 1.234567890123}, c["float_double"])
	assert.ElementsMatch(t, []any{5.0, 1.234567890123}, c["byte_double"])
	assert.ElementsMatch(t, []any{"123.45", "12345678901234.56"}, c["decimal_decimal_same_scale"])
	assert.ElementsMatch(t, []any{"67.89", "12345678901.23456"}, c["decimal_decimal_greater_scale"])
	assert.ElementsMatch(t, []any{"1", "123.4"}, c["byte_decimal"])
	assert.ElementsMatch(t, []any{"4", "123456789012345678.9"}, c["long_decimal"])
	assert.ElementsMatch(t, []any{"2024-09-09T00:00:00Z", "2024-09-09T12:34:56.123456Z"}, c["date_timestamp_ntz"])
}

func TestReadColumnMapping(t *testing.T) {
	t.Run("id", func(t *testing.T) {
		c := readTable(t, "delta-golden/table-with-columnmapping-mode-id")
		assert.ElementsMatch(t, []any{int8(0), int8(1), int8(2), int8(3), int8(4), nil}, c["ByteType"])
		assert.ElementsMatch(t, []any{`{"aa":"0","ac":{"aca":0}}`, `{"aa":"1","ac":{"aca":1}}`, `{"aa":"2","ac":{"aca":2}}`,
			`{"aa":"3","ac":{"aca":3}}`, `{"aa":"4","ac":{"aca":4}}`, nil}, c["nested_struct"])
	})
	t.Run("name", func(t *testing.T) {
		c := readTable(t, "delta-kernel-java/data-reader-primitives-column-mapping-name")
		require.Len(t, c["as_int"], 11)
		assert.Contains(t, c["as_int"], int32(9))
		assert.Contains(t, c["as_int"], nil)
	})
}

func TestReadNested(t *testing.T) {
	c := readTable(t, "delta-golden/data-reader-map")
	assert.Equal(t, `[{"key":3,"value":[{"val":3},{"val":3},{"val":3}]}]`, c["f"][3])
	c = readTable(t, "delta-golden/data-reader-nested-struct")
	assert.Equal(t, `{"aa":"7","ab":"7","ac":{"aca":7,"acb":7}}`, c["a"][7])
	c = readTable(t, "delta-golden/data-reader-array-complex-objects")
	assert.Equal(t, `[[{"key":"2","value":2}],[{"key":"2","value":2}]]`, c["list_of_maps"][2])
}
