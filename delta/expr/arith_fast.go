package expr

import (
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// The kernels here compute integer and floating arithmetic over whole
// value slices: one preallocated output buffer, one loop per operator and
// operand shape, validity ANDed bytewise. Row statuses (overflow, division
// by zero) are only suspected in the loop; a suspicion is settled by
// rerunning the generic row function on the valid rows, so errors, their
// order and their messages are exactly zipWith's.

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64
}

// operand is one side of a kernel: an array's values, or a constant when
// vals is nil.
type operand[T number] struct {
	vals []T
	k    T
}

func (o operand[T]) at(i int) T {
	if o.vals == nil {
		return o.k
	}
	return o.vals[i]
}

// fastArith computes lv op rv when both sides have one fixed-width numeric
// type, at least one is an array and no constant is NULL. ok is false when
// the generic path must run (decimals, constants on both sides, …); the
// inputs are not released.
func fastArith(ec *evalCtx, op string, ansi bool, what string, lv, rv value) (out arrow.Array, ok bool, err error) {
	if lv.arr == nil && rv.arr == nil {
		return nil, false, nil
	}
	lt, rt := valueType(lv), valueType(rv)
	if lt == nil || rt == nil || !arrow.TypeEqual(lt, rt) {
		return nil, false, nil
	}
	if (lv.arr != nil && lv.arr.Len() == 0) || (rv.arr != nil && rv.arr.Len() == 0) {
		return nil, false, nil // no value buffer to read
	}
	k := &kernel{ec: ec, op: op, ansi: ansi, what: what, lv: lv, rv: rv, typ: lt}
	switch lt.ID() {
	case arrow.INT8:
		return intKernel[int8](k, 8)
	case arrow.INT16:
		return intKernel[int16](k, 16)
	case arrow.INT32:
		return intKernel[int32](k, 32)
	case arrow.INT64:
		return intKernel[int64](k, 64)
	case arrow.FLOAT32:
		return floatKernel[float32](k)
	case arrow.FLOAT64:
		return floatKernel[float64](k)
	}
	return nil, false, nil
}

// valueType is the type of an array or of a valid constant; nil for a NULL
// constant, which the generic path handles.
func valueType(v value) arrow.DataType {
	if v.arr != nil {
		return v.arr.DataType()
	}
	if v.sc == nil || !v.sc.IsValid() {
		return nil
	}
	return v.sc.DataType()
}

// kernel is one fast evaluation in progress.
type kernel struct {
	ec       *evalCtx
	op, what string
	ansi     bool
	lv, rv   value
	typ      arrow.DataType
	n        int
}

func operandOf[T number](v value) operand[T] {
	if v.arr == nil {
		var k T
		switch s := v.sc.(type) {
		case *scalar.Int8:
			k = T(s.Value)
		case *scalar.Int16:
			k = T(s.Value)
		case *scalar.Int32:
			k = T(s.Value)
		case *scalar.Int64:
			k = T(s.Value)
		case *scalar.Float32:
			k = T(s.Value)
		case *scalar.Float64:
			k = T(s.Value)
		}
		return operand[T]{k: k}
	}
	d := v.arr.Data()
	vals := arrow.GetData[T](d.Buffers()[1].Bytes())
	return operand[T]{vals: vals[d.Offset() : d.Offset()+d.Len()]}
}

// output allocates the result buffer for n values of the kernel's type.
func (k *kernel) output(width int) *memory.Buffer {
	if k.lv.arr != nil {
		k.n = k.lv.arr.Len()
	} else {
		k.n = k.rv.arr.Len()
	}
	buf := memory.NewResizableBuffer(k.ec.mem)
	buf.Resize(k.n * width)
	return buf
}

// finish wraps the buffer into an array with the operands' combined
// validity, NULLing or rejecting the rows whose divisor is zero (zero
// reports them). It takes ownership of buf.
func (k *kernel) finish(buf *memory.Buffer, zero func(i int) bool, anyZero bool, check func() error) (arrow.Array, bool, error) {
	valid := andValidity(k.ec.mem, k.lv.arr, k.rv.arr)
	release := func() {
		buf.Release()
		if valid != nil {
			valid.Release()
		}
	}
	if anyZero {
		if valid == nil {
			valid = newBitmap(k.ec.mem, k.n)
			bitutil.SetBitsTo(valid.Bytes(), 0, int64(k.n), true)
		}
		vb := valid.Bytes()
		for i := 0; i < k.n; i++ {
			if !zero(i) || !bitutil.BitIsSet(vb, i) {
				continue
			}
			if k.ansi {
				release()
				return nil, true, check()
			}
			bitutil.ClearBit(vb, i)
		}
	}
	nulls := 0
	if valid != nil {
		nulls = k.n - bitutil.CountSetBits(valid.Bytes(), 0, k.n)
	}
	d := array.NewData(k.typ, k.n, []*memory.Buffer{valid, buf}, nil, nulls, 0)
	release()
	defer d.Release()
	return array.MakeFromData(d), true, nil
}

