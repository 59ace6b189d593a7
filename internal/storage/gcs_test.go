package storage_test

import (
	"context"
	"net/url"
	"testing"

	gcs "cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/gcsblob"
	"gocloud.dev/gcp"
	"google.golang.org/api/option"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/storagetest"
)

// TestGCSConformance runs the suite over gcsblob against fake-gcs-server in
// process. The storage client reads through the XML API by default, which
// the fake does not serve, hence WithJSONReads.
func TestGCSConformance(t *testing.T) {
	ctx := context.Background()
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1"})
	require.NoError(t, err)
	t.Cleanup(srv.Stop)
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "lakehouse"})
	u, err := url.Parse(srv.URL())
	require.NoError(t, err)
	t.Setenv("STORAGE_EMULATOR_HOST", u.Host)

	bucket, err := gcsblob.OpenBucket(ctx, &gcp.HTTPClient{}, "lakehouse", &gcsblob.Options{
		ClientOptions: []option.ClientOption{gcs.WithJSONReads()},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = bucket.Close() })
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return storage.NewBlobStore(bucket, uniqueName("tables/t"))
	})
}
