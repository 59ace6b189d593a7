package protocol

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// Arrow field metadata keys. Delta column metadata travels on Arrow fields
// under its own keys; string values are stored unquoted, any other JSON
// value (numbers, arrays) as its JSON text. MetaDeltaType marks Delta types
// whose Arrow form is ambiguous (variant).
const MetaDeltaType = "delta.type"

// ArrowTimestampUTC and ArrowTimestampNTZ are the Arrow forms of Delta's
// timestamp types: microseconds, with and without a time zone.
var (
	ArrowTimestampUTC = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	ArrowTimestampNTZ = &arrow.TimestampType{Unit: arrow.Microsecond}
)

// ArrowVariant is the Arrow form of a variant value: its binary value and
// metadata, as the parquet variant encoding stores them.
func ArrowVariant() *arrow.StructType {
	return arrow.StructOf(
		arrow.Field{Name: "value", Type: arrow.BinaryTypes.Binary},
		arrow.Field{Name: "metadata", Type: arrow.BinaryTypes.Binary},
	)
}

// ToArrowSchema converts a Delta schema to Arrow, carrying column metadata.
func ToArrowSchema(s *StructType) (*arrow.Schema, error) {
	fields, err := toArrowFields(s.Fields)
	if err != nil {
		return nil, err
	}
	return arrow.NewSchema(fields, nil), nil
}

func toArrowFields(fs []*StructField) ([]arrow.Field, error) {
	out := make([]arrow.Field, len(fs))
	for i, f := range fs {
		af, err := ToArrowField(f)
		if err != nil {
			return nil, err
		}
		out[i] = af
	}
	return out, nil
}

// ToArrowField converts one Delta field.
func ToArrowField(f *StructField) (arrow.Field, error) {
	t, err := ToArrowType(f.Type)
	if err != nil {
		return arrow.Field{}, fmt.Errorf("protocol: column %q: %w", f.Name, err)
	}
	keys := sortedKeys(f.Metadata)
	vals := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		raw := f.Metadata[k]
		var s string
		if json.Unmarshal(raw, &s) == nil {
			vals = append(vals, s)
		} else {
			vals = append(vals, string(raw))
		}
	}
	if f.Type == TypeVariant {
		keys = append(keys, MetaDeltaType)
		vals = append(vals, string(TypeVariant))
	}
	var md arrow.Metadata
	if len(keys) > 0 {
		md = arrow.NewMetadata(keys, vals)
	}
	return arrow.Field{Name: f.Name, Type: t, Nullable: f.Nullable, Metadata: md}, nil
}

// ToArrowType converts a Delta type to its Arrow form.
func ToArrowType(t DataType) (arrow.DataType, error) {
	switch v := t.(type) {
	case PrimitiveType:
		switch v {
		case TypeString:
			return arrow.BinaryTypes.String, nil
		case TypeLong:
			return arrow.PrimitiveTypes.Int64, nil
		case TypeInteger:
			return arrow.PrimitiveTypes.Int32, nil
		case TypeShort:
			return arrow.PrimitiveTypes.Int16, nil
		case TypeByte:
			return arrow.PrimitiveTypes.Int8, nil
		case TypeFloat:
			return arrow.PrimitiveTypes.Float32, nil
		case TypeDouble:
			return arrow.PrimitiveTypes.Float64, nil
		case TypeBoolean:
			return arrow.FixedWidthTypes.Boolean, nil
		case TypeBinary:
			return arrow.BinaryTypes.Binary, nil
		case TypeDate:
			return arrow.FixedWidthTypes.Date32, nil
		case TypeTimestamp:
			return ArrowTimestampUTC, nil
		case TypeTimestampNTZ:
			return ArrowTimestampNTZ, nil
		case TypeVariant:
			return ArrowVariant(), nil
		case TypeVoid:
			return arrow.Null, nil
		}
		if p, s, ok := v.Decimal(); ok {
			return &arrow.Decimal128Type{Precision: p, Scale: s}, nil
		}
		return nil, fmt.Errorf("%w: unknown type %q", ErrMalformed, string(v))
	case *StructType:
		fields, err := toArrowFields(v.Fields)
		if err != nil {
			return nil, err
		}
		return arrow.StructOf(fields...), nil
	case *ArrayType:
		el, err := ToArrowType(v.ElementType)
		if err != nil {
			return nil, err
		}
		return arrow.ListOfField(arrow.Field{Name: "element", Type: el, Nullable: v.ContainsNull, Metadata: variantMark(v.ElementType)}), nil
	case *MapType:
		k, err := ToArrowType(v.KeyType)
		if err != nil {
			return nil, err
		}
		val, err := ToArrowType(v.ValueType)
		if err != nil {
			return nil, err
		}
		mt := arrow.MapOfFields(
			arrow.Field{Name: "key", Type: k, Metadata: variantMark(v.KeyType)},
			arrow.Field{Name: "value", Type: val, Nullable: v.ValueContainsNull, Metadata: variantMark(v.ValueType)},
		)
		return mt, nil
	}
	return nil, fmt.Errorf("protocol: unknown Delta type %T", t)
}

