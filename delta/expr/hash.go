package expr

import (
	le "encoding/binary"
	"fmt"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Spark's hash() is Murmur3 x86_32 with seed 42 and xxhash64() is XXH64
// with seed 42; each argument's hash seeds the next, NULLs leave the seed
// unchanged, and values are encoded per type exactly as Spark does
// (ints/dates as 4 bytes, longs/timestamps as 8, -0.0 as 0.0, decimals of
// precision ≤ 18 as their unscaled long, longer ones as big-endian bytes).
const sparkHashSeed = 42

const (
	m3c1 = 0xcc9e2d51
	m3c2 = 0x1b873593
)

func m3mixK1(k uint32) uint32 {
	k *= m3c1
	k = bits.RotateLeft32(k, 15)
	return k * m3c2
}

func m3mixH1(h, k uint32) uint32 {
	h ^= k
	h = bits.RotateLeft32(h, 13)
	return h*5 + 0xe6546b64
}

func m3fmix(h uint32, length uint32) uint32 {
	h ^= length
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

func murmur3Int(v uint32, seed uint32) uint32 {
	return m3fmix(m3mixH1(seed, m3mixK1(v)), 4)
}

func murmur3Long(v uint64, seed uint32) uint32 {
	h := m3mixH1(seed, m3mixK1(uint32(v)))
	h = m3mixH1(h, m3mixK1(uint32(v>>32)))
	return m3fmix(h, 8)
}

// murmur3Bytes is Spark's hashUnsafeBytes: whole 4-byte little-endian
// words, then each trailing byte mixed alone as a sign-extended int (this
// differs from reference Murmur3 and is what Spark computes).
func murmur3Bytes(b []byte, seed uint32) uint32 {
	h := seed
	aligned := len(b) - len(b)%4
	for i := 0; i < aligned; i += 4 {
		h = m3mixH1(h, m3mixK1(le.LittleEndian.Uint32(b[i:])))
	}
	for i := aligned; i < len(b); i++ {
		h = m3mixH1(h, m3mixK1(uint32(int32(int8(b[i])))))
	}
	return m3fmix(h, uint32(len(b)))
}

const (
	xxP1 uint64 = 0x9E3779B185EBCA87
	xxP2 uint64 = 0xC2B2AE3D27D4EB4F
	xxP3 uint64 = 0x165667B19E3779F9
	xxP4 uint64 = 0x85EBCA77C2B2AE63
	xxP5 uint64 = 0x27D4EB2F165667C5
)

func xxRound(acc, in uint64) uint64 {
	acc += in * xxP2
	acc = bits.RotateLeft64(acc, 31)
	return acc * xxP1
}

func xxMerge(acc, v uint64) uint64 {
	acc ^= xxRound(0, v)
	return acc*xxP1 + xxP4
}

// xxh64 is the reference XXH64, which Spark's XXH64 matches for bytes,
// ints (4 little-endian bytes) and longs (8).
func xxh64(b []byte, seed uint64) uint64 {
	n := len(b)
	var h uint64
	p := 0
	if n >= 32 {
		v1, v2, v3, v4 := seed+xxP1+xxP2, seed+xxP2, seed, seed-xxP1
		for ; p+32 <= n; p += 32 {
			v1 = xxRound(v1, le.LittleEndian.Uint64(b[p:]))
			v2 = xxRound(v2, le.LittleEndian.Uint64(b[p+8:]))
			v3 = xxRound(v3, le.LittleEndian.Uint64(b[p+16:]))
			v4 = xxRound(v4, le.LittleEndian.Uint64(b[p+24:]))
		}
		h = bits.RotateLeft64(v1, 1) + bits.RotateLeft64(v2, 7) + bits.RotateLeft64(v3, 12) + bits.RotateLeft64(v4, 18)
		h = xxMerge(h, v1)
		h = xxMerge(h, v2)
		h = xxMerge(h, v3)
		h = xxMerge(h, v4)
	} else {
		h = seed + xxP5
	}
	h += uint64(n)
	for ; p+8 <= n; p += 8 {
		h ^= xxRound(0, le.LittleEndian.Uint64(b[p:]))
		h = bits.RotateLeft64(h, 27)*xxP1 + xxP4
	}
	if p+4 <= n {
		h ^= uint64(le.LittleEndian.Uint32(b[p:])) * xxP1
		h = bits.RotateLeft64(h, 23)*xxP2 + xxP3
		p += 4
	}
	for ; p < n; p++ {
		h ^= uint64(b[p]) * xxP5
		h = bits.RotateLeft64(h, 11) * xxP1
	}
	h ^= h >> 33
	h *= xxP2
	h ^= h >> 29
	h *= xxP3
	h ^= h >> 32
	return h
}

// sparkHasher hashes Spark-typed values with either algorithm; seeds and
// results are carried as uint64 (Murmur3 uses the low 32 bits).
type sparkHasher struct{ xx bool }

func (h sparkHasher) int32(v int32, seed uint64) uint64 {
	if h.xx {
		var b [4]byte
		le.LittleEndian.PutUint32(b[:], uint32(v))
		return xxh64(b[:], seed)
	}
	return uint64(murmur3Int(uint32(v), uint32(seed)))
}

func (h sparkHasher) int64(v int64, seed uint64) uint64 {
	if h.xx {
		var b [8]byte
		le.LittleEndian.PutUint64(b[:], uint64(v))
		return xxh64(b[:], seed)
	}
	return uint64(murmur3Long(uint64(v), uint32(seed)))
}

func (h sparkHasher) bytes(b []byte, seed uint64) uint64 {
	if h.xx {
		return xxh64(b, seed)
	}
	return uint64(murmur3Bytes(b, uint32(seed)))
}

// javaBigIntegerBytes is BigInteger.toByteArray: minimal big-endian two's
// complement.
func javaBigIntegerBytes(lo uint64, hi int64) []byte {
	var b [16]byte
	le.BigEndian.PutUint64(b[:8], uint64(hi))
	le.BigEndian.PutUint64(b[8:], lo)
	i := 0
	for i < 15 {
		if (b[i] == 0x00 && b[i+1]&0x80 == 0) || (b[i] == 0xff && b[i+1]&0x80 != 0) {
			i++
			continue
		}
		break
	}
	return b[i:]
}

// row hashes row i of a into seed.
func (h sparkHasher) row(a arrow.Array, i int, seed uint64) (uint64, error) {
	if a.IsNull(i) || a.DataType().ID() == arrow.NULL {
		return seed, nil
	}
	switch x := a.(type) {
	case *array.Boolean:
		v := int32(0)
		if x.Value(i) {
			v = 1
		}
		return h.int32(v, seed), nil
	case *array.Int8:
		return h.int32(int32(x.Value(i)), seed), nil
	case *array.Int16:
		return h.int32(int32(x.Value(i)), seed), nil
	case *array.Int32:
		return h.int32(x.Value(i), seed), nil
	case *array.Date32:
		return h.int32(int32(x.Value(i)), seed), nil
	case *array.Int64:
		return h.int64(x.Value(i), seed), nil
	case *array.Timestamp:
		return h.int64(int64(x.Value(i)), seed), nil
	case *array.Float32:
		f := x.Value(i)
		if f == 0 {
			f = 0 // -0.0 hashes as 0.0
		}
		bitsV := math.Float32bits(f)
		if f != f {
			bitsV = 0x7fc00000 // Java's canonical NaN
		}
		return h.int32(int32(bitsV), seed), nil
	case *array.Float64:
		f := x.Value(i)
		if f == 0 {
			f = 0
		}
		bitsV := math.Float64bits(f)
		if f != f {
			bitsV = 0x7ff8000000000000
		}
		return h.int64(int64(bitsV), seed), nil
	case *array.Decimal128:
		v := x.Value(i)
		if x.DataType().(*arrow.Decimal128Type).Precision <= 18 {
			return h.int64(int64(v.LowBits()), seed), nil
		}
		return h.bytes(javaBigIntegerBytes(v.LowBits(), v.HighBits()), seed), nil
	case *array.String:
		return h.bytes([]byte(x.Value(i)), seed), nil
	case *array.Binary:
		return h.bytes(x.Value(i), seed), nil
	case *array.List:
		s, e := x.ValueOffsets(i)
		vals := x.ListValues()
		var err error
		for j := s; j < e && err == nil; j++ {
			seed, err = h.row(vals, int(j), seed)
		}
		return seed, err
	case *array.Map:
		s, e := x.ValueOffsets(i)
		keys, items := x.Keys(), x.Items()
		var err error
		for j := s; j < e && err == nil; j++ {
			if seed, err = h.row(keys, int(j), seed); err == nil {
				seed, err = h.row(items, int(j), seed)
			}
		}
		return seed, err
	case *array.Struct:
		var err error
		for f := 0; f < x.NumField() && err == nil; f++ {
			seed, err = h.row(x.Field(f), i, seed)
		}
		return seed, err
	}
	return seed, fmt.Errorf("%w: cannot hash %s", ErrType, sparkTypeName(a.DataType()))
}

func hashable(t arrow.DataType) bool {
	switch tt := t.(type) {
	case *arrow.ListType:
		return hashable(tt.Elem())
	case *arrow.MapType:
		return hashable(tt.KeyType()) && hashable(tt.ItemType())
	case *arrow.StructType:
		for _, f := range tt.Fields() {
			if !hashable(f.Type) {
				return false
			}
		}
		return true
	case *arrow.MonthDayNanoIntervalType:
		return false
	}
	return true
}

func buildHash(xx bool) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		for _, a := range args {
			if !hashable(a.typ) {
				return nil, compileErr(n, ErrType, "%s cannot hash %s", n.op, sparkTypeName(a.typ))
			}
		}
		var out arrow.DataType = arrow.PrimitiveTypes.Int32
		if xx {
			out = arrow.PrimitiveTypes.Int64
		}
		h := sparkHasher{xx: xx}
		cn := &cnode{typ: out, src: n, eval: func(ec *evalCtx) (value, error) {
			arrs := make([]arrow.Array, len(args))
			defer func() {
				for _, a := range arrs {
					if a != nil {
						a.Release()
					}
				}
			}()
			for k, a := range args {
				v, err := a.eval(ec)
				if err != nil {
					return value{}, err
				}
				if arrs[k], err = ec.materialize(v, a.typ); err != nil {
					return value{}, err
				}
			}
			var i32 *array.Int32Builder
			var i64 *array.Int64Builder
			if xx {
				i64 = array.NewInt64Builder(ec.mem)
				defer i64.Release()
			} else {
				i32 = array.NewInt32Builder(ec.mem)
				defer i32.Release()
			}
			for r := 0; r < ec.n; r++ {
				seed := uint64(sparkHashSeed)
				var err error
				for _, a := range arrs {
					if seed, err = h.row(a, r, seed); err != nil {
						return value{}, err
					}
				}
				if xx {
					i64.Append(int64(seed))
				} else {
					i32.Append(int32(uint32(seed)))
				}
			}
			if xx {
				return value{arr: i64.NewArray()}, nil
			}
			return value{arr: i32.NewArray()}, nil
		}}
		return c.fold(cn, args...), nil
	}
}
