package expr

import (
	"math"
	"math/big"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// numericArg coerces strings to DOUBLE (Spark's implicit cast for math
// functions) and rejects other non-numeric arguments.
func (c *compiler) numericArg(n *node, i int, args []*cnode) error {
	t := args[i].typ
	switch {
	case isNumeric(t):
		return nil
	case isString(t), isNull(t):
		return c.expect(n, i, args, arrow.PrimitiveTypes.Float64)
	}
	return compileErr(n, ErrType, "argument %d of %s must be numeric, not %s", i+1, n.op, sparkTypeName(t))
}

func buildAbs(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if err := c.numericArg(n, 0, args); err != nil {
		return nil, err
	}
	t := args[0].typ
	bits := map[arrow.Type]int{arrow.INT8: 8, arrow.INT16: 16, arrow.INT32: 32, arrow.INT64: 64}[t.ID()]
	return c.mapRows(n, args, t, false, func(xs []cell) (cell, rowStatus) {
		x := xs[0]
		switch x.k {
		case cInt:
			if x.i < 0 {
				v := -x.i
				if !fitsBits(v, bits) || v < 0 {
					return cell{k: cInt, i: wrapBits(v, bits)}, rowOverflow // abs(MIN) wraps to MIN
				}
				return cell{k: cInt, i: v}, rowOK
			}
			return x, rowOK
		case cFloat:
			return cell{k: cFloat, f: math.Abs(x.f)}, rowOK
		case cDec:
			if x.d.Sign() < 0 {
				x.d = x.d.Negate()
			}
			return x, rowOK
		}
		return cell{}, rowNull
	}), nil
}

// roundedDecimalType is Spark's result type for round/floor/ceil on
// DECIMAL(p,s) to scale d.
func roundedDecimalType(t *arrow.Decimal128Type, d int32) *arrow.Decimal128Type {
	intDigits := t.Precision - t.Scale + 1
	if d < 0 {
		return &arrow.Decimal128Type{Precision: min(max(intDigits, -d+1), maxDecimalPrecision), Scale: 0}
	}
	s := min(t.Scale, d)
	return &arrow.Decimal128Type{Precision: min(intDigits+s, maxDecimalPrecision), Scale: s}
}

// roundBig rounds an unscaled value at scale from to scale to (which may be
// negative), HALF_UP, returning the unscaled value at max(to, 0).
func roundBig(v *big.Int, from, to int32) *big.Int {
	if to >= 0 {
		return roundHalfUp(v, from-to)
	}
	r := roundHalfUp(v, from-to) // now at scale `to` (negative)
	return r.Mul(r, pow10(-to))
}

func buildRound(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if err := c.numericArg(n, 0, args); err != nil {
		return nil, err
	}
	d := int32(0)
	if len(args) > 1 {
		if args[1].konst == nil || !isIntegral(args[1].typ) {
			return nil, compileErr(n, ErrType, "the scale of round must be an integer constant")
		}
		v, _ := scalarInt64(args[1].konst)
		d = int32(v)
	}
	t := args[0].typ
	out := t
	if dt, ok := t.(*arrow.Decimal128Type); ok {
		out = roundedDecimalType(dt, d)
	}
	outScale := int32(0)
	if dt, ok := out.(*arrow.Decimal128Type); ok {
		outScale = dt.Scale
	}
	bits := map[arrow.Type]int{arrow.INT8: 8, arrow.INT16: 16, arrow.INT32: 32, arrow.INT64: 64}[t.ID()]
	return c.mapRows(n, args[:1], out, false, func(xs []cell) (cell, rowStatus) {
		x := xs[0]
		switch x.k {
		case cInt:
			if d >= 0 {
				return x, rowOK
			}
			r := roundBig(big.NewInt(x.i), 0, d)
			if !r.IsInt64() || !fitsBits(r.Int64(), bits) {
				return cell{k: cInt, i: wrapBits(r.Int64(), bits)}, rowOverflow
			}
			return cell{k: cInt, i: r.Int64()}, rowOK
		case cFloat:
			if math.IsNaN(x.f) || math.IsInf(x.f, 0) {
				return x, rowOK
			}
			// Spark rounds the shortest decimal representation, HALF_UP.
			bitSize := 64
			if x.b {
				bitSize = 32
			}
			bd, err := decimalText2Big(strconv.FormatFloat(x.f, 'e', -1, bitSize))
			if err != nil {
				return x, rowOK
			}
			r := roundBig(bd.v, bd.scale, d)
			sc := max(d, 0)
			f, _ := new(big.Rat).SetFrac(r, pow10(sc)).Float64()
			if r.Sign() == 0 && math.Signbit(x.f) {
				f = math.Copysign(0, -1)
			}
			return cell{k: cFloat, f: f, b: x.b}, rowOK
		case cDec:
			target := d
			if d >= 0 {
				target = outScale
			}
			r := roundBig(x.d.BigInt(), x.scale, target)
			return cell{k: cDec, d: decimal128.FromBigInt(r), scale: outScale}, rowOK
		}
		return cell{}, rowNull
	}), nil
}

func buildFloorCeil(floor bool) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		if err := c.numericArg(n, 0, args); err != nil {
			return nil, err
		}
		var out arrow.DataType = arrow.PrimitiveTypes.Int64
		if dt, ok := args[0].typ.(*arrow.Decimal128Type); ok {
			out = roundedDecimalType(dt, 0)
		}
		return c.mapRows(n, args, out, false, func(xs []cell) (cell, rowStatus) {
			x := xs[0]
			switch x.k {
			case cInt:
				return x, rowOK
			case cFloat:
				f := math.Ceil(x.f)
				if floor {
					f = math.Floor(x.f)
				}
				y, _ := toIntCell(cell{k: cFloat, f: f}, 64) // Java's saturating (long)
				return y, rowOK
			case cDec:
				v := x.d.BigInt()
				q, r := new(big.Int).QuoRem(v, pow10(x.scale), new(big.Int))
				if r.Sign() != 0 && (r.Sign() < 0) == floor {
					if floor {
						q.Sub(q, big.NewInt(1))
					} else {
						q.Add(q, big.NewInt(1))
					}
				}
				return cell{k: cDec, d: decimal128.FromBigInt(q)}, rowOK
			}
			return cell{}, rowNull
		}), nil
	}
}

