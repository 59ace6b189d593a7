package delta

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// encodeFunc appends one Go value to an Arrow builder.
type encodeFunc func(b array.Builder, v reflect.Value) error

// rowEncoder writes structs of one type as batches of a table's columns:
// one column per struct field, with the table's type. Columns the struct
// lacks are left out; the write fills nullable ones with nulls and
// refuses missing NOT NULL ones.
type rowEncoder struct {
	schema *arrow.Schema // the columns written, in struct field order
	index  [][]int       // struct field of each column
	enc    []encodeFunc
}

type codecKey struct {
	t           reflect.Type
	fingerprint string
}

var encoders sync.Map // codecKey → *rowEncoder

// encoderFor binds row type t to a table schema, cached per pair.
func encoderFor(t reflect.Type, table *arrow.Schema) (*rowEncoder, error) {
	key := codecKey{t, table.Fingerprint()}
	if e, ok := encoders.Load(key); ok {
		return e.(*rowEncoder), nil
	}
	if t.Kind() != reflect.Struct {
		return nil, &RowTypeError{Type: t, Reason: "typed rows need a struct type", unsupported: true}
	}
	fields, err := rowFields(t, t, nil)
	if err != nil {
		return nil, err
	}
	e := &rowEncoder{}
	var cols []arrow.Field
	for _, f := range fields {
		i := fieldIndexFold(table, f.name)
		if i < 0 {
			return nil, &RowTypeError{Type: t, Field: f.goName, Reason: fmt.Sprintf("no column %q in the table (columns: %s)", f.name, strings.Join(schemaNames(table), ", "))}
		}
		col := table.Field(i)
		enc, err := makeEncoder(t, f.goName, col.Name, f.typ, f, col.Type)
		if err != nil {
			return nil, err
		}
		cols = append(cols, col)
		e.index = append(e.index, f.index)
		e.enc = append(e.enc, enc)
	}
	e.schema = arrow.NewSchema(cols, nil)
	encoders.Store(key, e)
	return e, nil
}

func schemaNames(s *arrow.Schema) []string {
	out := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Name
	}
	return out
}

// append adds one row to the record builder.
func (e *rowEncoder) append(b *array.RecordBuilder, row reflect.Value) error {
	for i, enc := range e.enc {
		if err := enc(b.Field(i), row.FieldByIndex(e.index[i])); err != nil {
			return fmt.Errorf("delta: column %q: %w", e.schema.Field(i).Name, err)
		}
	}
	return nil
}

// intWidth is the bit width of an integer kind, with unsigned kinds
// counted one bit wider (they need the next signed type).
func intWidth(k reflect.Kind) int {
	switch k {
	case reflect.Int8:
		return 8
	case reflect.Int16:
		return 16
	case reflect.Int32:
		return 32
	case reflect.Int64, reflect.Int:
		return 64
	case reflect.Uint8:
		return 9
	case reflect.Uint16:
		return 17
	case reflect.Uint32:
		return 33
	}
	return 0
}

func arrowIntWidth(id arrow.Type) int {
	switch id {
	case arrow.INT8:
		return 8
	case arrow.INT16:
		return 16
	case arrow.INT32:
		return 32
	case arrow.INT64:
		return 64
	}
	return 0
}

// goInt reads any integer kind as int64.
func goInt(v reflect.Value) int64 {
	if v.CanInt() {
		return v.Int()
	}
	return int64(v.Uint())
}

