package parquetio

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// physicalSchema returns the schema data files are written with: under
// column mapping every field (nested ones too) is renamed to its physical
// name, and in id mode it carries its column-mapping id as a Parquet field
// id. Other metadata is dropped: it belongs to the table, not the file.
func physicalSchema(s *arrow.Schema, mode ColumnMappingMode) (*arrow.Schema, error) {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		pf, err := physicalField(f, mode)
		if err != nil {
			return nil, err
		}
		fields[i] = pf
	}
	return arrow.NewSchema(fields, nil), nil
}

func physicalField(f arrow.Field, mode ColumnMappingMode) (arrow.Field, error) {
	out := arrow.Field{Name: physicalName(f, mode), Nullable: f.Nullable}
	if mode != ColumnMappingNone {
		if _, ok := metaValue(f.Metadata, MetaPhysicalName); !ok {
			return out, fmt.Errorf("%w: column mapping is %s but field %q has no %s", ErrInvalidOptions, mode, f.Name, MetaPhysicalName)
		}
	}
	if mode == ColumnMappingID {
		id, ok := fieldID(f)
		if !ok {
			return out, fmt.Errorf("%w: column mapping is id but field %q has no %s", ErrInvalidOptions, f.Name, MetaColumnID)
		}
		out.Metadata = arrow.NewMetadata([]string{MetaParquetFieldID}, []string{strconv.FormatInt(id, 10)})
	}
	if v, _ := metaValue(f.Metadata, "delta.type"); v == "variant" {
		// A variant is a primitive to Delta: its value/metadata fields
		// have no column mapping of their own.
		out.Type = f.Type
		return out, nil
	}
	t, err := physicalType(f.Type, mode)
	out.Type = t
	return out, err
}

func physicalType(t arrow.DataType, mode ColumnMappingMode) (arrow.DataType, error) {
	switch t := t.(type) {
	case *arrow.StructType:
		fields := make([]arrow.Field, t.NumFields())
		for i, f := range t.Fields() {
			pf, err := physicalField(f, mode)
			if err != nil {
				return nil, err
			}
			fields[i] = pf
		}
		return arrow.StructOf(fields...), nil
	case *arrow.ListType:
		// Spark's three-level list: repeated group "list", field "element".
		et, err := physicalType(t.Elem(), mode)
		if err != nil {
			return nil, err
		}
		return arrow.ListOfField(arrow.Field{Name: "element", Type: et, Nullable: t.ElemField().Nullable}), nil
	case *arrow.MapType:
		kt, err := physicalType(t.KeyType(), mode)
		if err != nil {
			return nil, err
		}
		vt, err := physicalType(t.ItemType(), mode)
		if err != nil {
			return nil, err
		}
		m := arrow.MapOfWithMetadata(kt, arrow.Metadata{}, vt, arrow.Metadata{})
		m.SetItemNullable(t.ItemField().Nullable)
		return m, nil
	default:
		return t, nil
	}
}

// relabel returns arr with type t, which has arr's layout and differs only
// in field names and metadata. Buffers are shared, not copied.
func relabel(arr arrow.Array, t arrow.DataType) arrow.Array {
	data := relabelData(arr.Data(), t)
	defer data.Release()
	return array.MakeFromData(data)
}

func relabelData(d arrow.ArrayData, t arrow.DataType) arrow.ArrayData {
	children := d.Children()
	var childTypes []arrow.DataType
	switch t := t.(type) {
	case *arrow.StructType:
		for _, f := range t.Fields() {
			childTypes = append(childTypes, f.Type)
		}
	case *arrow.ListType:
		childTypes = []arrow.DataType{t.Elem()}
	case *arrow.MapType:
		childTypes = []arrow.DataType{t.Elem()}
	}
	newChildren := make([]arrow.ArrayData, len(children))
	for i, c := range children {
		if i < len(childTypes) {
			newChildren[i] = relabelData(c, childTypes[i])
		} else {
			c.Retain()
			newChildren[i] = c
		}
	}
	out := array.NewData(t, d.Len(), d.Buffers(), newChildren, d.NullN(), d.Offset())
	for _, c := range newChildren {
		c.Release()
	}
	return out
}
