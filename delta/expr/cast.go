package expr

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

type castMode uint8

const (
	castLegacy castMode = iota // Spark non-ANSI CAST: invalid → NULL, integral narrowing wraps
	castANSI                   // ANSI CAST: invalid or overflow → error
	castTry                    // TRY_CAST: invalid or overflow → NULL
)

// canCast reports whether Spark allows CAST(from AS to).
func canCast(from, to arrow.DataType) bool {
	switch {
	case arrow.TypeEqual(from, to), isNull(from):
		return true
	case isString(to):
		return isAtomic(from)
	case isString(from):
		return isAtomic(to)
	case isNumeric(to) || isBool(to):
		return isNumeric(from) || isBool(from) || isTimestamp(from) && !isNTZ(from)
	case isDate(to):
		return isTimestamp(from)
	case isTimestamp(to):
		return isDate(from) || isTimestamp(from) || (!isNTZ(to) && (isNumeric(from) || isBool(from)))
	case to.ID() == arrow.LIST && from.ID() == arrow.LIST:
		return canCast(from.(*arrow.ListType).Elem(), to.(*arrow.ListType).Elem())
	}
	return false
}

func (c *compiler) castNode(in *cnode, to arrow.DataType, mode castMode, src *node) (*cnode, error) {
	if !canCast(in.typ, to) {
		return nil, compileErr(src, ErrType, "cannot cast %s to %s", sparkTypeName(in.typ), sparkTypeName(to))
	}
	if arrow.TypeEqual(in.typ, to) {
		return in, nil
	}
	cn := &cnode{typ: to, src: src, eval: func(ec *evalCtx) (value, error) {
		v, err := in.eval(ec)
		if err != nil {
			return value{}, err
		}
		defer v.release()
		if v.sc != nil {
			if !v.sc.IsValid() {
				return value{sc: scalar.MakeNullScalar(to)}, nil
			}
			one, err := scalar.MakeArrayFromScalar(v.sc, 1, ec.mem)
			if err != nil {
				return value{}, err
			}
			defer one.Release()
			out, err := castArray(ec, one, to, mode)
			if err != nil {
				return value{}, err
			}
			defer out.Release()
			sc, err := scalar.GetScalar(out, 0)
			return value{sc: sc}, err
		}
		out, err := castArray(ec, v.arr, to, mode)
		return value{arr: out}, err
	}}
	return c.fold(cn, in), nil
}

// exactWidening lists casts where arrow/compute's kernels give exactly
// Spark's answer (integer widening, integer to double with rounding), so
// they run vectorised.
func exactWidening(from, to arrow.DataType) bool {
	switch {
	case isIntegral(from) && isIntegral(to):
		return numericRank(from) < numericRank(to)
	case isIntegral(from) && to.ID() == arrow.FLOAT64:
		return true
	case from.ID() == arrow.FLOAT32 && to.ID() == arrow.FLOAT64:
		return true
	}
	return false
}

// castArray converts every element with Spark's CAST rules. The result is owned.
func castArray(ec *evalCtx, arr arrow.Array, to arrow.DataType, mode castMode) (arrow.Array, error) {
	from := arr.DataType()
	if arrow.TypeEqual(from, to) {
		arr.Retain()
		return arr, nil
	}
	if isNull(from) {
		return array.MakeArrayOfNull(ec.mem, to, arr.Len()), nil
	}
	if exactWidening(from, to) {
		// Unsafe only permits rounding of large integers to the nearest
		// double, which is what Spark does too.
		return compute.CastArray(ec.ctx, arr, compute.UnsafeCastOptions(to))
	}
	if from.ID() == arrow.LIST {
		return castList(ec, arr.(*array.List), to.(*arrow.ListType), mode)
	}
	read := cellReader(arr)
	bld := array.NewBuilder(ec.mem, to)
	defer bld.Release()
	bld.Reserve(arr.Len())
	write := cellWriter(bld)
	conv := converter(from, to, ec.opts.TimeZone)
	for i := 0; i < arr.Len(); i++ {
		if arr.IsNull(i) {
			bld.AppendNull()
			continue
		}
		x := read(i)
		y, st := conv(x)
		switch {
		case st == convOK || (st == convOverflow && mode == castLegacy && y.k != cNull):
			write(y)
		case mode == castANSI:
			kind := ErrInvalidCast
			if st == convOverflow {
				kind = ErrArithmetic
			}
			return nil, fmt.Errorf("%w: cannot cast %s %s to %s (set ANSI off or use TRY_CAST to get NULL)", kind, sparkTypeName(from), x.text(ec.opts.TimeZone), sparkTypeName(to))
		default:
			bld.AppendNull()
		}
	}
	return bld.NewArray(), nil
}

