package expr

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// resolvePath finds the field indices for a column path, case-insensitively
// with an exact match preferred, and returns the resolved names.
func resolvePath(schema *arrow.Schema, path []string) (idx []int, names []string, field arrow.Field, err error) {
	fields := schema.Fields()
	for depth, part := range path {
		i, ambiguous := matchField(fields, part)
		if ambiguous {
			return nil, nil, field, &CompileError{Pos: -1, Kind: ErrAmbiguousColumn,
				Msg: "reference " + quotePath(path[:depth+1]) + " matches several fields case-insensitively"}
		}
		if i < 0 {
			msg := "cannot resolve " + quotePath(path)
			if s := suggest(fields, part); s != "" {
				msg += "; did you mean " + quotePath(append(append([]string(nil), names...), s)) + "?"
			}
			return nil, nil, field, &CompileError{Pos: -1, Kind: ErrUnknownColumn, Msg: msg}
		}
		field = fields[i]
		idx = append(idx, i)
		names = append(names, field.Name)
		if depth < len(path)-1 {
			st, ok := field.Type.(*arrow.StructType)
			if !ok {
				return nil, nil, field, &CompileError{Pos: -1, Kind: ErrUnknownColumn,
					Msg: "cannot resolve " + quotePath(path) + ": " + quotePath(names) + " is " + sparkTypeName(field.Type) + ", not a struct"}
			}
			fields = st.Fields()
		}
	}
	return idx, names, field, nil
}

func matchField(fields []arrow.Field, name string) (int, bool) {
	for i, f := range fields {
		if f.Name == name {
			return i, false
		}
	}
	found := -1
	for i, f := range fields {
		if strings.EqualFold(f.Name, name) {
			if found >= 0 {
				return -1, true
			}
			found = i
		}
	}
	return found, false
}

func quotePath(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = quoteIdent(p)
	}
	return strings.Join(parts, ".")
}

// suggest returns the field name closest to name by edit distance, if it
// is close enough to be a plausible typo.
func suggest(fields []arrow.Field, name string) string {
	best, bestD := "", 1<<30
	for _, f := range fields {
		d := editDistance(strings.ToLower(f.Name), strings.ToLower(name))
		if d < bestD {
			best, bestD = f.Name, d
		}
	}
	if best == "" || bestD > max(2, len(name)/2) {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sparkType maps an input column's Arrow type to the type this package
// computes with (Spark has one string, one binary, µs timestamps in UTC,
// no unsigned integers). ok is false for types it cannot represent.
func sparkType(dt arrow.DataType) (arrow.DataType, bool) {
	switch t := dt.(type) {
	case *arrow.LargeStringType, *arrow.StringViewType:
		return arrow.BinaryTypes.String, true
	case *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return arrow.BinaryTypes.Binary, true
	case *arrow.TimestampType:
		if t.TimeZone == "" {
			return typeTimestampNTZ, true
		}
		return typeTimestamp, true
	case *arrow.Date64Type:
		return arrow.FixedWidthTypes.Date32, true
	case *arrow.Uint8Type:
		return arrow.PrimitiveTypes.Int16, true
	case *arrow.Uint16Type:
		return arrow.PrimitiveTypes.Int32, true
	case *arrow.Uint32Type:
		return arrow.PrimitiveTypes.Int64, true
	case *arrow.Uint64Type:
		return &arrow.Decimal128Type{Precision: 20}, true
	case *arrow.Float16Type:
		return arrow.PrimitiveTypes.Float32, true
	case *arrow.DictionaryType:
		return sparkType(t.ValueType)
	case *arrow.LargeListType:
		e, ok := sparkType(t.Elem())
		return arrow.ListOf(e), ok
	case *arrow.ListType:
		e, ok := sparkType(t.Elem())
		if ok && arrow.TypeEqual(e, t.Elem()) {
			return dt, true
		}
		return arrow.ListOf(e), ok
	}
	return dt, true
}

// columnValue fetches a (possibly nested) column of the batch, folding
// parent struct nulls into the child and converting to the Spark type.
func (ec *evalCtx) columnValue(idx []int, want arrow.DataType) (value, error) {
	arr := ec.batch.Column(idx[0])
	arr.Retain()
	for _, i := range idx[1:] {
		st := arr.(*array.Struct)
		child := withParentNulls(ec.mem, st.Field(i), st)
		arr.Release()
		arr = child
	}
	if arrow.TypeEqual(arr.DataType(), want) {
		return value{arr: arr}, nil
	}
	defer arr.Release()
	out, err := compute.CastArray(ec.ctx, arr, compute.UnsafeCastOptions(want))
	if err != nil {
		return value{}, err
	}
	return value{arr: out}, nil
}

// withParentNulls returns child with the parent's nulls added, because a
// field of a NULL struct is NULL in Spark. The result is owned.
func withParentNulls(mem memory.Allocator, child arrow.Array, parent arrow.Array) arrow.Array {
	if parent.NullN() == 0 {
		child.Retain()
		return child
	}
	n := child.Len()
	off := child.Data().Offset()
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(off + n))))
	bits := buf.Bytes()
	for i := range bits {
		bits[i] = 0
	}
	for i := 0; i < n; i++ {
		if child.IsValid(i) && parent.IsValid(i) {
			bitutil.SetBit(bits, off+i)
		}
	}
	d := child.Data()
	bufs := append([]*memory.Buffer{buf}, d.Buffers()[1:]...)
	nd := array.NewData(d.DataType(), n, bufs, d.Children(), array.UnknownNullCount, off)
	buf.Release()
	defer nd.Release()
	return array.MakeFromData(nd)
}
