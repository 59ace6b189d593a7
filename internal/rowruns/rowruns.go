// Package rowruns copies the rows of Arrow arrays that lie in runs of
// consecutive rows.
//
// Dropping a few rows from a batch keeps long runs of the others: a
// copy-on-write DELETE or UPDATE keeps almost every row of the files it
// rewrites, a read drops the rows a deletion vector deletes, a write
// splits a batch whose partitions arrive in stretches. arrow's filter and
// take kernels turn masks into indexes and copy value by value (for
// strings, one append per row); copying each run of each column at once
// costs a fraction of that.
package rowruns

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Run is the rows [Start, End) of a batch.
type Run struct{ Start, End int }

// Rows is the number of rows in runs.
func Rows(runs []Run) int {
	n := 0
	for _, r := range runs {
		n += r.End - r.Start
	}
	return n
}

// Kept returns the runs of consecutive true entries of keep.
func Kept(keep []bool) []Run {
	var runs []Run
	for i := 0; i < len(keep); {
		if !keep[i] {
			i++
			continue
		}
		start := i
		for i < len(keep) && keep[i] {
			i++
		}
		runs = append(runs, Run{Start: start, End: i})
	}
	return runs
}

// Copy returns the rows of column a in runs, which hold n rows in all
// (Rows); ok is false, with nothing allocated, for a type it does not
// copy (nested types, booleans, dictionaries, large offsets), which the
// caller selects the general way.
func Copy(mem memory.Allocator, a arrow.Array, runs []Run, n int) (_ arrow.Array, ok bool) {
	switch a.DataType().ID() {
	case arrow.STRING, arrow.BINARY:
		return copyBinaryRuns(mem, a, runs, n), true
	}
	if id := a.DataType().ID(); id == arrow.DICTIONARY || id == arrow.NULL || id == arrow.EXTENSION {
		return nil, false
	}
	fw, isFixed := a.DataType().(arrow.FixedWidthDataType)
	if !isFixed || fw.BitWidth()%8 != 0 || len(a.Data().Buffers()) != 2 || a.Data().Buffers()[1] == nil {
		return nil, false
	}
	width := fw.BitWidth() / 8
	src := a.Data().Buffers()[1].Bytes()[a.Data().Offset()*width:]
	values := memory.NewResizableBuffer(mem)
	values.Resize(n * width)
	dst := values.Bytes()
	at := 0
	for _, r := range runs {
		at += copy(dst[at:], src[r.Start*width:r.End*width])
	}
	validity, nulls := copyValidityRuns(mem, a, runs, n)
	data := array.NewData(a.DataType(), n, []*memory.Buffer{validity, values}, nil, nulls, 0)
	releaseBuffers(validity, values)
	defer data.Release()
	return array.MakeFromData(data), true
}

// copyBinaryRuns copies the runs of a string or binary column: each run's
// bytes in one copy, its offsets shifted by where the run lands.
func copyBinaryRuns(mem memory.Allocator, a arrow.Array, runs []Run, n int) arrow.Array {
	var offsets []int32
	var bytes []byte
	switch v := a.(type) {
	case *array.String:
		offsets, bytes = v.ValueOffsets(), v.ValueBytes()
	case *array.Binary:
		offsets, bytes = v.ValueOffsets(), v.ValueBytes()
	}
	total := 0
	for _, r := range runs {
		total += int(offsets[r.End] - offsets[r.Start])
	}
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize((n + 1) * arrow.Int32SizeBytes)
	outOff := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(total)
	out := dataBuf.Bytes()
	row, at := 0, int32(0)
	for _, r := range runs {
		shift := at - offsets[r.Start]
		for i := r.Start; i < r.End; i++ {
			outOff[row] = offsets[i] + shift
			row++
		}
		// ValueBytes starts at the array's first value, not the buffer's.
		at += int32(copy(out[at:], bytes[offsets[r.Start]-offsets[0]:offsets[r.End]-offsets[0]]))
	}
	outOff[n] = at
	validity, nulls := copyValidityRuns(mem, a, runs, n)
	data := array.NewData(a.DataType(), n, []*memory.Buffer{validity, offBuf, dataBuf}, nil, nulls, 0)
	releaseBuffers(validity, offBuf, dataBuf)
	defer data.Release()
	return array.MakeFromData(data)
}

// copyValidityRuns copies the validity bits of the runs; nil when a has
// no nulls.
func copyValidityRuns(mem memory.Allocator, a arrow.Array, runs []Run, n int) (*memory.Buffer, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	src, off := a.NullBitmapBytes(), a.Data().Offset()
	at := 0
	for _, r := range runs {
		bitutil.CopyBitmap(src, off+r.Start, r.End-r.Start, buf.Bytes(), at)
		at += r.End - r.Start
	}
	return buf, n - bitutil.CountSetBits(buf.Bytes(), 0, n)
}

// Batch returns the rows of rec in runs (n rows in all): each column of a
// type Copy handles copied run by run, any other taken by index with
// arrow's take kernel. (Not its filter kernel: arrow-go 18.8's
// compute.FilterArray loses the validity of boolean arrays with nulls.)
func Batch(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, runs []Run, n int) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, rec.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	var idx arrow.Array
	defer func() {
		if idx != nil {
			idx.Release()
		}
	}()
	for _, c := range rec.Columns() {
		out, ok := Copy(mem, c, runs, n)
		if !ok {
			if idx == nil {
				idx = indexes(mem, runs, n)
			}
			var err error
			if out, err = compute.TakeArray(compute.WithAllocator(ctx, mem), c, idx); err != nil {
				return nil, fmt.Errorf("rowruns: take %s rows: %w", c.DataType(), err)
			}
		}
		cols = append(cols, out)
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(n)), nil
}

// indexes lists the rows of runs.
func indexes(mem memory.Allocator, runs []Run, n int) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(n)
	for _, r := range runs {
		for i := r.Start; i < r.End; i++ {
			b.UnsafeAppend(int64(i))
		}
	}
	return b.NewArray()
}

// Splice returns base with its hit rows replaced, in order, by the values
// of vals (one per hit row), which has base's type.
func Splice(mem memory.Allocator, base arrow.Array, hit []bool, vals arrow.Array) (arrow.Array, error) {
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
		return nil, fmt.Errorf("rowruns: splice rows: %w", err)
	}
	return out, nil
}

// spliceFixedWidth is Splice for fixed-width values of whole bytes:
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
