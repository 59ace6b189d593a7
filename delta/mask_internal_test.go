package delta

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// The word-wise mask walks visit exactly the rows a row-by-row test of
// validity and value keeps, for any length, density, nulls and slice
// offset.
func TestMaskWalksMatchRowByRow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(7, 11))
	for _, n := range []int{0, 1, 7, 63, 64, 65, 130, 1000} {
		for _, density := range []float64{0, 0.001, 0.3, 1} {
			for _, nulls := range []float64{0, 0.2} {
				b := array.NewBooleanBuilder(mem)
				for range n + 20 {
					if rng.Float64() < nulls {
						b.AppendNull()
					} else {
						b.Append(rng.Float64() < density)
					}
				}
				whole := b.NewBooleanArray()
				b.Release()
				for _, off := range []int{0, 1, 5, 9, 20} {
					sl := array.NewSlice(whole, int64(off), int64(off+n)).(*array.Boolean)
					var want []int
					for i := 0; i < sl.Len(); i++ {
						if sl.IsValid(i) && sl.Value(i) {
							want = append(want, i)
						}
					}
					var got []int
					eachTrue(sl, func(i int) { got = append(got, i) })
					require.Equal(t, want, got, "n=%d density=%v nulls=%v offset=%d", n, density, nulls, off)
					require.Equal(t, len(want), maskTrueRows(sl))
					sl.Release()
				}
				whole.Release()
			}
		}
	}
}
