package features

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Sorted merges compare keys as bytes: each key column is encoded so that
// byte order is the column's order and equal values encode equally, and a
// composite key is the concatenation. A NULL encodes as a lone 0x00 and a
// value starts with 0x01, so a NULL key never equals a value (primary keys
// are NOT NULL, so a label row with a NULL key matches nothing, as in a
// SQL join).

const (
	tsCol  = "__t" // int64 microseconds; the merge's second sort column
	keyCol = "__k" // binary encoded key; the first sort column
	rowCol = "__r" // int64 label row number
	// noTime marks a label row whose timestamp is NULL: it matches nothing.
	noTime = math.MinInt64
	// latest stands for a label timestamp after every feature row, used
	// when a time-series table is looked up without a timestamp.
	latest = math.MaxInt64
)

func checkKeyType(t arrow.DataType) error {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL, arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY,
		arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP:
		return nil
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedType, t)
}

func isTimeType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return true
	}
	return false
}

func putOrdered(buf []byte, u uint64) []byte { return binary.BigEndian.AppendUint64(buf, u) }

func putSigned(buf []byte, v int64) []byte { return putOrdered(buf, uint64(v)^(1<<63)) }

// appendKey appends the encoding of arr[i].
func appendKey(buf []byte, arr arrow.Array, i int) []byte {
	if arr.IsNull(i) {
		return append(buf, 0)
	}
	buf = append(buf, 1)
	switch a := arr.(type) {
	case *array.Int8:
		return putSigned(buf, int64(a.Value(i)))
	case *array.Int16:
		return putSigned(buf, int64(a.Value(i)))
	case *array.Int32:
		return putSigned(buf, int64(a.Value(i)))
	case *array.Int64:
		return putSigned(buf, a.Value(i))
	case *array.Date32:
		return putSigned(buf, int64(a.Value(i)))
	case *array.Date64:
		return putSigned(buf, int64(a.Value(i)))
	case *array.Timestamp:
		return putSigned(buf, int64(a.Value(i)))
	case *array.Uint8:
		return putOrdered(buf, uint64(a.Value(i)))
	case *array.Uint16:
		return putOrdered(buf, uint64(a.Value(i)))
	case *array.Uint32:
		return putOrdered(buf, uint64(a.Value(i)))
	case *array.Uint64:
		return putOrdered(buf, a.Value(i))
	case *array.Float32:
		return putFloat(buf, float64(a.Value(i)))
	case *array.Float64:
		return putFloat(buf, a.Value(i))
	case *array.Boolean:
		if a.Value(i) {
			return append(buf, 1)
		}
		return append(buf, 0)
	case *array.String:
		return putBytes(buf, []byte(a.Value(i)))
	case *array.LargeString:
		return putBytes(buf, []byte(a.Value(i)))
	case *array.Binary:
		return putBytes(buf, a.Value(i))
	case *array.LargeBinary:
		return putBytes(buf, a.Value(i))
	}
	panic("features: appendKey on unchecked type " + arr.DataType().String())
}

// putFloat orders floats by value: flip the sign bit of positives and
// every bit of negatives. -0 and 0 are made equal first.
func putFloat(buf []byte, f float64) []byte {
	if f == 0 {
		f = 0
	}
	u := math.Float64bits(f)
	if u&(1<<63) != 0 {
		u = ^u
	} else {
		u |= 1 << 63
	}
	return putOrdered(buf, u)
}

// putBytes escapes 0x00 as 0x00 0xFF and terminates with 0x00 0x00, which
// keeps prefixes ordered before their extensions.
func putBytes(buf, b []byte) []byte {
	for _, c := range b {
		if c == 0 {
			buf = append(buf, 0, 0xFF)
		} else {
			buf = append(buf, c)
		}
	}
	return append(buf, 0, 0)
}

// encodeKeys builds the binary key column for rows of cols.
func encodeKeys(mem memory.Allocator, cols []arrow.Array, n int) *array.Binary {
	b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer b.Release()
	b.Reserve(n)
	var buf []byte
	for i := range n {
		buf = buf[:0]
		for _, c := range cols {
			buf = appendKey(buf, c, i)
		}
		b.Append(buf)
	}
	return b.NewBinaryArray()
}

// micros reads a timestamp or date as microseconds since the epoch;
// NULL reads as noTime.
func micros(arr arrow.Array, i int) int64 {
	if arr.IsNull(i) {
		return noTime
	}
	switch a := arr.(type) {
	case *array.Timestamp:
		v := int64(a.Value(i))
		switch a.DataType().(*arrow.TimestampType).Unit {
		case arrow.Second:
			return v * 1_000_000
		case arrow.Millisecond:
			return v * 1_000
		case arrow.Nanosecond:
			return v / 1_000
		}
		return v
	case *array.Date32:
		return int64(a.Value(i)) * 86_400_000_000
	case *array.Date64:
		return int64(a.Value(i)) * 1_000
	}
	panic("features: micros on unchecked type " + arr.DataType().String())
}

// timeColumn builds the __t column: micros of ts, or constant c when ts is nil.
func timeColumn(mem memory.Allocator, ts arrow.Array, n int, c int64) *array.Int64 {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(n)
	for i := range n {
		if ts == nil {
			b.UnsafeAppend(c)
		} else {
			b.UnsafeAppend(micros(ts, i))
		}
	}
	return b.NewInt64Array()
}
