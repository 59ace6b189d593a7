package expr

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// funcSpec describes one SQL function: its arity and how to compile it.
type funcSpec struct {
	min, max int // max < 0: variadic
	build    func(c *compiler, n *node, args []*cnode) (*cnode, error)
}

func (c *compiler) call(n *node) (*cnode, error) {
	spec, ok := lookupFunction(n.op)
	if !ok {
		return nil, compileErr(n, ErrUnknownFunction, "function %s is not supported", n.op)
	}
	if len(n.args) < spec.min || (spec.max >= 0 && len(n.args) > spec.max) {
		want := fmt.Sprint(spec.min)
		switch {
		case spec.max < 0:
			want = fmt.Sprintf("at least %d", spec.min)
		case spec.max != spec.min:
			want = fmt.Sprintf("%d to %d", spec.min, spec.max)
		}
		return nil, compileErr(n, ErrType, "function %s takes %s arguments, got %d", n.op, want, len(n.args))
	}
	args, err := c.compileAll(n.args)
	if err != nil {
		return nil, err
	}
	return spec.build(c, n, args)
}

// expect coerces a function argument to t when Spark would cast it
// implicitly, or fails with a type error naming the function.
func (c *compiler) expect(n *node, i int, args []*cnode, t arrow.DataType) error {
	a := args[i]
	if arrow.TypeEqual(a.typ, t) {
		return nil
	}
	ok := isNull(a.typ) || implicitlyCastable(a.typ, t)
	if !ok {
		return compileErr(n, ErrType, "argument %d of %s must be %s, not %s", i+1, n.op, sparkTypeName(t), sparkTypeName(a.typ))
	}
	cn, err := c.coerce(a, t)
	if err != nil {
		return err
	}
	args[i] = cn
	return nil
}

// implicitlyCastable is Spark's ImplicitTypeCasts.implicitCast rule set.
func implicitlyCastable(from, to arrow.DataType) bool {
	switch {
	case isNumeric(from) && isNumeric(to):
		return true
	case isString(to):
		return isAtomic(from) && !isBool(from) && from.ID() != arrow.BINARY || isBool(from)
	case isString(from) && (isNumeric(to) || isDate(to) || isTimestamp(to) || to.ID() == arrow.BINARY):
		return true
	case isDate(from) && isTimestamp(to), isTimestamp(from) && isDate(to):
		return true
	case isTimestamp(from) && isTimestamp(to):
		return true
	}
	return false
}

// rowFunc is a scalar function applied row by row on cells; it is only
// called when no argument is NULL unless the spec asks otherwise.
type rowFunc func(xs []cell) (cell, rowStatus)

// mapRows compiles a row-wise function over args with result type out.
// NULL in any argument gives NULL unless nullAware is set.
func (c *compiler) mapRows(n *node, args []*cnode, out arrow.DataType, nullAware bool, f rowFunc) *cnode {
	return c.mapRowsWith(n, args, out, nullAware, func() (rowFunc, func() error) { return f, nil })
}

