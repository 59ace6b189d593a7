package delta

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Typed rows map Go struct fields to columns through the `delta` struct
// tag: `delta:"name,option,…"`. The name defaults to the field name; "-"
// skips the field. Options:
//
//   - partition: the column partitions the table (CreateFor, SchemaOf's
//     partition list)
//   - ntz: a time.Time field is a timestamp without zone (timestamp_ntz)
//   - decimal(p,s): the precision and scale of a Decimal field
//
// Unexported fields are skipped and embedded exported structs are
// flattened, as in encoding/json.

// RowTypeError reports a Go type that does not fit typed rows or the
// table: a field without a column, a column type the field cannot hold, a
// missing tag. It matches ErrSchemaMismatch, or ErrUnsupportedType when
// the Go type has no Delta type at all.
type RowTypeError struct {
	// Type is the Go row type; Field the dotted path of the field in it.
	Type  reflect.Type
	Field string
	// Column is the table column involved, "" when there is none.
	Column string
	// Reason says what does not fit.
	Reason string

	unsupported bool
}

func (e *RowTypeError) Error() string {
	where := fmt.Sprintf("field %s", e.Field)
	if e.Field == "" {
		where = "the type"
	}
	if e.Column != "" {
		where += fmt.Sprintf(" (column %q)", e.Column)
	}
	return fmt.Sprintf("delta: row type %s, %s: %s", e.Type, where, e.Reason)
}

// Is makes errors.Is match ErrSchemaMismatch or ErrUnsupportedType.
func (e *RowTypeError) Is(target error) bool {
	if e.unsupported {
		return target == ErrUnsupportedType || target == ErrInvalidArgument
	}
	return target == ErrSchemaMismatch
}

// rowField is one exported, untagged-away field of a row struct.
type rowField struct {
	goName    string
	name      string // column name
	index     []int
	typ       reflect.Type
	partition bool
	ntz       bool
	decimal   *arrow.Decimal128Type
}

var (
	timeType    = reflect.TypeFor[time.Time]()
	dateType    = reflect.TypeFor[Date]()
	decimalType = reflect.TypeFor[Decimal]()
	bytesType   = reflect.TypeFor[[]byte]()
)

