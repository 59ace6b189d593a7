package parquetio

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// canConvert reports whether a stored leaf type can be read as a logical
// leaf type: equal types, Delta type widening, timestamp units and time zone
// flags, and alternative physical representations of strings and binaries.
func canConvert(from, to arrow.DataType) bool {
	if d, ok := from.(*arrow.DictionaryType); ok {
		return canConvert(d.ValueType, to)
	}
	if arrow.TypeEqual(from, to) {
		return true
	}
	switch to.ID() {
	case arrow.STRING, arrow.BINARY:
		switch from.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW, arrow.BINARY, arrow.LARGE_BINARY, arrow.BINARY_VIEW:
			return true
		}
	case arrow.INT16, arrow.INT32, arrow.INT64:
		return intWidth(from) > 0 && intWidth(from) <= intWidth(to)
	case arrow.FLOAT64:
		return from.ID() == arrow.FLOAT32 || intWidth(from) > 0
	case arrow.DECIMAL128:
		tt := to.(*arrow.Decimal128Type)
		switch ft := from.(type) {
		case *arrow.Decimal128Type:
			return ft.Scale <= tt.Scale && ft.Precision-ft.Scale <= tt.Precision-tt.Scale
		default:
			return intWidth(from) > 0 && intDigits(from) <= tt.Precision-tt.Scale
		}
	case arrow.TIMESTAMP:
		switch from.ID() {
		case arrow.TIMESTAMP:
			return true
		case arrow.DATE32:
			// date -> timestamp_ntz is the only date widening Delta allows.
			return to.(*arrow.TimestampType).TimeZone == ""
		}
	}
	return false
}

// intWidth is the bit width of a signed integer type, or for an unsigned
// type the width of the smallest signed type that holds it; 0 otherwise.
func intWidth(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8:
		return 8
	case arrow.INT16, arrow.UINT8:
		return 16
	case arrow.INT32, arrow.UINT16:
		return 32
	case arrow.INT64, arrow.UINT32:
		return 64
	}
	return 0
}

// intDigits is the number of decimal digits an integer type can need.
func intDigits(t arrow.DataType) int32 {
	switch intWidth(t) {
	case 8:
		return 3
	case 16:
		return 5
	case 32:
		return 10
	default:
		return 20
	}
}

// convertLeaf returns arr as type to; canConvert(arr.DataType(), to) holds.
// The result is a new reference the caller releases.
func convertLeaf(ctx context.Context, mem memory.Allocator, arr arrow.Array, to arrow.DataType) (arrow.Array, error) {
	from := arr.DataType()
	if arrow.TypeEqual(from, to) {
		arr.Retain()
		return arr, nil
	}
	if from.ID() == arrow.NULL {
		return array.MakeArrayOfNull(mem, to, arr.Len()), nil
	}
	if d, ok := from.(*arrow.DictionaryType); ok {
		if da, ok := arr.(*array.Dictionary); ok {
			if dense, ok := expandDictionary(mem, da, to); ok {
				return dense, nil
			}
		}
		dense, err := compute.CastArray(compute.WithAllocator(ctx, mem), arr, compute.SafeCastOptions(d.ValueType))
		if err != nil {
			return nil, fmt.Errorf("parquetio: decode dictionary: %w", err)
		}
		defer dense.Release()
		return convertLeaf(ctx, mem, dense, to)
	}
	switch {
	case sameLayout(from, to):
		// String and binary share a layout: relabel the buffers.
		data := array.NewData(to, arr.Len(), arr.Data().Buffers(), nil, arr.NullN(), arr.Data().Offset())
		defer data.Release()
		return array.MakeFromData(data), nil
	case to.ID() == arrow.TIMESTAMP:
		return convertToTimestamp(mem, arr, to.(*arrow.TimestampType))
	}
	out, err := compute.CastArray(compute.WithAllocator(ctx, mem), arr, compute.SafeCastOptions(to))
	if err != nil {
		return nil, fmt.Errorf("%w: %s -> %s: %w", ErrValueOutOfRange, from, to, err)
	}
	return out, nil
}

func sameLayout(from, to arrow.DataType) bool {
	small := func(t arrow.DataType) bool { return t.ID() == arrow.STRING || t.ID() == arrow.BINARY }
	large := func(t arrow.DataType) bool { return t.ID() == arrow.LARGE_STRING || t.ID() == arrow.LARGE_BINARY }
	return (small(from) && small(to)) || (large(from) && large(to))
}

const microsPerDay = 86_400_000_000

// convertToTimestamp rescales timestamps of any unit, and dates, to the
// logical timestamp type. Only the unit changes: a stored value is an
// instant (or a wall-clock reading for timestamp_ntz) either way, so the
// time-zone flag does not shift values. Sub-microsecond digits are floored,
// as Spark does when it reads nanosecond timestamps.
func convertToTimestamp(mem memory.Allocator, arr arrow.Array, to *arrow.TimestampType) (arrow.Array, error) {
	var scale func(int64) (int64, bool)
	var src func(int) int64
	switch a := arr.(type) {
	case *array.Timestamp:
		src = func(i int) int64 { return int64(a.Value(i)) }
		scale = unitScaler(a.DataType().(*arrow.TimestampType).Unit, to.Unit)
	case *array.Date32:
		src = func(i int) int64 { return int64(a.Value(i)) }
		perDay := unitScaler(arrow.Microsecond, to.Unit)
		scale = func(d int64) (int64, bool) {
			v, ok := perDay(d * microsPerDay)
			return v, ok
		}
	default:
		return nil, fmt.Errorf("%w: %s cannot be read as %s", ErrSchemaMismatch, arr.DataType(), to)
	}
	b := array.NewTimestampBuilder(mem, to)
	defer b.Release()
	b.Reserve(arr.Len())
	for i := 0; i < arr.Len(); i++ {
		if arr.IsNull(i) {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		v, ok := scale(src(i))
		if !ok {
			b.Release()
			return nil, fmt.Errorf("%w: timestamp %d overflows %s", ErrValueOutOfRange, src(i), to)
		}
		b.UnsafeAppend(arrow.Timestamp(v))
	}
	return b.NewArray(), nil
}

// unitScaler converts a count of from-units into to-units, reporting
// overflow; division floors.
func unitScaler(from, to arrow.TimeUnit) func(int64) (int64, bool) {
	f, t := unitNanos(from), unitNanos(to)
	switch {
	case f == t:
		return func(v int64) (int64, bool) { return v, true }
	case f > t:
		m := f / t
		return func(v int64) (int64, bool) {
			r := v * m
			return r, r/m == v
		}
	default:
		d := t / f
		return func(v int64) (int64, bool) {
			q := v / d
			if v%d < 0 {
				q--
			}
			return q, true
		}
	}
}

func unitNanos(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return 1_000_000_000
	case arrow.Millisecond:
		return 1_000_000
	case arrow.Microsecond:
		return 1_000
	default:
		return 1
	}
}