// buildExtremum is greatest/least: NULLs are skipped, NaN is largest.
func buildExtremum(greatest bool) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		t := args[0].typ
		for _, a := range args[1:] {
			w, ok := widerType(t, a.typ)
			if !ok {
				return nil, compileErr(n, ErrType, "%s arguments have incompatible types %s and %s", n.op, sparkTypeName(t), sparkTypeName(a.typ))
			}
			t = w
		}
		if !comparable(t) {
			return nil, compileErr(n, ErrType, "%s does not support %s", n.op, sparkTypeName(t))
		}
		for i := range args {
			if err := c.expect(n, i, args, t); err != nil {
				return nil, err
			}
		}
		return c.mapRows(n, args, t, true, func(xs []cell) (cell, rowStatus) {
			var best cell
			for _, x := range xs {
				if x.k == cNull {
					continue
				}
				if best.k == cNull {
					best = x
					continue
				}
				cmp := compareCells(x, best)
				if (greatest && cmp > 0) || (!greatest && cmp < 0) {
					best = x
				}
			}
			if best.k == cNull {
				return cell{}, rowNull
			}
			return best, rowOK
		}), nil
	}
}

// compareCells orders two cells of the same kind the Spark way.
func compareCells(a, b cell) int {
	switch a.k {
	case cBool:
		return boolCmp(a.b, b.b)
	case cInt, cDate, cTs, cNTZ:
		return cmpOrdered(a.i, b.i)
	case cFloat:
		return cmpOrdered(a.f, b.f)
	case cDec:
		return a.d.Cmp(b.d)
	case cStr, cBin:
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
	}
	return 0
}

func buildIsNaN(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if err := c.numericArg(n, 0, args); err != nil {
		return nil, err
	}
	if !isFloating(args[0].typ) {
		if err := c.expect(n, 0, args, arrow.PrimitiveTypes.Float64); err != nil {
			return nil, err
		}
	}
	// isnan(NULL) is FALSE, not NULL.
	return c.mapRows(n, args, boolType, true, func(xs []cell) (cell, rowStatus) {
		return cell{k: cBool, b: xs[0].k == cFloat && math.IsNaN(xs[0].f)}, rowOK
	}), nil
}