// mapRowsWith is mapRows for row functions that keep per-evaluation state
// (caches, a failure to report): mk is called once per Eval.
func (c *compiler) mapRowsWith(n *node, args []*cnode, out arrow.DataType, nullAware bool, mk func() (rowFunc, func() error)) *cnode {
	ansi := c.opts.ANSI
	cn := &cnode{typ: out, src: n, eval: func(ec *evalCtx) (value, error) {
		arrs := make([]arrow.Array, len(args))
		defer func() {
			for _, a := range arrs {
				if a != nil {
					a.Release()
				}
			}
		}()
		readers := make([]func(int) cell, len(args))
		for i, a := range args {
			v, err := a.eval(ec)
			if err != nil {
				return value{}, err
			}
			if arrs[i], err = ec.materialize(v, a.typ); err != nil {
				return value{}, err
			}
			readers[i] = cellReader(arrs[i])
		}
		bld := array.NewBuilder(ec.mem, out)
		defer bld.Release()
		bld.Reserve(ec.n)
		write := cellWriter(bld)
		xs := make([]cell, len(args))
		f, failed := mk()
	rows:
		for r := 0; r < ec.n; r++ {
			for i, a := range arrs {
				if a.IsNull(r) || a.DataType().ID() == arrow.NULL {
					if !nullAware {
						bld.AppendNull()
						continue rows
					}
					xs[i] = cell{}
					continue
				}
				xs[i] = readers[i](r)
			}
			y, st := f(xs)
			switch {
			case st == rowOK && y.k != cNull:
				write(y)
			case st == rowOK || st == rowNull:
				bld.AppendNull()
			case ansi:
				return value{}, fmt.Errorf("%w: %s failed for row %d", ErrArithmetic, n.op, r)
			case st == rowOverflow:
				write(y)
			default:
				bld.AppendNull()
			}
		}
		if failed != nil {
			if err := failed(); err != nil {
				return value{}, err
			}
		}
		return value{arr: bld.NewArray()}, nil
	}}
	return c.fold(cn, args...)
}

// notNullCond wraps x as the predicate `x IS NOT NULL`.
func notNullCond(x *cnode) *cnode {
	return &cnode{typ: boolType, src: x.src, eval: func(ec *evalCtx) (value, error) {
		v, err := x.eval(ec)
		if err != nil {
			return value{}, err
		}
		defer v.release()
		if v.sc != nil {
			return value{sc: boolScalar(v.sc.IsValid())}, nil
		}
		return value{arr: nullMask(ec.mem, v.arr, false)}, nil
	}, konst: nil}
}

func buildCoalesce(c *compiler, n *node, args []*cnode) (*cnode, error) {
	conds := make([]*cnode, 0, len(args))
	for _, a := range args[:len(args)-1] {
		conds = append(conds, c.fold(notNullCond(a), a))
	}
	return c.choose(n, conds, args)
}

func buildIf(c *compiler, n *node, args []*cnode) (*cnode, error) {
	cond := args[0]
	if isNull(cond.typ) {
		var err error
		if cond, err = c.coerce(cond, boolType); err != nil {
			return nil, err
		}
	}
	if !isBool(cond.typ) {
		return nil, compileErr(n, ErrType, "the first argument of if must be BOOLEAN, not %s", sparkTypeName(cond.typ))
	}
	return c.choose(n, []*cnode{cond}, args[1:])
}

func buildDateAdd(sign int64) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		if err := c.expect(n, 0, args, arrow.FixedWidthTypes.Date32); err != nil {
			return nil, err
		}
		if !isIntegral(args[1].typ) && !isNull(args[1].typ) && !isString(args[1].typ) {
			return nil, compileErr(n, ErrType, "the second argument of %s must be an integer, not %s", n.op, sparkTypeName(args[1].typ))
		}
		if err := c.expect(n, 1, args, arrow.PrimitiveTypes.Int32); err != nil {
			return nil, err
		}
		return c.mapRows(n, args, arrow.FixedWidthTypes.Date32, false, func(xs []cell) (cell, rowStatus) {
			return cell{k: cDate, i: int64(int32(xs[0].i + sign*xs[1].i))}, rowOK
		}), nil
	}
}

func lookupFunction(name string) (funcSpec, bool) {
	switch strings.ToLower(name) {
	case "coalesce":
		return funcSpec{1, -1, buildCoalesce}, true
	case "nvl", "ifnull":
		return funcSpec{2, 2, buildCoalesce}, true
	case "if", "iff":
		return funcSpec{3, 3, buildIf}, true
	case "date_add", "dateadd":
		return funcSpec{2, 2, buildDateAdd(1)}, true
	case "date_sub":
		return funcSpec{2, 2, buildDateAdd(-1)}, true
	}
	return moreFunctions(name)
}
