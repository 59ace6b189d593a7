package expr

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"
)

// specials are the values where Spark's arithmetic has edge cases: zero
// divisors, -1 against the minimum, the extremes, NaN and infinities.
func specials(typ arrow.DataType) []float64 {
	switch typ.ID() {
	case arrow.FLOAT32, arrow.FLOAT64:
		return []float64{0, math.Copysign(0, -1), 1, -1, math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat32, -math.MaxFloat32, 1e-45}
	}
	bits := typ.(arrow.FixedWidthDataType).BitWidth()
	hi := float64(int64(1)<<(bits-1) - 1)
	return []float64{0, 1, -1, 2, -2, hi, -hi - 1, hi - 1, -hi}
}

// randomNumbers builds n values of typ: a share of specials, the rest
// random over the type's range, and NULLs at rate nullRate. Some arrays
// are slices with a non-zero offset.
func randomNumbers(rng *rand.Rand, mem memory.Allocator, typ arrow.DataType, n int, specialRate, nullRate float64) arrow.Array {
	sp := specials(typ)
	pad := 0
	if rng.IntN(2) == 0 {
		pad = rng.IntN(9)
	}
	b := array.NewBuilder(mem, typ)
	defer b.Release()
	for i := 0; i < n+pad; i++ {
		if rng.Float64() < nullRate {
			b.AppendNull()
			continue
		}
		var v float64
		if rng.Float64() < specialRate {
			v = sp[rng.IntN(len(sp))]
		}
		switch bb := b.(type) {
		case *array.Int8Builder:
			if v == 0 && rng.IntN(2) == 0 {
				v = float64(int8(rng.Uint32()))
			}
			bb.Append(int8(v))
		case *array.Int16Builder:
			if v == 0 && rng.IntN(2) == 0 {
				v = float64(int16(rng.Uint32()))
			}
			bb.Append(int16(v))
		case *array.Int32Builder:
			if v == 0 && rng.IntN(2) == 0 {
				v = float64(int32(rng.Uint32()))
			}
			bb.Append(int32(v))
		case *array.Int64Builder:
			x := int64(v)
			if v == 0 && rng.IntN(2) == 0 {
				x = int64(rng.Uint64())
			} else if v == float64(math.MaxInt64) {
				x = math.MaxInt64 // float64(MaxInt64) rounds up to 2^63
			}
			bb.Append(x)
		case *array.Float32Builder:
			if v == 0 && rng.IntN(2) == 0 {
				v = rng.NormFloat64() * 1e3
			}
			bb.Append(float32(v))
		case *array.Float64Builder:
			if v == 0 && rng.IntN(2) == 0 {
				v = rng.NormFloat64() * 1e6
			}
			bb.Append(v)
		}
	}
	arr := b.NewArray()
	if pad == 0 {
		return arr
	}
	defer arr.Release()
	return array.NewSlice(arr, int64(pad), int64(pad+n))
}

// randomOperand is an array of n rows, or (shape says which side) a valid
// constant picked from the first row of a random array.
func randomOperand(rng *rand.Rand, mem memory.Allocator, typ arrow.DataType, n int, constant bool, specialRate, nullRate float64) value {
	if !constant {
		return value{arr: randomNumbers(rng, mem, typ, n, specialRate, nullRate)}
	}
	one := randomNumbers(rng, mem, typ, 1, specialRate, 0)
	defer one.Release()
	sc, err := scalar.GetScalar(one, 0)
	if err != nil {
		panic(err)
	}
	return value{sc: sc}
}

// requireSameNumbers compares arrays row by row, floats by their bits so
// that NaN, -0 and infinities count.
func requireSameNumbers(t *testing.T, want, got arrow.Array, msg string) {
	t.Helper()
	require.True(t, arrow.TypeEqual(want.DataType(), got.DataType()), msg)
	require.Equal(t, want.Len(), got.Len(), msg)
	require.Equal(t, want.NullN(), got.NullN(), msg)
	for i := 0; i < want.Len(); i++ {
		require.Equal(t, want.IsNull(i), got.IsNull(i), "%s: row %d validity", msg, i)
		if want.IsNull(i) {
			continue
		}
		var w, g any
		switch a := want.(type) {
		case *array.Float32:
			w, g = math.Float32bits(a.Value(i)), math.Float32bits(got.(*array.Float32).Value(i))
		case *array.Float64:
			w, g = math.Float64bits(a.Value(i)), math.Float64bits(got.(*array.Float64).Value(i))
		default:
			w, g = want.ValueStr(i), got.ValueStr(i)
		}
		require.Equal(t, w, g, "%s: row %d value", msg, i)
	}
}

