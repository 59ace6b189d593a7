package dvstore

import (
	"context"
	"fmt"
	"io"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/lakehouse-go/lakehouse/internal/dv"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Load returns the rows deleted by d. Inline DVs are decoded from the
// descriptor; file DVs are read from store, which is rooted at tableRoot,
// fetching only the bytes of this one entry. The payload's size, checksum and
// cardinality are all checked against d.
//
// The file's version byte is not read: it would cost a second ranged read on
// object stores, and the per-entry checksum already guards the bytes used.
func Load(ctx context.Context, store storage.Store, tableRoot string, d dv.Descriptor) (*roaring64.Bitmap, error) {
	if d.IsInline() {
		return dv.DecodeInline(d)
	}
	loc, err := d.Locate(tableRoot)
	if err != nil {
		return nil, err
	}
	return load(ctx, store, loc, d)
}

// LoadAt is Load for a file DV whose file the caller has already located
// (and confined): it reads d's entry from the file at p in store.
func LoadAt(ctx context.Context, store storage.Store, p string, d dv.Descriptor) (*roaring64.Bitmap, error) {
	loc, err := d.EntryAt(p)
	if err != nil {
		return nil, err
	}
	return load(ctx, store, loc, d)
}

func load(ctx context.Context, store storage.Store, loc dv.EntryLocation, d dv.Descriptor) (*roaring64.Bitmap, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, err := store.Open(ctx, loc.Path)
	if err != nil {
		return nil, fmt.Errorf("dvstore: open %s: %w", loc.Path, err)
	}
	defer r.Close()
	if end := loc.Offset + loc.Length; end > r.Size() {
		return nil, fmt.Errorf("%w: %s: entry [%d, %d) past the end of the %d-byte file", dv.ErrCorrupt, loc.Path, loc.Offset, end, r.Size())
	}
	entry := make([]byte, loc.Length)
	if _, err := r.ReadAt(entry, loc.Offset); err != nil && err != io.EOF {
		return nil, fmt.Errorf("dvstore: read %s at %d: %w", loc.Path, loc.Offset, err)
	}
	bm, err := dv.DecodeFileEntry(d, entry)
	if err != nil {
		return nil, fmt.Errorf("dvstore: load %s@%d: %w", loc.Path, loc.Offset, err)
	}
	return bm, nil
}
