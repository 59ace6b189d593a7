package delta_test

import (
	"context"
	"io/fs"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob" // registers s3:// for delta.Open, as an application would

	"github.com/lakehouse-go/lakehouse/delta"
)

// uploadTable copies a local table directory into a bucket under prefix.
func uploadTable(t *testing.T, bucket *blob.Bucket, src, prefix string) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return bucket.WriteAll(ctx, prefix+filepath.ToSlash(rel), data, nil)
	}))
}

// TestReadFromObjectStores reads a Spark-written partitioned table with a
// checkpoint from S3 (gofakes3, through an s3:// URL) and from an
// in-memory bucket: the rows equal those read from local disk.
func TestReadFromObjectStores(t *testing.T) {
	src := filepath.Join(testdataDir(t), "dat", "with_checkpoint", "delta")
	ctx := context.Background()
	local, err := delta.Open(ctx, src, nil)
	require.NoError(t, err)
	defer local.Close()
	snap, err := local.Snapshot(ctx)
	require.NoError(t, err)
	want := scanRows(t, snap, nil)
	require.NotEmpty(t, want)

	t.Run("s3 URL", func(t *testing.T) {
		backend := s3mem.New()
		require.NoError(t, backend.CreateBucket("lake"))
		srv := httptest.NewServer(gofakes3.New(backend).Server())
		defer srv.Close()
		t.Setenv("AWS_ACCESS_KEY_ID", "test")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
		query := "?region=us-east-1&use_path_style=true&endpoint=" + srv.URL
		bucket, err := blob.OpenBucket(ctx, "s3://lake"+query)
		require.NoError(t, err)
		defer bucket.Close()
		uploadTable(t, bucket, src, "warehouse/events/")

		tbl, err := delta.Open(ctx, "s3://lake/warehouse/events"+query, nil)
		require.NoError(t, err)
		defer tbl.Close()
		s, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		assert.Equal(t, snap.Version(), s.Version())
		assert.Equal(t, want, scanRows(t, s, nil))

		_, err = delta.Open(ctx, "s3://lake/warehouse/nothing"+query, nil)
		assert.ErrorIs(t, err, delta.ErrNotATable)
	})
	t.Run("open bucket", func(t *testing.T) {
		bucket := memblob.OpenBucket(nil)
		defer bucket.Close()
		uploadTable(t, bucket, src, "t/")
		tbl, err := delta.OpenBucket(ctx, bucket, "t", nil)
		require.NoError(t, err)
		s, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, scanRows(t, s, nil))
	})
}
