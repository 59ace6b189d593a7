package delta

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allTypesSchema has a column of every Delta type, nested ones included.
var allTypesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "b", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
	{Name: "s", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "l", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
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
	{Name: "arrst", Type: arrow.ListOf(arrow.StructOf(arrow.Field{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true})), Nullable: true},
	{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), Nullable: true},
	{Name: "pdate", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "pint", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "pstr", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

const allTypesJSON = `[
{"b":1,"s":2,"i":3,"l":4,"f":1.5,"d":2.25,"bool":true,"str":"héllo","bin":"AAEC","date":"2024-02-29","ts":"2024-01-01T10:00:00.123456Z","ntz":"2024-01-01T10:00:00.5","dec":"12.34","big":"12345678901234567890.123456","st":{"x":1,"inner":{"y":"deep"}},"arr":[1,2,3],"arrst":[{"k":"a"},{"k":null}],"m":[{"key":"k1","value":1}],"pdate":"2024-01-01","pint":7,"pstr":"a b/c=d%e"},
{"b":-1,"s":-2,"i":-3,"l":-4,"f":-1.5,"d":-2.25,"bool":false,"str":"","bin":"","date":"1970-01-01","ts":"1969-12-31T23:59:59.999999Z","ntz":"1900-01-01T00:00:00","dec":"-0.01","big":"-1.000001","st":{"x":null,"inner":null},"arr":[],"arrst":[],"m":[],"pdate":null,"pint":null,"pstr":null},
{"b":null,"s":null,"i":null,"l":0,"f":null,"d":null,"bool":null,"str":null,"bin":null,"date":null,"ts":null,"ntz":null,"dec":null,"big":null,"st":null,"arr":null,"arrst":null,"m":null,"pdate":"2024-01-01","pint":7,"pstr":""}
]`

func TestRoundTripEveryType(t *testing.T) {
	for _, tc := range []struct {
		name  string
		props map[string]string
	}{
		{name: "plain"},
		{name: "column mapping", props: map[string]string{"delta.columnMapping.mode": "name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			rec, _, err := array.RecordFromJSON(mem, allTypesSchema, strings.NewReader(allTypesJSON))
			require.NoError(t, err)
			defer rec.Release()
			rr, err := array.NewRecordReader(allTypesSchema, []arrow.RecordBatch{rec})
			require.NoError(t, err)
			tbl, res, err := CreateAsSelect(ctx, "mem://", rr, &CreateOptions{
				Table: &Options{Allocator: mem}, PartitionBy: []string{"pdate", "pint", "pstr"}, Properties: tc.props,
			})
			rr.Release()
			require.NoError(t, err)
			defer tbl.Close()
			assert.Equal(t, "3", res.Metrics["numOutputRows"])

			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			wantFeatures := []string{"timestampNtz"}
			if tc.props != nil {
				wantFeatures = []string{"columnMapping", "timestampNtz"}
			}
			assert.Equal(t, wantFeatures, snap.Protocol().ReaderFeatures)
			got := snapshotRows(t, snap)
			var want []string
			for i := 0; i < int(rec.NumRows()); i++ {
				// An empty string partition value is stored as null, as Spark does.
				want = append(want, strings.Replace(rowString(rec, i), "pstr: }", "pstr: null}", 1))
			}
			assert.ElementsMatch(t, want, got)

			// Partition values are serialised per the spec, with Hive
			// escaping in directory names.
			var dirs, values []string
			for f, err := range snap.Files(ctx) {
				require.NoError(t, err)
				dirs = append(dirs, f.Path[:strings.LastIndex(f.Path, "/")])
				var vs []string
				for _, k := range []string{"pdate", "pint", "pstr"} {
					key := k
					if tc.props != nil {
						col, _ := snap.schema.Field(k)
						key = col.PhysicalName(snap.mapping)
					}
					v, ok := f.PartitionValues[key]
					require.True(t, ok, "partition value %s", k)
					if v == nil {
						vs = append(vs, "null")
					} else {
						vs = append(vs, *v)
					}
				}
				values = append(values, strings.Join(vs, "|"))
			}
			assert.ElementsMatch(t, []string{"2024-01-01|7|a b/c=d%e", "null|null|null", "2024-01-01|7|null"}, values)
			if tc.props == nil {
				assert.Contains(t, dirs, "pdate=2024-01-01/pint=7/pstr=a b%2Fc%3Dd%25e")
				assert.Contains(t, dirs, "pdate=__HIVE_DEFAULT_PARTITION__/pint=__HIVE_DEFAULT_PARTITION__/pstr=__HIVE_DEFAULT_PARTITION__")
			}
		})
	}
}
