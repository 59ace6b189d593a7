package dv

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
)

// EntryLocation is where the file entry of a stored ("u" or "p") DV lies:
// the caller reads Length bytes at Offset of Path and hands them to
// [DecodeFileEntry]. Splitting the lookup from the read keeps this package
// free of I/O; package dvstore does the reading.
type EntryLocation struct {
	// Path is the DV file relative to the table root (slash-separated),
	// what a store rooted at the table root opens.
	Path string
	// Offset is where the entry (its size header) starts in the file.
	Offset int64
	// Length covers the size header, the payload and the checksum.
	Length int64
}

// Locate validates a stored DV's descriptor and returns where its entry
// lies for a store rooted at tableRoot. An absolute ("p") path outside
// tableRoot, and an inline DV (it has no file), are ErrDescriptor.
func (d Descriptor) Locate(tableRoot string) (EntryLocation, error) {
	if err := d.Validate(); err != nil {
		return EntryLocation{}, err
	}
	p, err := d.storePath(tableRoot)
	if err != nil {
		return EntryLocation{}, err
	}
	return EntryLocation{Path: p, Offset: d.offset(), Length: int64(d.SizeInBytes) + entryOverhead}, nil
}

// EntryAt is Locate for a caller that has already resolved (and checked)
// where the DV file is: the entry's range within the file at p.
func (d Descriptor) EntryAt(p string) (EntryLocation, error) {
	if err := d.Validate(); err != nil {
		return EntryLocation{}, err
	}
	if d.IsInline() {
		return EntryLocation{}, fmt.Errorf("%w: an inline deletion vector has no file", ErrDescriptor)
	}
	return EntryLocation{Path: p, Offset: d.offset(), Length: int64(d.SizeInBytes) + entryOverhead}, nil
}

// DecodeFileEntry decodes the entry bytes read at d's [EntryLocation] and
// checks size, checksum and cardinality against d.
func DecodeFileEntry(d Descriptor, entry []byte) (*roaring64.Bitmap, error) {
	bm, err := DecodeEntry(entry, d.SizeInBytes)
	if err != nil {
		return nil, err
	}
	return bm, checkCardinality(bm, d)
}
