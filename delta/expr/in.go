package expr

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// in compiles x [NOT] IN (list). All operands are cast to their wider
// common type (Spark's InConversion). The result is TRUE on a match,
// otherwise NULL when x or any list item is NULL, otherwise FALSE.
func (c *compiler) in(n *node) (*cnode, error) {
	all, err := c.compileAll(n.args)
	if err != nil {
		return nil, err
	}
	t := all[0].typ
	for _, a := range all[1:] {
		w, ok := widerType(t, a.typ)
		if !ok {
			return nil, compileErr(n, ErrType, "IN list item of type %s does not match %s", sparkTypeName(a.typ), sparkTypeName(all[0].typ))
		}
		t = w
	}
	if !comparable(t) {
		return nil, compileErr(n, ErrType, "IN does not support %s", sparkTypeName(t))
	}
	constant := true
	for i := range all {
		if all[i], err = c.coerce(all[i], t); err != nil {
			return nil, err
		}
		if i > 0 && all[i].konst == nil {
			constant = false
		}
	}
	var cn *cnode
	if constant {
		cn = c.inSet(n, all[0], all[1:])
	} else {
		// General lists expand to an OR of equalities: same three-valued result.
		cn = &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
			x, err := all[0].eval(ec)
			if err != nil {
				return value{}, err
			}
			defer x.release()
			var acc value
			for _, item := range all[1:] {
				iv, err := item.eval(ec)
				if err != nil {
					acc.release()
					return value{}, err
				}
				eq, err := ec.compare(opEq, x, iv)
				iv.release()
				if err != nil {
					acc.release()
					return value{}, err
				}
				if acc.arr == nil && acc.sc == nil {
					acc = eq
					continue
				}
				next, err := ec.kleene(false, acc, eq)
				acc.release()
				eq.release()
				if err != nil {
					return value{}, err
				}
				acc = next
			}
			return acc, nil
		}}
	}
	if n.not {
		cn = c.negateBool(n, cn)
	}
	return c.fold(cn, all...), nil
}

// kleene is AND/OR over two boolean values (arrays or scalars).
func (ec *evalCtx) kleene(isAnd bool, a, b value) (value, error) {
	if a.sc != nil && b.sc != nil {
		return value{sc: kleeneScalar(isAnd, a.sc, b.sc)}, nil
	}
	aa, err := ec.materialize(retained(a), boolType)
	if err != nil {
		return value{}, err
	}
	defer aa.Release()
	ba, err := ec.materialize(retained(b), boolType)
	if err != nil {
		return value{}, err
	}
	defer ba.Release()
	fn := "or_kleene"
	if isAnd {
		fn = "and_kleene"
	}
	return ec.callCompute(fn, nil, value{arr: aa}, value{arr: ba})
}

func retained(v value) value {
	if v.arr != nil {
		v.arr.Retain()
	}
	return v
}

// negateBool wraps a compiled predicate in NOT.
func (c *compiler) negateBool(n *node, in *cnode) *cnode {
	return &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
		v, err := in.eval(ec)
		if err != nil {
			return value{}, err
		}
		defer v.release()
		if v.sc != nil {
			if !v.sc.IsValid() {
				return value{sc: nullBool()}, nil
			}
			return value{sc: boolScalar(!v.sc.(*scalar.Boolean).Value)}, nil
		}
		return value{arr: invertBool(ec.mem, v.arr.(*array.Boolean))}, nil
	}}
}

// setKey maps a value to a Go map key with Spark's equality: NaN equals
// NaN and -0.0 equals 0.0.
func setKey(s scalar.Scalar) any {
	switch x := s.(type) {
	case *scalar.Float32:
		return floatKey(float64(x.Value))
	case *scalar.Float64:
		return floatKey(x.Value)
	case *scalar.String:
		return string(x.Data())
	case *scalar.Binary:
		return string(x.Data())
	case *scalar.Boolean:
		return x.Value
	case *scalar.Decimal128:
		return x.Value
	case *scalar.Date32:
		return int64(x.Value)
	case *scalar.Timestamp:
		return int64(x.Value)
	}
	v, _ := scalarInt64(s)
	return v
}

type nanKey struct{}

func floatKey(f float64) any {
	if math.IsNaN(f) {
		return nanKey{}
	}
	if f == 0 {
		return 0.0
	}
	return f
}

func rowKeyer(arr arrow.Array) func(i int) any {
	switch a := arr.(type) {
	case *array.Int8:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Int16:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Int32:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Int64:
		return func(i int) any { return a.Value(i) }
	case *array.Float32:
		return func(i int) any { return floatKey(float64(a.Value(i))) }
	case *array.Float64:
		return func(i int) any { return floatKey(a.Value(i)) }
	case *array.String:
		return func(i int) any { return a.Value(i) }
	case *array.Binary:
		return func(i int) any { return string(a.Value(i)) }
	case *array.Boolean:
		return func(i int) any { return a.Value(i) }
	case *array.Decimal128:
		return func(i int) any { return a.Value(i) }
	case *array.Date32:
		return func(i int) any { return int64(a.Value(i)) }
	case *array.Timestamp:
		return func(i int) any { return int64(a.Value(i)) }
	}
	return func(i int) any { s, _ := scalar.GetScalar(arr, i); return setKey(s) }
}

func (c *compiler) inSet(n *node, x *cnode, items []*cnode) *cnode {
	set := map[any]bool{}
	hasNull := false
	for _, it := range items {
		if !it.konst.IsValid() {
			hasNull = true
			continue
		}
		set[setKey(it.konst)] = true
	}
	return &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
		v, err := x.eval(ec)
		if err != nil {
			return value{}, err
		}
		defer v.release()
		if v.sc != nil {
			switch {
			case !v.sc.IsValid():
				return value{sc: nullBool()}, nil
			case set[setKey(v.sc)]:
				return value{sc: boolScalar(true)}, nil
			case hasNull:
				return value{sc: nullBool()}, nil
			}
			return value{sc: boolScalar(false)}, nil
		}
		return value{arr: inSetArray(ec.mem, v.arr, set, hasNull)}, nil
	}}
}

func inSetArray(mem memory.Allocator, a arrow.Array, set map[any]bool, hasNull bool) arrow.Array {
	key := rowKeyer(a)
	b := array.NewBooleanBuilder(mem)
	defer b.Release()
	b.Reserve(a.Len())
	for i := 0; i < a.Len(); i++ {
		switch {
		case a.IsNull(i):
			b.UnsafeAppendBoolToBitmap(false)
		case set[key(i)]:
			b.UnsafeAppend(true)
		case hasNull:
			b.UnsafeAppendBoolToBitmap(false)
		default:
			b.UnsafeAppend(false)
		}
	}
	return b.NewArray()
}
