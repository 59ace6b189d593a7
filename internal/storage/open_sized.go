package storage

import "context"

// sizedOpener is a Store that can open an object whose size the caller
// already knows without asking the store for it.
type sizedOpener interface {
	openSized(ctx context.Context, p string, size int64) (ReaderAt, error)
}

// OpenSized is s.Open for an object whose size is known (a Delta add
// action records it): on an object store it spares the request that
// Open makes for the size, one round trip per file. A missing object
// then fails on the first read instead of here, and a wrong size makes
// the reads fail or return the wrong bytes, so callers use it where a
// failure can fall back to Open. Stores without a cheaper way, and sizes
// below 1, go through s.Open.
func OpenSized(ctx context.Context, s Store, p string, size int64) (ReaderAt, error) {
	if so, ok := s.(sizedOpener); ok && size > 0 {
		return so.openSized(ctx, p, size)
	}
	return s.Open(ctx, p)
}

func (s *blobStore) openSized(ctx context.Context, p string, size int64) (ReaderAt, error) {
	if err := s.begin(ctx, "open", p); err != nil {
		return nil, err
	}
	return &blobReader{ctx: ctx, store: s, path: p, key: s.key(p), size: size}, nil
}
