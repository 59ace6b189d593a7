package parquetio

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// hybridReader walks Parquet's RLE/bit-packed hybrid encoding, which
// holds definition levels and dictionary indexes: a run header (a
// varint) says either "the next value repeated n times" or "n groups of
// 8 values packed at bw bits each". A selected read moves forward through
// it value by value or by skips; skipping a run costs its header, and
// reading inside a packed run reads the bits at the value's offset, so
// nothing is unpacked that is not asked for.
type hybridReader struct {
	b   []byte
	pos int // next run header
	bw  int // bits per value, 0..32

	rle    bool
	left   int64  // values left in the current run
	val    uint64 // the repeated value of an RLE run
	packed []byte // a packed run's bytes
	at     int64  // next value's index in packed
}

func newHybridReader(b []byte, bw int) (*hybridReader, error) {
	if bw < 0 || bw > 32 {
		return nil, fmt.Errorf("%w: hybrid run bit width %d", ErrCorruptFile, bw)
	}
	return &hybridReader{b: b, bw: bw}, nil
}

// nextRun reads the next run header; the current run must be used up.
func (h *hybridReader) nextRun() error {
	hdr, n := binary.Uvarint(h.b[h.pos:])
	if n <= 0 {
		return fmt.Errorf("%w: hybrid run header at byte %d of %d", ErrCorruptFile, h.pos, len(h.b))
	}
	h.pos += n
	if hdr&1 == 0 { // RLE: the value in ceil(bw/8) bytes
		width := (h.bw + 7) / 8
		if h.pos+width > len(h.b) {
			return fmt.Errorf("%w: hybrid RLE run past the end", ErrCorruptFile)
		}
		var v uint64
		for i := 0; i < width; i++ {
			v |= uint64(h.b[h.pos+i]) << (8 * i)
		}
		h.pos += width
		h.rle, h.val, h.left = true, v, int64(hdr>>1)
		return nil
	}
	groups := int64(hdr >> 1)
	// Zero-width values take no bytes (a one-entry dictionary), so the
	// count is bounded apart from the bytes left.
	if groups > 1<<40 || (h.bw > 0 && groups > int64(len(h.b))) {
		return fmt.Errorf("%w: hybrid packed run of %d groups", ErrCorruptFile, groups)
	}
	size := groups * int64(h.bw)
	if int64(h.pos)+size > int64(len(h.b)) {
		return fmt.Errorf("%w: hybrid packed run past the end", ErrCorruptFile)
	}
	h.rle, h.packed, h.at, h.left = false, h.b[h.pos:h.pos+int(size)], 0, groups*8
	h.pos += int(size)
	return nil
}

// ensure makes the current run hold a value.
func (h *hybridReader) ensure() error {
	for h.left == 0 {
		if h.pos >= len(h.b) {
			return fmt.Errorf("%w: hybrid values end early", ErrCorruptFile)
		}
		if err := h.nextRun(); err != nil {
			return err
		}
	}
	return nil
}

// next returns the next value.
func (h *hybridReader) next() (uint64, error) {
	if err := h.ensure(); err != nil {
		return 0, err
	}
	h.left--
	if h.rle {
		return h.val, nil
	}
	v := h.bitsAt(h.at)
	h.at++
	return v, nil
}

// bitsAt reads packed value i (LSB first).
func (h *hybridReader) bitsAt(i int64) uint64 {
	if h.bw == 0 {
		return 0
	}
	bit := i * int64(h.bw)
	first := int(bit >> 3)
	var w uint64
	if first+8 <= len(h.packed) {
		w = binary.LittleEndian.Uint64(h.packed[first:])
	} else {
		var tmp [8]byte
		copy(tmp[:], h.packed[first:])
		w = binary.LittleEndian.Uint64(tmp[:])
	}
	// bw <= 32 and the shift < 8, so the value lies in the word.
	return (w >> uint(bit&7)) & (1<<uint(h.bw) - 1)
}

// skip passes n values and returns how many of them were nonzero when
// count is set (the defined values among definition levels of width 1).
func (h *hybridReader) skip(n int64, count bool) (ones int64, err error) {
	for n > 0 {
		if err := h.ensure(); err != nil {
			return 0, err
		}
		k := min(n, h.left)
		if count {
			switch {
			case h.rle:
				if h.val != 0 {
					ones += k
				}
			case h.bw == 1:
				ones += int64(bitutil.CountSetBits(h.packed, int(h.at), int(k)))
			default:
				for i := h.at; i < h.at+k; i++ {
					if h.bitsAt(i) != 0 {
						ones++
					}
				}
			}
		}
		if !h.rle {
			h.at += k
		}
		h.left -= k
		n -= k
	}
	return ones, nil
}

// allOnes reports whether the levels are one RLE run of 1 covering n
// values, the shape of a page without nulls, so that they need no walk.
func (h *hybridReader) allOnes(n int64) bool {
	if h.pos != 0 || h.left != 0 || len(h.b) == 0 {
		return false
	}
	save := *h
	if err := h.nextRun(); err != nil || !h.rle || h.val != 1 || h.left < n {
		*h = save
		return false
	}
	*h = save
	return true
}
