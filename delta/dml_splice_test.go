package delta

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

// TestSpliceColumn checks every row of a spliced column against the row
// it must come from: base's own where hit is clear, the next value of
// vals where it is set. Base is read at an offset, as a batch slice is.
func TestSpliceColumn(t *testing.T) {
	types := []struct {
		name       string
		typ        arrow.DataType
		base, vals string // JSON, base with 9 values of which the first is sliced off
	}{
		{"int64", arrow.PrimitiveTypes.Int64, `[0,1,2,null,4,5,6,7,8]`, `[10,null,12,13,14,15,16,17]`},
		{"int64 without nulls", arrow.PrimitiveTypes.Int64, `[0,1,2,3,4,5,6,7,8]`, `[10,11,12,13,14,15,16,17]`},
		{"float64, nulls only in the new values", arrow.PrimitiveTypes.Float64, `[0,1.5,2,3,4,5,6,7,8]`, `[-1,null,-3,-4,-5,-6,-7,-8]`},
		{"timestamp", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, `["2020-01-01T00:00:00Z",null,"2020-01-03T00:00:00Z","2020-01-04T00:00:00Z","2020-01-05T00:00:00Z","2020-01-06T00:00:00Z","2020-01-07T00:00:00Z","2020-01-08T00:00:00Z","2020-01-09T00:00:00Z"]`, `["2021-01-01T00:00:00Z","2021-01-02T00:00:00Z",null,"2021-01-04T00:00:00Z","2021-01-05T00:00:00Z","2021-01-06T00:00:00Z","2021-01-07T00:00:00Z","2021-01-08T00:00:00Z"]`},
		{"decimal", &arrow.Decimal128Type{Precision: 10, Scale: 2}, `["0.00","1.25",null,"3.00","4.00","5.00","6.00","7.00","8.00"]`, `["9.99","8.88","7.77",null,"5.55","4.44","3.33","2.22"]`},
		{"string", arrow.BinaryTypes.String, `["a","bb",null,"dddd","e","f","g","h","i"]`, `["X","",null,"ZZ","W","V","U","T"]`},
		{"bool", arrow.FixedWidthTypes.Boolean, `[true,false,null,true,false,true,false,true,false]`, `[false,true,true,null,false,false,true,true]`},
		{"struct", arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), `[{"a":0},{"a":1},null,{"a":3},{"a":4},{"a":5},{"a":6},{"a":7},{"a":8}]`, `[{"a":10},null,{"a":12},{"a":13},{"a":14},{"a":15},{"a":16},{"a":17}]`},
	}
	hits := []string{"........", "########", "#.......", ".......#", "#.#.#.#.", ".##..###"}
	for _, tt := range types {
		for _, pattern := range hits {
			t.Run(fmt.Sprintf("%s/%s", tt.name, pattern), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				whole, _, err := array.FromJSON(mem, tt.typ, strings.NewReader(tt.base))
				require.NoError(t, err)
				defer whole.Release()
				base := array.NewSlice(whole, 1, int64(whole.Len()))
				defer base.Release()
				hit := make([]bool, len(pattern))
				k := 0
				for i, c := range pattern {
					hit[i] = c == '#'
					if hit[i] {
						k++
					}
				}
				allVals, _, err := array.FromJSON(mem, tt.typ, strings.NewReader(tt.vals))
				require.NoError(t, err)
				defer allVals.Release()
				vals := array.NewSlice(allVals, 0, int64(k))
				defer vals.Release()

				out, err := spliceColumn(mem, base, hit, vals)
				require.NoError(t, err)
				defer out.Release()
				require.Equal(t, base.Len(), out.Len())
				nulls := 0
				for i, j := 0, 0; i < out.Len(); i++ {
					if out.IsNull(i) {
						nulls++
					}
					if hit[i] {
						assert.True(t, array.SliceEqual(out, int64(i), int64(i+1), vals, int64(j), int64(j+1)), "row %d: new value %d", i, j)
						j++
					} else {
						assert.True(t, array.SliceEqual(out, int64(i), int64(i+1), base, int64(i), int64(i+1)), "row %d: old value", i)
					}
				}
				assert.Equal(t, nulls, out.NullN())
			})
		}
	}
}

// TestSpliceRowsSharesUnchangedColumns checks that columns the SET
// clauses left alone are written as read, and that a changed column whose
// type differs is refused, so the caller writes the rows apart.
func TestSpliceRowsSharesUnchangedColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	base, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[{"id":1,"v":1},{"id":2,"v":2},{"id":3,"v":3}]`))
	require.NoError(t, err)
	defer base.Release()
	hit := []bool{false, true, false}
	matched, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[{"id":2,"v":2}]`))
	require.NoError(t, err)
	defer matched.Release()
	newV, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Float64, strings.NewReader(`[-2]`))
	require.NoError(t, err)
	defer newV.Release()
	updated := array.NewRecordBatch(schema, []arrow.Array{matched.Column(0), newV}, 1)
	defer updated.Release()

	out, ok, err := spliceRows(mem, base, hit, matched, updated)
	require.NoError(t, err)
	require.True(t, ok)
	defer out.Release()
	assert.Same(t, base.Column(0), out.Column(0), "id is not set: the batch's own column")
	assert.Equal(t, []float64{1, -2, 3}, out.Column(1).(*array.Float64).Float64Values())

	wrong, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Int64, strings.NewReader(`[7]`))
	require.NoError(t, err)
	defer wrong.Release()
	bad := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{schema.Field(0), {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{matched.Column(0), wrong}, 1)
	defer bad.Release()
	_, ok, err = spliceRows(mem, base, hit, matched, bad)
	require.NoError(t, err)
	assert.False(t, ok)
}