// makeEncoder returns the encoder of Go type t into Arrow type want, or a
// RowTypeError when t cannot hold the column's values.
func makeEncoder(root reflect.Type, path, column string, t reflect.Type, f rowField, want arrow.DataType) (encodeFunc, error) {
	mismatch := func(why string) (encodeFunc, error) {
		return nil, &RowTypeError{Type: root, Field: path, Column: column, Reason: why}
	}
	if t.Kind() == reflect.Pointer {
		inner, err := makeEncoder(root, path, column, t.Elem(), f, want)
		if err != nil {
			return nil, err
		}
		return func(b array.Builder, v reflect.Value) error {
			if v.IsNil() {
				b.AppendNull()
				return nil
			}
			return inner(b, v.Elem())
		}, nil
	}
	wrong := func() (encodeFunc, error) {
		return mismatch(fmt.Sprintf("Go type %s cannot be written to a %s column", t, want))
	}
	switch w := want.(type) {
	case *arrow.BooleanType:
		if t.Kind() != reflect.Bool {
			return wrong()
		}
		return func(b array.Builder, v reflect.Value) error { b.(*array.BooleanBuilder).Append(v.Bool()); return nil }, nil
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		gw := intWidth(t.Kind())
		if gw == 0 || gw > arrowIntWidth(want.ID()) {
			return wrong()
		}
		switch want.ID() {
		case arrow.INT8:
			return func(b array.Builder, v reflect.Value) error {
				b.(*array.Int8Builder).Append(int8(goInt(v)))
				return nil
			}, nil
		case arrow.INT16:
			return func(b array.Builder, v reflect.Value) error {
				b.(*array.Int16Builder).Append(int16(goInt(v)))
				return nil
			}, nil
		case arrow.INT32:
			return func(b array.Builder, v reflect.Value) error {
				b.(*array.Int32Builder).Append(int32(goInt(v)))
				return nil
			}, nil
		}
		return func(b array.Builder, v reflect.Value) error { b.(*array.Int64Builder).Append(goInt(v)); return nil }, nil
	case *arrow.Float32Type:
		if t.Kind() != reflect.Float32 {
			return wrong()
		}
		return func(b array.Builder, v reflect.Value) error {
			b.(*array.Float32Builder).Append(float32(v.Float()))
			return nil
		}, nil
	case *arrow.Float64Type:
		if t.Kind() != reflect.Float32 && t.Kind() != reflect.Float64 {
			return wrong()
		}
		return func(b array.Builder, v reflect.Value) error { b.(*array.Float64Builder).Append(v.Float()); return nil }, nil
	case *arrow.StringType:
		if t.Kind() != reflect.String {
			return wrong()
		}
		return func(b array.Builder, v reflect.Value) error { b.(*array.StringBuilder).Append(v.String()); return nil }, nil
	case *arrow.BinaryType:
		if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Uint8 {
			return wrong()
		}
		return func(b array.Builder, v reflect.Value) error {
			if v.IsNil() {
				b.AppendNull()
			} else {
				b.(*array.BinaryBuilder).Append(v.Bytes())
			}
			return nil
		}, nil
	case *arrow.Date32Type:
		if t != dateType {
			return wrong()
		}
		return func(b array.Builder, v reflect.Value) error {
			b.(*array.Date32Builder).Append(arrow.Date32(valueAs[Date](v).days()))
			return nil
		}, nil
	case *arrow.TimestampType:
		if t != timeType {
			return wrong()
		}
		if ntz := w.TimeZone == ""; ntz != f.ntz {
			if ntz {
				return mismatch("the column is a timestamp without zone (timestamp_ntz): tag the field with the ntz option")
			}
			return mismatch("the column is a timestamp with zone: remove the ntz tag option")
		}
		return timeEncoder(w.TimeZone == ""), nil
	case *arrow.Decimal128Type:
		if t != decimalType {
			return mismatch(fmt.Sprintf("Go type %s cannot be written to a %s column: use delta.Decimal", t, want))
		}
		return func(b array.Builder, v reflect.Value) error {
			n, err := valueAs[Decimal](v).to(w.Precision, w.Scale)
			if err != nil {
				return err
			}
			b.(*array.Decimal128Builder).Append(n)
			return nil
		}, nil
	case *arrow.StructType:
		if t.Kind() != reflect.Struct || t == timeType || t == dateType || t == decimalType {
			return wrong()
		}
		return structEncoder(root, path, t, w)
	case *arrow.MapType:
		if t.Kind() != reflect.Map {
			return wrong()
		}
		return mapEncoder(root, path, column, t, f, w)
	case *arrow.ListType:
		if t.Kind() != reflect.Slice {
			return wrong()
		}
		el, err := makeEncoder(root, path+"[]", column, t.Elem(), f, w.Elem())
		if err != nil {
			return nil, err
		}
		return func(b array.Builder, v reflect.Value) error {
			lb := b.(*array.ListBuilder)
			if v.IsNil() {
				lb.AppendNull()
				return nil
			}
			lb.Append(true)
			vb := lb.ValueBuilder()
			for i := 0; i < v.Len(); i++ {
				if err := el(vb, v.Index(i)); err != nil {
					return err
				}
			}
			return nil
		}, nil
	}
	return mismatch(fmt.Sprintf("typed rows cannot write a %s column", want))
}