func castList(ec *evalCtx, arr *array.List, to *arrow.ListType, mode castMode) (arrow.Array, error) {
	vals := arr.ListValues()
	cv, err := castArray(ec, vals, to.Elem(), mode)
	if err != nil {
		return nil, err
	}
	defer cv.Release()
	d := arr.Data()
	nd := array.NewData(to, d.Len(), d.Buffers(), []arrow.ArrayData{cv.Data()}, d.NullN(), d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd), nil
}

type cellKind uint8

const (
	cNull cellKind = iota
	cBool
	cInt
	cFloat
	cDec
	cStr
	cBin
	cDate
	cTs  // instant, µs
	cNTZ // wall clock, µs
)

// cell is one value in transit between Spark types.
type cell struct {
	k     cellKind
	i     int64
	f     float64
	d     decimal128.Num
	scale int32
	s     string
	b     bool
}

func (x cell) text(loc *time.Location) string {
	y, _ := toStringCell(x, loc)
	if x.k == cStr {
		return strconv.Quote(x.s)
	}
	return y.s
}

func cellReader(arr arrow.Array) func(i int) cell {
	switch a := arr.(type) {
	case *array.Boolean:
		return func(i int) cell { return cell{k: cBool, b: a.Value(i)} }
	case *array.Int8:
		return func(i int) cell { return cell{k: cInt, i: int64(a.Value(i))} }
	case *array.Int16:
		return func(i int) cell { return cell{k: cInt, i: int64(a.Value(i))} }
	case *array.Int32:
		return func(i int) cell { return cell{k: cInt, i: int64(a.Value(i))} }
	case *array.Int64:
		return func(i int) cell { return cell{k: cInt, i: a.Value(i)} }
	case *array.Float32:
		return func(i int) cell { return cell{k: cFloat, f: float64(a.Value(i)), b: true} } // b marks float32 origin
	case *array.Float64:
		return func(i int) cell { return cell{k: cFloat, f: a.Value(i)} }
	case *array.Decimal128:
		sc := a.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) cell { return cell{k: cDec, d: a.Value(i), scale: sc} }
	case *array.String:
		return func(i int) cell { return cell{k: cStr, s: a.Value(i)} }
	case *array.Binary:
		return func(i int) cell { return cell{k: cBin, s: string(a.Value(i))} }
	case *array.Date32:
		return func(i int) cell { return cell{k: cDate, i: int64(a.Value(i))} }
	case *array.Timestamp:
		k := cTs
		if isNTZ(a.DataType()) {
			k = cNTZ
		}
		return func(i int) cell { return cell{k: k, i: int64(a.Value(i))} }
	}
	return func(int) cell { return cell{} }
}

func cellWriter(b array.Builder) func(cell) {
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		return func(x cell) { bb.Append(x.b) }
	case *array.Int8Builder:
		return func(x cell) { bb.Append(int8(x.i)) }
	case *array.Int16Builder:
		return func(x cell) { bb.Append(int16(x.i)) }
	case *array.Int32Builder:
		return func(x cell) { bb.Append(int32(x.i)) }
	case *array.Int64Builder:
		return func(x cell) { bb.Append(x.i) }
	case *array.Float32Builder:
		return func(x cell) { bb.Append(float32(x.f)) }
	case *array.Float64Builder:
		return func(x cell) { bb.Append(x.f) }
	case *array.Decimal128Builder:
		return func(x cell) { bb.Append(x.d) }
	case *array.StringBuilder:
		return func(x cell) { bb.Append(x.s) }
	case *array.BinaryBuilder:
		return func(x cell) { bb.Append([]byte(x.s)) }
	case *array.Date32Builder:
		return func(x cell) { bb.Append(arrow.Date32(x.i)) }
	case *array.TimestampBuilder:
		return func(x cell) { bb.Append(arrow.Timestamp(x.i)) }
	}
	return func(cell) { b.AppendNull() }
}

type convStatus uint8

const (
	convOK       convStatus = iota
	convInvalid             // unparsable input
	convOverflow            // out of range; in legacy mode a non-null cell means "wrapped value"
)

