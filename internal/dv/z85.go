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

// Z85Decode decodes a Z85 string whose length must be a multiple of 5. A
// group whose value exceeds 32 bits decodes to its low 32 bits, as in
// Delta's reference implementation.
func Z85Decode(s string) ([]byte, error) {
	if len(s)%5 != 0 {
		return nil, fmt.Errorf("%w: string length %d is not a multiple of 5", ErrZ85, len(s))
	}
	out := make([]byte, 0, len(s)/5*4)
	for i := 0; i < len(s); i += 5 {
		var v uint64
		for j := 0; j < 5; j++ {
			d := z85Values[s[i+j]]
			if d == 0 {
				return nil, fmt.Errorf("%w: character %q at offset %d", ErrZ85, s[i+j], i+j)
			}
			v = v*85 + uint64(d-1)
		}
		// Five digits reach 85^5-1 > 2^32-1. Strict Z85 has no such groups,
		// but Delta's reference codec keeps the low 32 bits, and tables in the
		// wild carry them in the padding group of inline DVs; do the same.
		out = append(out, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return out, nil
}