// timeEncoder writes a time.Time as microseconds, truncating finer digits.
// A timestamp without zone stores the wall clock as if it were UTC.
func timeEncoder(ntz bool) encodeFunc {
	return func(b array.Builder, v reflect.Value) error {
		tm := valueAs[time.Time](v)
		if ntz {
			tm = wallClockUTC(tm)
		}
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(tm.UnixMicro()))
		return nil
	}
}

func structEncoder(root reflect.Type, path string, t reflect.Type, want *arrow.StructType) (encodeFunc, error) {
	fields, err := rowFields(root, t, nil)
	if err != nil {
		return nil, err
	}
	child := make([]int, want.NumFields()) // want child → Go field (-1: none)
	encs := make([]encodeFunc, want.NumFields())
	for i := range child {
		child[i] = -1
	}
	for j, f := range fields {
		i := -1
		for k, wf := range want.Fields() {
			if strings.EqualFold(wf.Name, f.name) {
				i = k
				break
			}
		}
		if i < 0 {
			return nil, &RowTypeError{Type: root, Field: path + "." + f.goName, Reason: fmt.Sprintf("no field %q in the table's struct %s", f.name, want)}
		}
		enc, err := makeEncoder(root, path+"."+f.goName, want.Field(i).Name, f.typ, f, want.Field(i).Type)
		if err != nil {
			return nil, err
		}
		child[i], encs[i] = j, enc
	}
	for i, wf := range want.Fields() {
		if child[i] < 0 && !wf.Nullable {
			return nil, &RowTypeError{Type: root, Field: path, Reason: fmt.Sprintf("no field for the NOT NULL struct field %q", wf.Name)}
		}
	}
	return func(b array.Builder, v reflect.Value) error {
		sb := b.(*array.StructBuilder)
		sb.Append(true)
		for i, j := range child {
			if j < 0 {
				sb.FieldBuilder(i).AppendNull()
				continue
			}
			if err := encs[i](sb.FieldBuilder(i), v.FieldByIndex(fields[j].index)); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func mapEncoder(root reflect.Type, path, column string, t reflect.Type, f rowField, want *arrow.MapType) (encodeFunc, error) {
	kenc, err := makeEncoder(root, path+"[key]", column, t.Key(), rowField{}, want.KeyType())
	if err != nil {
		return nil, err
	}
	venc, err := makeEncoder(root, path+"[value]", column, t.Elem(), f, want.ItemType())
	if err != nil {
		return nil, err
	}
	return func(b array.Builder, v reflect.Value) error {
		mb := b.(*array.MapBuilder)
		if v.IsNil() {
			mb.AppendNull()
			return nil
		}
		mb.Append(true)
		keys := v.MapKeys()
		sortKeys(keys) // deterministic files for equal maps
		for _, k := range keys {
			if err := kenc(mb.KeyBuilder(), k); err != nil {
				return err
			}
			if err := venc(mb.ItemBuilder(), v.MapIndex(k)); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// valueAs reads a Go value of a known type without boxing it when v is
// addressable (row fields and slice elements; map values are not).
func valueAs[T any](v reflect.Value) T {
	if v.CanAddr() {
		return *v.Addr().Interface().(*T)
	}
	return v.Interface().(T)
}

// setAs stores x in v, which decoders always get addressable, without
// boxing x.
func setAs[T any](v reflect.Value, x T) { *v.Addr().Interface().(*T) = x }

// sortKeys orders string and integer map keys; others keep map order.
func sortKeys(keys []reflect.Value) {
	if len(keys) < 2 {
		return
	}
	switch {
	case keys[0].Kind() == reflect.String:
		slices.SortFunc(keys, func(a, b reflect.Value) int { return cmp.Compare(a.String(), b.String()) })
	case keys[0].CanInt():
		slices.SortFunc(keys, func(a, b reflect.Value) int { return cmp.Compare(a.Int(), b.Int()) })
	case keys[0].CanUint():
		slices.SortFunc(keys, func(a, b reflect.Value) int { return cmp.Compare(a.Uint(), b.Uint()) })
	}
}