func converter(from, to arrow.DataType, loc *time.Location) func(cell) (cell, convStatus) {
	switch t := to.(type) {
	case *arrow.BooleanType:
		return toBoolCell
	case *arrow.Int8Type:
		return func(x cell) (cell, convStatus) { return toIntCell(x, 8) }
	case *arrow.Int16Type:
		return func(x cell) (cell, convStatus) { return toIntCell(x, 16) }
	case *arrow.Int32Type:
		return func(x cell) (cell, convStatus) { return toIntCell(x, 32) }
	case *arrow.Int64Type:
		return func(x cell) (cell, convStatus) { return toIntCell(x, 64) }
	case *arrow.Float32Type:
		return func(x cell) (cell, convStatus) {
			y, st := toFloatCell(x)
			y.f = float64(float32(y.f))
			return y, st
		}
	case *arrow.Float64Type:
		return toFloatCell
	case *arrow.Decimal128Type:
		return func(x cell) (cell, convStatus) { return toDecimalCell(x, t.Precision, t.Scale) }
	case *arrow.StringType:
		return func(x cell) (cell, convStatus) { return toStringCell(x, loc) }
	case *arrow.BinaryType:
		return func(x cell) (cell, convStatus) { return cell{k: cBin, s: x.s}, convOK }
	case *arrow.Date32Type:
		return func(x cell) (cell, convStatus) { return toDateCell(x, loc) }
	case *arrow.TimestampType:
		ntz := t.TimeZone == ""
		return func(x cell) (cell, convStatus) { return toTimestampCell(x, ntz, loc) }
	}
	return func(cell) (cell, convStatus) { return cell{}, convInvalid }
}

func toBoolCell(x cell) (cell, convStatus) {
	switch x.k {
	case cBool:
		return x, convOK
	case cInt, cTs:
		return cell{k: cBool, b: x.i != 0}, convOK
	case cFloat:
		return cell{k: cBool, b: x.f != 0}, convOK
	case cDec:
		return cell{k: cBool, b: x.d.Sign() != 0}, convOK
	case cStr:
		switch strings.ToLower(strings.TrimSpace(x.s)) {
		case "t", "true", "y", "yes", "1":
			return cell{k: cBool, b: true}, convOK
		case "f", "false", "n", "no", "0":
			return cell{k: cBool, b: false}, convOK
		}
	}
	return cell{}, convInvalid
}

func fitsBits(v int64, bits int) bool {
	if bits == 64 {
		return true
	}
	lim := int64(1) << (bits - 1)
	return v >= -lim && v < lim
}

func wrapBits(v int64, bits int) int64 {
	switch bits {
	case 8:
		return int64(int8(v))
	case 16:
		return int64(int16(v))
	case 32:
		return int64(int32(v))
	}
	return v
}

// toIntCell follows Spark: integral narrowing and decimal/timestamp
// truncation wrap in legacy mode; floats saturate like Java's (int) cast;
// strings accept a fraction, which is dropped, and overflow to NULL.
func toIntCell(x cell, bits int) (cell, convStatus) {
	var v int64
	switch x.k {
	case cBool:
		if x.b {
			v = 1
		}
	case cInt:
		v = x.i
	case cTs:
		v = floorDiv(x.i, microsPerSecond)
	case cFloat:
		f := x.f
		if math.IsNaN(f) || math.IsInf(f, 0) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
			// Java: NaN → 0, out of range saturates; that is an overflow for ANSI.
			var sat int64
			switch {
			case math.IsNaN(f):
			case f > 0:
				sat = math.MaxInt64
			default:
				sat = math.MinInt64
			}
			if bits < 64 {
				sat = saturate32(f)
				return cell{k: cInt, i: wrapBits(sat, bits)}, convOverflow
			}
			return cell{k: cInt, i: sat}, convOverflow
		}
		t := int64(f)
		if bits < 64 {
			s := saturate32(f)
			if !fitsBits(t, bits) {
				return cell{k: cInt, i: wrapBits(s, bits)}, convOverflow
			}
		}
		return cell{k: cInt, i: t}, convOK
	case cDec:
		b := x.d.BigInt()
		b.Quo(b, pow10(x.scale))
		wrapped := wrapBits(new(big.Int).And(b, maxU64).Int64(), bits)
		if !b.IsInt64() || !fitsBits(b.Int64(), bits) {
			return cell{k: cInt, i: wrapped}, convOverflow
		}
		v = b.Int64()
	case cStr:
		s := strings.TrimSpace(x.s)
		if i := strings.IndexByte(s, '.'); i >= 0 {
			frac := s[i+1:]
			if strings.Trim(frac, "0123456789") != "" || (i == 0 && frac == "") {
				return cell{}, convInvalid
			}
			s = s[:i]
			if s == "" || s == "-" || s == "+" {
				s += "0"
			}
		}
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return cell{}, convOverflow // Spark returns NULL, not a wrapped value
			}
			return cell{}, convInvalid
		}
		return cell{k: cInt, i: n}, convOK
	default:
		return cell{}, convInvalid
	}
	if !fitsBits(v, bits) {
		return cell{k: cInt, i: wrapBits(v, bits)}, convOverflow
	}
	return cell{k: cInt, i: v}, convOK
}

