package delta

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// schemaProblems collects every reason a batch does not fit, so one error
// names all offending columns.
type schemaProblems []string

func (p *schemaProblems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

func (p schemaProblems) err() error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrSchemaMismatch, strings.Join(p, "; "))
}

// conformBatch returns rec reshaped to the table schema: columns matched by
// name (case-insensitive) and put in table order, absent nullable columns
// filled with nulls, nested structs conformed the same way, and types
// widened where no value can change (int32 → int64, float32 → float64,
// other timestamp units → microseconds). Anything else is
// ErrSchemaMismatch naming the columns.
func conformBatch(rec arrow.RecordBatch, table *arrow.Schema, mem memory.Allocator) (arrow.RecordBatch, error) {
	var problems schemaProblems
	in := rec.Schema()
	used := make([]bool, in.NumFields())
	cols := make([]arrow.Array, table.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	n := int(rec.NumRows())
	for i, tf := range table.Fields() {
		j := fieldIndexFold(in, tf.Name)
		if j < 0 {
			if !tf.Nullable {
				problems.add("NOT NULL column %q is missing", tf.Name)
				continue
			}
			cols[i] = array.MakeArrayOfNull(mem, tf.Type, n)
			continue
		}
		used[j] = true
		c, err := conformArray(rec.Column(j), tf.Type, tf.Name, mem, &problems)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	for j, f := range in.Fields() {
		if !used[j] {
			problems.add("column %q (%s) is not in the table (set MergeSchema to add it)", f.Name, f.Type)
		}
	}
	if err := problems.err(); err != nil {
		return nil, err
	}
	out := array.NewRecordBatch(table, cols, int64(n))
	return out, nil
}

// conformArray converts one column to the table type. It returns a new
// reference (the caller releases it).
func conformArray(a arrow.Array, want arrow.DataType, name string, mem memory.Allocator, problems *schemaProblems) (arrow.Array, error) {
	have := a.DataType()
	if arrow.TypeEqual(have, want) {
		a.Retain()
		return a, nil
	}
	if plain, err := plainArray(a, mem); err != nil {
		return nil, fmt.Errorf("delta: convert column %q: %w", name, err)
	} else if plain != nil {
		// A dictionary or a narrow decimal: convert its plain form.
		defer plain.Release()
		return conformArray(plain, want, name, mem, problems)
	}
	if ws, ok := want.(*arrow.StructType); ok {
		hs, ok := have.(*arrow.StructType)
		if !ok {
			problems.add("column %q has type %s, the table has %s", name, have, want)
			return nil, nil
		}
		return conformStruct(a.(*array.Struct), hs, ws, name, mem, problems)
	}
	if sameShape(have, want) {
		// Same type up to field names or nullability inside lists and maps:
		// rebuild the array with the table's type over the same buffers.
		data := array.NewData(want, a.Len(), a.Data().Buffers(), a.Data().Children(), a.NullN(), a.Data().Offset())
		defer data.Release()
		return array.MakeFromData(data), nil
	}
	if safeWidening(have, want) {
		ctx := compute.WithAllocator(context.Background(), mem)
		out, err := compute.CastArray(ctx, a, compute.SafeCastOptions(want))
		if err != nil {
			if errors.Is(err, arrow.ErrInvalid) && have.ID() == arrow.TIMESTAMP {
				problems.add("column %q: %s values with sub-microsecond digits do not fit the table's %s; Delta stores microseconds, so truncate them first (compute.CastArray with AllowTimeTruncate)", name, have, want)
				return nil, nil
			}
			if errors.Is(err, arrow.ErrInvalid) {
				problems.add("column %q: cannot convert %s to %s: %v", name, have, want, err)
				return nil, nil
			}
			return nil, fmt.Errorf("delta: convert column %q: %w", name, err)
		}
		return out, nil
	}
	problems.add("column %q has type %s, the table has %s", name, have, want)
	return nil, nil
}

func conformStruct(s *array.Struct, have, want *arrow.StructType, name string, mem memory.Allocator, problems *schemaProblems) (arrow.Array, error) {
	children := make([]arrow.Array, want.NumFields())
	defer func() {
		for _, c := range children {
			if c != nil {
				c.Release()
			}
		}
	}()
	used := make([]bool, have.NumFields())
	for i, wf := range want.Fields() {
		j := -1
		for k, hf := range have.Fields() {
			if strings.EqualFold(hf.Name, wf.Name) {
				j = k
				break
			}
		}
		path := name + "." + wf.Name
		if j < 0 {
			children[i] = array.MakeArrayOfNull(mem, wf.Type, s.Len())
			continue
		}
		used[j] = true
		c, err := conformArray(s.Field(j), wf.Type, path, mem, problems)
		if err != nil {
			return nil, err
		}
		if c == nil {
			continue
		}
		children[i] = c
	}
	for j, hf := range have.Fields() {
		if !used[j] {
			problems.add("column %q is not in the table (set MergeSchema to add it)", name+"."+hf.Name)
		}
	}
	if len(*problems) > 0 {
		return nil, nil
	}
	childData := make([]arrow.ArrayData, len(children))
	for i, c := range children {
		childData[i] = c.Data()
	}
	buffers := []*memory.Buffer{s.Data().Buffers()[0]}
	if s.Data().Offset() != 0 && s.NullN() > 0 {
		// Children were sliced along with the struct; a sliced validity
		// bitmap keeps the struct offset, so keep it and slice nothing.
		data := array.NewData(want, s.Len(), buffers, childData, s.NullN(), s.Data().Offset())
		defer data.Release()
		return rebaseStructChildren(data, s.Data().Offset(), mem), nil
	}
	if s.NullN() == 0 {
		buffers = []*memory.Buffer{nil}
	}
	data := array.NewData(want, s.Len(), buffers, childData, s.NullN(), 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// rebaseStructChildren handles a struct with an offset: its children
// returned by Field() are already offset-adjusted, so the parent's
// children must be un-sliced to the parent's coordinate system. Building
// a fresh validity bitmap is simpler and always correct.
func rebaseStructChildren(data arrow.ArrayData, offset int, mem memory.Allocator) arrow.Array {
	n := data.Len()
	bld := memory.NewResizableBuffer(mem)
	bld.Resize(int(bitmapBytes(n)))
	src := data.Buffers()[0].Bytes()
	dst := bld.Bytes()
	nulls := 0
	for i := 0; i < n; i++ {
		if bitIsSet(src, offset+i) {
			dst[i/8] |= 1 << (i % 8)
		} else {
			dst[i/8] &^= 1 << (i % 8)
			nulls++
		}
	}
	fresh := array.NewData(data.DataType(), n, []*memory.Buffer{bld}, data.Children(), nulls, 0)
	bld.Release()
	defer fresh.Release()
	return array.MakeFromData(fresh)
}

func bitmapBytes(n int) int64 { return int64((n + 7) / 8) }

func bitIsSet(b []byte, i int) bool { return b[i/8]&(1<<(i%8)) != 0 }

// sameShape reports whether two types hold identical buffers and differ only
// in nested field names, nullability or metadata (list element names,
// map entries).
func sameShape(have, want arrow.DataType) bool {
	if have.ID() != want.ID() {
		return false
	}
	switch w := want.(type) {
	case *arrow.ListType:
		return sameShape(have.(*arrow.ListType).Elem(), w.Elem())
	case *arrow.LargeListType:
		return sameShape(have.(*arrow.LargeListType).Elem(), w.Elem())
	case *arrow.MapType:
		h := have.(*arrow.MapType)
		return sameShape(h.KeyType(), w.KeyType()) && sameShape(h.ItemType(), w.ItemType())
	case *arrow.StructType:
		h := have.(*arrow.StructType)
		if h.NumFields() != w.NumFields() {
			return false
		}
		for i := range w.Fields() {
			if !strings.EqualFold(h.Field(i).Name, w.Field(i).Name) || !sameShape(h.Field(i).Type, w.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return arrow.TypeEqual(have, want)
}

// safeWidening lists the conversions applied silently on write: every
// value of `have` is exactly representable in `want`.
func safeWidening(have, want arrow.DataType) bool {
	// Integer ranks: an unsigned type ranks between its signed width and
	// the next, so it widens into the next signed type (uint8 → short,
	// uint16 → integer, uint32 → long), as Create maps it.
	rank := map[arrow.Type]int{arrow.INT8: 10, arrow.UINT8: 15, arrow.INT16: 20, arrow.UINT16: 25, arrow.INT32: 30, arrow.UINT32: 35, arrow.INT64: 40}
	hr, hok := rank[have.ID()]
	wr, wok := rank[want.ID()]
	if hok && wok {
		return hr < wr && wr%10 == 0 // the target is signed: a Delta type
	}
	switch want.ID() {
	case arrow.FLOAT64:
		return have.ID() == arrow.FLOAT32 || have.ID() == arrow.FLOAT16 || have.ID() == arrow.INT8 || have.ID() == arrow.INT16 || have.ID() == arrow.INT32
	case arrow.FLOAT32:
		return have.ID() == arrow.FLOAT16 || have.ID() == arrow.INT8 || have.ID() == arrow.INT16
	case arrow.LIST:
		return have.ID() == arrow.LARGE_LIST
	case arrow.TIMESTAMP:
		return have.ID() == arrow.TIMESTAMP && (have.(*arrow.TimestampType).TimeZone == "") == (want.(*arrow.TimestampType).TimeZone == "")
	case arrow.DATE32:
		return have.ID() == arrow.DATE64
	case arrow.STRING:
		return have.ID() == arrow.LARGE_STRING || have.ID() == arrow.STRING_VIEW
	case arrow.BINARY:
		return have.ID() == arrow.LARGE_BINARY || have.ID() == arrow.BINARY_VIEW || have.ID() == arrow.FIXED_SIZE_BINARY
	case arrow.DECIMAL128:
		w := want.(*arrow.Decimal128Type)
		switch h := have.(type) {
		case *arrow.Decimal128Type:
			return w.Scale >= h.Scale && w.Precision-w.Scale >= h.Precision-h.Scale
		case *arrow.Decimal256Type:
			return w.Scale >= h.Scale && w.Precision-w.Scale >= h.Precision-h.Scale
		case *arrow.Uint64Type: // Create maps it to decimal(20,0)
			return w.Precision-w.Scale >= 20
		case *arrow.Int64Type:
			return w.Precision-w.Scale >= 19
		}
		return false
	}
	return false
}

// fieldIndexFold finds a top-level field by case-insensitive name.
func fieldIndexFold(s *arrow.Schema, name string) int {
	for i, f := range s.Fields() {
		if f.Name == name {
			return i
		}
	}
	for i, f := range s.Fields() {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