// firstError runs the generic row function f over the rows valid on both
// sides, in order, and returns ANSI mode's error for the first row that
// has one (nil when none does).
func firstError[T number](k *kernel, a, b operand[T], f func(x, y T) (T, rowStatus)) error {
	la, ra := k.lv.arr, k.rv.arr
	for i := 0; i < k.n; i++ {
		if (la != nil && la.IsNull(i)) || (ra != nil && ra.IsNull(i)) {
			continue
		}
		if _, st := f(a.at(i), b.at(i)); st >= rowOverflow {
			return statusErr(st, k.what)
		}
	}
	return nil
}

func intKernel[T int8 | int16 | int32 | int64](k *kernel, width int) (arrow.Array, bool, error) {
	switch k.op {
	case "+", "-", "*", "&", "|", "^", "/", "div", "%":
	default:
		return nil, false, nil
	}
	a, b := operandOf[T](k.lv), operandOf[T](k.rv)
	buf := k.output(width / 8)
	out := arrow.GetData[T](buf.Bytes())[:k.n]
	var suspect bool
	switch k.op {
	case "+":
		suspect = addInts(out, a, b)
	case "-":
		suspect = subInts(out, a, b)
	case "*":
		suspect = mulInts(out, a, b, width == 64)
	case "&", "|", "^":
		bitwise(k.op, out, a, b)
	}
	check := func() error { return firstError(k, a, b, intOp[T](k.op, width)) }
	if k.ansi && suspect {
		if err := check(); err != nil {
			buf.Release()
			return nil, true, err
		}
	}
	var anyZero bool
	switch k.op {
	case "/", "div", "%":
		var overflow bool
		anyZero, overflow = divInts(out, a, b, k.op == "%")
		if k.ansi && overflow {
			if err := check(); err != nil {
				buf.Release()
				return nil, true, err
			}
		}
	}
	return k.finish(buf, func(i int) bool { return b.at(i) == 0 }, anyZero, check)
}

// addInts writes a+b (wrapping) and reports whether any row may have
// overflowed: both addends' signs differ from the sum's.
func addInts[T int8 | int16 | int32 | int64](out []T, a, b operand[T]) bool {
	var o T
	switch {
	case a.vals != nil && b.vals != nil:
		av, bv := a.vals[:len(out)], b.vals[:len(out)]
		for i := range out {
			x, y := av[i], bv[i]
			r := x + y
			out[i] = r
			o |= (x ^ r) & (y ^ r)
		}
	case a.vals != nil:
		y := b.k
		for i, x := range a.vals[:len(out)] {
			r := x + y
			out[i] = r
			o |= (x ^ r) & (y ^ r)
		}
	default:
		x := a.k
		for i, y := range b.vals[:len(out)] {
			r := x + y
			out[i] = r
			o |= (x ^ r) & (y ^ r)
		}
	}
	return o < 0
}

// subInts writes a-b (wrapping); overflow needs operands of different
// signs and a difference whose sign differs from the minuend's.
func subInts[T int8 | int16 | int32 | int64](out []T, a, b operand[T]) bool {
	var o T
	switch {
	case a.vals != nil && b.vals != nil:
		av, bv := a.vals[:len(out)], b.vals[:len(out)]
		for i := range out {
			x, y := av[i], bv[i]
			r := x - y
			out[i] = r
			o |= (x ^ y) & (x ^ r)
		}
	case a.vals != nil:
		y := b.k
		for i, x := range a.vals[:len(out)] {
			r := x - y
			out[i] = r
			o |= (x ^ y) & (x ^ r)
		}
	default:
		x := a.k
		for i, y := range b.vals[:len(out)] {
			r := x - y
			out[i] = r
			o |= (x ^ y) & (x ^ r)
		}
	}
	return o < 0
}

// mulInts writes a*b (wrapping). Narrow types multiply in int64, where the
// product is exact; int64 takes the high word of the 128-bit product,
// which must be the sign extension of the low word.
func mulInts[T int8 | int16 | int32 | int64](out []T, a, b operand[T], wide bool) bool {
	var o int64
	if wide {
		for i := range out {
			x, y := int64(a.at(i)), int64(b.at(i))
			hi, lo := bits.Mul64(uint64(x), uint64(y))
			shi := int64(hi) - (x>>63)&y - (y>>63)&x
			out[i] = T(lo)
			o |= shi ^ (int64(lo) >> 63)
		}
		return o != 0
	}
	switch {
	case a.vals != nil && b.vals != nil:
		av, bv := a.vals[:len(out)], b.vals[:len(out)]
		for i := range out {
			r := int64(av[i]) * int64(bv[i])
			out[i] = T(r)
			o |= r ^ int64(T(r))
		}
	case a.vals != nil:
		y := int64(b.k)
		for i, x := range a.vals[:len(out)] {
			r := int64(x) * y
			out[i] = T(r)
			o |= r ^ int64(T(r))
		}
	default:
		x := int64(a.k)
		for i, y := range b.vals[:len(out)] {
			r := x * int64(y)
			out[i] = T(r)
			o |= r ^ int64(T(r))
		}
	}
	return o != 0
}

