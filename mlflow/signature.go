package mlflow

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// colSpec is one entry of an MLflow column-based schema, the JSON that the
// MLmodel signature embeds (mlflow/types/schema.py ColSpec.to_dict).
type colSpec struct {
	Type       string              `json:"type"`
	Name       string              `json:"name,omitempty"`
	Required   *bool               `json:"required,omitempty"`
	Items      *colSpec            `json:"items,omitempty"`
	Properties map[string]*colSpec `json:"properties,omitempty"`
	Values     *colSpec            `json:"values,omitempty"`
	// TensorSpec fields, only read.
	TensorSpec *struct {
		Dtype string  `json:"dtype"`
		Shape []int64 `json:"shape"`
	} `json:"tensor-spec,omitempty"`
}

// arrowToColSpec maps an Arrow type to MLflow's data types: boolean,
// integer (int8..int32), long, float, double, string, binary, datetime,
// and the composite array / object / map.
func arrowToColSpec(t arrow.DataType) (*colSpec, error) {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return &colSpec{Type: "boolean"}, nil
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Uint8Type, *arrow.Uint16Type:
		return &colSpec{Type: "integer"}, nil
	case *arrow.Int64Type, *arrow.Uint32Type:
		return &colSpec{Type: "long"}, nil
	case *arrow.Float16Type, *arrow.Float32Type:
		return &colSpec{Type: "float"}, nil
	case *arrow.Float64Type:
		return &colSpec{Type: "double"}, nil
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return &colSpec{Type: "string"}, nil
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return &colSpec{Type: "binary"}, nil
	case *arrow.TimestampType, *arrow.Date32Type, *arrow.Date64Type:
		return &colSpec{Type: "datetime"}, nil
	case arrow.ListLikeType:
		if _, isMap := t.(*arrow.MapType); isMap {
			mt := t.(*arrow.MapType)
			if mt.KeyType().ID() != arrow.STRING {
				return nil, fmt.Errorf("mlflow: map keys must be strings for an MLflow signature, got %s", mt.KeyType())
			}
			v, err := arrowToColSpec(mt.ItemType())
			if err != nil {
				return nil, err
			}
			return &colSpec{Type: "map", Values: v}, nil
		}
		it, err := arrowToColSpec(t.Elem())
		if err != nil {
			return nil, err
		}
		return &colSpec{Type: "array", Items: it}, nil
	case *arrow.StructType:
		props := map[string]*colSpec{}
		for _, f := range t.Fields() {
			p, err := arrowToColSpec(f.Type)
			if err != nil {
				return nil, err
			}
			req := !f.Nullable
			p.Required = &req
			props[f.Name] = p
		}
		return &colSpec{Type: "object", Properties: props}, nil
	}
	return nil, fmt.Errorf("mlflow: Arrow type %s has no MLflow signature type", t)
}

func colSpecToArrow(c *colSpec) (arrow.DataType, error) {
	switch c.Type {
	case "boolean":
		return arrow.FixedWidthTypes.Boolean, nil
	case "integer":
		return arrow.PrimitiveTypes.Int32, nil
	case "long":
		return arrow.PrimitiveTypes.Int64, nil
	case "float":
		return arrow.PrimitiveTypes.Float32, nil
	case "double":
		return arrow.PrimitiveTypes.Float64, nil
	case "string":
		return arrow.BinaryTypes.String, nil
	case "binary":
		return arrow.BinaryTypes.Binary, nil
	case "datetime":
		return arrow.FixedWidthTypes.Timestamp_us, nil
	case "array":
		if c.Items == nil {
			return nil, fmt.Errorf("mlflow: array type without items")
		}
		it, err := colSpecToArrow(c.Items)
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(it), nil
	case "map":
		if c.Values == nil {
			return nil, fmt.Errorf("mlflow: map type without values")
		}
		vt, err := colSpecToArrow(c.Values)
		if err != nil {
			return nil, err
		}
		return arrow.MapOf(arrow.BinaryTypes.String, vt), nil
	case "object":
		fields := make([]arrow.Field, 0, len(c.Properties))
		for _, name := range slices.Sorted(maps.Keys(c.Properties)) {
			p := c.Properties[name]
			t, err := colSpecToArrow(p)
			if err != nil {
				return nil, err
			}
			fields = append(fields, arrow.Field{Name: name, Type: t, Nullable: p.Required != nil && !*p.Required})
		}
		return arrow.StructOf(fields...), nil
	case "tensor":
		if c.TensorSpec == nil {
			return nil, fmt.Errorf("mlflow: tensor type without tensor-spec")
		}
		et, err := colSpecToArrow(&colSpec{Type: numpyToMLflow(c.TensorSpec.Dtype)})
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(et), nil
	}
	return nil, fmt.Errorf("mlflow: unknown MLflow signature type %q", c.Type)
}

func numpyToMLflow(dtype string) string {
	switch dtype {
	case "float64":
		return "double"
	case "float32", "float16":
		return "float"
	case "int64", "uint32":
		return "long"
	case "int32", "int16", "int8", "uint16", "uint8":
		return "integer"
	case "bool":
		return "boolean"
	case "object", "str":
		return "string"
	}
	return dtype
}

// SchemaToSignatureJSON renders an Arrow schema as the JSON column list
// MLflow stores in MLmodel's signature.inputs / outputs. Non-nullable fields
// are required, nullable ones optional.
func SchemaToSignatureJSON(s *arrow.Schema) (string, error) {
	cols := make([]*colSpec, 0, s.NumFields())
	for _, f := range s.Fields() {
		c, err := arrowToColSpec(f.Type)
		if err != nil {
			return "", fmt.Errorf("mlflow: field %q: %w", f.Name, err)
		}
		req := !f.Nullable
		c.Name, c.Required = f.Name, &req
		cols = append(cols, c)
	}
	b, err := json.Marshal(cols)
	if err != nil {
		return "", fmt.Errorf("mlflow: encode signature: %w", err)
	}
	return string(b), nil
}

// SignatureJSONToSchema parses MLflow's signature JSON (column or tensor
// based) into an Arrow schema. Unnamed columns get "_<index>"; tensors
// become lists of their element type.
func SignatureJSONToSchema(text string) (*arrow.Schema, error) {
	var cols []*colSpec
	if err := json.Unmarshal([]byte(text), &cols); err != nil {
		return nil, fmt.Errorf("mlflow: parse signature: %w", err)
	}
	fields := make([]arrow.Field, 0, len(cols))
	for i, c := range cols {
		if c == nil {
			return nil, fmt.Errorf("mlflow: parse signature: null column %d", i)
		}
		t, err := colSpecToArrow(c)
		if err != nil {
			return nil, err
		}
		name := c.Name
		if name == "" {
			name = fmt.Sprintf("_%d", i)
		}
		// MLflow's default for a missing "required" is true.
		fields = append(fields, arrow.Field{Name: name, Type: t, Nullable: c.Required != nil && !*c.Required})
	}
	return arrow.NewSchema(fields, nil), nil
}
