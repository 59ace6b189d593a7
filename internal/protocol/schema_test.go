package protocol

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const nestedSchema = `{"type":"struct","fields":[` +
	`{"name":"id","type":"long","nullable":false,"metadata":{"delta.columnMapping.id":1,"delta.columnMapping.physicalName":"col-1"}},` +
	`{"name":"amount","type":"decimal(10,2)","nullable":true,"metadata":{"comment":"in EUR"}},` +
	`{"name":"ts","type":"timestamp","nullable":true,"metadata":{}},` +
	`{"name":"ntz","type":"timestamp_ntz","nullable":true,"metadata":{}},` +
	`{"name":"s","type":{"type":"struct","fields":[{"name":"a","type":"integer","nullable":true,"metadata":{}}]},"nullable":true,"metadata":{}},` +
	`{"name":"l","type":{"type":"array","elementType":"string","containsNull":true},"nullable":true,"metadata":{}},` +
	`{"name":"m","type":{"type":"map","keyType":"string","valueType":"double","valueContainsNull":false},"nullable":true,"metadata":{}},` +
	`{"name":"v","type":"variant","nullable":true,"metadata":{}},` +
	`{"name":"lv","type":{"type":"array","elementType":"variant","containsNull":true},"nullable":true,"metadata":{}},` +
	`{"name":"mv","type":{"type":"map","keyType":"string","valueType":"variant","valueContainsNull":true},"nullable":true,"metadata":{}},` +
	`{"name":"z","type":"void","nullable":true,"metadata":{}}]}`

func TestSchemaRoundTrip(t *testing.T) {
	s, err := ParseSchema(nestedSchema)
	require.NoError(t, err)
	out, err := MarshalSchema(s)
	require.NoError(t, err)
	assert.JSONEq(t, nestedSchema, out)

	as, err := ToArrowSchema(s)
	require.NoError(t, err)
	id := as.Field(0)
	assert.Equal(t, arrow.PrimitiveTypes.Int64, id.Type)
	assert.False(t, id.Nullable)
	pn, _ := id.Metadata.GetValue(MetaPhysicalName)
	assert.Equal(t, "col-1", pn)
	assert.Equal(t, &arrow.Decimal128Type{Precision: 10, Scale: 2}, as.Field(1).Type)
	assert.Equal(t, ArrowTimestampUTC, as.Field(2).Type)
	assert.Equal(t, ArrowTimestampNTZ, as.Field(3).Type)
	assert.Equal(t, arrow.Null, as.Field(10).Type)

	back, err := FromArrowSchema(as)
	require.NoError(t, err)
	out2, err := MarshalSchema(back)
	require.NoError(t, err)
	assert.JSONEq(t, nestedSchema, out2, "Delta → Arrow → Delta keeps types, nullability and metadata")
}

func TestParseSchemaErrors(t *testing.T) {
	for _, bad := range []string{
		`[]`, `{"type":"struct","fields":[{"name":"a","type":"uint"}]}`,
		`{"type":"struct","fields":[{"type":"long"}]}`, `{"type":"array"}`, `not json`,
		`{"type":"struct","fields":[{"name":"a","type":"decimal(40,2)"}]}`,
	} {
		_, err := ParseSchema(bad)
		assert.ErrorIs(t, err, ErrMalformed, bad)
	}
}

func FuzzParseSchema(f *testing.F) {
	f.Add(nestedSchema)
	f.Add(`{"type":"struct","fields":[]}`)
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseSchema(s)
		if err != nil {
			return
		}
		out, err := MarshalSchema(st)
		require.NoError(t, err)
		again, err := ParseSchema(out)
		require.NoError(t, err, "re-parse of %s", out)
		out2, err := MarshalSchema(again)
		require.NoError(t, err)
		require.Equal(t, out, out2)
	})
}
