package parquetio

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDropDeletedKeepsTheOtherRows: for deletes from none to nearly all,
// clustered at the edges or spread, a batch read at a file offset keeps
// exactly the rows whose file index is not deleted, in order; the run
// copy and the filter it falls back to agree with a row-by-row check.
func TestDropDeletedKeepsTheOtherRows(t *testing.T) {
	for seed := range uint64(24) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			rng := rand.New(rand.NewPCG(seed, 7))
			batches := stitchBatches(t, mem, rng, 600)
			defer func() {
				for _, b := range batches {
					b.Release()
				}
			}()
			cols := make([]arrow.Array, stitchSchema.NumFields())
			for c := range cols {
				parts := make([]arrow.Array, len(batches))
				for i, b := range batches {
					parts[i] = b.Column(c)
				}
				col, err := array.Concatenate(parts, mem)
				require.NoError(t, err)
				defer col.Release()
				cols[c] = col
			}
			whole := array.NewRecordBatch(stitchSchema, cols, 600)
			defer whole.Release()
			if seed%2 == 1 {
				// Only columns copied run by run (no booleans or nested
				// ones, which take the filter).
				flat := []int{0, 1, 2, 4, 5}
				fields := make([]arrow.Field, len(flat))
				arrs := make([]arrow.Array, len(flat))
				for i, c := range flat {
					fields[i], arrs[i] = stitchSchema.Field(c), whole.Column(c)
				}
				whole = array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, 600)
				defer whole.Release()
			}
			rec := whole.NewSlice(5, 5+rng.Int64N(whole.NumRows()-10))
			defer rec.Release()
			start := int64(rng.IntN(10_000))
			deleted := roaring64.New()
			every := []int{1, 2, 50, 1000, 100000}[seed%5] // one row in every goes
			for i := range rec.NumRows() {
				if rng.IntN(every) == 0 {
					deleted.Add(uint64(start + i))
				}
			}
			deleted.Add(uint64(start) - 1) // before the batch: ignored
			deleted.Add(uint64(start + rec.NumRows()))
			if seed%3 == 0 {
				deleted.Add(uint64(start))
				deleted.Add(uint64(start + rec.NumRows() - 1))
			}
			got, err := dropDeleted(context.Background(), mem, rec, start, deleted)
			require.NoError(t, err)
			defer got.Release()
			j := int64(0)
			for i := range rec.NumRows() {
				if deleted.Contains(uint64(start + i)) {
					continue
				}
				for c := range int(rec.NumCols()) {
					require.True(t, array.SliceEqual(rec.Column(c), i, i+1, got.Column(c), j, j+1), "row %d column %d", i, c)
				}
				j++
			}
			assert.Equal(t, j, got.NumRows())
		})
	}
}
