package protocol

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// HiveDefaultPartition is the directory name Spark uses for a null
// partition value.
const HiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__"

// ParsePartitionValue converts a serialized partition value (spec:
// "Partition Value Serialization") into an Arrow scalar of type t. A nil or
// empty raw value is null.
func ParsePartitionValue(raw *string, t arrow.DataType) (scalar.Scalar, error) {
	return ParsePartitionValueIn(raw, t, time.UTC)
}

// ParsePartitionValueIn is ParsePartitionValue with the time zone in which
// zone-less timestamp values are read. The spec leaves such values in the
// writer's time zone; Spark writes them in its session time zone, so a
// reader must be told which zone that was. Values with a zone (ISO 8601,
// as modern writers emit) and timestamp_ntz values ignore loc.
func ParsePartitionValueIn(raw *string, t arrow.DataType, loc *time.Location) (scalar.Scalar, error) {
	if raw == nil || *raw == "" {
		return scalar.MakeNullScalar(t), nil
	}
	v := *raw
	bad := func(err error) error {
		return fmt.Errorf("%w: partition value %q is not a valid %s: %v", ErrMalformed, v, t, err)
	}
	switch tt := t.(type) {
	case *arrow.StringType:
		return scalar.NewStringScalar(v), nil
	case *arrow.BinaryType:
		return scalar.NewBinaryScalar(memoryBuffer([]byte(v)), t), nil
	case *arrow.BooleanType:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewBooleanScalar(b), nil
	case *arrow.Int8Type:
		n, err := strconv.ParseInt(v, 10, 8)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewInt8Scalar(int8(n)), nil
	case *arrow.Int16Type:
		n, err := strconv.ParseInt(v, 10, 16)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewInt16Scalar(int16(n)), nil
	case *arrow.Int32Type:
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewInt32Scalar(int32(n)), nil
	case *arrow.Int64Type:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewInt64Scalar(n), nil
	case *arrow.Float32Type:
		f, err := strconv.ParseFloat(v, 32)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewFloat32Scalar(float32(f)), nil
	case *arrow.Float64Type:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewFloat64Scalar(f), nil
	case *arrow.Date32Type:
		d, err := ParseDate(v)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewDate32Scalar(d), nil
	case *arrow.TimestampType:
		in := time.UTC
		if tt.TimeZone != "" && loc != nil {
			in = loc
		}
		us, err := ParseTimestampMicrosIn(v, in)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewTimestampScalar(arrow.Timestamp(us), t), nil
	case *arrow.Decimal128Type:
		n, err := ParseDecimal(v, tt.Precision, tt.Scale)
		if err != nil {
			return nil, bad(err)
		}
		return scalar.NewDecimal128Scalar(n, t), nil
	}
	return nil, fmt.Errorf("%w: partition column of type %s", ErrUnsupportedType, t)
}

// ParseDate parses "{year}-{month}-{day}" into days since the epoch.
func ParseDate(v string) (arrow.Date32, error) {
	t, err := time.Parse("2006-1-2", strings.TrimSpace(v))
	if err != nil {
		return 0, err
	}
	return arrow.Date32(t.Unix() / 86400), nil
}

// ParseTimestampMicros parses the spec's timestamp forms: "y-m-d h:m:s",
// with optional fraction, or ISO 8601 with a zone. Values without a zone are
// taken as UTC.
func ParseTimestampMicros(v string) (int64, error) {
	return ParseTimestampMicrosIn(v, time.UTC)
}

// ParseTimestampMicrosIn parses like ParseTimestampMicros, reading values
// without a zone in loc.
func ParseTimestampMicrosIn(v string, loc *time.Location) (int64, error) {
	v = strings.TrimSpace(v)
	layouts := []string{
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02 15:04:05",
		"2006-01-02T15:04:05",
		"2006-01-02",
	}
	for _, l := range layouts {
		if t, err := time.ParseInLocation(l, v, loc); err == nil {
			return t.UnixMicro(), nil
		}
	}
	return 0, fmt.Errorf("unrecognised timestamp %q", v)
}

// maxDecimalExponent bounds the exponent a decimal's text may carry: a
// decimal(38, s) holds at most 38 digits, so no representable value needs
// more than twice that.
const maxDecimalExponent = 2 * 38

// ParseDecimal parses a decimal string (plain or with an exponent) at the
// given scale; digits beyond the scale must be zero.
func ParseDecimal(v string, precision, scale int32) (decimal128.Num, error) {
	v = strings.TrimSpace(v)
	// An exponent is bounded before big.Rat expands it: "1e999999999"
	// would otherwise build a billion-digit number from a log entry.
	if i := strings.IndexAny(v, "eE"); i >= 0 {
		exp, err := strconv.Atoi(v[i+1:])
		if err != nil || exp > maxDecimalExponent || exp < -maxDecimalExponent {
			return decimal128.Num{}, fmt.Errorf("exponent out of range for decimal(%d,%d)", precision, scale)
		}
	}
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		return decimal128.Num{}, fmt.Errorf("not a decimal")
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() {
		return decimal128.Num{}, fmt.Errorf("more than %d fraction digits", scale)
	}
	if r.Num().BitLen() > 127 { // FromBigInt panics past 128 bits
		return decimal128.Num{}, fmt.Errorf("does not fit decimal(%d,%d)", precision, scale)
	}
	n := decimal128.FromBigInt(r.Num())
	if !n.FitsInPrecision(precision) {
		return decimal128.Num{}, fmt.Errorf("does not fit decimal(%d,%d)", precision, scale)
	}
	return n, nil
}

// FormatPartitionValue serializes one value of a partition column as the
// log stores it; nil means null.
func FormatPartitionValue(s scalar.Scalar) (*string, error) {
	if s == nil || !s.IsValid() {
		return nil, nil
	}
	var out string
	switch v := s.(type) {
	case *scalar.String:
		out = string(v.Data())
	case *scalar.Binary:
		out = string(v.Data())
	case *scalar.Boolean:
		out = strconv.FormatBool(v.Value)
	case *scalar.Int8:
		out = strconv.FormatInt(int64(v.Value), 10)
	case *scalar.Int16:
		out = strconv.FormatInt(int64(v.Value), 10)
	case *scalar.Int32:
		out = strconv.FormatInt(int64(v.Value), 10)
	case *scalar.Int64:
		out = strconv.FormatInt(v.Value, 10)
	case *scalar.Float32:
		out = strconv.FormatFloat(float64(v.Value), 'g', -1, 32)
	case *scalar.Float64:
		out = strconv.FormatFloat(v.Value, 'g', -1, 64)
	case *scalar.Date32:
		out = time.Unix(int64(v.Value)*86400, 0).UTC().Format("2006-01-02")
	case *scalar.Timestamp:
		tt := v.Type.(*arrow.TimestampType)
		us := int64(v.Value)
		switch tt.Unit {
		case arrow.Second:
			us *= 1e6
		case arrow.Millisecond:
			us *= 1e3
		case arrow.Nanosecond:
			us /= 1e3
		}
		t := time.UnixMicro(us).UTC()
		if tt.TimeZone == "" {
			out = t.Format("2006-01-02 15:04:05.000000")
		} else {
			out = t.Format("2006-01-02T15:04:05.000000Z")
		}
	case *scalar.Decimal128:
		dt := v.Type.(*arrow.Decimal128Type)
		out = v.Value.ToString(dt.Scale)
	default:
		return nil, fmt.Errorf("%w: partition column of type %s", ErrUnsupportedType, s.DataType())
	}
	return &out, nil
}

func memoryBuffer(b []byte) *memory.Buffer { return memory.NewBufferBytes(b) }