// variantMark is the field metadata that marks a variant-typed list
// element or map key/value (top-level and struct fields get it in
// ToArrowField).
func variantMark(t DataType) arrow.Metadata {
	if t == TypeVariant {
		return arrow.NewMetadata([]string{MetaDeltaType}, []string{string(TypeVariant)})
	}
	return arrow.Metadata{}
}

// FromArrowSchema converts an Arrow schema to a Delta schema. Field
// metadata under Delta keys becomes column metadata; unsigned integers,
// large and view types map to the nearest Delta type that holds every
// value, and anything else is an error naming the column.
func FromArrowSchema(s *arrow.Schema) (*StructType, error) {
	st := &StructType{Fields: make([]*StructField, 0, s.NumFields())}
	for _, f := range s.Fields() {
		df, err := FromArrowField(f)
		if err != nil {
			return nil, err
		}
		st.Fields = append(st.Fields, df)
	}
	return st, nil
}

// FromArrowField converts one Arrow field.
func FromArrowField(f arrow.Field) (*StructField, error) {
	var t DataType
	var err error
	if v, ok := f.Metadata.GetValue(MetaDeltaType); ok && v == string(TypeVariant) {
		t = TypeVariant
	} else if t, err = FromArrowType(f.Type); err != nil {
		var ute *UnsupportedTypeError
		if errors.As(err, &ute) {
			// Name the column by its full path, innermost last.
			if ute.Column == "" {
				ute.Column = f.Name
			} else {
				ute.Column = f.Name + "." + ute.Column
			}
			return nil, ute
		}
		return nil, fmt.Errorf("protocol: column %q: %w", f.Name, err)
	}
	df := &StructField{Name: f.Name, Type: t, Nullable: f.Nullable}
	keys, vals := f.Metadata.Keys(), f.Metadata.Values()
	for i, k := range keys {
		if k == MetaDeltaType || isArrowInternalKey(k) {
			continue
		}
		if df.Metadata == nil {
			df.Metadata = map[string]json.RawMessage{}
		}
		df.Metadata[k] = metadataValueJSON(k, vals[i])
	}
	return df, nil
}

func isArrowInternalKey(k string) bool {
	return k == "PARQUET:field_id" || k == "ARROW:extension:name" || k == "ARROW:extension:metadata"
}

// metadataValueJSON restores the JSON form of a metadata value that came
// through Arrow as a string: keys Delta defines as numeric, boolean or
// structured stay so; everything else is a JSON string.
func metadataValueJSON(key, val string) json.RawMessage {
	structured := slices.Contains([]string{
		MetaColumnID, MetaTypeChanges, "delta.identity.start", "delta.identity.step",
		"delta.identity.highWaterMark", "delta.identity.allowExplicitInsert",
		"delta.invariants", "parquet.field.id", "delta.columnMapping.nested.ids",
	}, key)
	if structured && json.Valid([]byte(val)) {
		return json.RawMessage(val)
	}
	b, _ := marshalJSON(val)
	return b
}

// fromArrowElement converts a list element or map key/value field,
// honouring the variant mark.
func fromArrowElement(f arrow.Field) (DataType, error) {
	if v, ok := f.Metadata.GetValue(MetaDeltaType); ok && v == string(TypeVariant) {
		return TypeVariant, nil
	}
	return FromArrowType(f.Type)
}

