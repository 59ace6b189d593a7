package expr

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Spark's types as this package represents them in Arrow.
var (
	typeTimestamp    = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	typeTimestampNTZ = &arrow.TimestampType{Unit: arrow.Microsecond}
)

// ParseType maps a Spark SQL type name ("INT", "DECIMAL(10,2)",
// "TIMESTAMP_NTZ", …) to the Arrow type this package uses for it.
func ParseType(name string) (arrow.DataType, error) {
	toks, err := lex(name)
	if err != nil {
		return nil, err
	}
	p := &parser{src: name, toks: toks}
	dt, err := p.dataType()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.typ != tEOF {
		return nil, p.errAt(t, "unexpected "+describe(t)+" after the type")
	}
	return dt, nil
}

func typeFromName(name string, params []int) (arrow.DataType, string) {
	noParams := func(dt arrow.DataType) (arrow.DataType, string) {
		if len(params) != 0 {
			return nil, "type " + strings.ToUpper(name) + " takes no parameters"
		}
		return dt, ""
	}
	switch name {
	case "boolean", "bool":
		return noParams(arrow.FixedWidthTypes.Boolean)
	case "tinyint", "byte":
		return noParams(arrow.PrimitiveTypes.Int8)
	case "smallint", "short":
		return noParams(arrow.PrimitiveTypes.Int16)
	case "int", "integer":
		return noParams(arrow.PrimitiveTypes.Int32)
	case "bigint", "long":
		return noParams(arrow.PrimitiveTypes.Int64)
	case "float", "real":
		return noParams(arrow.PrimitiveTypes.Float32)
	case "double":
		return noParams(arrow.PrimitiveTypes.Float64)
	case "string":
		return noParams(arrow.BinaryTypes.String)
	case "varchar", "char":
		if len(params) != 1 || params[0] < 1 {
			return nil, "type " + strings.ToUpper(name) + " needs a length"
		}
		return arrow.BinaryTypes.String, ""
	case "binary":
		return noParams(arrow.BinaryTypes.Binary)
	case "date":
		return noParams(arrow.FixedWidthTypes.Date32)
	case "timestamp", "timestamp_ltz":
		return noParams(typeTimestamp)
	case "timestamp_ntz":
		return noParams(typeTimestampNTZ)
	case "decimal", "dec", "numeric":
		p, s := 10, 0
		switch len(params) {
		case 0:
		case 1:
			p = params[0]
		case 2:
			p, s = params[0], params[1]
		default:
			return nil, "DECIMAL takes at most two parameters"
		}
		if p < 1 || p > maxDecimalPrecision || s < 0 || s > p {
			return nil, fmt.Sprintf("invalid DECIMAL(%d,%d): precision must be 1..38 and scale 0..precision", p, s)
		}
		return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, ""
	}
	return nil, "unknown or unsupported type " + strings.ToUpper(name)
}

// sparkTypeName prints an Arrow type with Spark's name for it.
func sparkTypeName(dt arrow.DataType) string {
	switch t := dt.(type) {
	case nil:
		return "VOID"
	case *arrow.NullType:
		return "VOID"
	case *arrow.BooleanType:
		return "BOOLEAN"
	case *arrow.Int8Type:
		return "TINYINT"
	case *arrow.Int16Type:
		return "SMALLINT"
	case *arrow.Int32Type:
		return "INT"
	case *arrow.Int64Type:
		return "BIGINT"
	case *arrow.Float32Type:
		return "FLOAT"
	case *arrow.Float64Type:
		return "DOUBLE"
	case *arrow.Decimal128Type:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision, t.Scale)
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return "STRING"
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType:
		return "BINARY"
	case *arrow.Date32Type:
		return "DATE"
	case *arrow.TimestampType:
		if t.TimeZone == "" {
			return "TIMESTAMP_NTZ"
		}
		return "TIMESTAMP"
	case *arrow.MonthDayNanoIntervalType:
		return "INTERVAL"
	case *arrow.ListType:
		return "ARRAY<" + sparkTypeName(t.Elem()) + ">"
	case *arrow.LargeListType:
		return "ARRAY<" + sparkTypeName(t.Elem()) + ">"
	case *arrow.MapType:
		return "MAP<" + sparkTypeName(t.KeyType()) + "," + sparkTypeName(t.ItemType()) + ">"
	case *arrow.StructType:
		parts := make([]string, len(t.Fields()))
		for i, f := range t.Fields() {
			parts[i] = quoteIdent(f.Name) + ":" + sparkTypeName(f.Type)
		}
		return "STRUCT<" + strings.Join(parts, ",") + ">"
	}
	return strings.ToUpper(dt.String())
}

func isIntegral(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

func isFloating(dt arrow.DataType) bool {
	return dt.ID() == arrow.FLOAT32 || dt.ID() == arrow.FLOAT64
}

func isDecimal(dt arrow.DataType) bool { return dt.ID() == arrow.DECIMAL128 }

func isNumeric(dt arrow.DataType) bool { return isIntegral(dt) || isFloating(dt) || isDecimal(dt) }

func isString(dt arrow.DataType) bool { return dt.ID() == arrow.STRING }

func isNull(dt arrow.DataType) bool { return dt.ID() == arrow.NULL }

func isBool(dt arrow.DataType) bool { return dt.ID() == arrow.BOOL }

func isTimestamp(dt arrow.DataType) bool { return dt.ID() == arrow.TIMESTAMP }

func isNTZ(dt arrow.DataType) bool {
	t, ok := dt.(*arrow.TimestampType)
	return ok && t.TimeZone == ""
}

func isDate(dt arrow.DataType) bool { return dt.ID() == arrow.DATE32 }

func isAtomic(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.MAP, arrow.STRUCT, arrow.NULL, arrow.INTERVAL_MONTH_DAY_NANO:
		return false
	}
	return true
}