// bitwise never overflows. It is rare in filters, so one loop per
// operator is enough.
func bitwise[T int8 | int16 | int32 | int64](op string, out []T, a, b operand[T]) {
	switch op {
	case "&":
		for i := range out {
			out[i] = a.at(i) & b.at(i)
		}
	case "|":
		for i := range out {
			out[i] = a.at(i) | b.at(i)
		}
	default:
		for i := range out {
			out[i] = a.at(i) ^ b.at(i)
		}
	}
}

// divInts writes a/b or a%b (truncating, like Java), 0 where b is zero.
// It reports whether any divisor is zero and whether any row divides the
// type's minimum by -1 (the quotient's only overflow).
func divInts[T int8 | int16 | int32 | int64](out []T, a, b operand[T], rem bool) (anyZero, overflow bool) {
	minT := T(-1) << (8*sizeOf[T]() - 1)
	for i := range out {
		x, y := a.at(i), b.at(i)
		switch {
		case y == 0:
			out[i] = 0
			anyZero = true
		case rem:
			out[i] = x % y
		default:
			if y == -1 && x == minT {
				overflow = true
			}
			out[i] = x / y
		}
	}
	return anyZero, overflow
}

func sizeOf[T int8 | int16 | int32 | int64]() int {
	var z T
	switch any(z).(type) {
	case int8:
		return 1
	case int16:
		return 2
	case int32:
		return 4
	}
	return 8
}

func floatKernel[T float32 | float64](k *kernel) (arrow.Array, bool, error) {
	switch k.op {
	case "+", "-", "*", "/", "%":
	default:
		return nil, false, nil
	}
	a, b := operandOf[T](k.lv), operandOf[T](k.rv)
	var z T
	width := 8
	if _, ok := any(z).(float32); ok {
		width = 4
	}
	buf := k.output(width)
	out := arrow.GetData[T](buf.Bytes())[:k.n]
	var anyZero bool
	switch k.op {
	case "%":
		for i := range out {
			out[i] = T(math.Mod(float64(a.at(i)), float64(b.at(i))))
		}
		anyZero = hasZero(b)
	default:
		floatLoop(k.op, out, a, b)
		anyZero = k.op == "/" && hasZero(b)
	}
	check := func() error { return firstError(k, a, b, floatOp[T](k.op)) }
	return k.finish(buf, func(i int) bool { return b.at(i) == 0 }, anyZero, check)
}

// floatLoop writes a op b for + - * /. Each operator and operand shape
// has its own loop, so the loops index slices and nothing else (a func
// value here would cost an indirect call per row).
func floatLoop[T float32 | float64](op string, out []T, a, b operand[T]) {
	switch {
	case a.vals != nil && b.vals != nil:
		av, bv := a.vals[:len(out)], b.vals[:len(out)]
		switch op {
		case "+":
			for i := range out {
				out[i] = av[i] + bv[i]
			}
		case "-":
			for i := range out {
				out[i] = av[i] - bv[i]
			}
		case "*":
			for i := range out {
				out[i] = av[i] * bv[i]
			}
		case "/":
			for i := range out {
				out[i] = av[i] / bv[i]
			}
		}
	case a.vals != nil:
		y, av := b.k, a.vals[:len(out)]
		switch op {
		case "+":
			for i, x := range av {
				out[i] = x + y
			}
		case "-":
			for i, x := range av {
				out[i] = x - y
			}
		case "*":
			for i, x := range av {
				out[i] = x * y
			}
		case "/":
			for i, x := range av {
				out[i] = x / y
			}
		}
	default:
		x, bv := a.k, b.vals[:len(out)]
		switch op {
		case "+":
			for i, y := range bv {
				out[i] = x + y
			}
		case "-":
			for i, y := range bv {
				out[i] = x - y
			}
		case "*":
			for i, y := range bv {
				out[i] = x * y
			}
		case "/":
			for i, y := range bv {
				out[i] = x / y
			}
		}
	}
}

func hasZero[T float32 | float64](b operand[T]) bool {
	if b.vals == nil {
		return b.k == 0
	}
	for _, y := range b.vals {
		if y == 0 {
			return true
		}
	}
	return false
}
