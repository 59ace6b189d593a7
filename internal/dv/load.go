package dv

import (
	"context"
	"fmt"
	"io"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Load returns the rows deleted by d. Inline DVs are decoded from the
// descriptor; file DVs are read from store, which is rooted at tableRoot,
// fetching only the bytes of this one entry. The payload's size, checksum and
// cardinality are all checked against d.
//
// The file's version byte is not read: it would cost a second ranged read on
// object stores, and the per-entry checksum already guards the bytes used.
func Load(ctx context.Context, store storage.Store, tableRoot string, d Descriptor) (*roaring64.Bitmap, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if d.IsInline() {
		return DecodeInline(d)
	}
	p, err := d.storePath(tableRoot)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := store.Open(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("dv: open %s: %w", p, err)
	}
	defer r.Close()
	off := d.offset()
	n := int64(d.SizeInBytes) + entryOverhead
	if off+n > r.Size() {
		return nil, fmt.Errorf("%w: %s: entry [%d, %d) past the end of the %d-byte file", ErrCorrupt, p, off, off+n, r.Size())
	}
	entry := make([]byte, n)
	if _, err := r.ReadAt(entry, off); err != nil && err != io.EOF {
		return nil, fmt.Errorf("dv: read %s at %d: %w", p, off, err)
	}
	bm, err := DecodeEntry(entry, d.SizeInBytes)
	if err != nil {
		return nil, fmt.Errorf("dv: load %s@%d: %w", p, off, err)
	}
	if err := checkCardinality(bm, d); err != nil {
		return nil, fmt.Errorf("dv: load %s@%d: %w", p, off, err)
	}
	return bm, nil
}