var maxU64 = new(big.Int).SetUint64(math.MaxUint64)

func saturate32(f float64) int64 {
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt32:
		return math.MaxInt32
	case f <= math.MinInt32:
		return math.MinInt32
	}
	return int64(f)
}

func toFloatCell(x cell) (cell, convStatus) {
	switch x.k {
	case cBool:
		if x.b {
			return cell{k: cFloat, f: 1}, convOK
		}
		return cell{k: cFloat}, convOK
	case cInt:
		return cell{k: cFloat, f: float64(x.i)}, convOK
	case cFloat:
		return cell{k: cFloat, f: x.f}, convOK
	case cTs:
		return cell{k: cFloat, f: float64(x.i) / 1e6}, convOK
	case cDec:
		f, _ := new(big.Rat).SetFrac(x.d.BigInt(), pow10(x.scale)).Float64()
		return cell{k: cFloat, f: f}, convOK
	case cStr:
		f, ok := parseSparkDouble(x.s)
		if !ok {
			return cell{}, convInvalid
		}
		return cell{k: cFloat, f: f}, convOK
	}
	return cell{}, convInvalid
}

// parseSparkDouble accepts what Java's Double.parseDouble accepts plus
// Spark's inf/infinity/nan spellings.
func parseSparkDouble(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	case "nan":
		return math.NaN(), true
	}
	if n := len(s); n > 1 && strings.ContainsRune("dDfF", rune(s[n-1])) {
		s = s[:n-1]
	}
	if s == "" || strings.ContainsAny(s, "xX_pPiInN") {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true // Java rounds to ±Infinity or 0
		}
		return 0, false
	}
	return f, true
}

func pow10(n int32) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// roundHalfUp divides v by 10^drop rounding half away from zero.
func roundHalfUp(v *big.Int, drop int32) *big.Int {
	if drop <= 0 {
		return new(big.Int).Mul(v, pow10(-drop))
	}
	d := pow10(drop)
	q, r := new(big.Int).QuoRem(v, d, new(big.Int))
	r.Abs(r).Mul(r, big.NewInt(2))
	if r.Cmp(d) >= 0 {
		if v.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

// decimalFromBig rounds unscaled (at scale from) to DECIMAL(p,s).
func decimalFromBig(unscaled *big.Int, from, p, s int32) (cell, convStatus) {
	v := roundHalfUp(unscaled, from-s)
	if new(big.Int).Abs(v).Cmp(pow10(p)) >= 0 {
		return cell{}, convOverflow
	}
	return cell{k: cDec, d: decimal128.FromBigInt(v), scale: s}, convOK
}

func toDecimalCell(x cell, p, s int32) (cell, convStatus) {
	switch x.k {
	case cBool:
		v := int64(0)
		if x.b {
			v = 1
		}
		return decimalFromBig(big.NewInt(v), 0, p, s)
	case cInt:
		return decimalFromBig(big.NewInt(x.i), 0, p, s)
	case cTs:
		return decimalFromBig(big.NewInt(x.i), 6, p, s)
	case cDec:
		return decimalFromBig(x.d.BigInt(), x.scale, p, s)
	case cFloat:
		if math.IsNaN(x.f) || math.IsInf(x.f, 0) {
			return cell{}, convInvalid
		}
		bits := 64
		if x.b {
			bits = 32
		}
		l, err := decimalText2Big(strconv.FormatFloat(x.f, 'e', -1, bits))
		if err != nil {
			return cell{}, convInvalid
		}
		return decimalFromBig(l.v, l.scale, p, s)
	case cStr:
		l, err := decimalText2Big(strings.TrimSpace(x.s))
		if err != nil {
			return cell{}, convInvalid
		}
		return decimalFromBig(l.v, l.scale, p, s)
	}
	return cell{}, convInvalid
}

type bigDec struct {
	v     *big.Int
	scale int32
}

// decimalText2Big parses [+-]digits[.digits][e[+-]n] exactly.
func decimalText2Big(s string) (bigDec, error) {
	neg := false
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		neg = s[0] == '-'
		s = s[1:]
	}
	exp := 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 400 || e < -400 {
			return bigDec{}, fmt.Errorf("bad exponent")
		}
		exp = e
		s = s[:i]
	}
	ip, fp, _ := strings.Cut(s, ".")
	digits := ip + fp
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return bigDec{}, fmt.Errorf("bad decimal")
	}
	v, _ := new(big.Int).SetString(digits, 10)
	if neg {
		v.Neg(v)
	}
	scale := int32(len(fp) - exp)
	return bigDec{v: v, scale: scale}, nil
}