// numericRank orders numeric types as Spark's numericPrecedence does.
func numericRank(dt arrow.DataType) int {
	switch dt.ID() {
	case arrow.INT8:
		return 1
	case arrow.INT16:
		return 2
	case arrow.INT32:
		return 3
	case arrow.INT64:
		return 4
	case arrow.FLOAT32:
		return 6
	case arrow.FLOAT64:
		return 7
	}
	return 0
}

// decimalForIntegral is the DECIMAL type an integral type widens to.
func decimalForIntegral(dt arrow.DataType) *arrow.Decimal128Type {
	switch dt.ID() {
	case arrow.INT8:
		return &arrow.Decimal128Type{Precision: 3}
	case arrow.INT16:
		return &arrow.Decimal128Type{Precision: 5}
	case arrow.INT32:
		return &arrow.Decimal128Type{Precision: 10}
	default:
		return &arrow.Decimal128Type{Precision: 20}
	}
}

// widerDecimal is Spark's DecimalPrecision.widerDecimalType, bounded to 38.
func widerDecimal(a, b *arrow.Decimal128Type) *arrow.Decimal128Type {
	scale := max(a.Scale, b.Scale)
	intDigits := max(a.Precision-a.Scale, b.Precision-b.Scale)
	return boundedDecimal(intDigits+scale, scale)
}

func boundedDecimal(p, s int32) *arrow.Decimal128Type {
	return &arrow.Decimal128Type{Precision: min(p, maxDecimalPrecision), Scale: min(s, maxDecimalPrecision)}
}

// adjustDecimal is Spark's DecimalType.adjustPrecisionScale with
// allowPrecisionLoss=true (the default): keep at least 6 fraction digits
// when the exact result would exceed 38 digits.
func adjustDecimal(p, s int32) *arrow.Decimal128Type {
	if p <= maxDecimalPrecision {
		return &arrow.Decimal128Type{Precision: p, Scale: s}
	}
	intDigits := p - s
	minScale := min(s, 6)
	adjusted := max(maxDecimalPrecision-intDigits, minScale)
	return &arrow.Decimal128Type{Precision: maxDecimalPrecision, Scale: adjusted}
}

// tightestCommonType is Spark's findTightestCommonType.
func tightestCommonType(a, b arrow.DataType) (arrow.DataType, bool) {
	switch {
	case arrow.TypeEqual(a, b):
		return a, true
	case isNull(a):
		return b, true
	case isNull(b):
		return a, true
	case numericRank(a) > 0 && numericRank(b) > 0:
		if numericRank(a) >= numericRank(b) {
			return a, true
		}
		return b, true
	case isTimestamp(a) && isTimestamp(b):
		// TIMESTAMP_NTZ widens to TIMESTAMP
		return typeTimestamp, true
	case isTimestamp(a) && isDate(b):
		return a, true
	case isDate(a) && isTimestamp(b):
		return b, true
	}
	return nil, false
}

// widerType is Spark's findWiderTypeForTwo plus string promotion
// (findWiderCommonType), used by IN, CASE, COALESCE, GREATEST, …
func widerType(a, b arrow.DataType) (arrow.DataType, bool) {
	if t, ok := tightestCommonType(a, b); ok {
		return t, true
	}
	switch {
	case isDecimal(a) && isDecimal(b):
		return widerDecimal(a.(*arrow.Decimal128Type), b.(*arrow.Decimal128Type)), true
	case isDecimal(a) && isIntegral(b):
		return widerDecimal(a.(*arrow.Decimal128Type), decimalForIntegral(b)), true
	case isIntegral(a) && isDecimal(b):
		return widerDecimal(decimalForIntegral(a), b.(*arrow.Decimal128Type)), true
	case isDecimal(a) && isFloating(b), isFloating(a) && isDecimal(b):
		return arrow.PrimitiveTypes.Float64, true
	case isString(a) && isAtomic(b) && b.ID() != arrow.BINARY && !isBool(b):
		return arrow.BinaryTypes.String, true
	case isString(b) && isAtomic(a) && a.ID() != arrow.BINARY && !isBool(a):
		return arrow.BinaryTypes.String, true
	case a.ID() == arrow.LIST && b.ID() == arrow.LIST:
		e, ok := widerType(a.(*arrow.ListType).Elem(), b.(*arrow.ListType).Elem())
		if ok {
			return arrow.ListOf(e), true
		}
	}
	return nil, false
}

// comparisonType is Spark's findCommonTypeForBinaryComparison followed by
// the general wider-type search, i.e. the type both sides of =, <, … are
// cast to in non-ANSI mode.
func comparisonType(a, b arrow.DataType) (arrow.DataType, bool) {
	switch {
	case isString(a) && (isDate(b) || isTimestamp(b)):
		return b, true
	case isString(b) && (isDate(a) || isTimestamp(a)):
		return a, true
	case isDecimal(a) && isString(b), isString(a) && isDecimal(b):
		return arrow.PrimitiveTypes.Float64, true
	case isString(a) && isAtomic(b) && !isString(b):
		return b, true
	case isString(b) && isAtomic(a) && !isString(a):
		return a, true
	}
	if t, ok := tightestCommonType(a, b); ok {
		return t, true
	}
	return widerType(a, b)
}
