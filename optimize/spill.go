package optimize

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// spillRanges routes rows by key range into local Arrow IPC files, one
// per range, each row carrying its key in a last column, and gives them
// back range by range.
type spillRanges struct {
	dir       string
	schema    *arrow.Schema // rows plus the key column
	splitters [][]byte
	width     int
	mem       memory.Allocator
	files     []*spillFile
}

type spillFile struct {
	path string
	f    *os.File
	buf  *bufio.Writer
	w    *ipc.Writer
}

func newSpillRanges(parent string, rows *arrow.Schema, splitters [][]byte, width int, mem memory.Allocator) (*spillRanges, error) {
	dir, err := os.MkdirTemp(parent, "lakehouse-zorder-")
	if err != nil {
		return nil, fmt.Errorf("optimize: spill: %w", err)
	}
	fields := append(rows.Fields(), arrow.Field{Name: keyColumn, Type: &arrow.FixedSizeBinaryType{ByteWidth: width}})
	sp := &spillRanges{dir: dir, schema: arrow.NewSchema(fields, nil), splitters: splitters, width: width, mem: mem}
	for i := range len(splitters) + 1 {
		sp.files = append(sp.files, &spillFile{path: filepath.Join(dir, fmt.Sprintf("range-%04d.arrow", i))})
	}
	return sp, nil
}

func (sp *spillRanges) close() {
	for _, f := range sp.files {
		if f.f != nil {
			_ = f.f.Close()
		}
	}
	_ = os.RemoveAll(sp.dir)
}

// route appends the rows of rec, whose keys are keys, to their ranges'
// files: the batch is reordered by range once and written in slices.
func (sp *spillRanges) route(ctx context.Context, rec arrow.RecordBatch, keys []byte) error {
	n := int(rec.NumRows())
	if n == 0 {
		return nil
	}
	w := sp.width
	rangeOf := make([]int, n)
	counts := make([]int, len(sp.files)+1)
	for i := range n {
		r := int(rangeID(sp.splitters, keys[i*w:(i+1)*w], false))
		rangeOf[i] = r
		counts[r+1]++
	}
	for r := 1; r < len(counts); r++ {
		counts[r] += counts[r-1]
	}
	starts := append([]int(nil), counts...)
	perm := make([]int64, n)
	for i, r := range rangeOf {
		perm[counts[r]] = int64(i)
		counts[r]++
	}
	kb := array.NewFixedSizeBinaryBuilder(sp.mem, &arrow.FixedSizeBinaryType{ByteWidth: w})
	for i := range n {
		kb.Append(keys[i*w : (i+1)*w])
	}
	keyArr := kb.NewArray()
	kb.Release()
	cols := append(append([]arrow.Array(nil), rec.Columns()...), keyArr)
	withKeys := array.NewRecordBatch(sp.schema, cols, int64(n))
	keyArr.Release()
	defer withKeys.Release()

	ib := array.NewInt64Builder(sp.mem)
	ib.AppendValues(perm, nil)
	idx := ib.NewArray()
	ib.Release()
	defer idx.Release()
	st := array.RecordToStructArray(withKeys)
	defer st.Release()
	taken, err := compute.TakeArray(compute.WithAllocator(ctx, sp.mem), st, idx)
	if err != nil {
		return fmt.Errorf("optimize: spill: %w", err)
	}
	defer taken.Release()
	ordered := array.RecordFromStructArray(taken.(*array.Struct), sp.schema)
	defer ordered.Release()
	for r, f := range sp.files {
		lo, hi := starts[r], starts[r+1]
		if lo == hi {
			continue
		}
		part := ordered.NewSlice(int64(lo), int64(hi))
		err := f.write(sp.schema, part, sp.mem)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *spillFile) write(schema *arrow.Schema, rec arrow.RecordBatch, mem memory.Allocator) error {
	if f.w == nil {
		out, err := os.Create(f.path)
		if err != nil {
			return fmt.Errorf("optimize: spill: %w", err)
		}
		f.f, f.buf = out, bufio.NewWriter(out)
		f.w = ipc.NewWriter(f.buf, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	}
	if err := f.w.Write(rec); err != nil {
		return fmt.Errorf("optimize: spill to %s: %w", f.path, err)
	}
	return nil
}

// finish flushes and closes the file for reading.
func (f *spillFile) finish() error {
	if f.w == nil {
		return nil
	}
	err := f.w.Close()
	if err == nil {
		err = f.buf.Flush()
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	f.w, f.f = nil, nil
	if err != nil {
		return fmt.Errorf("optimize: spill to %s: %w", f.path, err)
	}
	return nil
}

// each calls fn with the rows and keys of each range in key order; fn
// owns (releases) the batches. A range's file is deleted once read.
func (sp *spillRanges) each(ctx context.Context, fn func(recs []arrow.RecordBatch, keys [][]byte) error) error {
	for _, f := range sp.files {
		if err := f.finish(); err != nil {
			return err
		}
	}
	for _, f := range sp.files {
		if err := ctx.Err(); err != nil {
			return err
		}
		recs, keys, err := sp.read(f.path)
		if err != nil {
			return err
		}
		if err := fn(recs, keys); err != nil {
			return err
		}
		_ = os.Remove(f.path)
	}
	return nil
}

// read loads one range: the row columns of each batch and their keys.
func (sp *spillRanges) read(path string) ([]arrow.RecordBatch, [][]byte, error) {
	in, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil, nil // no row fell in this range
	}
	if err != nil {
		return nil, nil, fmt.Errorf("optimize: spill: %w", err)
	}
	defer in.Close()
	r, err := ipc.NewReader(bufio.NewReader(in), ipc.WithAllocator(sp.mem))
	if err != nil {
		return nil, nil, fmt.Errorf("optimize: read spill %s: %w", path, err)
	}
	defer r.Release()
	var recs []arrow.RecordBatch
	var keys [][]byte
	last := sp.schema.NumFields() - 1
	rowSchema := arrow.NewSchema(sp.schema.Fields()[:last], nil)
	for r.Next() {
		rec := r.RecordBatch()
		k := rec.Column(last).(*array.FixedSizeBinary)
		kb := make([]byte, 0, int(rec.NumRows())*sp.width)
		for i := range int(rec.NumRows()) {
			kb = append(kb, k.Value(i)...)
		}
		recs = append(recs, array.NewRecordBatch(rowSchema, rec.Columns()[:last], rec.NumRows()))
		keys = append(keys, kb)
	}
	if err := r.Err(); err != nil {
		for _, rec := range recs {
			rec.Release()
		}
		return nil, nil, fmt.Errorf("optimize: read spill %s: %w", path, err)
	}
	return recs, keys, nil
}
