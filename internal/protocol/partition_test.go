package protocol

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ptr(s string) *string { return &s }

func TestParsePartitionValue(t *testing.T) {
	dec := &arrow.Decimal128Type{Precision: 7, Scale: 2}
	tests := []struct {
		raw  *string
		typ  arrow.DataType
		want string // scalar String(); "null" for null
	}{
		{nil, arrow.BinaryTypes.String, "null"},
		{ptr(""), arrow.PrimitiveTypes.Int32, "null"},
		{ptr("a=b/c d"), arrow.BinaryTypes.String, "a=b/c d"},
		{ptr("-12"), arrow.PrimitiveTypes.Int8, "-12"},
		{ptr("true"), arrow.FixedWidthTypes.Boolean, "true"},
		{ptr("2021-02-03"), arrow.FixedWidthTypes.Date32, "2021-02-03"},
		{ptr("1.5"), arrow.PrimitiveTypes.Float64, "1.5"},
		{ptr("12.3"), dec, "12.3"}, // scalar.String trims; the value is 1230 at scale 2
		{ptr("1E+1"), dec, "10"},
	}
	for _, tc := range tests {
		sc, err := ParsePartitionValue(tc.raw, tc.typ)
		require.NoError(t, err)
		if tc.want == "null" {
			assert.False(t, sc.IsValid())
			continue
		}
		assert.True(t, sc.IsValid())
		assert.Equal(t, tc.want, sc.String())
	}
}

func TestTimestampPartitionForms(t *testing.T) {
	want := int64(1704103200000000) // 2024-01-01T10:00:00Z
	for _, s := range []string{"2024-01-01 10:00:00", "2024-01-01T10:00:00.000000Z", "2024-01-01 10:00:00.000000", "2024-01-01T12:00:00+02:00"} {
		sc, err := ParsePartitionValue(ptr(s), ArrowTimestampUTC)
		require.NoError(t, err, s)
		assert.Equal(t, arrow.Timestamp(want), sc.(*scalar.Timestamp).Value, s)
	}
	_, err := ParsePartitionValue(ptr("yesterday"), ArrowTimestampUTC)
	assert.ErrorIs(t, err, ErrMalformed)
}

func TestFormatPartitionValueRoundTrip(t *testing.T) {
	for _, typ := range []arrow.DataType{
		arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float32,
		arrow.FixedWidthTypes.Date32, ArrowTimestampUTC, ArrowTimestampNTZ, &arrow.Decimal128Type{Precision: 10, Scale: 3},
		arrow.FixedWidthTypes.Boolean,
	} {
		raw := map[arrow.Type]string{
			arrow.STRING: "x y", arrow.INT64: "-9", arrow.FLOAT32: "0.1", arrow.DATE32: "1999-12-31",
			arrow.TIMESTAMP: "2020-01-02 03:04:05.123456", arrow.DECIMAL128: "-1.250", arrow.BOOL: "false",
		}[typ.ID()]
		sc, err := ParsePartitionValue(&raw, typ)
		require.NoError(t, err, typ)
		s, err := FormatPartitionValue(sc)
		require.NoError(t, err)
		back, err := ParsePartitionValue(s, typ)
		require.NoError(t, err)
		assert.True(t, scalar.Equals(sc, back), "%s: %s → %s", typ, raw, *s)
	}
}

func FuzzPartitionValue(f *testing.F) {
	for _, s := range []string{"1", "-0", "2020-01-01", "2020-01-01 00:00:00.5", "1e3", "true", "NaN", ""} {
		f.Add(s, uint8(0))
	}
	types := []arrow.DataType{
		arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64,
		arrow.FixedWidthTypes.Date32, ArrowTimestampUTC, ArrowTimestampNTZ, &arrow.Decimal128Type{Precision: 38, Scale: 10},
		arrow.FixedWidthTypes.Boolean, arrow.BinaryTypes.Binary,
	}
	f.Fuzz(func(t *testing.T, raw string, which uint8) {
		typ := types[int(which)%len(types)]
		sc, err := ParsePartitionValue(&raw, typ)
		if err != nil {
			return
		}
		s, err := FormatPartitionValue(sc)
		require.NoError(t, err)
		back, err := ParsePartitionValue(s, typ)
		require.NoError(t, err, "format %q gave %v", raw, s)
		require.True(t, scalar.Equals(sc, back) || !sc.IsValid() || (isNaN(sc) && isNaN(back)), "%s: %q → %v", typ, raw, s)
	})
}

func TestParseDecimalScale(t *testing.T) {
	n, err := ParseDecimal("12.3", 7, 2)
	require.NoError(t, err)
	assert.Equal(t, "12.30", n.ToString(2))
	assert.Equal(t, uint64(1230), n.LowBits())
	_, err = ParseDecimal("1.234", 7, 2)
	assert.Error(t, err, "digits beyond the scale are refused, not rounded")
	_, err = ParseDecimal("123456", 7, 2)
	assert.Error(t, err, "does not fit the precision")
	// Hostile text from a log: past 128 bits, and an exponent that would
	// build a billion-digit number, are errors, not a panic or a stall.
	for _, v := range []string{"1e70", "-1e70", "1e999999999", "1e-999999999", "1e", "99999999999999999999999999999999999999999"} {
		_, err = ParseDecimal(v, 38, 10)
		assert.Error(t, err, v)
	}
	n, err = ParseDecimal("1.5e3", 38, 10)
	require.NoError(t, err)
	assert.Equal(t, "1500.0000000000", n.ToString(10))
}

// isNaN reports a floating-point NaN scalar: NaN is not equal to itself,
// but a NaN that formats and parses back as NaN has round-tripped.
func isNaN(s scalar.Scalar) bool {
	switch v := s.(type) {
	case *scalar.Float64:
		return v.Valid && math.IsNaN(v.Value)
	case *scalar.Float32:
		return v.Valid && math.IsNaN(float64(v.Value))
	}
	return false
}
