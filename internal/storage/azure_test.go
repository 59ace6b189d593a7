package storage_test

import (
	"context"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/azureblob"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/storagetest"
)

// Azurite's well-known development account (public, documented by Microsoft).
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// TestAzureConformance runs the suite over azureblob against Azurite, which
// scripts/services.sh starts and announces in LAKEHOUSE_AZURITE_ENDPOINT
// ("http://127.0.0.1:10000/devstoreaccount1"). This is the backend whose
// losing conditional writes panic in gocloud v0.47.0 unless they go
// through Bucket.Upload; the race check would crash the test binary if a
// write path still used Write/Close.
func TestAzureConformance(t *testing.T) {
	endpoint := requirePeer(t, "LAKEHOUSE_AZURITE_ENDPOINT",
		"run `bash .ci/setup.d/azurite.sh && source scripts/services.sh` to start Azurite")
	ctx := context.Background()
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	require.NoError(t, err)
	name := uniqueName("lakehouse")
	client, err := container.NewClientWithSharedKeyCredential(endpoint+"/"+name, cred, nil)
	require.NoError(t, err)
	_, err = client.Create(ctx, nil)
	require.NoError(t, err, "create container %s at %s", name, endpoint)
	t.Cleanup(func() { _, _ = client.Delete(context.Background(), nil) })

	bucket, err := azureblob.OpenBucket(ctx, client, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bucket.Close() })
	storagetest.RunWithOptions(t, func(t *testing.T) storage.Store {
		return storage.NewBlobStore(bucket, uniqueName("tables/t"))
	}, &storagetest.Options{RaceKeys: 10})
}
