package expr

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

type compiler struct {
	schema *arrow.Schema
	opts   *CompileOptions
	now    time.Time
}

func (c *compiler) compile(n *node) (*cnode, error) {
	switch n.kind {
	case kColumn:
		return c.column(n)
	case kLiteral:
		return c.literal(n)
	case kNot:
		return c.not(n)
	case kBinary:
		switch n.op {
		case "and", "or":
			return c.logical(n)
		case "=", "!=", "<", "<=", ">", ">=", "<=>":
			return c.comparison(n, n.op, n.args[0], n.args[1])
		case "||":
			return c.call(&node{kind: kCall, pos: n.pos, op: "concat", args: n.args})
		}
		return c.arithmetic(n)
	case kNeg:
		return c.negate(n)
	case kBitNot:
		return c.bitNot(n)
	case kIsNull:
		return c.isNull(n)
	case kIsBool:
		return c.isBool(n)
	case kBetween:
		// Spark replaces BETWEEN by two comparisons coerced separately.
		ge := &node{kind: kBinary, pos: n.pos, op: ">=", args: []*node{n.args[0], n.args[1]}}
		le := &node{kind: kBinary, pos: n.pos, op: "<=", args: []*node{n.args[0], n.args[2]}}
		var r *node = &node{kind: kBinary, pos: n.pos, op: "and", args: []*node{ge, le}}
		if n.not {
			r = &node{kind: kNot, pos: n.pos, args: []*node{r}}
		}
		return c.compile(r)
	case kIn:
		return c.in(n)
	case kLike:
		return c.like(n)
	case kCase:
		return c.caseWhen(n)
	case kCast:
		return c.explicitCast(n)
	case kCall:
		return c.call(n)
	}
	return nil, compileErr(n, ErrType, "unsupported expression")
}

func (c *compiler) column(n *node) (*cnode, error) {
	idx, names, field, err := resolvePath(c.schema, n.path)
	if err != nil && len(n.path) == 1 {
		// Spark reads CURRENT_DATE and CURRENT_TIMESTAMP without parentheses
		// as the functions when no column has that name.
		switch lowerASCII(n.path[0]) {
		case "current_date", "current_timestamp":
			return c.call(&node{kind: kCall, pos: n.pos, op: lowerASCII(n.path[0])})
		}
	}
	if err != nil {
		ce := err.(*CompileError)
		ce.Pos = n.pos
		return nil, ce
	}
	want, ok := sparkType(field.Type)
	if !ok {
		return nil, compileErr(n, ErrType, "column %s has unsupported type %s", quotePath(names), field.Type)
	}
	return &cnode{typ: want, src: n, eval: func(ec *evalCtx) (value, error) {
		return ec.columnValue(idx, want)
	}}, nil
}

func (c *compiler) literal(n *node) (*cnode, error) {
	l := n.lit
	if l.bad != nil {
		return nil, compileErr(n, ErrType, "%v", l.bad)
	}
	var sc scalar.Scalar
	switch l.kind {
	case litNull:
		sc = scalar.MakeNullScalar(arrow.Null)
	case litBool:
		sc = scalar.NewBooleanScalar(l.b)
	case litInt8:
		sc = scalar.NewInt8Scalar(int8(l.i))
	case litInt16:
		sc = scalar.NewInt16Scalar(int16(l.i))
	case litInt32:
		sc = scalar.NewInt32Scalar(int32(l.i))
	case litInt64:
		sc = scalar.NewInt64Scalar(l.i)
	case litFloat32:
		sc = scalar.NewFloat32Scalar(float32(l.f))
	case litFloat64:
		sc = scalar.NewFloat64Scalar(l.f)
	case litDecimal:
		sc = scalar.NewDecimal128Scalar(l.dec, &arrow.Decimal128Type{Precision: l.prec, Scale: l.scale})
	case litString:
		sc = scalar.NewStringScalar(l.s)
	case litBinary:
		sc = scalar.NewBinaryScalar(memory.NewBufferBytes(l.bin), arrow.BinaryTypes.Binary)
	case litDate:
		sc = scalar.NewDate32Scalar(arrow.Date32(l.i))
	case litTimestamp:
		us := l.i
		if !l.abs {
			v, ok := parseTimestamp(l.s, c.opts.TimeZone)
			if !ok {
				return nil, compileErr(n, ErrType, "invalid TIMESTAMP literal %q", l.s)
			}
			us = v
		}
		sc = scalar.NewTimestampScalar(arrow.Timestamp(us), typeTimestamp)
	case litTimestampNTZ:
		v, ok := parseTimestampNTZ(l.s)
		if !ok {
			return nil, compileErr(n, ErrType, "invalid TIMESTAMP_NTZ literal %q", l.s)
		}
		sc = scalar.NewTimestampScalar(arrow.Timestamp(v), typeTimestampNTZ)
	case litInterval:
		sc = scalar.NewMonthDayNanoIntervalScalar(arrow.MonthDayNanoInterval{Months: l.months, Days: l.days, Nanoseconds: l.i * 1000})
	}
	return constNode(sc, n), nil
}

// predicate compiles n and requires a BOOLEAN (or untyped NULL) result.
func (c *compiler) predicate(n *node, what string) (*cnode, error) {
	cn, err := c.compile(n)
	if err != nil {
		return nil, err
	}
	if isNull(cn.typ) {
		return c.coerce(cn, arrow.FixedWidthTypes.Boolean)
	}
	if !isBool(cn.typ) {
		return nil, compileErr(n, ErrType, "%s must be BOOLEAN, but %s is %s", what, n, sparkTypeName(cn.typ))
	}
	return cn, nil
}

// coerce applies an implicit cast (ANSI or legacy per options).
func (c *compiler) coerce(cn *cnode, to arrow.DataType) (*cnode, error) {
	if arrow.TypeEqual(cn.typ, to) {
		return cn, nil
	}
	mode := castLegacy
	if c.opts.ANSI {
		mode = castANSI
	}
	return c.castNode(cn, to, mode, cn.src)
}

func (c *compiler) compileAll(ns []*node) ([]*cnode, error) {
	out := make([]*cnode, len(ns))
	for i, a := range ns {
		cn, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		out[i] = cn
	}
	return out, nil
}

func (c *compiler) explicitCast(n *node) (*cnode, error) {
	in, err := c.compile(n.args[0])
	if err != nil {
		return nil, err
	}
	if isDate(in.typ) && (isNumeric(n.castTo) || isBool(n.castTo)) && !c.opts.ANSI {
		// Spark's non-ANSI CAST accepts DATE to a number and yields NULL.
		return constNode(scalar.MakeNullScalar(n.castTo), n), nil
	}
	if !canCast(in.typ, n.castTo) {
		return nil, compileErr(n, ErrType, "cannot cast %s to %s", sparkTypeName(in.typ), sparkTypeName(n.castTo))
	}
	mode := castLegacy
	switch {
	case n.try:
		mode = castTry
	case c.opts.ANSI:
		mode = castANSI
	}
	return c.castNode(in, n.castTo, mode, n)
}
