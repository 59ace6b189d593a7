package parquetio

import (
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// dropDeleted returns rec without the rows whose file index (start + row)
// is in deleted. The result is a new reference.
func dropDeleted(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, start int64, deleted *roaring64.Bitmap) (arrow.RecordBatch, error) {
	n := rec.NumRows()
	end := uint64(start + n)
	it := deleted.Iterator()
	it.AdvanceIfNeeded(uint64(start))
	if !it.HasNext() || it.PeekNext() >= end {
		rec.Retain()
		return rec, nil
	}
	keep := array.NewBooleanBuilder(mem)
	defer keep.Release()
	keep.Reserve(int(n))
	next := uint64(start)
	for it.HasNext() {
		d := it.Next()
		if d >= end {
			break
		}
		for ; next < d; next++ {
			keep.UnsafeAppend(true)
		}
		keep.UnsafeAppend(false)
		next = d + 1
	}
	for ; next < end; next++ {
		keep.UnsafeAppend(true)
	}
	mask := keep.NewBooleanArray()
	defer mask.Release()
	out, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("parquetio: drop deleted rows: %w", err)
	}
	return out, nil
}
