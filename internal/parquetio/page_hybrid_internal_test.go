package parquetio

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/require"
)

// hybridRLE is an RLE run of n copies of v, in width bytes.
func hybridRLE(n uint64, v uint64, width int) []byte {
	b := binary.AppendUvarint(nil, n<<1)
	for i := 0; i < width; i++ {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// hybridPacked is a bit-packed run of vals (a multiple of 8) at bw bits.
func hybridPacked(vals []uint64, bw int) []byte {
	b := binary.AppendUvarint(nil, uint64(len(vals)/8)<<1|1)
	packed := make([]byte, len(vals)*bw/8)
	for i, v := range vals {
		for k := 0; k < bw; k++ {
			if v>>k&1 == 1 {
				bit := i*bw + k
				packed[bit/8] |= 1 << (bit % 8)
			}
		}
	}
	return append(b, packed...)
}

// The hybrid reader yields the values runs hold, skips and counts across
// run boundaries, and reads zero-width runs of any length without bytes.
func TestHybridReader(t *testing.T) {
	seq := func(n int, f func(i int) uint64) []uint64 {
		out := make([]uint64, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		bw   int
		data []byte
		want []uint64
	}{
		{"rle", 3, hybridRLE(5, 6, 1), seq(5, func(int) uint64 { return 6 })},
		{"packed", 5, hybridPacked(seq(16, func(i int) uint64 { return uint64(i * 2 % 32) }), 5), seq(16, func(i int) uint64 { return uint64(i * 2 % 32) })},
		{"mixed", 1, append(hybridRLE(3, 1, 1), hybridPacked(seq(8, func(i int) uint64 { return uint64(i % 2) }), 1)...),
			append(seq(3, func(int) uint64 { return 1 }), seq(8, func(i int) uint64 { return uint64(i % 2) })...)},
		{"wide", 20, hybridPacked(seq(8, func(i int) uint64 { return uint64(i*99991) & (1<<20 - 1) }), 20), seq(8, func(i int) uint64 { return uint64(i*99991) & (1<<20 - 1) })},
		{"zero width packed", 0, hybridPacked(make([]uint64, 4000), 0), make([]uint64, 4000)},
		{"zero width rle", 0, hybridRLE(4000, 0, 0), make([]uint64, 4000)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := newHybridReader(tc.data, tc.bw)
			require.NoError(t, err)
			for i, w := range tc.want {
				v, err := h.next()
				require.NoError(t, err)
				require.Equal(t, w, v, "value %d", i)
			}
			// Skipping then reading gives the same values, and counts the
			// nonzero ones skipped.
			for from := 0; from < len(tc.want); from += 1 + len(tc.want)/7 {
				h, err := newHybridReader(tc.data, tc.bw)
				require.NoError(t, err)
				ones, err := h.skip(int64(from), true)
				require.NoError(t, err)
				var want int64
				for _, w := range tc.want[:from] {
					if w != 0 {
						want++
					}
				}
				require.Equal(t, want, ones)
				v, err := h.next()
				require.NoError(t, err)
				require.Equal(t, tc.want[from], v)
			}
		})
	}
	// Runs past the bytes there are, and reads past the last run, are
	// corrupt files, not panics.
	for _, bad := range [][]byte{
		{0x03},             // a packed run of one group with no bytes (bw 8)
		{0x02},             // an RLE run with no value byte
		{0xff, 0xff, 0xff}, // a header that never ends
	} {
		h, err := newHybridReader(bad, 8)
		require.NoError(t, err)
		_, err = h.next()
		require.ErrorIs(t, err, ErrCorruptFile, "%x", bad)
	}
	h, err := newHybridReader(hybridRLE(2, 1, 1), 1)
	require.NoError(t, err)
	_, err = h.skip(3, false)
	require.ErrorIs(t, err, ErrCorruptFile)
}
