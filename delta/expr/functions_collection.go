package expr

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// listSpans gives row i's [start, end) into the child values of a List or
// Map array.
func listSpans(a arrow.Array) (func(i int) (int64, int64), arrow.Array, bool) {
	switch l := a.(type) {
	case *array.Map:
		return func(i int) (int64, int64) { return l.ValueOffsets(i) }, l.ListValues(), true
	case *array.List:
		return func(i int) (int64, int64) { return l.ValueOffsets(i) }, l.ListValues(), true
	}
	return nil, nil, false
}

func buildSize(c *compiler, n *node, args []*cnode) (*cnode, error) {
	t := args[0].typ.ID()
	if t != arrow.LIST && t != arrow.MAP && !isNull(args[0].typ) {
		return nil, compileErr(n, ErrType, "size needs an ARRAY or MAP, not %s", sparkTypeName(args[0].typ))
	}
	in, legacyNull := args[0], !c.opts.ANSI
	cn := &cnode{typ: arrow.PrimitiveTypes.Int32, src: n, eval: func(ec *evalCtx) (value, error) {
		v, err := in.eval(ec)
		if err != nil {
			return value{}, err
		}
		a, err := ec.materialize(v, in.typ)
		if err != nil {
			return value{}, err
		}
		defer a.Release()
		b := array.NewInt32Builder(ec.mem)
		defer b.Release()
		span, _, ok := listSpans(a)
		for i := 0; i < a.Len(); i++ {
			null := a.IsNull(i) || !ok
			switch {
			case null && legacyNull:
				b.Append(-1) // spark.sql.legacy.sizeOfNull, on unless ANSI
			case null:
				b.AppendNull()
			default:
				s, e := span(i)
				b.Append(int32(e - s))
			}
		}
		return value{arr: b.NewArray()}, nil
	}}
	return c.fold(cn, in), nil
}

func elemType(t arrow.DataType) (arrow.DataType, bool) {
	if l, ok := t.(*arrow.ListType); ok {
		return l.Elem(), true
	}
	return nil, false
}

// buildArrayContains: NULL array → NULL; found → TRUE; else NULL if the
// array holds a NULL, else FALSE.
func buildArrayContains(c *compiler, n *node, args []*cnode) (*cnode, error) {
	et, ok := elemType(args[0].typ)
	if !ok {
		return nil, compileErr(n, ErrType, "array_contains needs an ARRAY, not %s", sparkTypeName(args[0].typ))
	}
	if isNull(args[1].typ) {
		return constNode(nullBool(), n), nil
	}
	w, ok := widerType(et, args[1].typ)
	if !ok || !comparable(w) {
		return nil, compileErr(n, ErrType, "array_contains cannot look for %s in %s", sparkTypeName(args[1].typ), sparkTypeName(args[0].typ))
	}
	arr, val := args[0], args[1]
	var err error
	if !arrow.TypeEqual(w, et) {
		if arr, err = c.coerce(arr, arrow.ListOf(w)); err != nil {
			return nil, err
		}
	}
	if val, err = c.coerce(val, w); err != nil {
		return nil, err
	}
	cn := &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
		aa, va, err := ec.evalPair(arr, val)
		if err != nil {
			return value{}, err
		}
		defer aa.Release()
		defer va.Release()
		span, vals, _ := listSpans(aa)
		key, vkey := rowKeyer(vals), rowKeyer(va)
		b := array.NewBooleanBuilder(ec.mem)
		defer b.Release()
		for i := 0; i < aa.Len(); i++ {
			if aa.IsNull(i) || va.IsNull(i) {
				b.AppendNull()
				continue
			}
			want := vkey(i)
			s, e := span(i)
			found, sawNull := false, false
			for j := s; j < e && !found; j++ {
				if vals.IsNull(int(j)) {
					sawNull = true
				} else if key(int(j)) == want {
					found = true
				}
			}
			switch {
			case found:
				b.Append(true)
			case sawNull:
				b.AppendNull()
			default:
				b.Append(false)
			}
		}
		return value{arr: b.NewArray()}, nil
	}}
	return c.fold(cn, arr, val), nil
}

