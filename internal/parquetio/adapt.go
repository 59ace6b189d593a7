package parquetio

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// adapter turns arrays read from a file into arrays of the logical types.
type adapter struct {
	ctx context.Context
	mem memory.Allocator
}

// column builds the logical column of plan p from a projected file batch of
// n rows. The result is a new reference.
func (a *adapter) column(p *fieldPlan, rec arrow.RecordBatch) (arrow.Array, error) {
	n := int(rec.NumRows())
	if p.file == nil {
		return array.MakeArrayOfNull(a.mem, p.logical.Type, n), nil
	}
	idx := rec.Schema().FieldIndices(p.file.Field.Name)
	if len(idx) == 0 {
		return nil, fmt.Errorf("parquetio: projected batch lacks column %q", p.file.Field.Name)
	}
	return a.adapt(p, rec.Column(idx[0]))
}

// adapt converts arr, read for plan p's file field, to the logical type.
func (a *adapter) adapt(p *fieldPlan, arr arrow.Array) (arrow.Array, error) {
	if arr.DataType().ID() == arrow.NULL {
		return array.MakeArrayOfNull(a.mem, p.logical.Type, arr.Len()), nil
	}
	switch lt := p.logical.Type.(type) {
	case *arrow.StructType:
		return a.adaptStruct(p, lt, arr)
	case *arrow.ListType:
		return a.adaptList(p, lt, arr)
	case *arrow.MapType:
		return a.adaptMap(p, lt, arr)
	default:
		return convertLeaf(a.ctx, a.mem, arr, lt)
	}
}

func (a *adapter) adaptStruct(p *fieldPlan, lt *arrow.StructType, arr arrow.Array) (arrow.Array, error) {
	st, ok := arr.(*array.Struct)
	if !ok {
		return nil, mismatch(p.logical.Name, lt, arr.DataType())
	}
	stType := st.DataType().(*arrow.StructType)
	children := make([]arrow.ArrayData, 0, len(p.children))
	defer func() {
		for _, c := range children {
			c.Release()
		}
	}()
	for _, cp := range p.children {
		var col arrow.Array
		if cp.file == nil {
			col = array.MakeArrayOfNull(a.mem, cp.logical.Type, st.Len())
		} else {
			i, found := stType.FieldIdx(cp.file.Field.Name)
			if !found {
				return nil, fmt.Errorf("parquetio: projected struct %q lacks field %q", p.logical.Name, cp.file.Field.Name)
			}
			var err error
			// Field(i) is already sliced to the struct's offset and length.
			if col, err = a.adapt(cp, st.Field(i)); err != nil {
				return nil, err
			}
		}
		children = append(children, col.Data())
		col.Data().Retain()
		col.Release()
	}
	validity := a.validity(st)
	if validity != nil {
		defer validity.Release()
	}
	data := array.NewData(lt, st.Len(), []*memory.Buffer{validity}, children, st.NullN(), 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

func (a *adapter) adaptList(p *fieldPlan, lt *arrow.ListType, arr arrow.Array) (arrow.Array, error) {
	switch src := arr.(type) {
	case *array.List:
		// Offsets index into the whole child array, so adapt all of it and
		// keep the list's own offset.
		values, err := a.adapt(p.children[0], src.ListValues())
		if err != nil {
			return nil, err
		}
		defer values.Release()
		d := src.Data()
		data := array.NewData(lt, d.Len(), d.Buffers()[:2], []arrow.ArrayData{values.Data()}, d.NullN(), d.Offset())
		defer data.Release()
		return array.MakeFromData(data), nil
	case *array.LargeList, *array.FixedSizeList:
		// Rare in Delta files (only from writers that stored an Arrow schema
		// asking for them); rebuild with 32-bit offsets.
		return a.rebuildList(p, lt, arr.(array.ListLike))
	default:
		return nil, mismatch(p.logical.Name, lt, arr.DataType())
	}
}

func (a *adapter) rebuildList(p *fieldPlan, lt *arrow.ListType, src array.ListLike) (arrow.Array, error) {
	values, err := a.adapt(p.children[0], src.ListValues())
	if err != nil {
		return nil, err
	}
	defer values.Release()
	n := src.Len()
	offsets := memory.NewResizableBuffer(a.mem)
	defer offsets.Release()
	offsets.Resize(arrow.Int32Traits.BytesRequired(n + 1))
	o := arrow.Int32Traits.CastFromBytes(offsets.Bytes())
	for i := 0; i < n; i++ {
		start, end := src.ValueOffsets(i)
		if end > math.MaxInt32 {
			return nil, fmt.Errorf("%w: list %q has more than 2^31 values in one batch", ErrValueOutOfRange, p.logical.Name)
		}
		o[i], o[i+1] = int32(start), int32(end)
	}
	validity := a.validity(src)
	if validity != nil {
		defer validity.Release()
	}
	data := array.NewData(lt, n, []*memory.Buffer{validity, offsets}, []arrow.ArrayData{values.Data()}, src.NullN(), 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

func (a *adapter) adaptMap(p *fieldPlan, lt *arrow.MapType, arr arrow.Array) (arrow.Array, error) {
	// A map is a list of key/value structs; legacy files give exactly that.
	src, ok := arr.(*array.List)
	if m, isMap := arr.(*array.Map); isMap {
		src, ok = m.List, true
	}
	if !ok {
		return nil, mismatch(p.logical.Name, lt, arr.DataType())
	}
	entries, ok := src.ListValues().(*array.Struct)
	if !ok || entries.NumField() != 2 {
		return nil, mismatch(p.logical.Name, lt, arr.DataType())
	}
	// The entries span the whole child, matching the offsets buffer.
	keys, err := a.adapt(p.children[0], entries.Field(0))
	if err != nil {
		return nil, err
	}
	defer keys.Release()
	items, err := a.adapt(p.children[1], entries.Field(1))
	if err != nil {
		return nil, err
	}
	defer items.Release()
	entryType := lt.Elem()
	ev := a.validity(entries)
	if ev != nil {
		defer ev.Release()
	}
	entryData := array.NewData(entryType, entries.Len(), []*memory.Buffer{ev}, []arrow.ArrayData{keys.Data(), items.Data()}, entries.NullN(), 0)
	defer entryData.Release()
	d := src.Data()
	data := array.NewData(lt, d.Len(), d.Buffers()[:2], []arrow.ArrayData{entryData}, d.NullN(), d.Offset())
	defer data.Release()
	return array.MakeFromData(data), nil
}

// validity returns arr's validity bitmap re-based to offset 0 (nil when arr
// has no nulls). The caller releases it.
func (a *adapter) validity(arr arrow.Array) *memory.Buffer {
	d := arr.Data()
	buf := d.Buffers()[0]
	if buf == nil || arr.NullN() == 0 {
		return nil
	}
	if d.Offset() == 0 {
		buf.Retain()
		return buf
	}
	out := memory.NewResizableBuffer(a.mem)
	out.Resize(int(bitutil.BytesForBits(int64(d.Len()))))
	bitutil.CopyBitmap(buf.Bytes(), d.Offset(), d.Len(), out.Bytes(), 0)
	return out
}
