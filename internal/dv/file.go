package dv

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// FileFormatVersion is the version byte at the start of every DV file.
const FileFormatVersion byte = 1

const maxInt32 = math.MaxInt32

// entryOverhead is the size header plus the checksum around each payload.
const entryOverhead = 8

// DecodeEntry decodes one DV stored in a file: entry holds exactly the
// big-endian size, the payload and the big-endian CRC-32 of the payload, and
// the size must equal sizeInBytes from the descriptor.
func DecodeEntry(entry []byte, sizeInBytes int32) (*roaring64.Bitmap, error) {
	if sizeInBytes < 0 || len(entry) != int(sizeInBytes)+entryOverhead {
		return nil, fmt.Errorf("%w: entry of %d bytes for a %d-byte payload", ErrCorrupt, len(entry), sizeInBytes)
	}
	if got := binary.BigEndian.Uint32(entry); got != uint32(sizeInBytes) {
		return nil, fmt.Errorf("%w: stored size %d, descriptor says %d", ErrCorrupt, got, sizeInBytes)
	}
	payload := entry[4 : 4+sizeInBytes]
	want := binary.BigEndian.Uint32(entry[4+sizeInBytes:])
	if got := crc32.ChecksumIEEE(payload); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, stored %08x", ErrCorrupt, got, want)
	}
	return Decode(payload)
}

// FileEntry is one DV found in a DV file.
type FileEntry struct {
	Offset      int32 // where the entry (its size header) starts
	SizeInBytes int32 // payload size
	Bitmap      *roaring64.Bitmap
}

// DecodeFile decodes a whole DV file: the version byte followed by entries
// up to the end of data.
func DecodeFile(data []byte) ([]FileEntry, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%w: empty file", ErrCorrupt)
	}
	if data[0] != FileFormatVersion {
		return nil, fmt.Errorf("%w: file format version %d, want %d", ErrCorrupt, data[0], FileFormatVersion)
	}
	if len(data) > maxInt32 {
		return nil, fmt.Errorf("%w: file of %d bytes is larger than an offset can address", ErrCorrupt, len(data))
	}
	var entries []FileEntry
	for pos := 1; pos < len(data); {
		if len(data)-pos < entryOverhead {
			return nil, fmt.Errorf("%w: truncated entry at offset %d", ErrCorrupt, pos)
		}
		size := binary.BigEndian.Uint32(data[pos:])
		if uint64(size) > uint64(len(data)-pos-entryOverhead) {
			return nil, fmt.Errorf("%w: entry at offset %d claims %d bytes, %d remain", ErrCorrupt, pos, size, len(data)-pos-entryOverhead)
		}
		end := pos + int(size) + entryOverhead
		bm, err := DecodeEntry(data[pos:end], int32(size))
		if err != nil {
			return nil, fmt.Errorf("dv: entry at offset %d: %w", pos, err)
		}
		entries = append(entries, FileEntry{Offset: int32(pos), SizeInBytes: int32(size), Bitmap: bm})
		pos = end
	}
	return entries, nil
}

// UUIDPathOrInlineDv builds the pathOrInlineDv of a "u" descriptor: the
// optional random prefix (a directory under the table root) followed by the
// Z85-encoded UUID.
func UUIDPathOrInlineDv(prefix string, id [16]byte) string {
	// A UUID is 16 bytes, a multiple of 4, so encoding cannot fail.
	s, _ := Z85Encode(id[:])
	return prefix + s
}

// WriteFile writes a DV file holding bitmaps, in order, to w and returns one
// "u" descriptor per bitmap. The file must be stored at the descriptors'
// RelativePath: "<prefix>/deletion_vector_<id>.bin" under the table root.
func WriteFile(w io.Writer, prefix string, id [16]byte, bitmaps []*roaring64.Bitmap) ([]Descriptor, error) {
	if _, err := w.Write([]byte{FileFormatVersion}); err != nil {
		return nil, fmt.Errorf("dv: write file header: %w", err)
	}
	pathOrInline := UUIDPathOrInlineDv(prefix, id)
	descs := make([]Descriptor, 0, len(bitmaps))
	pos := int64(1)
	for i, bm := range bitmaps {
		payload := Encode(bm)
		if pos > maxInt32 || int64(len(payload)) > maxInt32-entryOverhead {
			return nil, fmt.Errorf("%w: bitmap %d does not fit in a DV file (offset %d, %d bytes)", ErrDescriptor, i, pos, len(payload))
		}
		entry := make([]byte, 0, len(payload)+entryOverhead)
		entry = binary.BigEndian.AppendUint32(entry, uint32(len(payload)))
		entry = append(entry, payload...)
		entry = binary.BigEndian.AppendUint32(entry, crc32.ChecksumIEEE(payload))
		if _, err := w.Write(entry); err != nil {
			return nil, fmt.Errorf("dv: write bitmap %d: %w", i, err)
		}
		off := int32(pos)
		descs = append(descs, Descriptor{
			StorageType:    StorageUUID,
			PathOrInlineDv: pathOrInline,
			Offset:         &off,
			SizeInBytes:    int32(len(payload)),
			Cardinality:    int64(bm.GetCardinality()),
		})
		pos += int64(len(entry))
	}
	return descs, nil
}
