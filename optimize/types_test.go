package optimize

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// allTypesSchema has a column of every Delta type, nested ones included,
// and three partition columns.
var allTypesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "b", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "s", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "l", Type: arrow.PrimitiveTypes.Int64},
	{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "d", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "bool", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "str", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "date", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "ntz", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "big", Type: &arrow.Decimal128Type{Precision: 38, Scale: 6}, Nullable: true},
	{Name: "st", Type: arrow.StructOf(
		arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "inner", Type: arrow.StructOf(arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
	), Nullable: true},
	{Name: "arr", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), Nullable: true},
	{Name: "pdate", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "pint", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "pstr", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

const allTypesJSON = `[
{"b":1,"s":2,"i":3,"l":4,"f":1.5,"d":2.25,"bool":true,"str":"héllo","bin":"AAEC","date":"2024-02-29","ts":"2024-01-01T10:00:00.123456Z","ntz":"2024-01-01T10:00:00.5","dec":"12.34","big":"12345678901234567890.123456","st":{"x":1,"inner":{"y":"deep"}},"arr":[1,2,3],"m":[{"key":"k1","value":1}],"pdate":"2024-01-01","pint":7,"pstr":"a b/c=d%e"},
{"b":-1,"s":-2,"i":-3,"l":-4,"f":-1.5,"d":-2.25,"bool":false,"str":"","bin":"","date":"1970-01-01","ts":"1969-12-31T23:59:59.999999Z","ntz":"1900-01-01T00:00:00","dec":"-0.01","big":"-1.000001","st":{"x":null,"inner":null},"arr":[],"m":[],"pdate":null,"pint":null,"pstr":null},
{"b":null,"s":null,"i":null,"l":0,"f":null,"d":null,"bool":null,"str":null,"bin":null,"date":null,"ts":null,"ntz":null,"dec":null,"big":null,"st":null,"arr":null,"m":null,"pdate":"2024-01-01","pint":7,"pstr":""},
{"b":5,"s":6,"i":7,"l":8,"f":0,"d":-0.0,"bool":true,"str":"zz","bin":"/w==","date":"2000-01-01","ts":"2030-01-01T00:00:00Z","ntz":"2030-01-01T00:00:00","dec":"99.99","big":"0.000001","st":{"x":2,"inner":{"y":null}},"arr":[null],"m":[{"key":"a","value":null}],"pdate":"2024-01-01","pint":7,"pstr":"a b/c=d%e"}
]`

func TestCompactEveryType(t *testing.T) {
	tests := []struct {
		name  string
		props map[string]string
		opts  *Options
	}{
		{"bin-packing", nil, nil},
		{"z-order by timestamp, decimal and string", nil, &Options{ZOrderBy: []string{"ts", "big", "str"}}},
		{"z-order, column mapping", map[string]string{"delta.columnMapping.mode": "name"}, &Options{ZOrderBy: []string{"bin", "d", "bool", "date"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl, err := delta.Create(ctx, t.TempDir(), allTypesSchema, &delta.CreateOptions{
				Table: &delta.Options{Allocator: mem, NoSync: true}, PartitionBy: []string{"pdate", "pint", "pstr"}, Properties: tc.props,
			})
			require.NoError(t, err)
			for range 3 {
				rec, _, err := array.RecordFromJSON(mem, allTypesSchema, strings.NewReader(allTypesJSON))
				require.NoError(t, err)
				appendBatch(t, tbl, rec)
				rec.Release()
			}
			before := tableRows(t, tbl)
			require.Len(t, before, 12)
			res, err := Compact(ctx, tbl, tc.opts)
			require.NoError(t, err)
			require.Len(t, res.Commits, 1)
			assert.Equal(t, before, tableRows(t, tbl))
			// Three partitions (one of them all nulls), one file each.
			assert.Len(t, files(t, tbl), 3)
			assert.Equal(t, int64(9), res.Metrics.NumFilesRemoved)
		})
	}
}
