package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DataType is a Delta schema type: a PrimitiveType, *StructType,
// *ArrayType or *MapType.
type DataType interface {
	// deltaType marks the closed set of Delta types.
	deltaType()
	// String renders the type as Spark's simple string ("decimal(10,2)").
	String() string
}

// PrimitiveType is a Delta primitive type name, decimals included as
// "decimal(p,s)".
type PrimitiveType string

// The Delta primitive types.
const (
	TypeString       PrimitiveType = "string"
	TypeLong         PrimitiveType = "long"
	TypeInteger      PrimitiveType = "integer"
	TypeShort        PrimitiveType = "short"
	TypeByte         PrimitiveType = "byte"
	TypeFloat        PrimitiveType = "float"
	TypeDouble       PrimitiveType = "double"
	TypeBoolean      PrimitiveType = "boolean"
	TypeBinary       PrimitiveType = "binary"
	TypeDate         PrimitiveType = "date"
	TypeTimestamp    PrimitiveType = "timestamp"
	TypeTimestampNTZ PrimitiveType = "timestamp_ntz"
	TypeVariant      PrimitiveType = "variant"
	TypeVoid         PrimitiveType = "void"
)

func (PrimitiveType) deltaType()       {}
func (p PrimitiveType) String() string { return string(p) }

var decimalRE = regexp.MustCompile(`^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$`)

// Decimal returns precision and scale if p is a decimal type.
func (p PrimitiveType) Decimal() (precision, scale int32, ok bool) {
	if p == "decimal" {
		return 10, 0, true // Spark's default DecimalType
	}
	m := decimalRE.FindStringSubmatch(string(p))
	if m == nil {
		return 0, 0, false
	}
	pr, _ := strconv.Atoi(m[1])
	sc, _ := strconv.Atoi(m[2])
	return int32(pr), int32(sc), true
}

// DecimalType builds the primitive name of a decimal type.
func DecimalType(precision, scale int32) PrimitiveType {
	return PrimitiveType(fmt.Sprintf("decimal(%d,%d)", precision, scale))
}

func (p PrimitiveType) valid() bool {
	switch p {
	case TypeString, TypeLong, TypeInteger, TypeShort, TypeByte, TypeFloat, TypeDouble,
		TypeBoolean, TypeBinary, TypeDate, TypeTimestamp, TypeTimestampNTZ, TypeVariant, TypeVoid:
		return true
	}
	pr, sc, ok := p.Decimal()
	return ok && pr >= 1 && pr <= 38 && sc >= 0 && sc <= pr
}

// StructField is one (possibly nested) column.
type StructField struct {
	Name     string
	Type     DataType
	Nullable bool
	// Metadata keeps every metadata value as raw JSON so it round-trips
	// byte for byte (ids are numbers, comments strings, typeChanges arrays).
	Metadata map[string]json.RawMessage
}

// MetadataString returns a string-valued metadata entry.
func (f *StructField) MetadataString(key string) (string, bool) {
	raw, ok := f.Metadata[key]
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	return string(raw), true
}

// MetadataInt returns an integer-valued metadata entry.
func (f *StructField) MetadataInt(key string) (int64, bool) {
	raw, ok := f.Metadata[key]
	if !ok {
		return 0, false
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		n = json.Number(s)
	}
	i, err := n.Int64()
	return i, err == nil
}

// Column-mapping metadata keys.
const (
	MetaPhysicalName = "delta.columnMapping.physicalName"
	MetaColumnID     = "delta.columnMapping.id"
	MetaTypeChanges  = "delta.typeChanges"
	MetaGeneration   = "delta.generationExpression"
	MetaComment      = "comment"
)

// PhysicalName is the name of the field in data files under column mapping
// mode (name or id); the logical name otherwise or when unset.
func (f *StructField) PhysicalName(mode ColumnMappingMode) string {
	if mode != ColumnMappingNone {
		if s, ok := f.MetadataString(MetaPhysicalName); ok && s != "" {
			return s
		}
	}
	return f.Name
}

// StructType is a struct: the table schema or a nested struct column.
type StructType struct {
	Fields []*StructField
}

func (*StructType) deltaType() {}

// String renders "struct<a:int,b:string>".
func (s *StructType) String() string {
	parts := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		parts[i] = f.Name + ":" + f.Type.String()
	}
	return "struct<" + strings.Join(parts, ",") + ">"
}

// Field returns the field with the given name: an exact match first,
// otherwise a case-insensitive one (Delta column names are unique
// regardless of case).
func (s *StructType) Field(name string) (*StructField, int) {
	for i, f := range s.Fields {
		if f.Name == name {
			return f, i
		}
	}
	for i, f := range s.Fields {
		if strings.EqualFold(f.Name, name) {
			return f, i
		}
	}
	return nil, -1
}

// ArrayType is a Delta array.
type ArrayType struct {
	ElementType  DataType
	ContainsNull bool
}

func (*ArrayType) deltaType()       {}
func (a *ArrayType) String() string { return "array<" + a.ElementType.String() + ">" }

// MapType is a Delta map.
type MapType struct {
	KeyType           DataType
	ValueType         DataType
	ValueContainsNull bool
}

func (*MapType) deltaType() {}
func (m *MapType) String() string {
	return "map<" + m.KeyType.String() + "," + m.ValueType.String() + ">"
}

