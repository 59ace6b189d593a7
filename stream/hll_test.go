package stream

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Spark's xxhash64 (seed 42) of the same values, from
// `SELECT xxhash64('a'), …` in pyspark 4.1: hashValue must agree so that
// both engines fill the same sketch registers.
func TestHashValueMatchesSpark(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	sb.AppendValues([]string{"a", "abc", "", "hello world, a longer string of 40 chars"}, nil)
	strs := sb.NewStringArray()
	defer strs.Release()
	lb := array.NewInt64Builder(mem)
	defer lb.Release()
	lb.AppendValues([]int64{1, 123456789}, nil)
	longs := lb.NewInt64Array()
	defer longs.Release()
	fb := array.NewFloat64Builder(mem)
	defer fb.Release()
	fb.AppendValues([]float64{1.5}, nil)
	fb.AppendNull()
	doubles := fb.NewFloat64Array()
	defer doubles.Release()
	cases := []struct {
		a    arrow.Array
		i    int
		want int64
	}{
		{strs, 0, -8582455328737087284},
		{strs, 1, 1423657621850124518},
		{strs, 2, -7444071767201028348},
		{strs, 3, 2440937076410328773},
		{longs, 0, -7001672635703045582},
		{longs, 1, 3415128141240069951},
		{doubles, 0, 7738255526519901366},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.a.DataType(), tc.i), func(t *testing.T) {
			h, ok := hashValue(tc.a, tc.i)
			require.True(t, ok)
			assert.Equal(t, tc.want, int64(h))
		})
	}
	_, ok := hashValue(doubles, 1)
	assert.False(t, ok, "a null is not hashed")
}

// splitmix gives well-spread distinct 64-bit values for the error test.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ x>>30) * 0xBF58476D1CE4E5B9
	x = (x ^ x>>27) * 0x94D049BB133111EB
	return x ^ x>>31
}

func int64Hash(v int64) uint64 {
	var b [8]byte
	for i := range b {
		b[i] = byte(uint64(v) >> (8 * i))
	}
	return xxh64(b[:], hashSeed)
}

// The documented error: the relative error stays within three standard
// deviations (1.04/sqrt(2^p)) at every cardinality and its mean over
// several independent runs is within about one (linear counting keeps small
// counts tighter than that, but not exact: 100 values in 512 registers
// collide).
func TestHLLRelativeError(t *testing.T) {
	cases := []struct {
		rsd    float64
		p      uint8
		n      int
		maxErr float64 // worst run
		avgErr float64 // mean absolute relative error over the runs
	}{
		{DefaultRSD, 9, 100, 0.06, 0.03},
		{DefaultRSD, 9, 300, 0.08, 0.04},
		{DefaultRSD, 9, 2_000, 0.14, 0.05},
		{DefaultRSD, 9, 100_000, 0.14, 0.05},
		{0.01, 14, 100_000, 0.025, 0.01},
		{0.02, 12, 1_000_000, 0.05, 0.02},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("rsd=%g/n=%d", tc.rsd, tc.n), func(t *testing.T) {
			require.Equal(t, tc.p, hllPrecision(tc.rsd))
			runs := 8
			var sum, worst float64
			for r := range runs {
				h := newHLL(tc.p)
				for i := range tc.n {
					h.add(int64Hash(int64(splitmix(uint64(r)<<40 | uint64(i)))))
				}
				e := math.Abs(float64(h.estimate())-float64(tc.n)) / float64(tc.n)
				sum += e
				worst = max(worst, e)
			}
			assert.LessOrEqual(t, worst, tc.maxErr, "worst relative error")
			assert.LessOrEqual(t, sum/float64(runs), tc.avgErr, "mean relative error")
		})
	}
}

// Sketches merge register by register: the merge of two halves estimates
// what one sketch of the whole does, and a sketch survives its JSON
// (checkpoint) form.
func TestHLLMergeAndCheckpoint(t *testing.T) {
	whole, a, b := newHLL(9), newHLL(9), newHLL(9)
	for i := range 5000 {
		h := int64Hash(int64(i))
		whole.add(h)
		if i%2 == 0 {
			a.add(h)
		} else {
			b.add(h)
		}
		if i < 100 {
			b.add(h) // overlapping values count once
		}
	}
	a.merge(b)
	assert.Equal(t, whole, a)
	assert.Equal(t, whole.estimate(), a.estimate())
	data, err := json.Marshal(aggState{HLL: whole})
	require.NoError(t, err)
	var back aggState
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, whole, back.HLL)
	assert.Equal(t, whole.estimate(), back.HLL.estimate())
}
