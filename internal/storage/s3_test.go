package storage_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/s3blob"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/storagetest"
)

// startS3 runs gofakes3 in process with one bucket and returns its URL.
func startS3(t *testing.T, bucket string) string {
	t.Helper()
	backend := s3mem.New()
	require.NoError(t, backend.CreateBucket(bucket))
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestS3Conformance runs the suite over s3blob against gofakes3, which
// honours "If-None-Match: *" under its backend lock like S3 does.
func TestS3Conformance(t *testing.T) {
	ctx := context.Background()
	endpoint := startS3(t, "lakehouse")
	client := s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		o.UsePathStyle = true
	})
	bucket, err := s3blob.OpenBucket(ctx, client, "lakehouse", nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = bucket.Close() })
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return storage.NewBlobStore(bucket, uniqueName("tables/t"))
	})
}

// TestS3OpenURL goes through Open and gocloud's URL mux, the way an
// application that imports s3blob would, with the URL path as key prefix.
func TestS3OpenURL(t *testing.T) {
	ctx := context.Background()
	endpoint := startS3(t, "lakehouse")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	url := "s3://lakehouse/warehouse/events?region=us-east-1&use_path_style=true&endpoint=" + endpoint
	s, err := storage.Open(ctx, url, nil)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutIfAbsent(ctx, "_delta_log/00000000000000000000.json", []byte("{}\n")))
	require.ErrorIs(t, s.PutIfAbsent(ctx, "_delta_log/00000000000000000000.json", []byte("{}\n")), storage.ErrExist)

	// The object sits under the prefix in the bucket; a store at the
	// bucket root sees the full key.
	root, err := storage.Open(ctx, strings.Replace(url, "/warehouse/events", "", 1), nil)
	require.NoError(t, err)
	defer root.Close()
	got, err := root.Get(ctx, "warehouse/events/_delta_log/00000000000000000000.json")
	require.NoError(t, err)
	require.Equal(t, "{}\n", string(got))
}