// ParseSchema decodes a schemaString.
func ParseSchema(schemaString string) (*StructType, error) {
	dec := json.NewDecoder(strings.NewReader(schemaString))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: schema: %v", ErrMalformed, err)
	}
	t, err := parseType(raw, "")
	if err != nil {
		return nil, err
	}
	st, ok := t.(*StructType)
	if !ok {
		return nil, fmt.Errorf("%w: schema: top level is %s, not a struct", ErrMalformed, t)
	}
	return st, nil
}

func parseType(raw any, path string) (DataType, error) {
	switch v := raw.(type) {
	case string:
		p := PrimitiveType(strings.TrimSpace(v))
		if !p.valid() {
			return nil, fmt.Errorf("%w: schema: unknown type %q at %q", ErrMalformed, v, path)
		}
		return p, nil
	case map[string]any:
		kind, _ := v["type"].(string)
		switch kind {
		case "struct":
			fields, ok := v["fields"].([]any)
			if !ok && v["fields"] != nil {
				return nil, fmt.Errorf("%w: schema: struct fields at %q are not a list", ErrMalformed, path)
			}
			st := &StructType{Fields: make([]*StructField, 0, len(fields))}
			for _, rf := range fields {
				f, err := parseField(rf, path)
				if err != nil {
					return nil, err
				}
				st.Fields = append(st.Fields, f)
			}
			return st, nil
		case "array":
			el, err := parseType(v["elementType"], path+".element")
			if err != nil {
				return nil, err
			}
			cn, _ := v["containsNull"].(bool)
			return &ArrayType{ElementType: el, ContainsNull: cn}, nil
		case "map":
			k, err := parseType(v["keyType"], path+".key")
			if err != nil {
				return nil, err
			}
			val, err := parseType(v["valueType"], path+".value")
			if err != nil {
				return nil, err
			}
			vcn, _ := v["valueContainsNull"].(bool)
			return &MapType{KeyType: k, ValueType: val, ValueContainsNull: vcn}, nil
		}
		return nil, fmt.Errorf("%w: schema: unknown complex type %q at %q", ErrMalformed, kind, path)
	}
	return nil, fmt.Errorf("%w: schema: unexpected %T at %q", ErrMalformed, raw, path)
}

func parseField(raw any, parent string) (*StructField, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: schema: field at %q is not an object", ErrMalformed, parent)
	}
	name, ok := m["name"].(string)
	if !ok {
		return nil, fmt.Errorf("%w: schema: field without a name under %q", ErrMalformed, parent)
	}
	path := name
	if parent != "" {
		path = parent + "." + name
	}
	t, err := parseType(m["type"], path)
	if err != nil {
		return nil, err
	}
	f := &StructField{Name: name, Type: t, Nullable: true}
	if n, ok := m["nullable"].(bool); ok {
		f.Nullable = n
	}
	if md, ok := m["metadata"].(map[string]any); ok && len(md) > 0 {
		f.Metadata = make(map[string]json.RawMessage, len(md))
		for k, val := range md {
			b, err := marshalJSON(val)
			if err != nil {
				return nil, fmt.Errorf("%w: schema: metadata %q of %q: %v", ErrMalformed, k, path, err)
			}
			f.Metadata[k] = b
		}
	}
	return f, nil
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// MarshalSchema encodes a schema as a schemaString, in the field order and
// form Spark writes.
func MarshalSchema(s *StructType) (string, error) {
	var buf bytes.Buffer
	if err := writeType(&buf, s); err != nil {
		return "", err
	}
	return buf.String(), nil
}

func writeType(buf *bytes.Buffer, t DataType) error {
	switch v := t.(type) {
	case PrimitiveType:
		b, _ := marshalJSON(string(v))
		buf.Write(b)
	case *StructType:
		buf.WriteString(`{"type":"struct","fields":[`)
		for i, f := range v.Fields {
			if i > 0 {
				buf.WriteByte(',')
			}
			name, _ := marshalJSON(f.Name)
			buf.WriteString(`{"name":`)
			buf.Write(name)
			buf.WriteString(`,"type":`)
			if err := writeType(buf, f.Type); err != nil {
				return err
			}
			fmt.Fprintf(buf, `,"nullable":%t,"metadata":{`, f.Nullable)
			keys := sortedKeys(f.Metadata)
			for j, k := range keys {
				if j > 0 {
					buf.WriteByte(',')
				}
				kb, _ := marshalJSON(k)
				buf.Write(kb)
				buf.WriteByte(':')
				buf.Write(f.Metadata[k])
			}
			buf.WriteString("}}")
		}
		buf.WriteString("]}")
	case *ArrayType:
		buf.WriteString(`{"type":"array","elementType":`)
		if err := writeType(buf, v.ElementType); err != nil {
			return err
		}
		fmt.Fprintf(buf, `,"containsNull":%t}`, v.ContainsNull)
	case *MapType:
		buf.WriteString(`{"type":"map","keyType":`)
		if err := writeType(buf, v.KeyType); err != nil {
			return err
		}
		buf.WriteString(`,"valueType":`)
		if err := writeType(buf, v.ValueType); err != nil {
			return err
		}
		fmt.Fprintf(buf, `,"valueContainsNull":%t}`, v.ValueContainsNull)
	default:
		return fmt.Errorf("protocol: cannot encode type %T", t)
	}
	return nil
}
