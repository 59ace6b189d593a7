package delta

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// wallClockUTC is t's wall clock read as UTC: how a timestamp without
// zone is stored.
func wallClockUTC(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// decodeFunc sets v (settable) from row i of a.
type decodeFunc func(a arrow.Array, i int, v reflect.Value) error

// rowDecoder reads structs of one type from batches of a scan: each
// struct field from the column of its name.
type rowDecoder struct {
	columns []string // scanned columns, in struct field order
	index   [][]int
	dec     []decodeFunc
}

var decoders sync.Map // codecKey → *rowDecoder

// decoderFor binds row type t to the columns of a scan, cached per pair.
func decoderFor(t reflect.Type, table *arrow.Schema) (*rowDecoder, error) {
	key := codecKey{t, table.Fingerprint()}
	if d, ok := decoders.Load(key); ok {
		return d.(*rowDecoder), nil
	}
	if t.Kind() != reflect.Struct {
		return nil, &RowTypeError{Type: t, Reason: "typed rows need a struct type", unsupported: true}
	}
	fields, err := rowFields(t, t, nil)
	if err != nil {
		return nil, err
	}
	d := &rowDecoder{}
	for _, f := range fields {
		i := fieldIndexFold(table, f.name)
		if i < 0 {
			return nil, &RowTypeError{Type: t, Field: f.goName, Reason: fmt.Sprintf("no column %q in the table (columns: %s)", f.name, strings.Join(schemaNames(table), ", "))}
		}
		col := table.Field(i)
		dec, err := makeDecoder(t, f.goName, col.Name, f.typ, f, col.Type)
		if err != nil {
			return nil, err
		}
		d.columns = append(d.columns, col.Name)
		d.index = append(d.index, f.index)
		d.dec = append(d.dec, dec)
	}
	decoders.Store(key, d)
	return d, nil
}

// nullError is reading a null into a field that cannot hold one.
func nullError(column string, t reflect.Type) error {
	return fmt.Errorf("delta: column %q holds a null; the field's type %s cannot: make it a pointer (*%s)", column, t, t)
}

// makeDecoder returns the decoder of Arrow type have into Go type t, or
// a RowTypeError when t cannot hold the column's values.
func makeDecoder(root reflect.Type, path, column string, t reflect.Type, f rowField, have arrow.DataType) (decodeFunc, error) {
	mismatch := func(why string) (decodeFunc, error) {
		return nil, &RowTypeError{Type: root, Field: path, Column: column, Reason: why}
	}
	if t.Kind() == reflect.Pointer {
		inner, err := makeDecoder(root, path, column, t.Elem(), f, have)
		if err != nil {
			return nil, err
		}
		return func(a arrow.Array, i int, v reflect.Value) error {
			if a.IsNull(i) {
				v.SetZero()
				return nil
			}
			if v.IsNil() {
				v.Set(reflect.New(t.Elem()))
			}
			return inner(a, i, v.Elem())
		}, nil
	}
	inner, err := makeValueDecoder(root, path, column, t, f, have, mismatch)
	if err != nil {
		return nil, err
	}
	nilable := t.Kind() == reflect.Slice || t.Kind() == reflect.Map
	return func(a arrow.Array, i int, v reflect.Value) error {
		if a.IsNull(i) {
			if nilable {
				v.SetZero()
				return nil
			}
			return nullError(column, t)
		}
		return inner(a, i, v)
	}, nil
}

func makeValueDecoder(root reflect.Type, path, column string, t reflect.Type, f rowField, have arrow.DataType, mismatch func(string) (decodeFunc, error)) (decodeFunc, error) {
	wrong := func() (decodeFunc, error) {
		return mismatch(fmt.Sprintf("a %s column cannot be read into Go type %s", have, t))
	}
	switch h := have.(type) {
	case *arrow.BooleanType:
		if t.Kind() != reflect.Bool {
			return wrong()
		}
		return func(a arrow.Array, i int, v reflect.Value) error { v.SetBool(a.(*array.Boolean).Value(i)); return nil }, nil
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		k := t.Kind()
		if k == reflect.Uint8 || k == reflect.Uint16 || k == reflect.Uint32 {
			// The column SchemaOf gives an unsigned field, or a narrower
			// one; a value outside the field's range is an error.
			if arrowIntWidth(have.ID()) > 2*(intWidth(k)-1) {
				return wrong()
			}
			get := intGetter(have.ID())
			return func(a arrow.Array, i int, v reflect.Value) error {
				n := get(a, i)
				if n < 0 || v.OverflowUint(uint64(n)) {
					return fmt.Errorf("delta: column %q: value %d does not fit Go type %s", column, n, t)
				}
				v.SetUint(uint64(n))
				return nil
			}, nil
		}
		// Signed Go integers at least as wide as the column.
		if !(k >= reflect.Int && k <= reflect.Int64) || intWidth(k) < arrowIntWidth(have.ID()) {
			return wrong()
		}
		switch have.ID() {
		case arrow.INT8:
			return func(a arrow.Array, i int, v reflect.Value) error {
				v.SetInt(int64(a.(*array.Int8).Value(i)))
				return nil
			}, nil
		case arrow.INT16:
			return func(a arrow.Array, i int, v reflect.Value) error {
				v.SetInt(int64(a.(*array.Int16).Value(i)))
				return nil
			}, nil
		case arrow.INT32:
			return func(a arrow.Array, i int, v reflect.Value) error {
				v.SetInt(int64(a.(*array.Int32).Value(i)))
				return nil
			}, nil
		}
		return func(a arrow.Array, i int, v reflect.Value) error { v.SetInt(a.(*array.Int64).Value(i)); return nil }, nil
	case *arrow.Float32Type:
		if t.Kind() != reflect.Float32 && t.Kind() != reflect.Float64 {
			return wrong()
		}
		return func(a arrow.Array, i int, v reflect.Value) error {
			v.SetFloat(float64(a.(*array.Float32).Value(i)))
			return nil
		}, nil
	case *arrow.Float64Type:
		if t.Kind() != reflect.Float64 {
			return wrong()
		}
		return func(a arrow.Array, i int, v reflect.Value) error { v.SetFloat(a.(*array.Float64).Value(i)); return nil }, nil
	case *arrow.StringType:
		// Cloned, as binary values are copied: the batch's memory is
		// released after the row (and may not be Go memory at all).
		if t.Kind() != reflect.String {
			return wrong()
		}
		return func(a arrow.Array, i int, v reflect.Value) error {
			v.SetString(strings.Clone(a.(*array.String).Value(i)))
			return nil
		}, nil
	case *arrow.BinaryType:
		if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Uint8 {
			return wrong()
		}
		return func(a arrow.Array, i int, v reflect.Value) error {
			// Copied: the batch's buffers are released after the row.
			v.SetBytes(append([]byte{}, a.(*array.Binary).Value(i)...))
			return nil
		}, nil
	case *arrow.Date32Type:
		if t != dateType {
			return wrong()
		}
		return func(a arrow.Array, i int, v reflect.Value) error {
			setAs(v, dateFromDays(int32(a.(*array.Date32).Value(i))))
			return nil
		}, nil
	case *arrow.TimestampType:
		if t != timeType {
			return wrong()
		}
		if ntz := h.TimeZone == ""; ntz != f.ntz {
			if ntz {
				return mismatch("the column is a timestamp without zone (timestamp_ntz): tag the field with the ntz option")
			}
			return mismatch("the column is a timestamp with zone: remove the ntz tag option")
		}
		return func(a arrow.Array, i int, v reflect.Value) error {
			setAs(v, time.UnixMicro(int64(a.(*array.Timestamp).Value(i))).UTC())
			return nil
		}, nil
	case *arrow.Decimal128Type:
		if t != decimalType {
			return mismatch(fmt.Sprintf("a %s column cannot be read into Go type %s: use delta.Decimal", have, t))
		}
		return func(a arrow.Array, i int, v reflect.Value) error {
			setAs(v, Decimal{unscaled: a.(*array.Decimal128).Value(i), scale: h.Scale})
			return nil
		}, nil
	case *arrow.StructType:
		if t.Kind() != reflect.Struct || t == timeType || t == dateType || t == decimalType {
			return wrong()
		}
		return structDecoder(root, path, t, h)
	case *arrow.MapType:
		if t.Kind() != reflect.Map {
			return wrong()
		}
		kdec, err := makeDecoder(root, path+"[key]", column, t.Key(), rowField{}, h.KeyType())
		if err != nil {
			return nil, err
		}
		vdec, err := makeDecoder(root, path+"[value]", column, t.Elem(), f, h.ItemType())
		if err != nil {
			return nil, err
		}
		return func(a arrow.Array, i int, v reflect.Value) error {
			m := a.(*array.Map)
			start, end := m.ValueOffsets(i)
			out := reflect.MakeMapWithSize(t, int(end-start))
			k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
			for j := int(start); j < int(end); j++ {
				k.SetZero()
				e.SetZero()
				if err := kdec(m.Keys(), j, k); err != nil {
					return err
				}
				if err := vdec(m.Items(), j, e); err != nil {
					return err
				}
				out.SetMapIndex(k, e)
			}
			v.Set(out)
			return nil
		}, nil
	case *arrow.ListType:
		if t.Kind() != reflect.Slice {
			return wrong()
		}
		el, err := makeDecoder(root, path+"[]", column, t.Elem(), f, h.Elem())
		if err != nil {
			return nil, err
		}
		return func(a arrow.Array, i int, v reflect.Value) error {
			l := a.(*array.List)
			start, end := l.ValueOffsets(i)
			out := reflect.MakeSlice(t, int(end-start), int(end-start))
			for j := range int(end - start) {
				if err := el(l.ListValues(), int(start)+j, out.Index(j)); err != nil {
					return err
				}
			}
			v.Set(out)
			return nil
		}, nil
	}
	return mismatch(fmt.Sprintf("typed rows cannot read a %s column", have))
}

func structDecoder(root reflect.Type, path string, t reflect.Type, have *arrow.StructType) (decodeFunc, error) {
	fields, err := rowFields(root, t, nil)
	if err != nil {
		return nil, err
	}
	child := make([]int, len(fields))
	decs := make([]decodeFunc, len(fields))
	for j, f := range fields {
		i := -1
		for k, hf := range have.Fields() {
			if strings.EqualFold(hf.Name, f.name) {
				i = k
				break
			}
		}
		if i < 0 {
			return nil, &RowTypeError{Type: root, Field: path + "." + f.goName, Reason: fmt.Sprintf("no field %q in the table's struct %s", f.name, have)}
		}
		dec, err := makeDecoder(root, path+"."+f.goName, have.Field(i).Name, f.typ, f, have.Field(i).Type)
		if err != nil {
			return nil, err
		}
		child[j], decs[j] = i, dec
	}
	return func(a arrow.Array, i int, v reflect.Value) error {
		s := a.(*array.Struct)
		for j, c := range child {
			if err := decs[j](s.Field(c), i, v.FieldByIndex(fields[j].index)); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// intGetter reads an integer column of any width as int64.
func intGetter(id arrow.Type) func(a arrow.Array, i int) int64 {
	switch id {
	case arrow.INT8:
		return func(a arrow.Array, i int) int64 { return int64(a.(*array.Int8).Value(i)) }
	case arrow.INT16:
		return func(a arrow.Array, i int) int64 { return int64(a.(*array.Int16).Value(i)) }
	case arrow.INT32:
		return func(a arrow.Array, i int) int64 { return int64(a.(*array.Int32).Value(i)) }
	}
	return func(a arrow.Array, i int) int64 { return a.(*array.Int64).Value(i) }
}
