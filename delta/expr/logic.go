package expr

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

var boolType = arrow.FixedWidthTypes.Boolean

func boolScalar(b bool) scalar.Scalar { return scalar.NewBooleanScalar(b) }

func nullBool() scalar.Scalar { return scalar.MakeNullScalar(boolType) }

func (c *compiler) not(n *node) (*cnode, error) {
	in, err := c.predicate(n.args[0], "the operand of NOT")
	if err != nil {
		return nil, err
	}
	cn := &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
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
	return c.fold(cn, in), nil
}

// invertBool flips the values and keeps the validity (NOT NULL is NULL).
func invertBool(mem memory.Allocator, b *array.Boolean) arrow.Array {
	n := b.Len()
	vals := newBitmap(mem, n)
	src := b.Data().Buffers()[1].Bytes()
	off := b.Data().Offset()
	bitutil.InvertBitmap(src, off, n, vals.Bytes(), 0)
	valid := copyValidity(mem, b)
	return newBoolArray(n, valid, vals)
}

func newBitmap(mem memory.Allocator, n int) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	return buf
}

// copyValidity returns a's validity realigned to offset 0, or nil when a
// has no nulls.
func copyValidity(mem memory.Allocator, a arrow.Array) *memory.Buffer {
	if a.NullN() == 0 {
		return nil
	}
	n := a.Len()
	buf := newBitmap(mem, n)
	if a.DataType().ID() == arrow.NULL {
		clear(buf.Bytes())
		return buf
	}
	bitutil.CopyBitmap(a.Data().Buffers()[0].Bytes(), a.Data().Offset(), n, buf.Bytes(), 0)
	return buf
}

// andValidity combines two validity bitmaps (either may be nil = all valid).
func andValidity(mem memory.Allocator, a, b arrow.Array) *memory.Buffer {
	switch {
	case a == nil || a.NullN() == 0:
		if b == nil {
			return nil
		}
		return copyValidity(mem, b)
	case b == nil || b.NullN() == 0:
		return copyValidity(mem, a)
	}
	n := a.Len()
	buf := newBitmap(mem, n)
	bitutil.BitmapAnd(a.Data().Buffers()[0].Bytes(), b.Data().Buffers()[0].Bytes(), int64(a.Data().Offset()), int64(b.Data().Offset()), buf.Bytes(), 0, int64(n))
	return buf
}

// newBoolArray wraps bitmaps (taking ownership) into a Boolean array.
func newBoolArray(n int, valid, vals *memory.Buffer) arrow.Array {
	nulls := 0
	if valid != nil {
		nulls = n - bitutil.CountSetBits(valid.Bytes(), 0, n)
	}
	d := array.NewData(boolType, n, []*memory.Buffer{valid, vals}, nil, nulls, 0)
	if valid != nil {
		valid.Release()
	}
	vals.Release()
	defer d.Release()
	return array.MakeFromData(d)
}

func (c *compiler) logical(n *node) (*cnode, error) {
	what := "the operands of " + map[string]string{"and": "AND", "or": "OR"}[n.op]
	l, err := c.predicate(n.args[0], what)
	if err != nil {
		return nil, err
	}
	r, err := c.predicate(n.args[1], what)
	if err != nil {
		return nil, err
	}
	isAnd := n.op == "and"
	ansi := c.opts.ANSI
	fn := "or_kleene"
	if isAnd {
		fn = "and_kleene"
	}
	cn := &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
		lv, err := l.eval(ec)
		if err != nil {
			return value{}, err
		}
		defer lv.release()
		// Short-circuit a constant side the way SQL three-valued logic allows.
		if lv.sc != nil && lv.sc.IsValid() && lv.sc.(*scalar.Boolean).Value != isAnd {
			return value{sc: boolScalar(!isAnd)}, nil
		}
		var rv value
		if ansi && lv.arr != nil && ec.batch != nil && ec.batch.NumCols() > 0 {
			// Spark does not evaluate the right side where the left decides
			// the result; in ANSI mode that hides its errors (b != 0 AND a / b > 1).
			rv, err = ec.evalUndecided(r, lv.arr.(*array.Boolean), !isAnd)
		} else {
			rv, err = r.eval(ec)
		}
		if err != nil {
			return value{}, err
		}
		defer rv.release()
		if lv.sc != nil && rv.sc != nil {
			return value{sc: kleeneScalar(isAnd, lv.sc, rv.sc)}, nil
		}
		lv2, rv2 := lv, rv
		if lv.sc != nil {
			a, err := ec.materialize(lv, boolType)
			if err != nil {
				return value{}, err
			}
			defer a.Release()
			lv2 = value{arr: a}
		}
		if rv.sc != nil {
			a, err := ec.materialize(rv, boolType)
			if err != nil {
				return value{}, err
			}
			defer a.Release()
			rv2 = value{arr: a}
		}
		if lv2.arr.NullN() == 0 && rv2.arr.NullN() == 0 {
			return value{arr: bitwiseBool(ec.mem, isAnd, lv2.arr, rv2.arr)}, nil
		}
		return ec.callCompute(fn, nil, lv2, rv2)
	}}
	return c.fold(cn, l, r), nil
}

