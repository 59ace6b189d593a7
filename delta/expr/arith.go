package expr

import (
	"fmt"
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

type valuer[T any] interface {
	Value(int) T
	IsNull(int) bool
	Len() int
}

type appender[T any] interface {
	Append(T)
	AppendNull()
	Reserve(int)
	NewArray() arrow.Array
	Release()
}

type rowStatus uint8

const (
	rowOK           rowStatus = iota
	rowNull                   // the result is NULL in every mode (e.g. NULL input)
	rowOverflow               // legacy: use the wrapped value; ANSI: error
	rowDivZero                // legacy: NULL; ANSI: error
	rowOverflowNull           // legacy: NULL; ANSI: error (decimal overflow)
)

// zipWith applies f row by row; statuses are mapped to Spark's ANSI or
// legacy behaviour. The result is owned.
func zipWith[A, B, R any](ansi bool, what string, a valuer[A], b valuer[B], bld appender[R], f func(x A, y B) (R, rowStatus)) (arrow.Array, error) {
	defer bld.Release()
	n := a.Len()
	bld.Reserve(n)
	for i := 0; i < n; i++ {
		if a.IsNull(i) || b.IsNull(i) {
			bld.AppendNull()
			continue
		}
		r, st := f(a.Value(i), b.Value(i))
		if ansi && st >= rowOverflow {
			return nil, statusErr(st, what)
		}
		switch st {
		case rowOK, rowOverflow: // legacy overflow keeps the wrapped value
			bld.Append(r)
		default:
			bld.AppendNull()
		}
	}
	return bld.NewArray(), nil
}

// statusErr is ANSI mode's error for a row status past rowNull.
func statusErr(st rowStatus, what string) error {
	switch st {
	case rowDivZero:
		return fmt.Errorf("%w: division by zero in %s (set ANSI off to get NULL)", ErrArithmetic, what)
	case rowOverflowNull:
		return fmt.Errorf("%w: %s overflow (set ANSI off to get NULL)", ErrArithmetic, what)
	}
	return fmt.Errorf("%w: %s overflow (set ANSI off to wrap around)", ErrArithmetic, what)
}

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64
}

func intOp[T integer](op string, bits int) func(x, y T) (T, rowStatus) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if bits < 64 {
		hi = int64(1)<<(bits-1) - 1
		lo = -hi - 1
	}
	return func(x, y T) (T, rowStatus) {
		a, b := int64(x), int64(y)
		var r int64
		over := false
		switch op {
		case "+":
			r = a + b
			over = bits == 64 && (a >= 0) == (b >= 0) && (r >= 0) != (a >= 0)
		case "-":
			r = a - b
			over = bits == 64 && (a >= 0) != (b >= 0) && (r >= 0) != (a >= 0)
		case "*":
			r = a * b
			if bits == 64 {
				over = a != 0 && (r/a != b || (a == -1 && b == math.MinInt64))
			} else {
				over = false
			}
		case "/", "div":
			if b == 0 {
				return 0, rowDivZero
			}
			r = a / b
			over = bits == 64 && a == math.MinInt64 && b == -1
		case "%":
			if b == 0 {
				return 0, rowDivZero
			}
			r = a % b
		case "&":
			r = a & b
		case "|":
			r = a | b
		case "^":
			r = a ^ b
		}
		if bits < 64 && (r < lo || r > hi) {
			return T(r), rowOverflow // the conversion wraps like Java
		}
		if over {
			return T(r), rowOverflow
		}
		return T(r), rowOK
	}
}

func floatOp[T float32 | float64](op string) func(x, y T) (T, rowStatus) {
	return func(x, y T) (T, rowStatus) {
		switch op {
		case "+":
			return x + y, rowOK
		case "-":
			return x - y, rowOK
		case "*":
			return x * y, rowOK
		case "/":
			if y == 0 {
				return 0, rowDivZero
			}
			return x / y, rowOK
		case "%":
			if y == 0 {
				return 0, rowDivZero
			}
			return T(math.Mod(float64(x), float64(y))), rowOK
		}
		return 0, rowNull
	}
}

