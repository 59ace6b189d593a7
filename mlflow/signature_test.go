package mlflow_test

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

func TestSignatureFromArrow(t *testing.T) {
	s := arrow.NewSchema([]arrow.Field{
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64},
		{Name: "s", Type: arrow.BinaryTypes.String},
		{Name: "b", Type: arrow.BinaryTypes.Binary},
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String)},
		{Name: "point", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Float64}, arrow.Field{Name: "y", Type: arrow.PrimitiveTypes.Float64, Nullable: true})},
		{Name: "attrs", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)},
	}, nil)
	js, err := mlflow.SchemaToSignatureJSON(s)
	require.NoError(t, err)
	assert.JSONEq(t, `[
	 {"type":"boolean","name":"flag","required":true},
	 {"type":"integer","name":"i32","required":true},
	 {"type":"long","name":"i64","required":false},
	 {"type":"float","name":"f32","required":true},
	 {"type":"double","name":"f64","required":true},
	 {"type":"string","name":"s","required":true},
	 {"type":"binary","name":"b","required":true},
	 {"type":"datetime","name":"ts","required":true},
	 {"type":"array","items":{"type":"string"},"name":"tags","required":true},
	 {"type":"object","properties":{"x":{"type":"double","required":true},"y":{"type":"double","required":false}},"name":"point","required":true},
	 {"type":"map","values":{"type":"long"},"name":"attrs","required":true}
	]`, js)

	back, err := mlflow.SignatureJSONToSchema(js)
	require.NoError(t, err)
	assert.Equal(t, s.NumFields(), back.NumFields())
	for i, f := range back.Fields() {
		assert.Equal(t, s.Field(i).Name, f.Name)
		assert.Equal(t, s.Field(i).Nullable, f.Nullable, f.Name)
	}
	assert.True(t, arrow.TypeEqual(s.Field(9).Type, back.Field(9).Type), "struct round trip")

	_, err = mlflow.SchemaToSignatureJSON(arrow.NewSchema([]arrow.Field{{Name: "d", Type: &arrow.Decimal128Type{Precision: 5, Scale: 2}}}, nil))
	require.Error(t, err, "decimals have no MLflow type")
}

// Signatures as Python MLflow writes them: tensor based, and without the
// "required" key of older versions.
func TestSignatureFromPython(t *testing.T) {
	s, err := mlflow.SignatureJSONToSchema(`[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]`)
	require.NoError(t, err)
	assert.Equal(t, "_0", s.Field(0).Name)
	assert.True(t, arrow.TypeEqual(arrow.ListOf(arrow.PrimitiveTypes.Float32), s.Field(0).Type))
	s, err = mlflow.SignatureJSONToSchema(`[{"type": "double", "name": "x"}]`)
	require.NoError(t, err)
	assert.False(t, s.Field(0).Nullable, "required defaults to true")
	_, err = mlflow.SignatureJSONToSchema(`[{"type": "quaternion"}]`)
	require.Error(t, err)
}

func TestMLmodelRoundTrip(t *testing.T) {
	in := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil)
	m := &mlflow.MLmodel{
		ArtifactPath: "model", Flavors: map[string]map[string]any{"go": {"data": "w.json"}},
		ModelUUID: "0123456789abcdef0123456789abcdef", RunID: "abc",
		UTCTimeCreated: time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC),
		Signature:      &mlflow.Signature{Inputs: in}, ModelSizeBytes: 42,
	}
	b, err := m.Marshal()
	require.NoError(t, err)
	assert.Contains(t, string(b), "utc_time_created: \"2026-01-02 03:04:05.678901\"")
	assert.Contains(t, string(b), `inputs: '[{"type":"double","name":"x","required":true}]'`)
	back, err := mlflow.ParseMLmodel(b)
	require.NoError(t, err)
	assert.Equal(t, m.UTCTimeCreated, back.UTCTimeCreated)
	assert.Equal(t, m.Flavors, back.Flavors)
	assert.True(t, in.Equal(back.Signature.Inputs))
	assert.Nil(t, back.Signature.Outputs)
}

func FuzzParseMLmodel(f *testing.F) {
	f.Add("artifact_path: model\nflavors:\n  go: {data: w.json}\nmodel_uuid: x\nutc_time_created: '2026-01-02 03:04:05.000001'\nsignature:\n  inputs: '[{\"type\": \"double\", \"name\": \"x\"}]'\n  outputs: null\n")
	f.Add("flavors: {}\nsignature: {inputs: '[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"int8\", \"shape\": [-1]}}]'}\n")
	f.Add("signature: {inputs: '[{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"array\", \"items\": {\"type\": \"map\", \"values\": {\"type\": \"string\"}}}}}]'}\n")
	f.Fuzz(func(t *testing.T, text string) {
		m, err := mlflow.ParseMLmodel([]byte(text))
		if err != nil {
			return
		}
		// Whatever parses can be written back and parsed again.
		b, err := m.Marshal()
		if err != nil {
			return // e.g. a flavor value yaml cannot encode
		}
		if _, err := mlflow.ParseMLmodel(b); err != nil {
			t.Fatalf("re-parse of our own output failed: %v\n%s", err, b)
		}
	})
}
