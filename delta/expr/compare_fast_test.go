package expr

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// oracleCmp is the comparison spelled with Spark's NaN-aware helpers, one
// row at a time: what packCmpArrays must reproduce.
func oracleCmp[T ordered](op cmpOp, x, y T) bool {
	switch op {
	case opEq:
		return eqSpark(x, y)
	case opNe:
		return !eqSpark(x, y)
	case opLt:
		return lessSpark(x, y)
	case opLe:
		return !lessSpark(y, x)
	case opGt:
		return lessSpark(y, x)
	}
	return !lessSpark(x, y)
}

func checkPackCmpArrays[T ordered](t *testing.T, rng *rand.Rand, pick func() T) {
	t.Helper()
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(100)
		a, b := make([]T, n), make([]T, n)
		for i := range a {
			a[i], b[i] = pick(), pick()
			if rng.IntN(4) == 0 {
				b[i] = a[i] // equal pairs, NaN with NaN included
			}
		}
		for op := opEq; op <= opGe; op++ {
			out := make([]byte, (n+7)/8+1)
			out[len(out)-1] = 0xff // must stay: the bitmap is only as long as asked
			packCmpArrays(out[:len(out)-1], a, b, op)
			for i := 0; i < n; i++ {
				got := out[i>>3]&(1<<(i&7)) != 0
				require.Equal(t, oracleCmp(op, a[i], b[i]), got, "op %d: %v vs %v", op, a[i], b[i])
			}
			for i := n; i < (n+7)/8*8; i++ {
				require.Zero(t, out[i>>3]&(1<<(i&7)), "padding bit %d", i)
			}
			require.Equal(t, byte(0xff), out[len(out)-1])
		}
	}
}

// TestPackCmpArraysMatchesOracle: the per-operator loops agree with
// lessSpark/eqSpark on random values with NaN, ±0, infinities and the
// integer extremes.
func TestPackCmpArraysMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	floats := []float64{math.NaN(), 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 1, -1}
	checkPackCmpArrays(t, rng, func() float64 {
		if rng.IntN(3) == 0 {
			return floats[rng.IntN(len(floats))]
		}
		return float64(rng.IntN(5)) - 2
	})
	checkPackCmpArrays(t, rng, func() float32 {
		if rng.IntN(3) == 0 {
			return float32(floats[rng.IntN(len(floats))])
		}
		return float32(rng.IntN(5)) - 2
	})
	ints := []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}
	checkPackCmpArrays(t, rng, func() int64 { return ints[rng.IntN(len(ints))] })
	checkPackCmpArrays(t, rng, func() int8 { return int8(rng.IntN(256) - 128) })
}

// packBits2 is the comparison loop packCmpArrays replaced: one call of a
// predicate func value per row. It stays here as the benchmark baseline.
func packBits2[T any](out []byte, a, b []T, pred func(T, T) bool) {
	clear(out)
	for i := range a {
		if pred(a[i], b[i]) {
			out[i>>3] |= 1 << (i & 7)
		}
	}
}

// BenchmarkCompareArrays compares two 10M-double arrays (a > b) with the
// per-operator loop and with the func-value loop, alternating inside each
// iteration, and reports packed/func.
func BenchmarkCompareArrays(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	x, y := make([]float64, benchRows), make([]float64, benchRows)
	for i := range x {
		x[i], y[i] = rng.Float64(), rng.Float64()
	}
	out := make([]byte, (benchRows+7)/8)
	var packedNs, funcNs int64
	for b.Loop() {
		t0 := time.Now()
		packCmpArrays(out, x, y, opGt)
		t1 := time.Now()
		packBits2(out, x, y, func(p, q float64) bool { return lessSpark(q, p) })
		t2 := time.Now()
		packedNs += t1.Sub(t0).Nanoseconds()
		funcNs += t2.Sub(t1).Nanoseconds()
	}
	rows := float64(b.N) * benchRows
	b.ReportMetric(float64(packedNs)/rows, "packed-ns/row")
	b.ReportMetric(float64(funcNs)/rows, "func-ns/row")
	b.ReportMetric(float64(packedNs)/float64(funcNs), "packed/func")
}

