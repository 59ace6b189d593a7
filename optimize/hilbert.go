package optimize

// Liquid clustering orders rows along a Hilbert curve rather than a
// Z-order curve. Both visit every cell of the grid of range ids once, but
// consecutive cells of a Hilbert curve are always neighbours, whereas a
// Z-order curve jumps across the grid at every power-of-two boundary; a
// file (a run of consecutive cells) therefore covers a more compact box
// of values, and a query on one column touches fewer files.
//
// The index is computed with Skilling's transpose method ("Programming
// the Hilbert curve", AIP Conf. Proc. 707, 2004): the coordinates are
// turned in place into the "transposed" Hilbert index, whose bits,
// interleaved most significant first, are the index itself.

// hilbertBits is the number of bits per coordinate the curve needs for
// range ids below ranges.
func hilbertBits(ranges int) int {
	b := 1
	for (1 << b) < ranges {
		b++
	}
	return b
}

// hilbertKey appends to dst the Hilbert index of the point ids, each
// coordinate bits wide, packed most significant bit first into 4 ×
// len(ids) bytes (zero-padded), so that keys compare with bytes.Compare
// in curve order and have the width of a Z-order key. scratch is reused
// between calls.
func hilbertKey(dst []byte, ids []int32, bits int, scratch []uint32) []byte {
	x := scratch[:len(ids)]
	for i, id := range ids {
		x[i] = uint32(id)
	}
	if len(x) > 1 {
		axesToTranspose(x, bits)
	}
	var cur byte
	nbits, written := 0, 0
	for bit := bits - 1; bit >= 0; bit-- {
		for _, v := range x {
			cur = cur<<1 | byte(v>>uint(bit)&1)
			nbits++
			if nbits == 8 {
				dst = append(dst, cur)
				cur, nbits = 0, 0
				written++
			}
		}
	}
	if nbits > 0 {
		dst = append(dst, cur<<uint(8-nbits))
		written++
	}
	for ; written < 4*len(ids); written++ {
		dst = append(dst, 0)
	}
	return dst
}

// axesToTranspose turns coordinates x (each below 1<<bits) into the
// transposed Hilbert index, in place.
func axesToTranspose(x []uint32, bits int) {
	n := len(x)
	top := uint32(1) << uint(bits-1)
	// Undo the rotations and reflections of each level, from the
	// coarsest: a set bit of a coordinate reflects the lower bits of the
	// first; a clear one swaps them with the first's.
	for q := top; q > 1; q >>= 1 {
		p := q - 1
		for i := range n {
			if x[i]&q != 0 {
				x[0] ^= p
			} else {
				t := (x[0] ^ x[i]) & p
				x[0] ^= t
				x[i] ^= t
			}
		}
	}
	// Gray-encode across the coordinates.
	for i := 1; i < n; i++ {
		x[i] ^= x[i-1]
	}
	var t uint32
	for q := top; q > 1; q >>= 1 {
		if x[n-1]&q != 0 {
			t ^= q - 1
		}
	}
	for i := range x {
		x[i] ^= t
	}
}
