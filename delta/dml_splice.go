package delta

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Writing a copy-on-write UPDATE's rows in place.
//
// A batch of a rewritten file holds a few updated rows among many kept
// ones. Selecting the kept rows into a batch of their own copies every
// column of 99% of the rows, and writing them and the updated rows as two
// batches doubles the encoder's per-batch work. Instead the updated
// values are spliced into the columns the SET clauses change: every other
// column of the batch is written as it was read, without a copy, and the
// rows keep their order in the file, as Spark's and delta-rs's UPDATE
// keep it.

// spliceRows returns base with the rows where hit is set replaced, in
// order, by the rows of updated, which are the rows of matched (base's
// hit rows) after the SET clauses. A column updated shares with matched
// is unchanged and taken from base as it is. ok is false, with nothing
// allocated, when a changed column's type differs from base's.
func spliceRows(mem memory.Allocator, base arrow.RecordBatch, hit []bool, matched, updated arrow.RecordBatch) (_ arrow.RecordBatch, ok bool, err error) {
	cols := make([]arrow.Array, 0, base.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, col := range base.Columns() {
		if updated.Column(i) == matched.Column(i) {
			col.Retain()
			cols = append(cols, col)
			continue
		}
		if !arrow.TypeEqual(col.DataType(), updated.Column(i).DataType()) {
			return nil, false, nil
		}
		c, err := spliceColumn(mem, col, hit, updated.Column(i))
		if err != nil {
			return nil, false, err
		}
		cols = append(cols, c)
	}
	return array.NewRecordBatch(base.Schema(), cols, base.NumRows()), true, nil
}

// spliceColumn returns base with its hit rows replaced, in order, by the
// values of vals (one per hit row).
func spliceColumn(mem memory.Allocator, base arrow.Array, hit []bool, vals arrow.Array) (arrow.Array, error) {
	if out, ok := spliceFixedWidth(mem, base, hit, vals); ok {
		return out, nil
	}
	// Any other type: the runs of base and of vals, concatenated.
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	k := 0
	for i := 0; i < len(hit); {
		j := i
		for j < len(hit) && hit[j] == hit[i] {
			j++
		}
		if hit[i] {
			parts = append(parts, array.NewSlice(vals, int64(k), int64(k+j-i)))
			k += j - i
		} else {
			parts = append(parts, array.NewSlice(base, int64(i), int64(j)))
		}
		i = j
	}
	out, err := array.Concatenate(parts, mem)
	if err != nil {
		return nil, fmt.Errorf("delta: UPDATE: splice rows: %w", err)
	}
	return out, nil
}

// spliceFixedWidth is spliceColumn for fixed-width values of whole bytes:
// base's values copied once, the updated ones written over theirs. ok is
// false for other types.
func spliceFixedWidth(mem memory.Allocator, base arrow.Array, hit []bool, vals arrow.Array) (_ arrow.Array, ok bool) {
	fw, isFixed := base.DataType().(arrow.FixedWidthDataType)
	id := base.DataType().ID()
	if !isFixed || fw.BitWidth()%8 != 0 || id == arrow.DICTIONARY || id == arrow.EXTENSION ||
		len(base.Data().Buffers()) != 2 || base.Data().Buffers()[1] == nil ||
		len(vals.Data().Buffers()) != 2 || vals.Data().Buffers()[1] == nil {
		return nil, false
	}
	n, width := base.Len(), fw.BitWidth()/8
	src := base.Data().Buffers()[1].Bytes()[base.Data().Offset()*width:]
	repl := vals.Data().Buffers()[1].Bytes()[vals.Data().Offset()*width:]
	values := memory.NewResizableBuffer(mem)
	values.Resize(n * width)
	dst := values.Bytes()
	copy(dst, src[:n*width])
	k := 0
	for i, h := range hit {
		if h {
			copy(dst[i*width:(i+1)*width], repl[k*width:(k+1)*width])
			k++
		}
	}
	var validity *memory.Buffer
	nulls := 0
	if base.NullN() > 0 || vals.NullN() > 0 {
		validity = memory.NewResizableBuffer(mem)
		validity.Resize(int(bitutil.BytesForBits(int64(n))))
		bits := validity.Bytes()
		if base.NullN() > 0 {
			bitutil.CopyBitmap(base.NullBitmapBytes(), base.Data().Offset(), n, bits, 0)
		} else {
			bitutil.SetBitsTo(bits, 0, int64(n), true)
		}
		k = 0
		for i, h := range hit {
			if h {
				bitutil.SetBitTo(bits, i, vals.IsValid(k))
				k++
			}
		}
		nulls = n - bitutil.CountSetBits(bits, 0, n)
	}
	data := array.NewData(base.DataType(), n, []*memory.Buffer{validity, values}, nil, nulls, 0)
	releaseBuffers(validity, values)
	defer data.Release()
	return array.MakeFromData(data), true
}

func releaseBuffers(bufs ...*memory.Buffer) {
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
}