// decimalOp computes on unscaled decimals with Spark's result scale,
// rounding HALF_UP, and reports overflow past the result precision.
func decimalOp(op string, lt, rt, res *arrow.Decimal128Type) func(x, y decimal128.Num) (decimal128.Num, rowStatus) {
	s1, s2, s, p := lt.Scale, rt.Scale, res.Scale, res.Precision
	limit := pow10(p)
	return func(x, y decimal128.Num) (decimal128.Num, rowStatus) {
		a, b := x.BigInt(), y.BigInt()
		var v *big.Int
		switch op {
		case "+", "-":
			m := max(s1, s2)
			a.Mul(a, pow10(m-s1))
			b.Mul(b, pow10(m-s2))
			if op == "+" {
				v = a.Add(a, b)
			} else {
				v = a.Sub(a, b)
			}
			v = roundHalfUp(v, m-s)
		case "*":
			v = roundHalfUp(a.Mul(a, b), s1+s2-s)
		case "/":
			if b.Sign() == 0 {
				return decimal128.Num{}, rowDivZero
			}
			// (a/10^s1)/(b/10^s2)·10^s = a·10^(s2+s) / (b·10^s1)
			num := new(big.Int).Mul(a, pow10(s2+s))
			den := new(big.Int).Mul(b, pow10(s1))
			v = divHalfUp(num, den)
		case "%":
			if b.Sign() == 0 {
				return decimal128.Num{}, rowDivZero
			}
			m := max(s1, s2)
			a.Mul(a, pow10(m-s1))
			b.Mul(b, pow10(m-s2))
			v = roundHalfUp(new(big.Int).Rem(a, b), m-s)
		}
		if new(big.Int).Abs(v).Cmp(limit) >= 0 {
			return decimal128.Num{}, rowOverflowNull
		}
		return decimal128.FromBigInt(v), rowOK
	}
}

func divHalfUp(num, den *big.Int) *big.Int {
	neg := (num.Sign() < 0) != (den.Sign() < 0)
	n, d := new(big.Int).Abs(num), new(big.Int).Abs(den)
	q, r := new(big.Int).QuoRem(n, d, new(big.Int))
	if r.Mul(r, big.NewInt(2)).Cmp(d) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	return q
}

// arithmeticType decides operand and result types for a binary arithmetic
// operator following Spark's coercion and DecimalPrecision rules.
func (c *compiler) arithmeticType(n *node, op string, l, r *cnode) (operand, result arrow.DataType, err error) {
	lt, rt := l.typ, r.typ
	// Strings in arithmetic are read as DOUBLE (non-ANSI promotion).
	if isString(lt) {
		lt = arrow.PrimitiveTypes.Float64
	}
	if isString(rt) {
		rt = arrow.PrimitiveTypes.Float64
	}
	if isNull(lt) && isNull(rt) {
		lt, rt = arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int32
	} else if isNull(lt) {
		lt = rt
	} else if isNull(rt) {
		rt = lt
	}
	bad := func() (arrow.DataType, arrow.DataType, error) {
		return nil, nil, compileErr(n, ErrType, "operator %s does not accept %s and %s", op, sparkTypeName(l.typ), sparkTypeName(r.typ))
	}
	if !isNumeric(lt) || !isNumeric(rt) {
		return bad()
	}
	switch op {
	case "&", "|", "^":
		if !isIntegral(lt) || !isIntegral(rt) {
			return bad()
		}
		t, _ := tightestCommonType(lt, rt)
		return t, t, nil
	case "div":
		if isFloating(lt) || isFloating(rt) {
			return bad()
		}
		if isDecimal(lt) || isDecimal(rt) {
			d1, d2 := c.asDecimal(l, lt), c.asDecimal(r, rt)
			return widerDecimal(d1, d2), arrow.PrimitiveTypes.Int64, nil
		}
		return arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, nil
	case "/":
		if (isDecimal(lt) || isDecimal(rt)) && !isFloating(lt) && !isFloating(rt) {
			d1, d2 := c.asDecimal(l, lt), c.asDecimal(r, rt)
			s := max(6, d1.Scale+d2.Precision+1)
			p := d1.Precision - d1.Scale + d2.Scale + s
			return nil, adjustDecimal(p, s), nil
		}
		return arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float64, nil
	}
	if isDecimal(lt) || isDecimal(rt) {
		if isFloating(lt) || isFloating(rt) {
			return arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float64, nil
		}
		d1, d2 := c.asDecimal(l, lt), c.asDecimal(r, rt)
		var res *arrow.Decimal128Type
		switch op {
		case "+", "-":
			s := max(d1.Scale, d2.Scale)
			res = adjustDecimal(max(d1.Precision-d1.Scale, d2.Precision-d2.Scale)+s+1, s)
		case "*":
			res = adjustDecimal(d1.Precision+d2.Precision+1, d1.Scale+d2.Scale)
		case "%":
			s := max(d1.Scale, d2.Scale)
			res = adjustDecimal(min(d1.Precision-d1.Scale, d2.Precision-d2.Scale)+s, s)
		}
		return nil, res, nil
	}
	t, _ := tightestCommonType(lt, rt)
	return t, t, nil
}