// rowFields lists the columns of a struct type, embedded structs
// flattened.
func rowFields(root reflect.Type, t reflect.Type, prefix []int) ([]rowField, error) {
	var out []rowField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("delta")
		if tag == "-" {
			continue
		}
		index := append(append([]int(nil), prefix...), i)
		if sf.Anonymous && sf.IsExported() && sf.Type.Kind() == reflect.Struct && tag == "" {
			sub, err := rowFields(root, sf.Type, index)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
			continue
		}
		if !sf.IsExported() {
			continue
		}
		f := rowField{goName: sf.Name, name: sf.Name, index: index, typ: sf.Type}
		for n, opt := range splitTag(tag) {
			opt = strings.TrimSpace(opt)
			switch {
			case n == 0:
				if opt != "" {
					f.name = opt
				}
			case opt == "partition":
				f.partition = true
			case opt == "ntz":
				f.ntz = true
			case strings.HasPrefix(opt, "decimal(") && strings.HasSuffix(opt, ")"):
				p, s, ok := strings.Cut(opt[len("decimal("):len(opt)-1], ",")
				prec, err1 := strconv.Atoi(strings.TrimSpace(p))
				scale, err2 := strconv.Atoi(strings.TrimSpace(s))
				if !ok || err1 != nil || err2 != nil || prec < 1 || prec > 38 || scale < 0 || scale > prec {
					return nil, &RowTypeError{Type: root, Field: sf.Name, Reason: fmt.Sprintf("tag option %q: want decimal(p,s) with 1 ≤ p ≤ 38 and 0 ≤ s ≤ p", opt)}
				}
				f.decimal = &arrow.Decimal128Type{Precision: int32(prec), Scale: int32(scale)}
			case opt != "":
				return nil, &RowTypeError{Type: root, Field: sf.Name, Reason: fmt.Sprintf("unknown tag option %q (want partition, ntz or decimal(p,s))", opt)}
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// splitTag splits a tag at commas outside parentheses.
func splitTag(tag string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range tag {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, tag[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, tag[start:])
}

// SchemaOf returns the Arrow schema of a table whose rows are T, a struct
// type, with the partition columns its tags name. Pointer fields, slices
// and maps are nullable; other fields are NOT NULL. See the type table in
// the package documentation.
func SchemaOf[T any]() (*arrow.Schema, []string, error) {
	root := reflect.TypeFor[T]()
	if root.Kind() != reflect.Struct {
		return nil, nil, &RowTypeError{Type: root, Reason: "typed rows need a struct type", unsupported: true}
	}
	fields, err := rowFields(root, root, nil)
	if err != nil {
		return nil, nil, err
	}
	var out []arrow.Field
	var parts []string
	for _, f := range fields {
		af, err := arrowFieldOf(root, f.goName, f)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, af)
		if f.partition {
			parts = append(parts, f.name)
		}
	}
	return arrow.NewSchema(out, nil), parts, nil
}

func arrowFieldOf(root reflect.Type, path string, f rowField) (arrow.Field, error) {
	t, nullable, err := arrowTypeOf(root, path, f.typ, f)
	if err != nil {
		return arrow.Field{}, err
	}
	return arrow.Field{Name: f.name, Type: t, Nullable: nullable}, nil
}

// arrowTypeOf maps a Go type to the Arrow form of its Delta type; f
// carries the tag options of the field it belongs to.
func arrowTypeOf(root reflect.Type, path string, t reflect.Type, f rowField) (arrow.DataType, bool, error) {
	unsupported := func(why string) (arrow.DataType, bool, error) {
		return nil, false, &RowTypeError{Type: root, Field: path, Reason: why, unsupported: true}
	}
	nullable := false
	if t.Kind() == reflect.Pointer {
		t, nullable = t.Elem(), true
	}
	switch t {
	case timeType:
		if f.ntz {
			return protocol.ArrowTimestampNTZ, nullable, nil
		}
		return protocol.ArrowTimestampUTC, nullable, nil
	case dateType:
		return arrow.FixedWidthTypes.Date32, nullable, nil
	case decimalType:
		if f.decimal == nil {
			return unsupported("a Decimal field needs a decimal(p,s) tag option, e.g. `delta:\"price,decimal(10,2)\"`")
		}
		return f.decimal, nullable, nil
	case bytesType:
		return arrow.BinaryTypes.Binary, true, nil
	}
	if f.ntz && t != timeType {
		return unsupported("the ntz tag option applies to time.Time fields only")
	}
	switch t.Kind() {
	case reflect.Bool:
		return arrow.FixedWidthTypes.Boolean, nullable, nil
	case reflect.Int8:
		return arrow.PrimitiveTypes.Int8, nullable, nil
	case reflect.Int16, reflect.Uint8:
		return arrow.PrimitiveTypes.Int16, nullable, nil
	case reflect.Int32, reflect.Uint16:
		return arrow.PrimitiveTypes.Int32, nullable, nil
	case reflect.Int64, reflect.Int, reflect.Uint32:
		return arrow.PrimitiveTypes.Int64, nullable, nil
	case reflect.Float32:
		return arrow.PrimitiveTypes.Float32, nullable, nil
	case reflect.Float64:
		return arrow.PrimitiveTypes.Float64, nullable, nil
	case reflect.String:
		return arrow.BinaryTypes.String, nullable, nil
	case reflect.Uint64, reflect.Uint, reflect.Uintptr:
		return unsupported(fmt.Sprintf("Go type %s has no Delta type; use int64, or Decimal with decimal(20,0) for the full range", t))
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Array {
			return unsupported(fmt.Sprintf("Go array type %s: use a slice", t))
		}
		el, elNull, err := arrowTypeOf(root, path+"[]", t.Elem(), rowField{ntz: f.ntz, decimal: f.decimal})
		if err != nil {
			return nil, false, err
		}
		return arrow.ListOfField(arrow.Field{Name: "element", Type: el, Nullable: elNull}), true, nil
	case reflect.Map:
		if t.Key().Kind() == reflect.Pointer {
			return unsupported("map keys cannot be null: use a non-pointer key type")
		}
		k, _, err := arrowTypeOf(root, path+"[key]", t.Key(), rowField{})
		if err != nil {
			return nil, false, err
		}
		v, vNull, err := arrowTypeOf(root, path+"[value]", t.Elem(), rowField{ntz: f.ntz, decimal: f.decimal})
		if err != nil {
			return nil, false, err
		}
		return arrow.MapOfFields(arrow.Field{Name: "key", Type: k}, arrow.Field{Name: "value", Type: v, Nullable: vNull}), true, nil
	case reflect.Struct:
		fields, err := rowFields(root, t, nil)
		if err != nil {
			return nil, false, err
		}
		out := make([]arrow.Field, 0, len(fields))
		for _, sf := range fields {
			af, err := arrowFieldOf(root, path+"."+sf.goName, sf)
			if err != nil {
				return nil, false, err
			}
			out = append(out, af)
		}
		return arrow.StructOf(out...), nullable, nil
	}
	return unsupported(fmt.Sprintf("Go type %s has no Delta type", t))
}
