package stream_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/stream"
)

// cdcRows reads (id, name, seq) of a table as "id=name@seq", sorted.
func cdcRows(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	tbl, err := delta.Open(ctx, url, nil)
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"id", "name", "seq"}})
	require.NoError(t, err)
	defer rr.Release()
	var out []string
	for rr.Next() {
		rec := rr.RecordBatch()
		ids, names, seqs := rec.Column(0).(*array.Int64), rec.Column(1).(*array.String), rec.Column(2).(*array.Int64)
		for i := range int(rec.NumRows()) {
			out = append(out, fmt.Sprintf("%d=%s@%d", ids.Value(i), names.Value(i), seqs.Value(i)))
		}
	}
	require.NoError(t, rr.Err())
	sort.Strings(out)
	return out
}

// TestMergeSinkAppliesChanges streams change events through the MERGE
// sink, one file per batch, and checks the table after each batch
// against the rules of APPLY CHANGES: the newest change of a key wins,
// deletes remove the key, and a change older than the table's row is
// ignored.
func TestMergeSinkAppliesChanges(t *testing.T) {
	dir := t.TempDir()
	landing := filepath.Join(dir, "changes")
	require.NoError(t, os.MkdirAll(landing, 0o755))
	target := filepath.Join(dir, "target")
	steps := []struct {
		changes []string
		want    []string
	}{
		{[]string{
			`{"id":1,"name":"a","seq":1,"op":"U"}`,
			`{"id":2,"name":"b","seq":1,"op":"U"}`,
			`{"id":1,"name":"a2","seq":2,"op":"U"}`, // same batch, newer: wins
			`{"id":3,"name":"c","seq":5,"op":"U"}`,
			`{"id":3,"name":"c0","seq":4,"op":"U"}`, // same batch, older: loses
		}, []string{"1=a2@2", "2=b@1", "3=c@5"}},
		{[]string{
			`{"id":2,"name":"gone","seq":2,"op":"D"}`,
			`{"id":1,"name":"stale","seq":1,"op":"U"}`, // older than the table's row
			`{"id":4,"name":"d","seq":1,"op":"U"}`,
			`{"id":5,"name":"never","seq":1,"op":"D"}`, // delete of a missing key
		}, []string{"1=a2@2", "3=c@5", "4=d@1"}},
		{[]string{
			`{"id":3,"name":"c9","seq":9,"op":"U"}`,
			`{"id":4,"name":"x","seq":1,"op":"D"}`, // not newer than the row: ignored
		}, []string{"1=a2@2", "3=c9@9", "4=d@1"}},
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	sink := stream.NewMergeSink(target, &stream.MergeSinkOptions{
		Table: &delta.Options{Allocator: mem}, Keys: []string{"id"}, SequenceBy: "seq",
		DeleteWhen: "op = 'D'", ExceptColumns: []string{"op"},
	})
	defer sink.Close()
	for i, st := range steps {
		require.NoError(t, os.WriteFile(filepath.Join(landing, fmt.Sprintf("c%02d.json", i)), []byte(strings.Join(st.changes, "\n")+"\n"), 0o644))
		src := stream.NewFilesSource(landing, &stream.FilesSourceOptions{Format: "json", SchemaHints: "id bigint, seq bigint"})
		err := runToEnd(t, stream.From(src).Select("id", "name", "seq", "op"), sink, &stream.Options{
			Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Allocator: mem,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		require.NoError(t, err)
		assert.Equal(t, st.want, cdcRows(t, target), "after batch %d", i)
	}
	tbl, err := delta.Open(context.Background(), target, nil)
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "name", "seq"}, fieldNames(snap), "op is not written")
}

func fieldNames(snap *delta.Snapshot) []string {
	var out []string
	for _, f := range snap.Schema().Fields() {
		out = append(out, f.Name)
	}
	return out
}

// TestMergeSinkSkipsReplayedBatch: a batch id the table already recorded
// for the query is not merged again.
func TestMergeSinkSkipsReplayedBatch(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	t.Cleanup(func() { mem.AssertSize(t, 0) }) // after the batches' cleanups
	target := filepath.Join(t.TempDir(), "target")
	sink := stream.NewMergeSink(target, &stream.MergeSinkOptions{Table: &delta.Options{Allocator: mem}, Keys: []string{"id"}})
	t.Cleanup(func() { _ = sink.Close() })
	batch := func(id int64, ids ...int64) *stream.Batch {
		rr := rowsOf(t, mem, ids...)
		defer rr.Release()
		require.True(t, rr.Next())
		rec := rr.RecordBatch()
		rec.Retain()
		t.Cleanup(rec.Release)
		return &stream.Batch{ID: id, QueryID: "q1", Schema: rec.Schema(), Records: []arrow.RecordBatch{rec}}
	}
	require.NoError(t, sink.AddBatch(ctx, batch(0, 1, 2)))
	first := sink.LastCommit()
	require.False(t, first.Skipped)
	require.NoError(t, sink.AddBatch(ctx, batch(0, 1, 2, 3)))
	assert.True(t, sink.LastCommit().Skipped)
	assert.Equal(t, []int64{1, 2}, tableInts(t, target, "id"))
	require.NoError(t, sink.AddBatch(ctx, batch(1, 2, 3)))
	assert.Equal(t, []int64{1, 2, 3}, tableInts(t, target, "id"))
}
