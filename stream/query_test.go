package stream_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/stream"
)

// A processing-time query keeps picking up new data until Stop, which
// ends it cleanly; progress goes to the listener and to slog.
func TestProcessingTimeAndStop(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeFile(t, in, "a.json", `{"id":1}`+"\n", time.Now())
	var logs bytes.Buffer
	rec := &recorder{}
	col := &collector{}
	q, err := stream.From(stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", SchemaHints: "id bigint"})).
		Start(context.Background(), col.sink(), &stream.Options{Name: "ingest", Checkpoint: filepath.Join(dir, "ck"),
			Trigger: stream.ProcessingTime(20 * time.Millisecond), Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Allocator: mem, Listener: rec})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return q.LastProgress() != nil }, 5*time.Second, 5*time.Millisecond)
	writeFile(t, in, "b.json", `{"id":2}`+"\n", time.Now())
	require.Eventually(t, func() bool { return q.LastProgress().BatchID == 1 }, 5*time.Second, 5*time.Millisecond)
	assert.True(t, q.IsActive())
	assert.NotEmpty(t, q.Status().Message)
	require.NoError(t, q.Stop())
	assert.False(t, q.IsActive())
	assert.Equal(t, "Stopped", q.Status().Message)
	require.NoError(t, q.AwaitTermination(context.Background()))
	assert.Equal(t, []string{`{"id":1}`, `{"id":2}`}, col.all())
	require.Len(t, rec.progress, 2)
	assert.Equal(t, []error{nil}, rec.term)
	p := rec.progress[1]
	assert.Equal(t, "ingest", p.Name)
	assert.Equal(t, q.ID(), p.ID)
	assert.Equal(t, q.RunID(), p.RunID)
	assert.Greater(t, p.InputRowsPerSecond, 0.0)
	for _, phase := range []string{"latestOffset", "walCommit", "getBatch", "addBatch", "commitOffsets", "triggerExecution"} {
		assert.Contains(t, p.DurationMs, phase)
	}
	js, err := json.Marshal(p)
	require.NoError(t, err)
	for _, field := range []string{`"batchId":1`, `"numInputRows":1`, `"startOffset":{"logOffset":0}`, `"endOffset":{"logOffset":1}`, `"processedRowsPerSecond"`, `"sink":{"description":"foreachBatch"`} {
		assert.Contains(t, string(js), field)
	}
	assert.Equal(t, 2, strings.Count(logs.String(), `"msg":"stream: batch"`))
	assert.Len(t, q.RecentProgress(), 2)
}

// Once takes everything in one batch, ignoring the rate limit; a
// watermark is reported and checkpointed.
func TestOnceWithWatermark(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeFile(t, in, "a.json", `{"id":1,"ts":"2026-01-01T10:00:00Z"}`+"\n", time.Now().Add(-time.Minute))
	writeFile(t, in, "b.json", `{"id":2,"ts":"2026-01-01T10:05:00Z"}`+"\n", time.Now())
	rec := &recorder{}
	col := &collector{}
	ck := filepath.Join(dir, "ck")
	p := stream.From(stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", MaxFilesPerTrigger: 1, SchemaHints: "id bigint, ts timestamp"})).
		WithWatermark("ts", 10*time.Minute)
	require.NoError(t, runToEnd(t, p, col.sink(), &stream.Options{Checkpoint: ck, Trigger: stream.Once(), Logger: quiet, Allocator: mem, Listener: rec}))
	require.Len(t, rec.progress, 1)
	got := rec.progress[0]
	assert.Equal(t, int64(2), got.NumInputRows)
	assert.Equal(t, map[string]string{"min": "2026-01-01T10:00:00Z", "max": "2026-01-01T10:05:00Z", "watermark": "1970-01-01T00:00:00Z"}, got.EventTime)

	// The next batch starts from the checkpointed watermark: max - 10m.
	writeFile(t, in, "c.json", `{"id":3,"ts":"2026-01-01T10:06:00Z"}`+"\n", time.Now())
	rec2 := &recorder{}
	require.NoError(t, runToEnd(t, p, col.sink(), &stream.Options{Checkpoint: ck, Trigger: stream.Once(), Logger: quiet, Allocator: mem, Listener: rec2}))
	require.Len(t, rec2.progress, 1)
	assert.Equal(t, "2026-01-01T09:55:00Z", rec2.progress[0].EventTime["watermark"])
}

func TestFilesSourceParquet(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	write := func(name string, ids ...int64) {
		var buf bytes.Buffer
		rr := rowsOf(t, memory.DefaultAllocator, ids...)
		defer rr.Release()
		require.True(t, rr.Next())
		tbl := array.NewTableFromRecords(rr.Schema(), []arrow.RecordBatch{rr.RecordBatch()})
		defer tbl.Release()
		require.NoError(t, pqarrow.WriteTable(tbl, &buf, 1024, nil, pqarrow.DefaultWriterProps()))
		writeFile(t, in, name, buf.String(), time.Now())
	}
	write("a.parquet", 1, 2)
	write("b.parquet", 3)
	out := filepath.Join(dir, "out")
	sink := stream.NewDeltaSink(out, nil)
	defer sink.Close()
	require.NoError(t, runToEnd(t, stream.From(stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "parquet", PathGlobFilter: "*.parquet"})), sink,
		&stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem}))
	assert.Equal(t, []int64{1, 2, 3}, tableInts(t, out, "id"))
}

// Cancelling the context abandons the running batch: it stays planned but
// uncommitted, and the next run re-runs it with the same offsets.
func TestCancelAbandonsBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeFile(t, in, "a.json", `{"id":1}`+"\n", time.Now())
	ck := filepath.Join(dir, "ck")
	src := func() *stream.Pipeline {
		return stream.From(stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", SchemaHints: "id bigint"}))
	}
	entered := make(chan struct{})
	blocking := stream.ForeachBatch(func(ctx context.Context, b *stream.Batch) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	q, err := src().Start(ctx, blocking, &stream.Options{Checkpoint: ck, Logger: quiet, Allocator: mem})
	require.NoError(t, err)
	<-entered
	cancel()
	require.ErrorIs(t, q.AwaitTermination(context.Background()), context.Canceled)
	assert.Equal(t, 0, latestIn(t, filepath.Join(ck, "offsets")))
	assert.Equal(t, -1, latestIn(t, filepath.Join(ck, "commits")))

	rec := &recorder{}
	col := &collector{}
	require.NoError(t, runToEnd(t, src(), col.sink(), &stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem, Listener: rec}))
	require.Len(t, rec.progress, 1)
	assert.True(t, rec.progress[0].Rerun)
	assert.Equal(t, []string{`{"id":1}`}, col.all())
}