// bitwiseBool is AND/OR for two null-free Boolean arrays.
func bitwiseBool(mem memory.Allocator, isAnd bool, a, b arrow.Array) arrow.Array {
	n := a.Len()
	out := newBitmap(mem, n)
	ab, bb := a.Data().Buffers()[1].Bytes(), b.Data().Buffers()[1].Bytes()
	ao, bo := int64(a.Data().Offset()), int64(b.Data().Offset())
	if isAnd {
		bitutil.BitmapAnd(ab, bb, ao, bo, out.Bytes(), 0, int64(n))
	} else {
		bitutil.BitmapOr(ab, bb, ao, bo, out.Bytes(), 0, int64(n))
	}
	return newBoolArray(n, nil, out)
}

func kleeneScalar(isAnd bool, a, b scalar.Scalar) scalar.Scalar {
	av, bv := a.IsValid(), b.IsValid()
	var ax, bx bool
	if av {
		ax = a.(*scalar.Boolean).Value
	}
	if bv {
		bx = b.(*scalar.Boolean).Value
	}
	if isAnd {
		if (av && !ax) || (bv && !bx) {
			return boolScalar(false)
		}
		if av && bv {
			return boolScalar(true)
		}
		return nullBool()
	}
	if (av && ax) || (bv && bx) {
		return boolScalar(true)
	}
	if av && bv {
		return boolScalar(false)
	}
	return nullBool()
}

func (c *compiler) isNull(n *node) (*cnode, error) {
	in, err := c.compile(n.args[0])
	if err != nil {
		return nil, err
	}
	wantNull := !n.not
	cn := &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
		v, err := in.eval(ec)
		if err != nil {
			return value{}, err
		}
		defer v.release()
		if v.sc != nil {
			return value{sc: boolScalar(v.sc.IsValid() != wantNull)}, nil
		}
		return value{arr: nullMask(ec.mem, v.arr, wantNull)}, nil
	}}
	return c.fold(cn, in), nil
}

// nullMask is IS NULL (wantNull) or IS NOT NULL as a null-free Boolean.
func nullMask(mem memory.Allocator, a arrow.Array, wantNull bool) arrow.Array {
	n := a.Len()
	out := newBitmap(mem, n)
	switch {
	case a.NullN() == 0:
		fill := byte(0xff)
		if wantNull {
			fill = 0
		}
		b := out.Bytes()
		for i := range b {
			b[i] = fill
		}
	case a.NullN() == n && a.Data().Buffers()[0] == nil:
		fill := byte(0)
		if wantNull {
			fill = 0xff
		}
		b := out.Bytes()
		for i := range b {
			b[i] = fill
		}
	case wantNull:
		bitutil.InvertBitmap(a.Data().Buffers()[0].Bytes(), a.Data().Offset(), n, out.Bytes(), 0)
	default:
		bitutil.CopyBitmap(a.Data().Buffers()[0].Bytes(), a.Data().Offset(), n, out.Bytes(), 0)
	}
	return newBoolArray(n, nil, out)
}

// isBool is x IS [NOT] TRUE|FALSE|UNKNOWN: never NULL.
func (c *compiler) isBool(n *node) (*cnode, error) {
	in, err := c.predicate(n.args[0], "the operand of IS "+n.op)
	if err != nil {
		return nil, err
	}
	test := func(valid, v bool) bool {
		var r bool
		switch n.op {
		case "true":
			r = valid && v
		case "false":
			r = valid && !v
		default:
			r = !valid
		}
		return r != n.not
	}
	cn := &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
		v, err := in.eval(ec)
		if err != nil {
			return value{}, err
		}
		defer v.release()
		if v.sc != nil {
			b, _ := v.sc.(*scalar.Boolean)
			return value{sc: boolScalar(test(v.sc.IsValid(), b != nil && b.Value))}, nil
		}
		a := v.arr.(*array.Boolean)
		bld := array.NewBooleanBuilder(ec.mem)
		defer bld.Release()
		bld.Reserve(a.Len())
		for i := 0; i < a.Len(); i++ {
			bld.UnsafeAppend(test(a.IsValid(i), a.IsValid(i) && a.Value(i)))
		}
		return value{arr: bld.NewArray()}, nil
	}}
	return c.fold(cn, in), nil
}

// evalUndecided evaluates r only on the rows where left is not the
// deciding value (FALSE for AND, TRUE for OR); decided rows get NULL,
// which the Kleene operator then ignores.
func (ec *evalCtx) evalUndecided(r *cnode, left *array.Boolean, decides bool) (value, error) {
	var rows []int64
	for i := 0; i < left.Len(); i++ {
		if !(left.IsValid(i) && left.Value(i) == decides) {
			rows = append(rows, int64(i))
		}
	}
	if len(rows) == ec.n {
		return r.eval(ec)
	}
	out := array.NewBooleanBuilder(ec.mem)
	defer out.Release()
	out.Reserve(ec.n)
	if len(rows) == 0 {
		out.AppendNulls(ec.n)
		return value{arr: out.NewArray()}, nil
	}
	sub, done, err := ec.subContext(rows)
	if err != nil {
		return value{}, err
	}
	defer done()
	v, err := r.eval(sub)
	if err != nil {
		return value{}, err
	}
	a, err := sub.materialize(v, boolType)
	if err != nil {
		return value{}, err
	}
	defer a.Release()
	ba := a.(*array.Boolean)
	next := 0
	for i := 0; i < ec.n; i++ {
		if next < len(rows) && rows[next] == int64(i) {
			if ba.IsValid(next) {
				out.UnsafeAppend(ba.Value(next))
			} else {
				out.UnsafeAppendBoolToBitmap(false)
			}
			next++
			continue
		}
		out.UnsafeAppendBoolToBitmap(false)
	}
	return value{arr: out.NewArray()}, nil
}