// buildElementAt: arrays are 1-based (negative counts from the end; 0 is an
// error; out of range is NULL, or an error in ANSI mode); maps look up a key.
func buildElementAt(c *compiler, n *node, args []*cnode) (*cnode, error) {
	ansi := c.opts.ANSI
	switch t := args[0].typ.(type) {
	case *arrow.ListType:
		if err := c.expect(n, 1, args, arrow.PrimitiveTypes.Int32); err != nil {
			return nil, err
		}
		arr, idx := args[0], args[1]
		cn := &cnode{typ: t.Elem(), src: n, eval: func(ec *evalCtx) (value, error) {
			aa, ia, err := ec.evalPair(arr, idx)
			if err != nil {
				return value{}, err
			}
			defer aa.Release()
			defer ia.Release()
			span, vals, _ := listSpans(aa)
			ix := ia.(*array.Int32)
			take := array.NewInt64Builder(ec.mem)
			defer take.Release()
			for i := 0; i < aa.Len(); i++ {
				if aa.IsNull(i) || ix.IsNull(i) {
					take.AppendNull()
					continue
				}
				s, e := span(i)
				k := int64(ix.Value(i))
				switch {
				case k == 0:
					return value{}, fmt.Errorf("%w: element_at index 0 is invalid (SQL arrays start at 1)", ErrArithmetic)
				case k > 0 && s+k-1 < e:
					take.Append(s + k - 1)
				case k < 0 && e+k >= s:
					take.Append(e + k)
				case ansi:
					return value{}, fmt.Errorf("%w: element_at index %d out of bounds for an array of %d elements", ErrArithmetic, k, e-s)
				default:
					take.AppendNull()
				}
			}
			indices := take.NewArray()
			defer indices.Release()
			out, err := compute.TakeArray(ec.ctx, vals, indices)
			return value{arr: out}, err
		}}
		return c.fold(cn, arr, idx), nil
	case *arrow.MapType:
		if err := c.expect(n, 1, args, t.KeyType()); err != nil {
			return nil, err
		}
		m, key := args[0], args[1]
		cn := &cnode{typ: t.ItemType(), src: n, eval: func(ec *evalCtx) (value, error) {
			ma, ka, err := ec.evalPair(m, key)
			if err != nil {
				return value{}, err
			}
			defer ma.Release()
			defer ka.Release()
			mp := ma.(*array.Map)
			keys, items := mp.Keys(), mp.Items()
			kk, want := rowKeyer(keys), rowKeyer(ka)
			take := array.NewInt64Builder(ec.mem)
			defer take.Release()
			for i := 0; i < mp.Len(); i++ {
				if mp.IsNull(i) || ka.IsNull(i) {
					take.AppendNull()
					continue
				}
				s, e := mp.ValueOffsets(i)
				w := want(i)
				found := false
				for j := s; j < e; j++ {
					if kk(int(j)) == w {
						take.Append(j)
						found = true
						break
					}
				}
				if !found {
					take.AppendNull()
				}
			}
			indices := take.NewArray()
			defer indices.Release()
			out, err := compute.TakeArray(ec.ctx, items, indices)
			return value{arr: out}, err
		}}
		return c.fold(cn, m, key), nil
	}
	if isNull(args[0].typ) {
		return constNode(scalar.MakeNullScalar(arrow.Null), n), nil
	}
	return nil, compileErr(n, ErrType, "element_at needs an ARRAY or MAP, not %s", sparkTypeName(args[0].typ))
}

// buildArray is array(a, b, …): elements cast to their wider common type.
func buildArray(c *compiler, n *node, args []*cnode) (*cnode, error) {
	var et arrow.DataType = arrow.Null
	for _, a := range args {
		w, ok := widerType(et, a.typ)
		if !ok {
			return nil, compileErr(n, ErrType, "array elements have incompatible types %s and %s", sparkTypeName(et), sparkTypeName(a.typ))
		}
		et = w
	}
	for i := range args {
		if err := c.expect(n, i, args, et); err != nil {
			return nil, err
		}
	}
	out := arrow.ListOf(et)
	cn := &cnode{typ: out, src: n, eval: func(ec *evalCtx) (value, error) {
		// Row r's elements are arg0[r], arg1[r], …: gather them from the
		// concatenated arguments, then wrap with fixed-size offsets.
		arrs := make([]arrow.Array, 0, len(args))
		defer func() {
			for _, a := range arrs {
				a.Release()
			}
		}()
		for _, a := range args {
			v, err := a.eval(ec)
			if err != nil {
				return value{}, err
			}
			m, err := ec.materialize(v, et)
			if err != nil {
				return value{}, err
			}
			arrs = append(arrs, m)
		}
		k := len(args)
		var elems arrow.Array
		if k == 0 {
			elems = array.MakeArrayOfNull(ec.mem, et, 0)
		} else {
			all, err := array.Concatenate(arrs, ec.mem)
			if err != nil {
				return value{}, err
			}
			ib := array.NewInt64Builder(ec.mem)
			ib.Reserve(ec.n * k)
			for r := 0; r < ec.n; r++ {
				for j := 0; j < k; j++ {
					ib.UnsafeAppend(int64(j*ec.n + r))
				}
			}
			idx := ib.NewArray()
			ib.Release()
			elems, err = compute.TakeArray(ec.ctx, all, idx)
			idx.Release()
			all.Release()
			if err != nil {
				return value{}, err
			}
		}
		defer elems.Release()
		ob := array.NewInt32Builder(ec.mem)
		defer ob.Release()
		for r := 0; r <= ec.n; r++ {
			ob.Append(int32(r * k))
		}
		offsets := ob.NewArray()
		defer offsets.Release()
		d := array.NewData(out, ec.n, []*memory.Buffer{nil, offsets.Data().Buffers()[1]}, []arrow.ArrayData{elems.Data()}, 0, 0)
		defer d.Release()
		return value{arr: array.MakeFromData(d)}, nil
	}}
	return c.fold(cn, args...), nil
}
