package delta

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// plainArray returns the plain form of an array whose type has no
// direct cast to a Delta type: a dictionary array decoded to its values,
// fixed-size binary as binary, and a decimal32 or decimal64 array as
// decimal128 of the same precision and scale. It returns nil for any other array.
func plainArray(a arrow.Array, mem memory.Allocator) (arrow.Array, error) {
	switch x := a.(type) {
	case *array.Dictionary:
		ctx := compute.WithAllocator(context.Background(), mem)
		return compute.TakeArray(ctx, x.Dictionary(), x.Indices())
	case *array.FixedSizeBinary:
		// Copied by hand: the compute cast to binary leaks a buffer.
		b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
		defer b.Release()
		b.Reserve(x.Len())
		for i := 0; i < x.Len(); i++ {
			if x.IsNull(i) {
				b.AppendNull()
			} else {
				b.Append(x.Value(i))
			}
		}
		return b.NewArray(), nil
	case *array.Decimal32:
		t := x.DataType().(*arrow.Decimal32Type)
		return widenDecimal(mem, x, t.Precision, t.Scale, func(i int) int64 { return int64(x.Value(i)) }), nil
	case *array.Decimal64:
		t := x.DataType().(*arrow.Decimal64Type)
		return widenDecimal(mem, x, t.Precision, t.Scale, func(i int) int64 { return int64(x.Value(i)) }), nil
	}
	return nil, nil
}

// widenDecimal copies unscaled decimal values into a decimal128 array.
func widenDecimal(mem memory.Allocator, a arrow.Array, prec, scale int32, unscaled func(int) int64) arrow.Array {
	b := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: prec, Scale: scale})
	defer b.Release()
	b.Reserve(a.Len())
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(decimal128.FromI64(unscaled(i)))
	}
	return b.NewArray()
}