// TestFastArithMatchesGeneric is the fast kernels' oracle test: for random
// operands with NULLs, zeros, -1 against the minimum, extremes, NaN and
// infinities, in both ANSI modes and with the constant on either side,
// fastArith must return exactly what the generic row loop returns — the
// same array, or the same error.
func TestFastArithMatchesGeneric(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(16, 6))
	types := []arrow.DataType{arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32,
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64}
	shapes := []struct {
		name                  string
		leftConst, rightConst bool
	}{{"array op array", false, false}, {"array op constant", false, true}, {"constant op array", true, false}}
	rates := []struct{ special, null float64 }{{0, 0}, {0.01, 0}, {0, 0.3}, {0.05, 0.2}, {0.4, 0.5}, {0.2, 1}}
	outcomes := map[string]int{}
	for _, typ := range types {
		ops := []string{"+", "-", "*", "/", "%"}
		if isIntegral(typ) {
			ops = append(ops, "div", "&", "|", "^")
		}
		for _, op := range ops {
			for _, ansi := range []bool{false, true} {
				for _, sh := range shapes {
					for trial := 0; trial < 12; trial++ {
						r := rates[trial%len(rates)]
						n := 1 + rng.IntN(70)
						lv := randomOperand(rng, mem, typ, n, sh.leftConst, r.special, r.null)
						rv := randomOperand(rng, mem, typ, n, sh.rightConst, r.special, r.null)
						msg := fmt.Sprintf("%s %s ansi=%v %s trial %d", sparkTypeName(typ), op, ansi, sh.name, trial)
						outcomes[sameAsGeneric(t, mem, op, ansi, lv, rv, typ, msg)]++
					}
				}
			}
		}
	}
	t.Logf("outcomes: %v", outcomes)
	// The random cases must reach every kind of outcome.
	require.Greater(t, outcomes["error"], 50)
	require.Greater(t, outcomes["nulls"], 50)
	require.Greater(t, outcomes["no nulls"], 50)
}

// sameAsGeneric runs fastArith and the generic row loop on the same
// operands, requires the same array or the same error, releases the
// operands and says which outcome it was.
func sameAsGeneric(t *testing.T, mem memory.Allocator, op string, ansi bool, lv, rv value, typ arrow.DataType, msg string) string {
	t.Helper()
	n := 1
	if lv.arr != nil {
		n = lv.arr.Len()
	} else if rv.arr != nil {
		n = rv.arr.Len()
	}
	what := fmt.Sprintf("%s %s %s", sparkTypeName(typ), op, sparkTypeName(typ))
	ec := &evalCtx{ctx: context.Background(), n: n, mem: mem}
	got, ok, gotErr := fastArith(ec, op, ansi, what, lv, rv)
	require.True(t, ok, msg)
	la, err := ec.materialize(lv, typ)
	require.NoError(t, err)
	ra, err := ec.materialize(rv, typ)
	require.NoError(t, err)
	want, wantErr := arithKernel(ec, op, ansi, what, la, ra, typ)
	la.Release()
	ra.Release()
	if wantErr != nil {
		require.EqualError(t, gotErr, wantErr.Error(), msg)
		require.ErrorIs(t, gotErr, ErrArithmetic)
		require.Nil(t, got, msg)
		return "error"
	}
	require.NoError(t, gotErr, msg)
	requireSameNumbers(t, want, got, msg)
	defer want.Release()
	defer got.Release()
	if want.NullN() > 0 {
		return "nulls"
	}
	return "no nulls"
}

// TestFastArithEdges pins the rows where each width overflows or divides
// by zero, alone in their batch so no other row's error comes first.
func TestFastArithEdges(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	type edge struct {
		op   string
		x, y float64 // y is also used as a constant on the right
		want string  // outcome in ANSI mode
	}
	for _, typ := range []arrow.DataType{arrow.PrimitiveTypes.Int8, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64} {
		sp := specials(typ)
		hi, lo := sp[5], sp[6]
		edges := []edge{
			{"/", lo, -1, "error"}, {"div", lo, -1, "error"}, {"%", lo, -1, "no nulls"},
			{"*", lo, -1, "error"}, {"*", hi, 2, "error"}, {"*", hi, 1, "no nulls"}, {"*", -1, lo, "error"},
			{"+", hi, 1, "error"}, {"+", lo, -1, "error"}, {"+", hi, lo, "no nulls"},
			{"-", lo, 1, "error"}, {"-", 0, lo, "error"}, {"-", -1, lo, "no nulls"}, {"-", hi, -1, "error"},
			{"/", 5, 0, "error"}, {"%", 5, 0, "error"}, {"div", 0, 0, "error"},
		}
		for _, e := range edges {
			if e.op == "div" && typ.ID() != arrow.INT64 {
				continue // div's operands are always BIGINT
			}
			for _, ansi := range []bool{false, true} {
				for _, rightConst := range []bool{false, true} {
					msg := fmt.Sprintf("%s: %v %s %v ansi=%v constant=%v", sparkTypeName(typ), e.x, e.op, e.y, ansi, rightConst)
					lv := value{arr: numbersOf(mem, typ, e.x, e.x)}
					rv := value{arr: numbersOf(mem, typ, e.y, e.y)}
					if rightConst {
						sc, err := scalar.GetScalar(rv.arr, 0)
						require.NoError(t, err)
						rv.arr.Release()
						rv = value{sc: sc}
					}
					got := sameAsGeneric(t, mem, e.op, ansi, lv, rv, typ, msg)
					want := e.want
					if !ansi && want == "error" {
						want = "no nulls"
						if e.y == 0 {
							want = "nulls"
						}
					}
					require.Equal(t, want, got, msg)
				}
			}
		}
	}
}

