package delta

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"
)

// runEnd must cut runs exactly where a row-by-row comparison of every
// column does: random partition columns of each typed loop's type and one
// the generic comparison handles, with nulls and sliced arrays.
func TestRunEndMatchesRowComparison(t *testing.T) {
	types := []arrow.DataType{
		arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32,
		arrow.FixedWidthTypes.Date32, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int8,
		arrow.FixedWidthTypes.Timestamp_us, arrow.FixedWidthTypes.Boolean,
	}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 1 + rng.IntN(300)
		ncols := 1 + rng.IntN(3)
		cols := make([]arrow.Array, ncols)
		for c := range cols {
			dt := types[rng.IntN(len(types))]
			full := randomRunColumn(t, rng, dt, n+2, rng.IntN(3) == 0)
			cols[c] = array.NewSlice(full, 1, int64(n+1)) // offset 1
			full.Release()
		}
		for start := 0; start < n; {
			want := start + 1
			for want < n && sameByComparison(cols, want-1, want) {
				want++
			}
			got := runEnd(cols, start, n)
			require.Equal(t, want, got, "seed %d start %d", seed, start)
			start = got
		}
		for _, c := range cols {
			c.Release()
		}
	}
}

// sameByComparison is the reference: every column's rows compared by
// arrow's generic slice equality (nulls equal nulls).
func sameByComparison(cols []arrow.Array, i, j int) bool {
	for _, c := range cols {
		if !array.SliceEqual(c, int64(i), int64(i+1), c, int64(j), int64(j+1)) {
			return false
		}
	}
	return true
}

// randomRunColumn builds n values drawn from four, in runs long enough
// for the whole-run checks (strings of one length among them, which only
// their bytes tell apart), with some nulls when nulls is set.
func randomRunColumn(t *testing.T, rng *rand.Rand, dt arrow.DataType, n int, nulls bool) arrow.Array {
	b := array.NewBuilder(newCheckedAllocator(t), dt)
	defer b.Release()
	v := rng.IntN(4)
	for range n {
		if rng.IntN(40) == 0 {
			v = rng.IntN(4)
		}
		if nulls && rng.IntN(40) == 0 {
			b.AppendNull()
			continue
		}
		switch b := b.(type) {
		case *array.StringBuilder:
			b.Append([]string{"a", "bb", "", "ab"}[v])
		case *array.Int64Builder:
			b.Append(int64(v))
		case *array.Int32Builder:
			b.Append(int32(v))
		case *array.Date32Builder:
			b.Append(arrow.Date32(v))
		case *array.Int16Builder:
			b.Append(int16(v))
		case *array.Int8Builder:
			b.Append(int8(v))
		case *array.TimestampBuilder:
			b.Append(arrow.Timestamp(v))
		case *array.BooleanBuilder:
			b.Append(v == 0)
		}
	}
	return b.NewArray()
}
