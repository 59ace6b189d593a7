package stream_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/stream"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestDeltaToDeltaAvailableNow(t *testing.T) {
	cases := []struct {
		name     string
		groups   [][]int64
		maxFiles int
		batches  int
	}{
		{"one file per batch", [][]int64{seq(1, 3), seq(4, 6), seq(7, 9)}, 1, 3},
		{"two files per batch", [][]int64{seq(1, 3), seq(4, 6), seq(7, 9)}, 2, 2},
		{"default limit", [][]int64{seq(1, 3), seq(4, 6), seq(7, 9), seq(10, 10)}, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			src := sourceTable(t, dir, tc.groups...)
			out := filepath.Join(dir, "out")
			rec := &recorder{}
			sink := stream.NewDeltaSink(out, nil)
			defer sink.Close()
			err := runToEnd(t, stream.From(stream.NewDeltaSource(src, &stream.DeltaSourceOptions{MaxFilesPerTrigger: tc.maxFiles})), sink,
				&stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Listener: rec, Logger: quiet, Allocator: mem})
			require.NoError(t, err)
			var want []int64
			for _, g := range tc.groups {
				want = append(want, g...)
			}
			assert.Equal(t, want, tableInts(t, out, "id"))
			require.Len(t, rec.progress, tc.batches)
			var total int64
			for i, p := range rec.progress {
				assert.Equal(t, int64(i), p.BatchID)
				total += p.NumInputRows
				assert.Contains(t, p.DurationMs, "triggerExecution")
				assert.Equal(t, p.NumInputRows, p.Sources[0].NumInputRows)
			}
			assert.Equal(t, int64(len(want)), total)
			// Spark's checkpoint layout.
			for i := range tc.batches {
				data, err := os.ReadFile(filepath.Join(dir, "ck", "offsets", itoa(int64(i))))
				require.NoError(t, err)
				lines := strings.Split(string(data), "\n")
				require.Len(t, lines, 3)
				assert.Equal(t, "v1", lines[0])
				assert.Contains(t, lines[1], `"batchWatermarkMs":0`)
				assert.Contains(t, lines[2], `"reservoirVersion"`)
				c, err := os.ReadFile(filepath.Join(dir, "ck", "commits", itoa(int64(i))))
				require.NoError(t, err)
				assert.Equal(t, "v1\n{\"nextBatchWatermarkMs\":0}", string(c))
			}
			meta, err := os.ReadFile(filepath.Join(dir, "ck", "metadata"))
			require.NoError(t, err)
			assert.Contains(t, string(meta), `{"id":"`)

			// A second run finds nothing new; new data then flows once.
			appendRows(t, src, 100, 101)
			require.NoError(t, runToEnd(t, stream.From(stream.NewDeltaSource(src, nil)), sink,
				&stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem}))
			assert.Equal(t, append(want, 100, 101), tableInts(t, out, "id"))
		})
	}
}

