package jsonrows

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendRowContract(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "d", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 4}, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "ntz", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{math.MaxInt64, 0, 0}, []bool{true, false, true})
	b.Field(1).(*array.Float32Builder).AppendValues([]float32{0.1, float32(math.Inf(1)), 1e-7}, nil)
	b.Field(2).(*array.Float64Builder).AppendValues([]float64{math.NaN(), math.Inf(-1), 1e21}, nil)
	b.Field(3).(*array.Decimal128Builder).AppendValues([]decimal128.Num{decimal128.FromI64(123400), decimal128.FromI64(-5), decimal128.FromI64(0)}, nil)
	b.Field(4).(*array.StringBuilder).AppendValues([]string{"a\"b\\c\n\u00e9<>&", "", "\x01"}, nil)
	b.Field(5).(*array.BinaryBuilder).AppendValues([][]byte{{0, 1, 2}, {}, nil}, []bool{true, true, false})
	b.Field(6).(*array.Date32Builder).AppendValues([]arrow.Date32{19800, -1, 0}, nil)
	b.Field(7).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1_710_000_000_123_456, -1, 0}, nil)
	b.Field(8).(*array.TimestampBuilder).AppendValues([]arrow.Timestamp{1_000_000, 0, 0}, nil)
	mb := b.Field(9).(*array.MapBuilder)
	mb.Append(true)
	mb.KeyBuilder().(*array.StringBuilder).Append("k")
	mb.ItemBuilder().(*array.Int32Builder).AppendNull()
	mb.Append(true)
	mb.AppendNull()
	lb := b.Field(10).(*array.ListBuilder)
	lb.Append(true)
	lb.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{1, 2}, nil)
	lb.Append(true)
	lb.AppendNull()
	sb := b.Field(11).(*array.StructBuilder)
	sb.Append(true)
	sb.FieldBuilder(0).(*array.BooleanBuilder).Append(true)
	sb.Append(true)
	sb.FieldBuilder(0).(*array.BooleanBuilder).AppendNull()
	sb.AppendNull()
	rec := b.NewRecordBatch()
	defer rec.Release()

	want := []string{
		`{"i":9223372036854775807,"f":0.1,"d":"NaN","dec":"12.3400","s":"a\"b\\c\né<>&","b":"AAEC","day":"2024-03-18","ts":"2024-03-09T16:00:00.123456Z","ntz":"1970-01-01T00:00:01.000000","m":[{"key":"k","value":null}],"l":[1,2],"st":{"x":true}}`,
		`{"i":null,"f":"Infinity","d":"-Infinity","dec":"-0.0005","s":"","b":"","day":"1969-12-31","ts":"1969-12-31T23:59:59.999999Z","ntz":"1970-01-01T00:00:00.000000","m":[],"l":[],"st":{"x":null}}`,
		`{"i":0,"f":1e-7,"d":1e+21,"dec":"0.0000","s":"\u0001","b":null,"day":"1970-01-01","ts":"1970-01-01T00:00:00.000000Z","ntz":"1970-01-01T00:00:00.000000","m":null,"l":null,"st":null}`,
	}
	for i, w := range want {
		got, err := AppendRow(nil, rec, i)
		require.NoError(t, err)
		assert.Equal(t, w, string(got), "row %d", i)
		assert.True(t, json.Valid(got), "row %d is valid JSON", i)
	}
}

func TestAppendFloatShortest(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		bits int
		want string
	}{
		{0.1, 64, "0.1"}, {float64(float32(0.1)), 32, "0.1"}, {1.5e300, 64, "1.5e+300"},
		{math.Copysign(0, -1), 64, "-0"}, {123456789, 64, "123456789"}, {float64(float32(3.4000001)), 32, "3.4"},
	} {
		assert.Equal(t, tc.want, string(AppendFloat(nil, tc.f, tc.bits)))
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("plain")
	f.Add("\xff\xfe invalid \x00")
	f.Fuzz(func(t *testing.T, s string) {
		out := appendString(nil, s)
		require.True(t, json.Valid(out), "%q", out)
		var back string
		require.NoError(t, json.Unmarshal(out, &back))
		if json.Valid([]byte(`"` + s + `"`)) {
			return
		}
	})
}
