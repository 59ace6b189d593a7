package rowruns

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKept(t *testing.T) {
	tests := []struct {
		keep string
		want []Run
	}{
		{"", nil},
		{"....", nil},
		{"####", []Run{{0, 4}}},
		{"#..##.#", []Run{{0, 1}, {3, 5}, {6, 7}}},
		{".##.", []Run{{1, 3}}},
	}
	for _, tc := range tests {
		keep := make([]bool, len(tc.keep))
		for i, c := range tc.keep {
			keep[i] = c == '#'
		}
		got := Kept(keep)
		assert.Equal(t, tc.want, got, tc.keep)
		assert.Equal(t, strings.Count(tc.keep, "#"), Rows(got), tc.keep)
	}
}

// TestCopy compares each copy with the runs' slices concatenated by
// arrow, for columns read at an offset (a batch slice), with and without
// nulls; types it does not copy say so and allocate nothing.
func TestCopy(t *testing.T) {
	types := []struct {
		typ    arrow.DataType
		values string // 10 values; the first is sliced off
		copied bool
	}{
		{arrow.PrimitiveTypes.Int64, `[0,1,null,3,4,5,null,7,8,9]`, true},
		{arrow.PrimitiveTypes.Float32, `[0,1,2,3,4,5,6,7,8,9]`, true},
		{&arrow.Decimal128Type{Precision: 9, Scale: 2}, `["0.01","1.00",null,"3.50","4","5","6","7","8","9"]`, true},
		{arrow.BinaryTypes.String, `["zero","one","",null,"four","five","six","seven","eight","nine"]`, true},
		{arrow.BinaryTypes.Binary, `["AA==","AQ==",null,"Aw==","BA==","BQ==","Bg==","Bw==","CA==","CQ=="]`, true},
		{arrow.FixedWidthTypes.Boolean, `[true,false,null,true,true,false,true,false,true,false]`, false},
		{arrow.ListOf(arrow.PrimitiveTypes.Int32), `[[0],[1],null,[3],[],[5],[6],[7],[8],[9]]`, false},
	}
	runsCases := [][]Run{nil, {{0, 9}}, {{0, 1}}, {{8, 9}}, {{1, 3}, {4, 5}, {7, 9}}}
	for _, tt := range types {
		for _, runs := range runsCases {
			t.Run(fmt.Sprintf("%s/%v", tt.typ, runs), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				whole, _, err := array.FromJSON(mem, tt.typ, strings.NewReader(tt.values))
				require.NoError(t, err)
				defer whole.Release()
				a := array.NewSlice(whole, 1, int64(whole.Len()))
				defer a.Release()
				got, ok := Copy(mem, a, runs, Rows(runs))
				require.Equal(t, tt.copied, ok)
				if !ok {
					return
				}
				defer got.Release()
				parts := []arrow.Array{}
				for _, r := range runs {
					parts = append(parts, array.NewSlice(a, int64(r.Start), int64(r.End)))
				}
				var want arrow.Array
				if len(parts) == 0 {
					want = array.MakeArrayOfNull(mem, tt.typ, 0)
				} else {
					want, err = array.Concatenate(parts, mem)
					require.NoError(t, err)
				}
				defer want.Release()
				for _, p := range parts {
					p.Release()
				}
				assert.True(t, array.Equal(want, got), "want %v\ngot  %v", want, got)
				assert.Equal(t, want.NullN(), got.NullN())
			})
		}
	}
}

// TestBatchTakesOtherTypes checks Batch on columns it copies and columns
// it takes by index (booleans with nulls, lists) against arrow's
// record filter, on batches long enough for the kernels' word-wise paths.
func TestBatchTakesOtherTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(3, 5))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range 1000 {
		if rng.IntN(7) == 0 {
			b.Field(0).AppendNull()
			b.Field(1).AppendNull()
			b.Field(2).AppendNull()
			continue
		}
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.BooleanBuilder).Append(rng.IntN(2) == 0)
		lb := b.Field(2).(*array.ListBuilder)
		lb.Append(true)
		lb.ValueBuilder().(*array.Int64Builder).Append(int64(i))
	}
	whole := b.NewRecordBatch()
	defer whole.Release()
	rec := whole.NewSlice(3, 950)
	defer rec.Release()
	keep := make([]bool, rec.NumRows())
	for i := range keep {
		keep[i] = rng.IntN(60) != 0
	}
	runs := Kept(keep)
	got, err := Batch(context.Background(), mem, rec, runs, Rows(runs))
	require.NoError(t, err)
	defer got.Release()
	mb := array.NewBooleanBuilder(mem)
	mb.AppendValues(keep, nil)
	mask := mb.NewBooleanArray()
	mb.Release()
	defer mask.Release()
	want, err := compute.FilterRecordBatch(compute.WithAllocator(context.Background(), mem), rec, mask, compute.DefaultFilterOptions())
	require.NoError(t, err)
	defer want.Release()
	for c := range int(want.NumCols()) {
		assert.True(t, array.Equal(want.Column(c), got.Column(c)), "column %s", schema.Field(c).Name)
		assert.Equal(t, want.Column(c).NullN(), got.Column(c).NullN(), "column %s", schema.Field(c).Name)
	}
}

// TestSplice checks every row of a spliced column against the row
// it must come from: base's own where hit is clear, the next value of
// vals where it is set. Base is read at an offset, as a batch slice is.
func TestSplice(t *testing.T) {
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

				out, err := Splice(mem, base, hit, vals)
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