// asDecimal is the DECIMAL an operand is read as; integral literals use
// their own digit count (Spark's literalPickMinimumPrecision).
func (c *compiler) asDecimal(cn *cnode, t arrow.DataType) *arrow.Decimal128Type {
	if d, ok := t.(*arrow.Decimal128Type); ok {
		return d
	}
	if cn.konst != nil && cn.konst.IsValid() && isIntegral(cn.typ) {
		v, _ := scalarInt64(cn.konst)
		digits := len(fmt.Sprint(v))
		if v < 0 {
			digits--
		}
		return &arrow.Decimal128Type{Precision: int32(digits)}
	}
	return decimalForIntegral(t)
}

func scalarInt64(s scalar.Scalar) (int64, bool) {
	switch x := s.(type) {
	case *scalar.Int8:
		return int64(x.Value), true
	case *scalar.Int16:
		return int64(x.Value), true
	case *scalar.Int32:
		return int64(x.Value), true
	case *scalar.Int64:
		return x.Value, true
	}
	return 0, false
}

func (c *compiler) arithmetic(n *node) (*cnode, error) {
	l, err := c.compile(n.args[0])
	if err != nil {
		return nil, err
	}
	r, err := c.compile(n.args[1])
	if err != nil {
		return nil, err
	}
	if cn, ok, err := c.datetimeArithmetic(n, l, r); ok || err != nil {
		return cn, err
	}
	operand, result, err := c.arithmeticType(n, n.op, l, r)
	if err != nil {
		return nil, err
	}
	var lo, ro arrow.DataType = operand, operand
	if operand == nil { // decimal: each side keeps its own precision
		lo, ro = c.asDecimal(l, nonNull(l.typ, r.typ)), c.asDecimal(r, nonNull(r.typ, l.typ))
	} else if isDecimal(operand) && n.op == "div" {
		lo, ro = c.asDecimal(l, nonNull(l.typ, r.typ)), c.asDecimal(r, nonNull(r.typ, l.typ))
	}
	if isString(l.typ) {
		lo = arrow.PrimitiveTypes.Float64
	}
	if l, err = c.coerce(l, lo); err != nil {
		return nil, err
	}
	if r, err = c.coerce(r, ro); err != nil {
		return nil, err
	}
	op, ansi := n.op, c.opts.ANSI
	what := fmt.Sprintf("%s %s %s", sparkTypeName(l.typ), op, sparkTypeName(r.typ))
	cn := &cnode{typ: result, src: n, eval: func(ec *evalCtx) (value, error) {
		lv, rv, err := ec.evalValues(l, r)
		if err != nil {
			return value{}, err
		}
		out, err := ec.arith(op, ansi, what, lv, rv, l.typ, r.typ, result)
		return value{arr: out}, err
	}}
	return c.fold(cn, l, r), nil
}

