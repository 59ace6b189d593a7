package expr

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var cmpOps = map[string]cmpOp{"=": opEq, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe, "<=>": opEq}

// flipped gives the operator with its operands swapped.
func (o cmpOp) flipped() cmpOp {
	switch o {
	case opLt:
		return opGt
	case opLe:
		return opGe
	case opGt:
		return opLt
	case opGe:
		return opLe
	}
	return o
}

func (o cmpOp) holds(c int) bool {
	switch o {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

// comparisonOperands compiles and coerces both sides to their common type.
func (c *compiler) comparisonOperands(n *node, ln, rn *node) (*cnode, *cnode, error) {
	l, err := c.compile(ln)
	if err != nil {
		return nil, nil, err
	}
	r, err := c.compile(rn)
	if err != nil {
		return nil, nil, err
	}
	t, ok := comparisonType(l.typ, r.typ)
	if !ok || !comparable(t) {
		return nil, nil, compileErr(n, ErrType, "cannot compare %s with %s in %s", sparkTypeName(l.typ), sparkTypeName(r.typ), n)
	}
	if l, err = c.coerce(l, t); err != nil {
		return nil, nil, err
	}
	if r, err = c.coerce(r, t); err != nil {
		return nil, nil, err
	}
	return l, r, nil
}

func comparable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.NULL, arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64,
		arrow.DECIMAL128, arrow.STRING, arrow.BINARY, arrow.DATE32, arrow.TIMESTAMP:
		return true
	}
	return false
}

func (c *compiler) comparison(n *node, opText string, ln, rn *node) (*cnode, error) {
	l, r, err := c.comparisonOperands(n, ln, rn)
	if err != nil {
		return nil, err
	}
	op := cmpOps[opText]
	nullSafe := opText == "<=>"
	cn := &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
		lv, err := l.eval(ec)
		if err != nil {
			return value{}, err
		}
		defer lv.release()
		rv, err := r.eval(ec)
		if err != nil {
			return value{}, err
		}
		defer rv.release()
		if nullSafe {
			return ec.nullSafeEqual(lv, rv, l.typ)
		}
		return ec.compare(op, lv, rv)
	}}
	return c.fold(cn, l, r), nil
}

// compare evaluates lv op rv with SQL null propagation.
func (ec *evalCtx) compare(op cmpOp, lv, rv value) (value, error) {
	if (lv.sc != nil && !lv.sc.IsValid()) || (rv.sc != nil && !rv.sc.IsValid()) {
		return value{sc: nullBool()}, nil
	}
	if lv.sc != nil && rv.sc != nil {
		c, err := compareScalars(lv.sc, rv.sc)
		if err != nil {
			return value{}, err
		}
		return value{sc: boolScalar(op.holds(c))}, nil
	}
	if lv.arr == nil { // keep the array on the left
		lv, rv, op = rv, lv, op.flipped()
	}
	out, err := compareArray(ec.mem, op, lv.arr, rv)
	return value{arr: out}, err
}

