package storage_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/memblob"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/storagetest"
)

func TestLocalConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := storage.Open(context.Background(), t.TempDir(), nil)
		require.NoError(t, err)
		return s
	})
}

func TestLocalNoSyncConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := storage.Open(context.Background(), "file://"+filepath.ToSlash(t.TempDir())+"/table", &storage.OpenOptions{NoSync: true})
		require.NoError(t, err)
		return s
	})
}

func TestMemConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := storage.Open(context.Background(), "mem://", nil)
		require.NoError(t, err)
		return s
	})
}

func TestMemPrefixConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		s, err := storage.Open(context.Background(), "mem://label/warehouse/t1", &storage.OpenOptions{TailCacheSize: -1})
		require.NoError(t, err)
		return s
	})
}

// TestBlobStoreConformance shares one bucket between all subtests, each
// under its own prefix, as several tables in one bucket would.
func TestBlobStoreConformance(t *testing.T) {
	bucket := memblob.OpenBucket(nil)
	t.Cleanup(func() { _ = bucket.Close() })
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return storage.NewBlobStore(bucket, "tables/"+strings.ReplaceAll(t.Name(), "/", "_"))
	})
}
