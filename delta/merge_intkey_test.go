package delta

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// The integer-key index finds, for every probe value, exactly the source
// rows the byte-string index finds, in the same order: random int64 and
// int32 keys with duplicates and nulls.
func TestIntKeyIndexMatchesStringIndex(t *testing.T) {
	for _, typ := range []arrow.DataType{arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int32} {
		for seed := range uint64(20) {
			t.Run(fmt.Sprintf("%s/%d", typ, seed), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				rnd := rand.New(rand.NewPCG(seed, 11))
				span := 1 + rnd.IntN(200)
				src := randomKeys(mem, rnd, typ, rnd.IntN(300), span)
				defer src.Release()
				probe := randomKeys(mem, rnd, typ, 400, span+20)
				defer probe.Release()
				require.True(t, intKeyColumn(src, []int{0}))

				strIndex := map[string][]int32{}
				for j, k := range rowKeys(src, []int{0}) {
					if k != nil {
						strIndex[string(k)] = append(strIndex[string(k)], int32(j))
					}
				}
				ix := newIntKeyIndex(src.Column(0))
				keys := rowKeys(probe, []int{0})
				for i := range int(probe.NumRows()) {
					var got []int32
					if k, ok := intKey(probe.Column(0), i); ok {
						j, found := ix.first[k]
						for found && j >= 0 {
							got = append(got, j)
							j = ix.next[j]
						}
					}
					var want []int32
					if keys[i] != nil {
						want = strIndex[string(keys[i])]
					}
					require.Equal(t, want, got, "probe row %d", i)
				}
			})
		}
	}
}

func randomKeys(mem memory.Allocator, rnd *rand.Rand, typ arrow.DataType, n, span int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: "k", Type: typ, Nullable: true}}, nil))
	defer b.Release()
	for range n {
		v := int64(rnd.IntN(span)) - int64(span/2)
		switch {
		case rnd.IntN(10) == 0:
			b.Field(0).AppendNull()
		case typ.ID() == arrow.INT64:
			b.Field(0).(*array.Int64Builder).Append(v << 20)
		default:
			b.Field(0).(*array.Int32Builder).Append(int32(v))
		}
	}
	return b.NewRecordBatch()
}