// compareArray compares an array with an array or a valid scalar.
func compareArray(mem memory.Allocator, op cmpOp, a arrow.Array, b value) (arrow.Array, error) {
	switch a := a.(type) {
	case *array.Int8:
		return cmpPrimitive(mem, op, a, a.Int8Values(), b, func(s scalar.Scalar) int8 { return s.(*scalar.Int8).Value }, func(x arrow.Array) []int8 { return x.(*array.Int8).Int8Values() }), nil
	case *array.Int16:
		return cmpPrimitive(mem, op, a, a.Int16Values(), b, func(s scalar.Scalar) int16 { return s.(*scalar.Int16).Value }, func(x arrow.Array) []int16 { return x.(*array.Int16).Int16Values() }), nil
	case *array.Int32:
		return cmpPrimitive(mem, op, a, a.Int32Values(), b, func(s scalar.Scalar) int32 { return s.(*scalar.Int32).Value }, func(x arrow.Array) []int32 { return x.(*array.Int32).Int32Values() }), nil
	case *array.Int64:
		return cmpPrimitive(mem, op, a, a.Int64Values(), b, func(s scalar.Scalar) int64 { return s.(*scalar.Int64).Value }, func(x arrow.Array) []int64 { return x.(*array.Int64).Int64Values() }), nil
	case *array.Float32:
		return cmpPrimitive(mem, op, a, a.Float32Values(), b, func(s scalar.Scalar) float32 { return s.(*scalar.Float32).Value }, func(x arrow.Array) []float32 { return x.(*array.Float32).Float32Values() }), nil
	case *array.Float64:
		return cmpPrimitive(mem, op, a, a.Float64Values(), b, func(s scalar.Scalar) float64 { return s.(*scalar.Float64).Value }, func(x arrow.Array) []float64 { return x.(*array.Float64).Float64Values() }), nil
	case *array.Date32:
		return cmpPrimitive(mem, op, a, a.Date32Values(), b, func(s scalar.Scalar) arrow.Date32 { return s.(*scalar.Date32).Value }, func(x arrow.Array) []arrow.Date32 { return x.(*array.Date32).Date32Values() }), nil
	case *array.Timestamp:
		return cmpPrimitive(mem, op, a, a.TimestampValues(), b, func(s scalar.Scalar) arrow.Timestamp { return s.(*scalar.Timestamp).Value }, func(x arrow.Array) []arrow.Timestamp { return x.(*array.Timestamp).TimestampValues() }), nil
	}
	// Strings, binary, decimals and booleans go through a generic row loop.
	get := rowComparer(a)
	var other func(i int) int
	if b.sc != nil {
		bs := b.sc
		other = func(i int) int { return get(i, bs) }
	} else {
		bget := rowValue(b.arr)
		other = func(i int) int { return get(i, bget(i)) }
	}
	n := a.Len()
	vals := newBitmap(mem, n)
	vb := vals.Bytes()
	clear(vb)
	for i := 0; i < n; i++ {
		if a.IsValid(i) && (b.arr == nil || b.arr.IsValid(i)) && op.holds(other(i)) {
			vb[i>>3] |= 1 << (i & 7)
		}
	}
	return newBoolArray(n, andValidity(mem, a, b.arr), vals), nil
}

type ordered interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64
}

// lessSpark orders NaN above every other value, as Spark does.
func lessSpark[T ordered](a, b T) bool { return a < b || (b != b && a == a) }

// eqSpark treats NaN as equal to NaN, as Spark does.
func eqSpark[T ordered](a, b T) bool { return a == b || (a != a && b != b) }

// cmpPrimitive is the vectorised comparison for fixed-width numbers. The
// loops are spelled out per operator so the compiler keeps them tight.
func cmpPrimitive[T ordered](mem memory.Allocator, op cmpOp, a arrow.Array, av []T, b value, scalarOf func(scalar.Scalar) T, valuesOf func(arrow.Array) []T) arrow.Array {
	n := len(av)
	vals := newBitmap(mem, n)
	out := vals.Bytes()
	if b.sc != nil {
		packCmpScalar(out, av, scalarOf(b.sc), op)
		return newBoolArray(n, copyValidity(mem, a), vals)
	}
	packCmpArrays(out, av, valuesOf(b.arr), op)
	return newBoolArray(n, andValidity(mem, a, b.arr), vals)
}

