package delta

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
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/rowruns"
)

// selectRows gives exactly arrow's filter, whether it copies runs or
// falls back: every column type DML reads (nested and boolean ones take
// the fallback), nulls, batches sliced at odd offsets, masks from
// nearly-all-kept (long runs) to sparse.
func TestSelectRowsMatchesFilter(t *testing.T) {
	flat := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	}, nil)
	nested := arrow.NewSchema(append(flat.Fields()[:2:2],
		arrow.Field{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		arrow.Field{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true}), nil)
	for _, schema := range []*arrow.Schema{flat, nested} {
		for seed := range uint64(30) {
			t.Run(fmt.Sprintf("%d/%d", schema.NumFields(), seed), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				rnd := rand.New(rand.NewPCG(seed, 13))
				whole := randomBatch(t, mem, rnd, schema, 1000)
				defer whole.Release()
				off := rnd.IntN(13)
				rec := whole.NewSlice(int64(off), int64(off+700+rnd.IntN(250)))
				defer rec.Release()
				keep := make([]bool, rec.NumRows())
				drop := []int{2, 20, 100, 1000}[seed%4] // one row in drop goes
				for i := range keep {
					keep[i] = rnd.IntN(drop) != 0
				}
				if seed%5 == 0 {
					keep[0], keep[len(keep)-1] = false, false
				}
				got, err := selectRows(context.Background(), mem, rec, keep)
				require.NoError(t, err)
				defer got.Release()
				b := array.NewBooleanBuilder(mem)
				b.AppendValues(keep, nil)
				mask := b.NewBooleanArray()
				b.Release()
				defer mask.Release()
				want, err := compute.FilterRecordBatch(compute.WithAllocator(context.Background(), mem), rec, mask, compute.DefaultFilterOptions())
				require.NoError(t, err)
				defer want.Release()
				require.Equal(t, want.NumRows(), got.NumRows())
				require.True(t, want.Schema().Equal(got.Schema()))
				for c := range int(got.NumCols()) {
					w, g := want.Column(c), got.Column(c)
					require.True(t, array.Equal(w, g), "column %s\nwant %v\ngot  %v", want.Schema().Field(c).Name, w, g)
					require.Equal(t, w.NullN(), g.NullN(), "column %s", want.Schema().Field(c).Name)
				}
				if schema == flat && drop >= 20 { // no filtered column

					runs := rowruns.Kept(keep)
					for _, col := range rec.Columns() {
						out, ok := rowruns.Copy(mem, col, runs, int(got.NumRows()))
						require.True(t, ok, "column %s is copied run by run", col.DataType())
						out.Release()
					}
				}
			})
		}
	}
}

func randomBatch(t *testing.T, mem memory.Allocator, rnd *rand.Rand, schema *arrow.Schema, n int) arrow.RecordBatch {
	t.Helper()
	var rows []string
	for i := range n {
		var fields []string
		for _, f := range schema.Fields() {
			if rnd.IntN(8) == 0 {
				fields = append(fields, fmt.Sprintf("%q: null", f.Name))
				continue
			}
			var v string
			switch f.Name {
			case "i", "i32", "d":
				v = fmt.Sprint(rnd.IntN(100000) - 50000)
			case "f":
				v = fmt.Sprint(rnd.Float64())
			case "s":
				v = fmt.Sprintf("%q", strings.Repeat("x", rnd.IntN(6))+fmt.Sprint(i))
			case "b":
				v = `"` + []string{"", "AQI=", "aGVsbG8="}[rnd.IntN(3)] + `"`
			case "ts":
				v = fmt.Sprintf(`"2024-01-%02dT10:00:00Z"`, 1+rnd.IntN(28))
			case "dec":
				v = fmt.Sprintf(`"%d.%02d"`, rnd.IntN(1000), rnd.IntN(100))
			case "ok":
				v = fmt.Sprint(rnd.IntN(2) == 0)
			case "l":
				v = fmt.Sprintf("[%d, %d]", i, rnd.IntN(9))
			}
			fields = append(fields, fmt.Sprintf("%q: %s", f.Name, v))
		}
		rows = append(rows, "{"+strings.Join(fields, ", ")+"}")
	}
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader("["+strings.Join(rows, ",")+"]"))
	require.NoError(t, err)
	return rec
}