// A crash between writing offsets/N and commits/N re-runs batch N with the
// same offsets on restart, and the Delta sink's txn makes the re-run a no-op
// when the table already has the batch.
func TestCrashRerunsSameOffsets(t *testing.T) {
	cases := []struct {
		name        string
		afterSink   bool
		wantSkipped bool
	}{
		{"crash before the sink commits", false, false},
		{"crash after the sink commits", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			src := sourceTable(t, dir, seq(1, 5), seq(6, 10), seq(11, 15))
			out := filepath.Join(dir, "out")
			ck := filepath.Join(dir, "ck")
			opts := func(l stream.Listener) *stream.Options {
				return &stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem, Listener: l}
			}
			source := func() *stream.Pipeline {
				return stream.From(stream.NewDeltaSource(src, &stream.DeltaSourceOptions{MaxFilesPerTrigger: 1}))
			}
			sink := stream.NewDeltaSink(out, nil)
			defer sink.Close()
			err := runToEnd(t, source(), &failingSink{Sink: sink, failAt: 1, after: tc.afterSink}, opts(nil))
			require.ErrorIs(t, err, errCrash)
			offsets1, err := os.ReadFile(filepath.Join(ck, "offsets", "1"))
			require.NoError(t, err)
			_, err = os.Stat(filepath.Join(ck, "commits", "1"))
			require.True(t, os.IsNotExist(err), "batch 1 must be uncommitted")

			// New data arrives before the restart: it must not join batch 1.
			appendRows(t, src, 16, 17)
			rec := &recorder{}
			var skipped []bool
			watch := stream.ForeachBatch(func(ctx context.Context, b *stream.Batch) error {
				if err := sink.AddBatch(ctx, b); err != nil {
					return err
				}
				skipped = append(skipped, sink.LastCommit().Skipped)
				return nil
			})
			require.NoError(t, runToEnd(t, source(), &kindAs{Sink: watch, kind: "delta"}, opts(rec)))
			assert.Equal(t, []bool{tc.wantSkipped, false, false}, skipped)
			again, err := os.ReadFile(filepath.Join(ck, "offsets", "1"))
			require.NoError(t, err)
			assert.Equal(t, string(offsets1), string(again))
			require.NotEmpty(t, rec.progress)
			first := rec.progress[0]
			assert.Equal(t, int64(1), first.BatchID)
			assert.True(t, first.Rerun)
			assert.Equal(t, int64(5), first.NumInputRows)
			assert.Equal(t, string(offsets1[strings.LastIndexByte(string(offsets1), '\n')+1:]), string(first.Sources[0].EndOffset))
			assert.Equal(t, seq(1, 17), tableInts(t, out, "id"), "every row exactly once")
			assert.Len(t, rec.progress, 3) // batch 1 again, version 2, version 3
		})
	}
}

func TestIncompatibleCheckpointRefused(t *testing.T) {
	dir := t.TempDir()
	src := sourceTable(t, dir, seq(1, 2))
	ck := filepath.Join(dir, "ck")
	sink := stream.NewDeltaSink(filepath.Join(dir, "out"), nil)
	defer sink.Close()
	require.NoError(t, runToEnd(t, stream.From(stream.NewDeltaSource(src, nil)), sink, &stream.Options{Checkpoint: ck, Trigger: stream.Once(), Logger: quiet}))
	other := sourceTable(t, filepath.Join(dir, "other"), seq(1, 2))
	cases := []struct {
		name string
		p    *stream.Pipeline
		sink stream.Sink
	}{
		{"another source kind", stream.From(stream.NewFilesSource(filepath.Join(dir, "in"), &stream.FilesSourceOptions{Format: "json"})), sink},
		{"change feed instead of table", stream.From(stream.NewDeltaSource(src, &stream.DeltaSourceOptions{ReadChangeFeed: true})), sink},
		{"another sink kind", stream.From(stream.NewDeltaSource(src, nil)), stream.ForeachBatch(func(context.Context, *stream.Batch) error { return nil })},
		{"another table", stream.From(stream.NewDeltaSource(other, nil)), sink},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := runToEnd(t, tc.p, tc.sink, &stream.Options{Checkpoint: ck, Trigger: stream.Once(), Logger: quiet})
			require.ErrorIs(t, err, stream.ErrIncompatibleCheckpoint)
			var ie *stream.IncompatibleCheckpointError
			require.ErrorAs(t, err, &ie)
			assert.NotEmpty(t, ie.Reason)
		})
	}
}

// A batch whose rows are all filtered out still commits its txn, so the
// table records that the batch was written.
func TestDeltaSinkEmptyBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	src := sourceTable(t, dir, seq(1, 3))
	out := filepath.Join(dir, "out")
	sink := stream.NewDeltaSink(out, nil)
	defer sink.Close()
	require.NoError(t, runToEnd(t, stream.From(stream.NewDeltaSource(src, nil)).Filter("id > 100"), sink,
		&stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.Once(), Logger: quiet, Allocator: mem}))
	assert.Empty(t, tableInts(t, out, "id"))
	res := sink.LastCommit()
	require.NotNil(t, res)
	assert.False(t, res.Skipped)
	assert.Equal(t, int64(1), res.Version)
}