func nonNull(t, other arrow.DataType) arrow.DataType {
	if isNull(t) {
		if isNull(other) {
			return arrow.PrimitiveTypes.Int32
		}
		return other
	}
	if isString(t) {
		return arrow.PrimitiveTypes.Float64
	}
	return t
}

// evalValues evaluates both operands; the caller owns both values.
func (ec *evalCtx) evalValues(l, r *cnode) (value, value, error) {
	lv, err := l.eval(ec)
	if err != nil {
		return value{}, value{}, err
	}
	rv, err := r.eval(ec)
	if err != nil {
		lv.release()
		return value{}, value{}, err
	}
	return lv, rv, nil
}

// arith computes lv op rv, taking ownership of both values: the
// vectorised kernels when they apply, else the generic row loop over
// materialised arrays.
func (ec *evalCtx) arith(op string, ansi bool, what string, lv, rv value, lt, rt, result arrow.DataType) (arrow.Array, error) {
	if out, ok, err := fastArith(ec, op, ansi, what, lv, rv); ok {
		lv.release()
		rv.release()
		return out, err
	}
	la, err := ec.materialize(lv, lt)
	if err != nil {
		rv.release()
		return nil, err
	}
	defer la.Release()
	ra, err := ec.materialize(rv, rt)
	if err != nil {
		return nil, err
	}
	defer ra.Release()
	return arithKernel(ec, op, ansi, what, la, ra, result)
}

// evalPair evaluates both operands as arrays of batch length.
func (ec *evalCtx) evalPair(l, r *cnode) (arrow.Array, arrow.Array, error) {
	lv, err := l.eval(ec)
	if err != nil {
		return nil, nil, err
	}
	la, err := ec.materialize(lv, l.typ)
	if err != nil {
		lv.release()
		return nil, nil, err
	}
	rv, err := r.eval(ec)
	if err != nil {
		la.Release()
		return nil, nil, err
	}
	ra, err := ec.materialize(rv, r.typ)
	if err != nil {
		la.Release()
		rv.release()
		return nil, nil, err
	}
	return la, ra, nil
}

func arithKernel(ec *evalCtx, op string, ansi bool, what string, la, ra arrow.Array, result arrow.DataType) (arrow.Array, error) {
	mem := ec.mem
	switch a := la.(type) {
	case *array.Int8:
		return zipWith(ansi, what, a, ra.(*array.Int8), array.NewInt8Builder(mem), intOp[int8](op, 8))
	case *array.Int16:
		return zipWith(ansi, what, a, ra.(*array.Int16), array.NewInt16Builder(mem), intOp[int16](op, 16))
	case *array.Int32:
		return zipWith(ansi, what, a, ra.(*array.Int32), array.NewInt32Builder(mem), intOp[int32](op, 32))
	case *array.Int64:
		return zipWith(ansi, what, a, ra.(*array.Int64), array.NewInt64Builder(mem), intOp[int64](op, 64))
	case *array.Float32:
		return zipWith(ansi, what, a, ra.(*array.Float32), array.NewFloat32Builder(mem), floatOp[float32](op))
	case *array.Float64:
		return zipWith(ansi, what, a, ra.(*array.Float64), array.NewFloat64Builder(mem), floatOp[float64](op))
	case *array.Decimal128:
		lt := a.DataType().(*arrow.Decimal128Type)
		rt := ra.DataType().(*arrow.Decimal128Type)
		if op == "div" {
			return zipWith(ansi, what, a, ra.(*array.Decimal128), array.NewInt64Builder(mem), func(x, y decimal128.Num) (int64, rowStatus) {
				// integral division truncates toward zero
				if y.Sign() == 0 {
					return 0, rowDivZero
				}
				num := new(big.Int).Mul(x.BigInt(), pow10(rt.Scale))
				den := new(big.Int).Mul(y.BigInt(), pow10(lt.Scale))
				q := num.Quo(num, den)
				if !q.IsInt64() {
					return new(big.Int).And(q, maxU64).Int64(), rowOverflow
				}
				return q.Int64(), rowOK
			})
		}
		res := result.(*arrow.Decimal128Type)
		return zipWith(ansi, what, a, ra.(*array.Decimal128), array.NewDecimal128Builder(mem, res), decimalOp(op, lt, rt, res))
	}
	return nil, fmt.Errorf("%w: operator %s on %s", ErrType, op, sparkTypeName(la.DataType()))
}

