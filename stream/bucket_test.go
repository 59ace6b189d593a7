package stream_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob/memblob"

	"github.com/lakehouse-go/lakehouse/stream"
)

// Input files and the checkpoint in an object store (an in-memory gocloud
// bucket shared across restarts): the file log and offsets live there too.
func TestBucketCheckpointAndInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	bucket := memblob.OpenBucket(nil)
	defer bucket.Close()
	put := func(key, body string) {
		require.NoError(t, bucket.WriteAll(ctx, key, []byte(body), nil))
	}
	col := &collector{}
	run := func() *recorder {
		rec := &recorder{}
		src := stream.NewFilesSource("landing", &stream.FilesSourceOptions{Format: "json", Bucket: bucket, SchemaHints: "id bigint"})
		require.NoError(t, runToEnd(t, stream.From(src), col.sink(), &stream.Options{
			Checkpoint: "checkpoints/q1", CheckpointBucket: bucket, Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem, Listener: rec}))
		return rec
	}
	put("landing/a.json", `{"id":1}`+"\n")
	run()
	put("landing/b.json", `{"id":2}`+"\n")
	rec := run()
	require.Len(t, rec.progress, 1)
	assert.Equal(t, int64(1), rec.progress[0].BatchID)
	assert.Equal(t, []string{`{"id":1}`, `{"id":2}`}, col.all())
	for _, key := range []string{"checkpoints/q1/metadata", "checkpoints/q1/offsets/1", "checkpoints/q1/commits/1", "checkpoints/q1/sources/0/1", "checkpoints/q1/sources/0/_schemas/0"} {
		ok, err := bucket.Exists(ctx, key)
		require.NoError(t, err)
		assert.True(t, ok, key)
	}
}
