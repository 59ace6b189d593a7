package storage_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/memblob"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// TestOpenSized opens objects with a known size on a bucket (no size
// request) and on local disk (plain Open): both read the object; on the
// bucket a missing object fails at the first read, not at open.
func TestOpenSized(t *testing.T) {
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	local, err := storage.Open(ctx, filepath.Join(t.TempDir(), "s"), nil)
	require.NoError(t, err)
	defer local.Close()
	tests := []struct {
		name  string
		store storage.Store
	}{
		{"bucket", storage.NewBlobStore(bucket, "p")},
		{"local", local},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, tc.store.Put(ctx, "a/obj", []byte("0123456789")))
			r, err := storage.OpenSized(ctx, tc.store, "a/obj", 10)
			require.NoError(t, err)
			defer r.Close()
			assert.Equal(t, int64(10), r.Size())
			buf := make([]byte, 4)
			n, err := r.ReadAt(buf, 6)
			require.NoError(t, err)
			assert.Equal(t, "6789", string(buf[:n]))

			r2, err := storage.OpenSized(ctx, tc.store, "a/missing", 10)
			if err == nil {
				defer r2.Close()
				_, err = r2.ReadAt(buf, 0)
			}
			assert.ErrorIs(t, err, storage.ErrNotExist)
			assert.NotErrorIs(t, err, io.EOF)
		})
	}
}
