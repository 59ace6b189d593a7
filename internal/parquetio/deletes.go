package parquetio

import (
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/rowruns"
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
	// The kept rows, as runs between deleted ones.
	var runs []rowruns.Run
	next := 0
	for it.HasNext() {
		d := it.Next()
		if d >= end {
			break
		}
		if at := int(d - uint64(start)); at > next {
			runs = append(runs, rowruns.Run{Start: next, End: at})
		}
		next = int(d-uint64(start)) + 1
	}
	if next < int(n) {
		runs = append(runs, rowruns.Run{Start: next, End: int(n)})
	}
	if len(runs) <= int(n)/8 {
		// Deletes are usually few: long runs, copied run by run.
		out, err := rowruns.Batch(ctx, mem, rec, runs, rowruns.Rows(runs))
		if err != nil {
			return nil, fmt.Errorf("parquetio: drop deleted rows: %w", err)
		}
		return out, nil
	}
	keep := array.NewBooleanBuilder(mem)
	defer keep.Release()
	keep.Reserve(int(n))
	at := 0
	for _, r := range runs {
		for ; at < r.Start; at++ {
			keep.UnsafeAppend(false)
		}
		for ; at < r.End; at++ {
			keep.UnsafeAppend(true)
		}
	}
	for ; at < int(n); at++ {
		keep.UnsafeAppend(false)
	}
	mask := keep.NewBooleanArray()
	defer mask.Release()
	out, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, mem), rec, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("parquetio: drop deleted rows: %w", err)
	}
	return out, nil
}
