package stream

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// DefaultRSD is approx_count_distinct's default relative standard
// deviation, Spark's.
const DefaultRSD = 0.05

// hllPrecision is the number of index bits a sketch needs for a relative
// standard deviation: HyperLogLog's error is about 1.04/sqrt(2^p), so
// p = ceil(2·log2(1.106/rsd)), at least 4 (Spark's rule too, so that a
// given rsd gives the same sketch size and error on both engines).
func hllPrecision(rsd float64) uint8 {
	p := math.Ceil(2 * math.Log2(1.106/rsd))
	return uint8(min(max(p, 4), 18))
}

// hllSketch is a HyperLogLog++ sketch: 2^p registers, each holding the
// largest rank (position of the first 1 bit after the index bits) of the
// hashes that fell in it. Sketches of equal precision merge by taking
// each register's maximum, so window state can be combined and
// checkpointed as the registers alone.
//
// Values are hashed as Spark hashes them for approx_count_distinct
// (xxHash64 with seed 42 of the value's bytes), so both engines fill the
// same registers from the same input. Below the linear-counting threshold
// of the HyperLogLog++ paper (400 at the default precision 9) the estimate
// is then the same as Spark's; it is close to the true count but not
// exact (values collide in registers). Above it this sketch uses the raw
// estimate without the paper's empirical bias tables, which Spark applies
// up to 5·2^p: there the two may differ by a few percent, within the
// documented error (relative standard deviation about rsd).
type hllSketch []byte

func newHLL(p uint8) hllSketch { return make(hllSketch, 1<<p) }

func (h hllSketch) precision() uint8 { return uint8(bits.TrailingZeros(uint(len(h)))) }

// add folds a 64-bit hash in.
func (h hllSketch) add(hash uint64) {
	p := h.precision()
	idx := hash >> (64 - p)
	// The bit after the remaining 64-p bits bounds the rank at 64-p+1.
	w := hash<<p | 1<<(p-1)
	rank := byte(bits.LeadingZeros64(w) + 1)
	if rank > h[idx] {
		h[idx] = rank
	}
}

// merge takes, register by register, the maximum of h and o (same size).
func (h hllSketch) merge(o hllSketch) {
	for i, r := range o {
		if r > h[i] {
			h[i] = r
		}
	}
}

// linearCountingThreshold is, per precision 4..18, the cardinality below
// which HyperLogLog++ trusts linear counting (from the HLL++ paper).
var linearCountingThreshold = [...]float64{10, 20, 40, 80, 220, 400, 900, 1800, 3100, 6500, 11500, 20000, 50000, 120000, 350000}

