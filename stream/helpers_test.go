package stream_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/stream"
)

var idSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// rowsOf builds a reader of (id, "n<id>") rows.
func rowsOf(t testing.TB, mem memory.Allocator, ids ...int64) array.RecordReader {
	t.Helper()
	b := array.NewRecordBuilder(mem, idSchema)
	defer b.Release()
	for _, id := range ids {
		b.Field(0).(*array.Int64Builder).Append(id)
		b.Field(1).(*array.StringBuilder).Append("n" + itoa(id))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(idSchema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	return rr
}

func itoa(i int64) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}

func seq(from, to int64) []int64 {
	var out []int64
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

// sourceTable creates a table at dir with one commit per id group.
func sourceTable(t testing.TB, dir string, groups ...[]int64) string {
	t.Helper()
	ctx := context.Background()
	url := filepath.Join(dir, "src")
	rr := rowsOf(t, memory.DefaultAllocator, groups[0]...)
	tbl, _, err := delta.CreateAsSelect(ctx, url, rr, nil)
	rr.Release()
	require.NoError(t, err)
	defer tbl.Close()
	for _, g := range groups[1:] {
		appendRows(t, url, g...)
	}
	return url
}

func appendRows(t testing.TB, url string, ids ...int64) {
	t.Helper()
	ctx := context.Background()
	tbl, err := delta.Open(ctx, url, nil)
	require.NoError(t, err)
	defer tbl.Close()
	rr := rowsOf(t, memory.DefaultAllocator, ids...)
	defer rr.Release()
	_, err = tbl.Append(ctx, rr, nil)
	require.NoError(t, err)
}

// tableInts reads an int64 column of a table, sorted.
func tableInts(t testing.TB, url, column string) []int64 {
	t.Helper()
	ctx := context.Background()
	tbl, err := delta.Open(ctx, url, nil)
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{column}})
	require.NoError(t, err)
	defer rr.Release()
	var out []int64
	for rr.Next() {
		col := rr.RecordBatch().Column(0).(*array.Int64)
		for i := 0; i < col.Len(); i++ {
			out = append(out, col.Value(i))
		}
	}
	require.NoError(t, rr.Err())
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// recorder is a Listener that keeps every progress.
type recorder struct {
	mu       sync.Mutex
	progress []*stream.Progress
	started  int
	term     []error
}

func (r *recorder) OnStarted(string, string) { r.mu.Lock(); r.started++; r.mu.Unlock() }
func (r *recorder) OnProgress(p *stream.Progress) {
	r.mu.Lock()
	r.progress = append(r.progress, p)
	r.mu.Unlock()
}
func (r *recorder) OnTerminated(_, _ string, err error) {
	r.mu.Lock()
	r.term = append(r.term, err)
	r.mu.Unlock()
}

// failingSink wraps a sink and fails batch failAt before (or after)
// delegating: a crash before or after the sink's commit.
type failingSink struct {
	stream.Sink
	failAt int64
	after  bool
}

var errCrash = errors.New("test: crash")

func (f *failingSink) AddBatch(ctx context.Context, b *stream.Batch) error {
	if b.ID == f.failAt && !f.after {
		return errCrash
	}
	if err := f.Sink.AddBatch(ctx, b); err != nil {
		return err
	}
	if b.ID == f.failAt {
		return errCrash
	}
	return nil
}

// runToEnd starts a query and waits for it.
func runToEnd(t testing.TB, p *stream.Pipeline, sink stream.Sink, opts *stream.Options) error {
	t.Helper()
	q, err := p.Start(context.Background(), sink, opts)
	if err != nil {
		return err
	}
	return q.AwaitTermination(context.Background())
}

// kindAs gives a sink another kind name (to wrap a sink and keep the
// checkpoint's sink kind).
type kindAs struct {
	stream.Sink
	kind string
}

func (k *kindAs) Kind() string { return k.kind }

type arrowRecord = arrow.RecordBatch

var jsonMarshal = json.Marshal

// nonNullInts reads an int64 column's non-null values, sorted.
func nonNullInts(t testing.TB, url, column string) []int64 {
	t.Helper()
	ctx := context.Background()
	tbl, err := delta.Open(ctx, url, nil)
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{column}})
	require.NoError(t, err)
	defer rr.Release()
	var out []int64
	for rr.Next() {
		col := rr.RecordBatch().Column(0).(*array.Int64)
		for i := 0; i < col.Len(); i++ {
			if col.IsValid(i) {
				out = append(out, col.Value(i))
			}
		}
	}
	require.NoError(t, rr.Err())
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