func toStringCell(x cell, loc *time.Location) (cell, convStatus) {
	var s string
	switch x.k {
	case cBool:
		s = strconv.FormatBool(x.b)
	case cInt:
		s = strconv.FormatInt(x.i, 10)
	case cFloat:
		bits := 64
		if x.b {
			bits = 32
		}
		s = javaFloatString(x.f, bits)
	case cDec:
		s = decimalText(x.d, x.scale)
	case cStr, cBin:
		s = x.s
	case cDate:
		s = civilDate(int32(x.i))
	case cTs:
		s = formatTimestamp(x.i, loc)
	case cNTZ:
		s = formatTimestamp(x.i, time.UTC)
	default:
		return cell{}, convInvalid
	}
	return cell{k: cStr, s: s}, convOK
}

// javaFloatString formats like Java's Double.toString / Float.toString,
// which is what Spark's CAST(double AS STRING) prints.
func javaFloatString(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

func toDateCell(x cell, loc *time.Location) (cell, convStatus) {
	switch x.k {
	case cDate:
		return x, convOK
	case cStr:
		d, ok := parseDate(x.s)
		if !ok {
			return cell{}, convInvalid
		}
		return cell{k: cDate, i: int64(d)}, convOK
	case cTs:
		t := time.UnixMicro(x.i).In(loc)
		return cell{k: cDate, i: int64(daysFromCivil(t.Year(), int(t.Month()), t.Day()))}, convOK
	case cNTZ:
		return cell{k: cDate, i: floorDiv(x.i, microsPerDay)}, convOK
	}
	return cell{}, convInvalid
}

// wallToInstant reads wall-clock µs as a local time in loc.
func wallToInstant(wall int64, loc *time.Location) int64 {
	sec := floorDiv(wall, microsPerSecond)
	frac := wall - sec*microsPerSecond
	t := time.Unix(sec, 0).UTC()
	local := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc)
	return local.Unix()*microsPerSecond + frac
}

// instantToWall gives the wall-clock µs of an instant in loc.
func instantToWall(us int64, loc *time.Location) int64 {
	_, off := time.UnixMicro(us).In(loc).Zone()
	return us + int64(off)*microsPerSecond
}

func toTimestampCell(x cell, ntz bool, loc *time.Location) (cell, convStatus) {
	k := cTs
	if ntz {
		k = cNTZ
	}
	switch x.k {
	case cStr:
		var v int64
		var ok bool
		if ntz {
			v, ok = parseTimestampNTZ(x.s)
		} else {
			v, ok = parseTimestamp(x.s, loc)
		}
		if !ok {
			return cell{}, convInvalid
		}
		return cell{k: k, i: v}, convOK
	case cDate:
		wall := x.i * microsPerDay
		if ntz {
			return cell{k: k, i: wall}, convOK
		}
		return cell{k: k, i: wallToInstant(wall, loc)}, convOK
	case cTs:
		if ntz {
			return cell{k: k, i: instantToWall(x.i, loc)}, convOK
		}
		return x, convOK
	case cNTZ:
		if ntz {
			return x, convOK
		}
		return cell{k: k, i: wallToInstant(x.i, loc)}, convOK
	case cInt:
		if x.i > math.MaxInt64/microsPerSecond || x.i < math.MinInt64/microsPerSecond {
			return cell{}, convOverflow
		}
		return cell{k: k, i: x.i * microsPerSecond}, convOK
	case cBool:
		if x.b {
			return cell{k: k, i: microsPerSecond}, convOK
		}
		return cell{k: k}, convOK
	case cFloat:
		if math.IsNaN(x.f) || math.IsInf(x.f, 0) {
			return cell{}, convInvalid
		}
		us := x.f * 1e6
		if us >= 9.2e18 || us <= -9.2e18 {
			return cell{}, convOverflow
		}
		return cell{k: k, i: int64(us)}, convOK
	case cDec:
		f, _ := toFloatCell(x)
		return toTimestampCell(f, ntz, loc)
	}
	return cell{}, convInvalid
}