// FromArrowType converts an Arrow type to a Delta type.
func FromArrowType(t arrow.DataType) (DataType, error) {
	switch v := t.(type) {
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return TypeString, nil
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return TypeBinary, nil
	case *arrow.Int64Type:
		return TypeLong, nil
	case *arrow.Int32Type, *arrow.Uint16Type:
		return TypeInteger, nil
	case *arrow.Int16Type, *arrow.Uint8Type:
		return TypeShort, nil
	case *arrow.Int8Type:
		return TypeByte, nil
	case *arrow.Uint32Type:
		return TypeLong, nil
	case *arrow.Uint64Type:
		return DecimalType(20, 0), nil
	case *arrow.Float16Type, *arrow.Float32Type:
		return TypeFloat, nil
	case *arrow.Float64Type:
		return TypeDouble, nil
	case *arrow.BooleanType:
		return TypeBoolean, nil
	case *arrow.Date32Type, *arrow.Date64Type:
		return TypeDate, nil
	case *arrow.TimestampType:
		if v.TimeZone == "" {
			return TypeTimestampNTZ, nil
		}
		return TypeTimestamp, nil
	case *arrow.Decimal128Type:
		return DecimalType(v.Precision, v.Scale), nil
	case *arrow.Decimal32Type:
		return DecimalType(v.Precision, v.Scale), nil
	case *arrow.Decimal64Type:
		return DecimalType(v.Precision, v.Scale), nil
	case *arrow.Decimal256Type:
		if v.Precision <= 38 {
			return DecimalType(v.Precision, v.Scale), nil
		}
		return nil, &UnsupportedTypeError{Type: t, Alternative: "Delta decimals hold at most 38 digits; use decimal128 with precision at most 38, or string"}
	case *arrow.DictionaryType:
		// Written decoded: the table stores the values.
		return FromArrowType(v.ValueType)
	case *arrow.NullType:
		return TypeVoid, nil
	case *arrow.StructType:
		st := &StructType{Fields: make([]*StructField, 0, v.NumFields())}
		for _, f := range v.Fields() {
			df, err := FromArrowField(f)
			if err != nil {
				return nil, err
			}
			st.Fields = append(st.Fields, df)
		}
		return st, nil
	case *arrow.MapType:
		k, err := fromArrowElement(v.KeyField())
		if err != nil {
			return nil, err
		}
		val, err := fromArrowElement(v.ItemField())
		if err != nil {
			return nil, err
		}
		return &MapType{KeyType: k, ValueType: val, ValueContainsNull: v.ItemField().Nullable}, nil
	case *arrow.ListType, *arrow.LargeListType:
		ll := v.(arrow.ListLikeType)
		el, err := fromArrowElement(ll.ElemField())
		if err != nil {
			return nil, err
		}
		return &ArrayType{ElementType: el, ContainsNull: ll.ElemField().Nullable}, nil
	}
	return nil, &UnsupportedTypeError{Type: t, Alternative: arrowAlternative(t)}
}

// UnsupportedTypeError is an Arrow type with no Delta type. It matches
// ErrUnsupportedType.
type UnsupportedTypeError struct {
	// Column is the dotted path of the column, when known.
	Column string
	// Type is the Arrow type.
	Type arrow.DataType
	// Alternative says what to use instead ("" when nothing fits).
	Alternative string
}

func (e *UnsupportedTypeError) Error() string {
	msg := "protocol: "
	if e.Column != "" {
		msg += fmt.Sprintf("column %q: ", e.Column)
	}
	msg += fmt.Sprintf("Arrow type %s has no Delta equivalent", e.Type)
	if e.Alternative != "" {
		msg += "; " + e.Alternative
	}
	return msg
}

// Is makes errors.Is(err, ErrUnsupportedType) hold.
func (e *UnsupportedTypeError) Is(target error) bool { return target == ErrUnsupportedType }

// arrowAlternative names what to use instead of an Arrow type Delta has
// no type for.
func arrowAlternative(t arrow.DataType) string {
	switch t.ID() {
	case arrow.TIME32, arrow.TIME64:
		return "store the time of day as long (microseconds since midnight) or string"
	case arrow.DURATION:
		return "store durations as long (e.g. microseconds)"
	case arrow.INTERVAL_MONTHS, arrow.INTERVAL_DAY_TIME, arrow.INTERVAL_MONTH_DAY_NANO:
		return "store intervals as a struct of long fields or as string"
	case arrow.SPARSE_UNION, arrow.DENSE_UNION:
		return "use a struct with one nullable field per member"
	case arrow.LIST_VIEW, arrow.LARGE_LIST_VIEW, arrow.FIXED_SIZE_LIST:
		return "use list (Delta arrays are variable-length lists)"
	case arrow.RUN_END_ENCODED:
		return "decode the run-end encoding to its value type"
	case arrow.EXTENSION:
		return "use the extension's storage type"
	}
	return ""
}