// estimate is the number of distinct values, rounded.
func (h hllSketch) estimate() int64 {
	m := float64(len(h))
	var sum float64
	zeros := 0
	for _, r := range h {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	var alpha float64
	switch len(h) {
	case 16:
		alpha = 0.673
	case 32:
		alpha = 0.697
	case 64:
		alpha = 0.709
	default:
		alpha = 0.7213 / (1 + 1.079/m)
	}
	e := alpha * m * m / sum
	if zeros > 0 {
		lc := m * math.Log(m/float64(zeros))
		if lc <= linearCountingThreshold[h.precision()-4] || e <= 2.5*m {
			return int64(math.Round(lc))
		}
	}
	return int64(math.Round(e))
}

// hashSeed is the seed Spark's approx_count_distinct hashes with.
const hashSeed = 42

// hashValue hashes a[i] as Spark's approx_count_distinct does: integers
// up to 32 bits as 4 bytes, longs and timestamps as 8 (little-endian),
// floating point by its bits with -0 as 0 (float as 4 bytes, double as
// 8), strings and binaries by their bytes, booleans as the int 0 or 1.
// ok is false for a null (not counted) or an unsupported type.
func hashValue(a arrow.Array, i int) (uint64, bool) {
	if a.IsNull(i) {
		return 0, false
	}
	var buf [8]byte
	four := func(v uint32) (uint64, bool) {
		binary.LittleEndian.PutUint32(buf[:4], v)
		return xxh64(buf[:4], hashSeed), true
	}
	eight := func(v uint64) (uint64, bool) {
		binary.LittleEndian.PutUint64(buf[:], v)
		return xxh64(buf[:], hashSeed), true
	}
	switch c := a.(type) {
	case *array.Boolean:
		if c.Value(i) {
			return four(1)
		}
		return four(0)
	case *array.Int8:
		return four(uint32(int32(c.Value(i))))
	case *array.Int16:
		return four(uint32(int32(c.Value(i))))
	case *array.Int32:
		return four(uint32(c.Value(i)))
	case *array.Date32:
		return four(uint32(c.Value(i)))
	case *array.Int64:
		return eight(uint64(c.Value(i)))
	case *array.Timestamp:
		us := c.Value(i).ToTime(c.DataType().(*arrow.TimestampType).Unit).UnixMicro()
		return eight(uint64(us))
	case *array.Float32:
		f := c.Value(i)
		if f == 0 {
			f = 0
		}
		return four(math.Float32bits(f))
	case *array.Float64:
		f := c.Value(i)
		if f == 0 {
			f = 0
		}
		return eight(math.Float64bits(f))
	case *array.String:
		return xxh64([]byte(c.Value(i)), hashSeed), true
	case *array.LargeString:
		return xxh64([]byte(c.Value(i)), hashSeed), true
	case *array.Binary:
		return xxh64(c.Value(i), hashSeed), true
	}
	return 0, false
}

// hashable says whether hashValue handles a type.
func hashable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.INT16, arrow.INT32, arrow.DATE32, arrow.INT64, arrow.TIMESTAMP,
		arrow.FLOAT32, arrow.FLOAT64, arrow.STRING, arrow.LARGE_STRING, arrow.BINARY:
		return true
	}
	return false
}

// xxHash64's primes.
const (
	xxP1 uint64 = 0x9E3779B185EBCA87
	xxP2 uint64 = 0xC2B2AE3D27D4EB4F
	xxP3 uint64 = 0x165667B19E3779F9
	xxP4 uint64 = 0x85EBCA77C2B2AE63
	xxP5 uint64 = 0x27D4EB2F165667C5
)

func xxRound(acc, in uint64) uint64 {
	acc += in * xxP2
	return bits.RotateLeft64(acc, 31) * xxP1
}

func xxMerge(acc, v uint64) uint64 {
	acc ^= xxRound(0, v)
	return acc*xxP1 + xxP4
}

// xxh64 is the xxHash64 of b with a seed (the published algorithm).
func xxh64(b []byte, seed uint64) uint64 {
	n := uint64(len(b))
	var h uint64
	if len(b) >= 32 {
		v1, v2, v3, v4 := seed+xxP1+xxP2, seed+xxP2, seed, seed-xxP1
		for len(b) >= 32 {
			v1 = xxRound(v1, binary.LittleEndian.Uint64(b[0:]))
			v2 = xxRound(v2, binary.LittleEndian.Uint64(b[8:]))
			v3 = xxRound(v3, binary.LittleEndian.Uint64(b[16:]))
			v4 = xxRound(v4, binary.LittleEndian.Uint64(b[24:]))
			b = b[32:]
		}
		h = bits.RotateLeft64(v1, 1) + bits.RotateLeft64(v2, 7) + bits.RotateLeft64(v3, 12) + bits.RotateLeft64(v4, 18)
		h = xxMerge(xxMerge(xxMerge(xxMerge(h, v1), v2), v3), v4)
	} else {
		h = seed + xxP5
	}
	h += n
	for ; len(b) >= 8; b = b[8:] {
		h ^= xxRound(0, binary.LittleEndian.Uint64(b))
		h = bits.RotateLeft64(h, 27)*xxP1 + xxP4
	}
	if len(b) >= 4 {
		h ^= uint64(binary.LittleEndian.Uint32(b)) * xxP1
		h = bits.RotateLeft64(h, 23)*xxP2 + xxP3
		b = b[4:]
	}
	for _, c := range b {
		h ^= uint64(c) * xxP5
		h = bits.RotateLeft64(h, 11) * xxP1
	}
	h ^= h >> 33
	h *= xxP2
	h ^= h >> 29
	h *= xxP3
	h ^= h >> 32
	return h
}
