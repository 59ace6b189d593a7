package delta

import (
	"encoding/binary"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// A filter's result is a Boolean array whose TRUE rows are the rows it
// keeps (NULL keeps nothing). Scans walk these masks for every row they
// decode, so the walks below read the values and validity bitmaps 64 rows
// at a time and visit only the set bits: at one match in thousands of
// rows, testing each row's two bits was a tenth of a selective scan.

// eachTrue calls fn with the index of every TRUE row of m, in order.
func eachTrue(m *array.Boolean, fn func(i int)) {
	n := m.Len()
	if n == 0 {
		return
	}
	bufs := m.Data().Buffers()
	off := m.Data().Offset()
	vals := bufs[1].Bytes()
	var valid []byte
	if m.NullN() > 0 && bufs[0] != nil {
		valid = bufs[0].Bytes()
	}
	for base := 0; base < n; base += 64 {
		w := maskWord(vals, off+base, min(64, n-base))
		if valid != nil && w != 0 {
			w &= maskWord(valid, off+base, min(64, n-base))
		}
		for w != 0 {
			fn(base + bits.TrailingZeros64(w))
			w &= w - 1
		}
	}
}

// maskTrueRows is the number of TRUE rows of m.
func maskTrueRows(m *array.Boolean) int {
	if m.NullN() == 0 {
		return bitutil.CountSetBits(m.Data().Buffers()[1].Bytes(), m.Data().Offset(), m.Len())
	}
	n := 0
	eachTrue(m, func(int) { n++ })
	return n
}

// maskWord returns bits [start, start+n) of bitmap b (n <= 64) as the low
// bits of a word, bit i of the result being bit start+i of b.
func maskWord(b []byte, start, n int) uint64 {
	first := start >> 3
	shift := uint(start & 7)
	var w uint64
	if first+8 <= len(b) {
		w = binary.LittleEndian.Uint64(b[first:])
	} else {
		var tmp [8]byte
		copy(tmp[:], b[first:])
		w = binary.LittleEndian.Uint64(tmp[:])
	}
	w >>= shift
	// Bits past the word's first 64-shift come from the ninth byte.
	if shift != 0 && n > 64-int(shift) && first+8 < len(b) {
		w |= uint64(b[first+8]) << (64 - shift)
	}
	if n < 64 {
		w &= 1<<uint(n) - 1
	}
	return w
}
