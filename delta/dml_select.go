package delta

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Copying the kept rows of a batch run by run.
//
// A copy-on-write DELETE or UPDATE keeps almost every row of the files it
// rewrites. arrow's filter kernel turns the mask into indexes and copies
// value by value (for strings, one append per row): 10% of a copy-on-write
// UPDATE's CPU. The rows kept form long runs, so keptRuns finds them once
// and copyRuns moves each run of each column with one copy.

// keptRuns returns the runs of consecutive true entries of keep.
func keptRuns(keep []bool) []rowRun {
	var runs []rowRun
	for i := 0; i < len(keep); {
		if !keep[i] {
			i++
			continue
		}
		start := i
		for i < len(keep) && keep[i] {
			i++
		}
		runs = append(runs, rowRun{start: start, end: i})
	}
	return runs
}

// copyRuns returns the rows of column a in runs, which hold n rows in
// all; ok is false, with nothing allocated, for a type it does not copy
// (nested types, booleans, dictionaries, large offsets), which the caller
// filters the general way.
func copyRuns(mem memory.Allocator, a arrow.Array, runs []rowRun, n int) (_ arrow.Array, ok bool) {
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
		at += copy(dst[at:], src[r.start*width:r.end*width])
	}
	validity, nulls := copyValidityRuns(mem, a, runs, n)
	data := array.NewData(a.DataType(), n, []*memory.Buffer{validity, values}, nil, nulls, 0)
	releaseBuffers(validity, values)
	defer data.Release()
	return array.MakeFromData(data), true
}

// copyBinaryRuns copies the runs of a string or binary column: each run's
// bytes in one copy, its offsets shifted by where the run lands.
func copyBinaryRuns(mem memory.Allocator, a arrow.Array, runs []rowRun, n int) arrow.Array {
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
		total += int(offsets[r.end] - offsets[r.start])
	}
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize((n + 1) * arrow.Int32SizeBytes)
	outOff := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(total)
	out := dataBuf.Bytes()
	row, at := 0, int32(0)
	for _, r := range runs {
		shift := at - offsets[r.start]
		for i := r.start; i < r.end; i++ {
			outOff[row] = offsets[i] + shift
			row++
		}
		// ValueBytes starts at the array's first value, not the buffer's.
		at += int32(copy(out[at:], bytes[offsets[r.start]-offsets[0]:offsets[r.end]-offsets[0]]))
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
func copyValidityRuns(mem memory.Allocator, a arrow.Array, runs []rowRun, n int) (*memory.Buffer, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	src, off := a.NullBitmapBytes(), a.Data().Offset()
	at := 0
	for _, r := range runs {
		bitutil.CopyBitmap(src, off+r.start, r.end-r.start, buf.Bytes(), at)
		at += r.end - r.start
	}
	return buf, n - bitutil.CountSetBits(buf.Bytes(), 0, n)
}

// selectRuns returns the rows of rec in runs (n rows in all) copied run
// by run; ok is false when a column has a type copyRuns leaves to the
// general filter.
func selectRuns(mem memory.Allocator, rec arrow.RecordBatch, runs []rowRun, n int) (_ arrow.RecordBatch, ok bool) {
	cols := make([]arrow.Array, 0, rec.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, c := range rec.Columns() {
		out, ok := copyRuns(mem, c, runs, n)
		if !ok {
			return nil, false
		}
		cols = append(cols, out)
	}
	return array.NewRecordBatch(rec.Schema(), cols, int64(n)), true
}

func releaseBuffers(bufs ...*memory.Buffer) {
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
}
