package dv

import (
	"fmt"
	"strings"
)

// z85Alphabet is the ZeroMQ Z85 alphabet (RFC 32) that Delta uses because it
// needs no escaping inside JSON strings.
const z85Alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"

// z85Values maps a byte to its digit value plus one; zero means "not in the
// alphabet".
var z85Values = func() [256]byte {
	var t [256]byte
	for i := 0; i < len(z85Alphabet); i++ {
		t[z85Alphabet[i]] = byte(i + 1)
	}
	return t
}()

// Z85Encode encodes src, whose length must be a multiple of 4, as Z85.
func Z85Encode(src []byte) (string, error) {
	if len(src)%4 != 0 {
		return "", fmt.Errorf("%w: input length %d is not a multiple of 4", ErrZ85, len(src))
	}
	var sb strings.Builder
	sb.Grow(len(src) / 4 * 5)
	var chunk [5]byte
	for i := 0; i < len(src); i += 4 {
		v := uint32(src[i])<<24 | uint32(src[i+1])<<16 | uint32(src[i+2])<<8 | uint32(src[i+3])
		for j := 4; j >= 0; j-- {
			chunk[j] = z85Alphabet[v%85]
			v /= 85
		}
		sb.Write(chunk[:])
	}
	return sb.String(), nil
}

// padMark is the digit value of '#', the last character of the alphabet.
// Five digits starting with it exceed 32 bits, so no Z85 group can start
// with it; the padded-tail convention of the z85 crate (used by
// delta-kernel-rs and the tables it writes) uses it to mark missing bytes.
const padMark = 84

// Z85Decode decodes a Z85 string whose length must be a multiple of 5.
//
// The last group may carry the padded-tail convention: k leading '#'
// characters (1 ≤ k ≤ 3) say that the group holds only 4-k bytes, encoded in
// its remaining 5-k digits. Delta tables carry such groups in inline
// deletion vectors; decoding them as ordinary groups would wrap around 2^32
// and yield different bytes, and so different deleted rows.
//
// Any other group whose value does not fit in 32 bits is an error: Delta's
// encoders never produce one, and keeping its low 32 bits (as Delta's Java
// codec does by accident of integer overflow) would silently invent bytes.
func Z85Decode(s string) ([]byte, error) {
	if len(s)%5 != 0 {
		return nil, fmt.Errorf("%w: string length %d is not a multiple of 5", ErrZ85, len(s))
	}
	out := make([]byte, 0, len(s)/5*4)
	for i := 0; i < len(s); i += 5 {
		var digits [5]byte
		for j := range digits {
			d := z85Values[s[i+j]]
			if d == 0 {
				return nil, fmt.Errorf("%w: character %q at offset %d", ErrZ85, s[i+j], i+j)
			}
			digits[j] = d - 1
		}
		missing := 0
		if i+5 == len(s) {
			for missing < 4 && digits[missing] == padMark {
				missing++
			}
		}
		if missing == 4 {
			return nil, fmt.Errorf("%w: padded group %q at offset %d holds no bytes", ErrZ85, s[i:i+5], i)
		}
		var v uint64
		for _, d := range digits[missing:] {
			v = v*85 + uint64(d)
		}
		width := 4 - missing
		if v>>(8*width) != 0 {
			return nil, fmt.Errorf("%w: group %q at offset %d does not fit in %d bytes", ErrZ85, s[i:i+5], i, width)
		}
		for b := width - 1; b >= 0; b-- {
			out = append(out, byte(v>>(8*b)))
		}
	}
	return out, nil
}