// packCmpScalarBranchy is packCmpScalar before its loops went
// branch-free: the benchmark baseline.
func packCmpScalarBranchy[T ordered](out []byte, v []T, s T, op cmpOp) {
	n := len(v)
	clear(out)
	sNaN := s != s
	switch op {
	case opEq:
		for i := 0; i < n; i++ {
			x := v[i]
			if x == s || (sNaN && x != x) {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case opNe:
		for i := 0; i < n; i++ {
			x := v[i]
			if !(x == s || (sNaN && x != x)) {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case opLt: // x < s, NaN largest
		for i := 0; i < n; i++ {
			x := v[i]
			if x < s || (sNaN && x == x) {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case opLe: // !(s < x)
		for i := 0; i < n; i++ {
			x := v[i]
			if !(s < x || (x != x && !sNaN)) {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case opGt: // s < x
		for i := 0; i < n; i++ {
			x := v[i]
			if s < x || (x != x && !sNaN) {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	case opGe: // !(x < s)
		for i := 0; i < n; i++ {
			x := v[i]
			if !(x < s || (sNaN && x == x)) {
				out[i>>3] |= 1 << (i & 7)
			}
		}
	}
}

func checkPackCmpScalar[T ordered](t *testing.T, rng *rand.Rand, vals []T) {
	t.Helper()
	for trial := 0; trial < 300; trial++ {
		n := 1 + rng.IntN(100)
		v := make([]T, n)
		for i := range v {
			v[i] = vals[rng.IntN(len(vals))]
		}
		s := vals[rng.IntN(len(vals))]
		for op := opEq; op <= opGe; op++ {
			out := make([]byte, (n+7)/8)
			packCmpScalar(out, v, s, op)
			old := make([]byte, (n+7)/8)
			packCmpScalarBranchy(old, v, s, op)
			for i := 0; i < n; i++ {
				require.Equal(t, oracleCmp(op, v[i], s), out[i>>3]&(1<<(i&7)) != 0, "op %d: %v vs %v", op, v[i], s)
			}
			require.Equal(t, old, out, "op %d", op)
		}
	}
}

// TestPackCmpScalarMatchesOracle: as TestPackCmpArraysMatchesOracle, with
// the right side one constant (NaN among them), and bit for bit what the
// branchy loops it replaced wrote.
func TestPackCmpScalarMatchesOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	nan := math.NaN()
	checkPackCmpScalar(t, rng, []float64{nan, 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 1, -1, 0.5})
	checkPackCmpScalar(t, rng, []float32{float32(nan), 0, float32(math.Inf(1)), float32(math.Inf(-1)), 1, -1, 0.5})
	checkPackCmpScalar(t, rng, []int64{math.MinInt64, math.MaxInt64, 0, -1, 1})
	checkPackCmpScalar(t, rng, []int16{math.MinInt16, math.MaxInt16, 0, -1, 1})
}

// BenchmarkCompareScalar compares 10M doubles with a constant (x > 0.5)
// branch-free and with the branchy loops it replaced, on random outcomes
// and on predictable ones (every row TRUE).
func BenchmarkCompareScalar(b *testing.B) {
	for _, tc := range []struct {
		name string
		base float64
	}{{"random", 0}, {"predictable", 1}} {
		b.Run(tc.name, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(5, 6))
			x := make([]float64, benchRows)
			for i := range x {
				x[i] = tc.base + rng.Float64()
			}
			out := make([]byte, (benchRows+7)/8)
			var newNs, oldNs int64
			for b.Loop() {
				t0 := time.Now()
				packCmpScalar(out, x, 0.5, opGt)
				t1 := time.Now()
				packCmpScalarBranchy(out, x, 0.5, opGt)
				t2 := time.Now()
				newNs += t1.Sub(t0).Nanoseconds()
				oldNs += t2.Sub(t1).Nanoseconds()
			}
			rows := float64(b.N) * benchRows
			b.ReportMetric(float64(newNs)/rows, "branchfree-ns/row")
			b.ReportMetric(float64(oldNs)/rows, "branchy-ns/row")
			b.ReportMetric(float64(newNs)/float64(oldNs), "branchfree/branchy")
		})
	}
}