// packCmpScalar writes (v[i] op s) into bit i of out: the hot path of
// scan filters such as amount > 0. With s not NaN, Spark's ordering (NaN
// above everything) makes each operator one IEEE comparison — x > s is
// !(x <= s), true for a NaN x — computed without a branch; eight rows
// make one byte store. A NaN s leaves only "is x NaN" questions.
func packCmpScalar[T ordered](out []byte, v []T, s T, op cmpOp) {
	if s != s {
		packCmpNaN(out, v, op)
		return
	}
	n := len(v)
	full := n &^ 7
	switch op {
	case opEq:
		for i := 0; i < full; i += 8 {
			var w byte
			for j, x := range v[i : i+8 : i+8] {
				w |= (bit(x == s)) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j, x := range v[full:] {
				w |= (bit(x == s)) << j
			}
			out[full>>3] = w
		}
	case opNe:
		for i := 0; i < full; i += 8 {
			var w byte
			for j, x := range v[i : i+8 : i+8] {
				w |= (bit(x == s) ^ 1) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j, x := range v[full:] {
				w |= (bit(x == s) ^ 1) << j
			}
			out[full>>3] = w
		}
	case opLt:
		for i := 0; i < full; i += 8 {
			var w byte
			for j, x := range v[i : i+8 : i+8] {
				w |= (bit(x < s)) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j, x := range v[full:] {
				w |= (bit(x < s)) << j
			}
			out[full>>3] = w
		}
	case opLe:
		for i := 0; i < full; i += 8 {
			var w byte
			for j, x := range v[i : i+8 : i+8] {
				w |= (bit(x <= s)) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j, x := range v[full:] {
				w |= (bit(x <= s)) << j
			}
			out[full>>3] = w
		}
	case opGt:
		for i := 0; i < full; i += 8 {
			var w byte
			for j, x := range v[i : i+8 : i+8] {
				w |= (bit(x <= s) ^ 1) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j, x := range v[full:] {
				w |= (bit(x <= s) ^ 1) << j
			}
			out[full>>3] = w
		}
	case opGe:
		for i := 0; i < full; i += 8 {
			var w byte
			for j, x := range v[i : i+8 : i+8] {
				w |= (bit(x < s) ^ 1) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j, x := range v[full:] {
				w |= (bit(x < s) ^ 1) << j
			}
			out[full>>3] = w
		}
	}
}

// packCmpNaN is packCmpScalar against NaN: equal to (and not below) NaN
// only, below it for every other value.
func packCmpNaN[T ordered](out []byte, v []T, op cmpOp) {
	clear(out)
	for i, x := range v {
		isNaN := x != x
		var holds bool
		switch op {
		case opEq, opGe:
			holds = isNaN
		case opNe, opLt:
			holds = !isNaN
		case opLe:
			holds = true
		}
		if holds {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

// packCmpArrays writes (a[i] op b[i]) into bit i of out, with Spark's NaN
// ordering (NaN equals NaN and is above everything). As in packCmpScalar,
// each operator has its own loop (a predicate passed as a func value
// would cost an indirect call per row); the bits are computed without
// branches, since comparisons of two columns are often unpredictable, and
// eight rows make one byte store.
func packCmpArrays[T ordered](out []byte, a, b []T, op cmpOp) {
	n := len(a)
	b = b[:n]
	full := n &^ 7
	switch op {
	case opEq:
		for i := 0; i < full; i += 8 {
			av, bv := a[i:i+8:i+8], b[i:i+8:i+8]
			var w byte
			for j := 0; j < 8; j++ {
				x, y := av[j], bv[j]
				w |= (bit(x == y) | bit(x != x)&bit(y != y)) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j := full; j < n; j++ {
				x, y := a[j], b[j]
				w |= (bit(x == y) | bit(x != x)&bit(y != y)) << (j - full)
			}
			out[full>>3] = w
		}
	case opNe:
		for i := 0; i < full; i += 8 {
			av, bv := a[i:i+8:i+8], b[i:i+8:i+8]
			var w byte
			for j := 0; j < 8; j++ {
				x, y := av[j], bv[j]
				w |= ((bit(x == y) | bit(x != x)&bit(y != y)) ^ 1) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j := full; j < n; j++ {
				x, y := a[j], b[j]
				w |= ((bit(x == y) | bit(x != x)&bit(y != y)) ^ 1) << (j - full)
			}
			out[full>>3] = w
		}
	case opLt: // lessSpark(x, y)
		for i := 0; i < full; i += 8 {
			av, bv := a[i:i+8:i+8], b[i:i+8:i+8]
			var w byte
			for j := 0; j < 8; j++ {
				x, y := av[j], bv[j]
				w |= (bit(x < y) | bit(y != y)&bit(x == x)) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j := full; j < n; j++ {
				x, y := a[j], b[j]
				w |= (bit(x < y) | bit(y != y)&bit(x == x)) << (j - full)
			}
			out[full>>3] = w
		}
	case opLe: // !lessSpark(y, x)
		for i := 0; i < full; i += 8 {
			av, bv := a[i:i+8:i+8], b[i:i+8:i+8]
			var w byte
			for j := 0; j < 8; j++ {
				x, y := av[j], bv[j]
				w |= ((bit(y < x) | bit(x != x)&bit(y == y)) ^ 1) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j := full; j < n; j++ {
				x, y := a[j], b[j]
				w |= ((bit(y < x) | bit(x != x)&bit(y == y)) ^ 1) << (j - full)
			}
			out[full>>3] = w
		}
	case opGt: // lessSpark(y, x)
		for i := 0; i < full; i += 8 {
			av, bv := a[i:i+8:i+8], b[i:i+8:i+8]
			var w byte
			for j := 0; j < 8; j++ {
				x, y := av[j], bv[j]
				w |= (bit(y < x) | bit(x != x)&bit(y == y)) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j := full; j < n; j++ {
				x, y := a[j], b[j]
				w |= (bit(y < x) | bit(x != x)&bit(y == y)) << (j - full)
			}
			out[full>>3] = w
		}
	case opGe: // !lessSpark(x, y)
		for i := 0; i < full; i += 8 {
			av, bv := a[i:i+8:i+8], b[i:i+8:i+8]
			var w byte
			for j := 0; j < 8; j++ {
				x, y := av[j], bv[j]
				w |= ((bit(x < y) | bit(y != y)&bit(x == x)) ^ 1) << j
			}
			out[i>>3] = w
		}
		if full < n {
			var w byte
			for j := full; j < n; j++ {
				x, y := a[j], b[j]
				w |= ((bit(x < y) | bit(y != y)&bit(x == x)) ^ 1) << (j - full)
			}
			out[full>>3] = w
		}
	}
}

// bit is 1 for true: the compiler turns it into a flag-setting
// instruction, so random comparison outcomes cost no branch mispredicts.
func bit(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// rowValue returns a getter for row i of arr as a scalar-comparable Go value.
func rowValue(arr arrow.Array) func(i int) any {
	switch a := arr.(type) {
	case *array.String:
		return func(i int) any { return a.Value(i) }
	case *array.Binary:
		return func(i int) any { return a.Value(i) }
	case *array.Decimal128:
		return func(i int) any { return a.Value(i) }
	case *array.Boolean:
		return func(i int) any { return a.Value(i) }
	}
	return func(i int) any { s, _ := scalar.GetScalar(arr, i); return s }
}

// rowComparer compares row i of arr with a scalar or a rowValue result.
func rowComparer(arr arrow.Array) func(i int, other any) int {
	switch a := arr.(type) {
	case *array.String:
		return func(i int, o any) int {
			var s string
			if sc, ok := o.(*scalar.String); ok {
				s = string(sc.Data())
			} else {
				s = o.(string)
			}
			x := a.Value(i)
			switch {
			case x < s:
				return -1
			case x > s:
				return 1
			}
			return 0
		}
	case *array.Binary:
		return func(i int, o any) int {
			var s []byte
			if sc, ok := o.(*scalar.Binary); ok {
				s = sc.Data()
			} else {
				s = o.([]byte)
			}
			return bytes.Compare(a.Value(i), s)
		}
	case *array.Decimal128:
		return func(i int, o any) int {
			var s decimal128.Num
			if sc, ok := o.(*scalar.Decimal128); ok {
				s = sc.Value
			} else {
				s = o.(decimal128.Num)
			}
			return a.Value(i).Cmp(s)
		}
	case *array.Boolean:
		return func(i int, o any) int {
			var s bool
			if sc, ok := o.(*scalar.Boolean); ok {
				s = sc.Value
			} else {
				s = o.(bool)
			}
			return boolCmp(a.Value(i), s)
		}
	}
	return func(i int, o any) int {
		s, _ := scalar.GetScalar(arr, i)
		c, _ := compareScalars(s, o.(scalar.Scalar))
		return c
	}
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func cmpOrdered[T ordered](a, b T) int {
	switch {
	case eqSpark(a, b):
		return 0
	case lessSpark(a, b):
		return -1
	}
	return 1
}

// compareScalars orders two valid scalars of the same type the Spark way.
func compareScalars(a, b scalar.Scalar) (int, error) {
	switch x := a.(type) {
	case *scalar.Boolean:
		return boolCmp(x.Value, b.(*scalar.Boolean).Value), nil
	case *scalar.Int8:
		return cmpOrdered(x.Value, b.(*scalar.Int8).Value), nil
	case *scalar.Int16:
		return cmpOrdered(x.Value, b.(*scalar.Int16).Value), nil
	case *scalar.Int32:
		return cmpOrdered(x.Value, b.(*scalar.Int32).Value), nil
	case *scalar.Int64:
		return cmpOrdered(x.Value, b.(*scalar.Int64).Value), nil
	case *scalar.Float32:
		return cmpOrdered(x.Value, b.(*scalar.Float32).Value), nil
	case *scalar.Float64:
		return cmpOrdered(x.Value, b.(*scalar.Float64).Value), nil
	case *scalar.Date32:
		return cmpOrdered(x.Value, b.(*scalar.Date32).Value), nil
	case *scalar.Timestamp:
		return cmpOrdered(x.Value, b.(*scalar.Timestamp).Value), nil
	case *scalar.Decimal128:
		return x.Value.Cmp(b.(*scalar.Decimal128).Value), nil
	case *scalar.String:
		return bytes.Compare(x.Data(), b.(*scalar.String).Data()), nil
	case *scalar.Binary:
		return bytes.Compare(x.Data(), b.(*scalar.Binary).Data()), nil
	}
	return 0, fmt.Errorf("%w: cannot compare %s values", ErrType, sparkTypeName(a.DataType()))
}

// nullSafeEqual is <=>: NULL <=> NULL is TRUE, NULL <=> x is FALSE.
func (ec *evalCtx) nullSafeEqual(lv, rv value, typ arrow.DataType) (value, error) {
	if lv.sc != nil && rv.sc != nil {
		lok, rok := lv.sc.IsValid(), rv.sc.IsValid()
		if !lok || !rok {
			return value{sc: boolScalar(lok == rok)}, nil
		}
		c, err := compareScalars(lv.sc, rv.sc)
		return value{sc: boolScalar(c == 0)}, err
	}
	la, err := ec.materialize(lv, typ)
	if err != nil {
		return value{}, err
	}
	if lv.arr == nil {
		defer la.Release()
	}
	ra, err := ec.materialize(rv, typ)
	if err != nil {
		return value{}, err
	}
	if rv.arr == nil {
		defer ra.Release()
	}
	var eq arrow.Array
	if isNull(typ) {
		eq = array.MakeArrayOfNull(ec.mem, boolType, ec.n)
	} else {
		eq, err = compareArray(ec.mem, opEq, la, value{arr: ra})
		if err != nil {
			return value{}, err
		}
	}
	defer eq.Release()
	e := eq.(*array.Boolean)
	bld := array.NewBooleanBuilder(ec.mem)
	defer bld.Release()
	bld.Reserve(ec.n)
	for i := 0; i < ec.n; i++ {
		lok, rok := la.IsValid(i), ra.IsValid(i)
		if !lok || !rok {
			bld.UnsafeAppend(lok == rok)
		} else {
			bld.UnsafeAppend(e.Value(i))
		}
	}
	return value{arr: bld.NewArray()}, nil
}