func (c *compiler) negate(n *node) (*cnode, error) {
	in, err := c.compile(n.args[0])
	if err != nil {
		return nil, err
	}
	if isString(in.typ) {
		if in, err = c.coerce(in, arrow.PrimitiveTypes.Float64); err != nil {
			return nil, err
		}
	}
	if isNull(in.typ) {
		if in, err = c.coerce(in, arrow.PrimitiveTypes.Int32); err != nil {
			return nil, err
		}
	}
	if !isNumeric(in.typ) && in.typ.ID() != arrow.INTERVAL_MONTH_DAY_NANO {
		return nil, compileErr(n, ErrType, "unary minus does not accept %s", sparkTypeName(in.typ))
	}
	if in.typ.ID() == arrow.INTERVAL_MONTH_DAY_NANO {
		return c.intervalNegate(n, in)
	}
	zero, err := c.compile(&node{kind: kLiteral, pos: n.pos, lit: literal{kind: litInt8}})
	if err != nil {
		return nil, err
	}
	if zero, err = c.coerce(zero, in.typ); err != nil {
		return nil, err
	}
	// -x is 0 - x with the operand's own type: the same wrap/overflow rules.
	typ, ansi := in.typ, c.opts.ANSI
	what := "-" + sparkTypeName(typ)
	cn := &cnode{typ: typ, src: n, eval: func(ec *evalCtx) (value, error) {
		if d, ok := typ.(*arrow.Decimal128Type); ok {
			za, xa, err := ec.evalPair(zero, in)
			if err != nil {
				return value{}, err
			}
			defer za.Release()
			defer xa.Release()
			out, err := zipWith(ansi, what, za.(*array.Decimal128), xa.(*array.Decimal128), array.NewDecimal128Builder(ec.mem, d), decimalOp("-", d, d, d))
			return value{arr: out}, err
		}
		zv, xv, err := ec.evalValues(zero, in)
		if err != nil {
			return value{}, err
		}
		out, err := ec.arith("-", ansi, what, zv, xv, typ, typ, typ)
		return value{arr: out}, err
	}}
	return c.fold(cn, in), nil
}

func (c *compiler) bitNot(n *node) (*cnode, error) {
	in, err := c.compile(n.args[0])
	if err != nil {
		return nil, err
	}
	if isNull(in.typ) {
		if in, err = c.coerce(in, arrow.PrimitiveTypes.Int32); err != nil {
			return nil, err
		}
	}
	if !isIntegral(in.typ) {
		return nil, compileErr(n, ErrType, "~ needs an integral operand, not %s", sparkTypeName(in.typ))
	}
	minus1, err := c.coerce(constNode(scalar.NewInt8Scalar(-1), n), in.typ)
	if err != nil {
		return nil, err
	}
	typ := in.typ
	cn := &cnode{typ: typ, src: n, eval: func(ec *evalCtx) (value, error) {
		xv, mv, err := ec.evalValues(in, minus1)
		if err != nil {
			return value{}, err
		}
		out, err := ec.arith("^", false, "~", xv, mv, typ, typ, typ)
		return value{arr: out}, err
	}}
	return c.fold(cn, in), nil
}