// numbersOf builds an array of typ from float64s (exact for the edges).
func numbersOf(mem memory.Allocator, typ arrow.DataType, vs ...float64) arrow.Array {
	b := array.NewBuilder(mem, typ)
	defer b.Release()
	for _, v := range vs {
		switch bb := b.(type) {
		case *array.Int8Builder:
			bb.Append(int8(v))
		case *array.Int16Builder:
			bb.Append(int16(v))
		case *array.Int32Builder:
			bb.Append(int32(v))
		case *array.Int64Builder:
			x := int64(v)
			if v >= math.MaxInt64 {
				x = math.MaxInt64
			}
			bb.Append(x)
		}
	}
	return b.NewArray()
}

// TestFastArithDeclines lists what stays on the generic path.
func TestFastArithDeclines(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ints := func(vs ...int64) arrow.Array {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues(vs, nil)
		return b.NewArray()
	}
	a := ints(1, 2, 3)
	defer a.Release()
	empty := ints()
	defer empty.Release()
	dt := &arrow.Decimal128Type{Precision: 5, Scale: 1}
	db := array.NewDecimal128Builder(mem, dt)
	db.Append(decimal128.FromI64(7))
	decs := db.NewArray()
	db.Release()
	defer decs.Release()
	dec := scalar.NewDecimal128Scalar(decimal128.FromI64(5), dt)
	cases := []struct {
		name   string
		lv, rv value
	}{
		{"two constants", value{sc: scalar.NewInt64Scalar(1)}, value{sc: scalar.NewInt64Scalar(2)}},
		{"NULL constant", value{arr: a}, value{sc: scalar.MakeNullScalar(arrow.PrimitiveTypes.Int64)}},
		{"mixed types", value{arr: a}, value{sc: scalar.NewInt32Scalar(2)}},
		{"decimal", value{arr: decs}, value{sc: dec}},
		{"empty array", value{arr: empty}, value{sc: scalar.NewInt64Scalar(2)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ec := &evalCtx{ctx: context.Background(), n: 3, mem: mem}
			out, ok, err := fastArith(ec, "+", false, "+", tc.lv, tc.rv)
			require.False(t, ok)
			require.NoError(t, err)
			require.Nil(t, out)
		})
	}
}

// BenchmarkArith measures value * 2 (the scan-unprunable workload's
// arithmetic) and an integer addition through the fast kernels and through
// the generic row loop, alternating inside each iteration so load falls
// on both alike, and reports fast/generic.
func BenchmarkArith(b *testing.B) {
	mem := memory.NewGoAllocator()
	batch := benchBatch(mem)
	defer batch.Release()
	ib := array.NewInt32Builder(mem)
	for i := 0; i < benchRows; i++ {
		ib.Append(int32(i * 7))
	}
	ints := ib.NewArray()
	ib.Release()
	defer ints.Release()
	cases := []struct {
		name string
		arr  arrow.Array
		k    scalar.Scalar
		op   string
	}{
		{"float64*2", batch.Column(0), scalar.NewFloat64Scalar(2), "*"},
		{"float64/3", batch.Column(0), scalar.NewFloat64Scalar(3), "/"},
		{"int32+1", ints, scalar.NewInt32Scalar(1), "+"},
	}
	for _, tc := range cases {
		for _, ansi := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/ansi=%v", tc.name, ansi), func(b *testing.B) {
				ec := &evalCtx{ctx: context.Background(), n: benchRows, mem: mem}
				var fastNs, genericNs int64
				for b.Loop() {
					t0 := time.Now()
					tc.arr.Retain()
					out, err := ec.arith(tc.op, ansi, "bench", value{arr: tc.arr}, value{sc: tc.k}, tc.arr.DataType(), tc.k.DataType(), tc.arr.DataType())
					if err != nil {
						b.Fatal(err)
					}
					out.Release()
					t1 := time.Now()
					ka, err := scalar.MakeArrayFromScalar(tc.k, benchRows, mem)
					if err != nil {
						b.Fatal(err)
					}
					out, err = arithKernel(ec, tc.op, ansi, "bench", tc.arr, ka, tc.arr.DataType())
					if err != nil {
						b.Fatal(err)
					}
					out.Release()
					ka.Release()
					t2 := time.Now()
					fastNs += t1.Sub(t0).Nanoseconds()
					genericNs += t2.Sub(t1).Nanoseconds()
				}
				rows := float64(b.N) * benchRows
				b.ReportMetric(float64(fastNs)/rows, "fast-ns/row")
				b.ReportMetric(float64(genericNs)/rows, "generic-ns/row")
				b.ReportMetric(float64(fastNs)/float64(genericNs), "fast/generic")
			})
		}
	}
}
