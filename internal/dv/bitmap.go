package dv

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// Magic numbers at the start of a RoaringBitmapArray payload (little endian).
const (
	// MagicPortable marks the 64-bit portable RoaringBitmap layout, the only
	// one the protocol specifies.
	MagicPortable uint32 = 1681511377
	// magicNative marks Delta-Spark's older native layout, which the protocol
	// does not define; it is recognised only to name it in the error.
	magicNative uint32 = 1681511376
)

// maxRowIndex bounds row indexes: bucket keys must have their top bit clear.
const maxRowIndex = uint64(1)<<63 - 1

// Decode parses a RoaringBitmapArray payload (magic number + portable 64-bit
// RoaringBitmap). Every byte must belong to the bitmap.
func Decode(payload []byte) (*roaring64.Bitmap, error) {
	if len(payload) < 4 {
		return nil, fmt.Errorf("%w: payload of %d bytes is shorter than the magic number", ErrCorrupt, len(payload))
	}
	switch magic := binary.LittleEndian.Uint32(payload); magic {
	case MagicPortable:
	case magicNative:
		return nil, fmt.Errorf("%w: native RoaringBitmapArray layout (magic %d) is not part of the protocol", ErrCorrupt, magic)
	default:
		return nil, fmt.Errorf("%w: magic number %d, want %d", ErrCorrupt, magic, MagicPortable)
	}
	r := bytes.NewReader(payload[4:])
	bm := roaring64.New()
	if _, err := bm.ReadPortableFrom(r); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes after the bitmap", ErrCorrupt, r.Len())
	}
	if err := bm.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if !bm.IsEmpty() && bm.Maximum() > maxRowIndex {
		return nil, fmt.Errorf("%w: row index %d has the top bit set", ErrCorrupt, bm.Maximum())
	}
	return bm, nil
}

// Encode serialises bm as a RoaringBitmapArray payload. Run containers are
// used where they are smaller; bm itself is not modified.
func Encode(bm *roaring64.Bitmap) []byte {
	c := bm.Clone()
	c.RunOptimize()
	var buf bytes.Buffer
	buf.Grow(4 + int(c.GetSerializedSizeInBytes()))
	var magic [4]byte
	binary.LittleEndian.PutUint32(magic[:], MagicPortable)
	buf.Write(magic[:])
	// Writing into a bytes.Buffer cannot fail.
	_, _ = c.WriteTo(&buf)
	return buf.Bytes()
}

// EncodeInline returns an inline ("i") descriptor holding bm. The payload is
// zero-padded to a multiple of 4 bytes for Z85; SizeInBytes keeps the
// unpadded length so readers can drop the padding.
func EncodeInline(bm *roaring64.Bitmap) (Descriptor, error) {
	payload := Encode(bm)
	size := len(payload)
	if size > maxInt32 {
		return Descriptor{}, fmt.Errorf("%w: payload of %d bytes does not fit sizeInBytes", ErrDescriptor, size)
	}
	padded := make([]byte, (size+3)/4*4)
	copy(padded, payload)
	s, err := Z85Encode(padded)
	if err != nil {
		return Descriptor{}, err
	}
	return Descriptor{
		StorageType:    StorageInline,
		PathOrInlineDv: s,
		SizeInBytes:    int32(size),
		Cardinality:    int64(bm.GetCardinality()),
	}, nil
}

// DecodeInline decodes the bitmap of an inline descriptor and checks its
// size and cardinality.
func DecodeInline(d Descriptor) (*roaring64.Bitmap, error) {
	if d.StorageType != StorageInline {
		return nil, fmt.Errorf("%w: storage type %q is not inline", ErrDescriptor, d.StorageType)
	}
	if err := d.Validate(); err != nil {
		return nil, err
	}
	raw, err := Z85Decode(d.PathOrInlineDv)
	if err != nil {
		return nil, fmt.Errorf("%w: inline payload: %w", ErrCorrupt, err)
	}
	// Z85 works on 4-byte groups, so at most 3 padding bytes follow the payload.
	if int(d.SizeInBytes) > len(raw) || len(raw)-int(d.SizeInBytes) > 3 {
		return nil, fmt.Errorf("%w: inline payload decodes to %d bytes, sizeInBytes is %d", ErrCorrupt, len(raw), d.SizeInBytes)
	}
	bm, err := Decode(raw[:d.SizeInBytes])
	if err != nil {
		return nil, err
	}
	return bm, checkCardinality(bm, d)
}

func checkCardinality(bm *roaring64.Bitmap, d Descriptor) error {
	if got := bm.GetCardinality(); got != uint64(d.Cardinality) {
		return fmt.Errorf("%w: bitmap holds %d rows, descriptor says %d", ErrCorrupt, got, d.Cardinality)
	}
	return nil
}
