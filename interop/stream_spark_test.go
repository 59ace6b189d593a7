//go:build interop

package interop

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/jsonrows"
	"github.com/lakehouse-go/lakehouse/stream"
)

// streamEvent is one input row of the stateful-operator comparison.
type streamEvent struct {
	id     int64
	k      string
	v      int64
	amount float64
	ts     string // HH:MM:SS on 2026-01-01, UTC
}

// streamCommits are the input table's commits (one file each, so that
// maxFilesPerTrigger 1 makes one batch per commit on both engines). Event
// times arrive out of order; with a 10 s delay batches 1-5 run with the
// watermarks 10:01:00, 10:02:20, 10:03:30, 10:04:50, 10:06:50. Spark drops
// a row as late against the previous batch's watermark (for a window: when
// the window ended by then) and closes windows with the current one, so
// the rows marked below probe both: behind the current watermark only
// (they count, and their window closes in the same batch), behind the
// previous one (dropped by deduplication, still counted in a window not
// yet ended), on a watermark, duplicates, a key coming back later.
var streamCommits = [][]streamEvent{
	{{1, "a", 1, 1.5, "10:00:05"}, {2, "b", 2, 2.5, "10:00:40"}, {3, "a", 3, 0.25, "10:01:10"}, {1, "a", 1, 1.5, "10:00:05"}},
	{{4, "a", 4, 4, "10:00:50"} /* behind the current watermark */, {5, "b", 5, 5.5, "10:01:00"} /* on the watermark */, {6, "b", 6, 6, "10:02:30"},
		{3, "a", 3, 0.25, "10:01:10"} /* duplicate */, {7, "c", 7, -1, "10:01:45"}},
	{{8, "a", 8, 8, "10:01:30"} /* behind the current watermark */, {9, "c", 9, 9.75, "10:02:05"}, {10, "a", 10, 10, "10:03:40"},
		{2, "b", 22, 22, "10:02:50"} /* id 2 again, later */},
	{{11, "b", 11, 11, "10:05:00"}, {12, "a", 12, 12, "10:04:10"}, {2, "b", 23, 23, "10:04:55"}, {6, "b", 6, 6, "10:02:30"}, /* late duplicate */
		{15, "c", 15, 1, "10:02:10"} /* behind the previous watermark, window open */},
	{{13, "c", 13, 13, "10:07:00"}, {14, "c", 14, 14.5, "10:06:59"}},
}

var streamEventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
}, nil)

func streamEventReader(mem memory.Allocator, rows []streamEvent) (array.RecordReader, error) {
	b := array.NewRecordBuilder(mem, streamEventSchema)
	defer b.Release()
	for _, r := range rows {
		ts, err := time.Parse(time.RFC3339, "2026-01-01T"+r.ts+"Z")
		if err != nil {
			return nil, err
		}
		b.Field(0).(*array.Int64Builder).Append(r.id)
		b.Field(1).(*array.StringBuilder).Append(r.k)
		b.Field(2).(*array.Int64Builder).Append(r.v)
		b.Field(3).(*array.Float64Builder).Append(r.amount)
		b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMicro()))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewRecordReader(streamEventSchema, []arrow.RecordBatch{rec})
}

// distinctCommits is the input of the approx_count_distinct comparison:
// two one-minute windows of 390 and 330 distinct ids (and names), every
// value three times, below HyperLogLog++'s linear-counting threshold
// (400 at Spark's default precision), where both engines' estimates come
// from the same registers; a last commit closes both windows.
func distinctCommits() [][]streamEvent {
	var out [][]streamEvent
	for w, n := range []int{390, 330} {
		var rows []streamEvent
		for i := range 3 * n {
			id := int64(w*100_000 + (i*7919)%n)
			sec := i % 60
			rows = append(rows, streamEvent{id, fmt.Sprintf("u%d", id), 1, 1, fmt.Sprintf("10:%02d:%02d", w, sec)})
		}
		out = append(out, rows)
	}
	return append(out, []streamEvent{{0, "end", 0, 0, "10:05:00"}})
}

// writeStreamInput writes commits as a Delta table, one commit each.
func writeStreamInput(ctx context.Context, path string, commits [][]streamEvent) error {
	mem := memory.DefaultAllocator
	for i, rows := range commits {
		rr, err := streamEventReader(mem, rows)
		if err != nil {
			return err
		}
		if i == 0 {
			tbl, _, err := delta.CreateAsSelect(ctx, path, rr, nil)
			rr.Release()
			if err != nil {
				return err
			}
			tbl.Close()
			continue
		}
		tbl, err := delta.Open(ctx, path, nil)
		if err != nil {
			rr.Release()
			return err
		}
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		tbl.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// sparkStreamQuery is one query of the comparison, in the form the Spark
// peer's stream_query op takes and as a lakehouse pipeline.
type sparkStreamQuery struct {
	name  string
	input string // "events" (streamCommits) or "distinct" (distinctCommits)
	spec  map[string]any
	build func(p *stream.Pipeline) *stream.Pipeline
}

func sparkStreamQueries() []sparkStreamQuery {
	wm := []string{"ts", "10 seconds"}
	return []sparkStreamQuery{
		{name: "window_tumbling",
			spec: map[string]any{"watermark": wm, "window": map[string]any{"column": "ts", "size": "1 minute", "keys": []string{"k"},
				"aggs": [][]string{{"count", "*"}, {"sum", "v"}, {"avg", "amount"}, {"min", "v"}, {"max", "amount"}, {"approx_count_distinct", "id"}}}},
			build: func(p *stream.Pipeline) *stream.Pipeline {
				return p.WithWatermark("ts", 10*time.Second).WindowAggregate("ts", time.Minute, []string{"k"},
					stream.Count("*"), stream.Sum("v"), stream.Avg("amount"), stream.Min("v"), stream.Max("amount"),
					stream.ApproxCountDistinct("id", 0))
			}},
		{name: "window_sliding",
			spec: map[string]any{"watermark": wm, "window": map[string]any{"column": "ts", "size": "1 minute", "slide": "30 seconds",
				"aggs": [][]string{{"count", "*"}, {"sum", "amount"}, {"approx_count_distinct", "k"}, {"approx_count_distinct", "ts"}}}},
			build: func(p *stream.Pipeline) *stream.Pipeline {
				return p.WithWatermark("ts", 10*time.Second).SlidingWindowAggregate("ts", time.Minute, 30*time.Second, nil,
					stream.Count("*"), stream.Sum("amount"), stream.ApproxCountDistinct("k", 0), stream.ApproxCountDistinct("ts", 0))
			}},
		{name: "dedup_with_event_time",
			spec: map[string]any{"watermark": wm, "dedup": map[string]any{"columns": []string{"id", "ts"}}},
			build: func(p *stream.Pipeline) *stream.Pipeline {
				return p.WithWatermark("ts", 10*time.Second).DropDuplicates("id", "ts")
			}},
		{name: "dedup_without_event_time",
			spec: map[string]any{"watermark": wm, "dedup": map[string]any{"columns": []string{"id"}}},
			build: func(p *stream.Pipeline) *stream.Pipeline {
				return p.WithWatermark("ts", 10*time.Second).DropDuplicates("id")
			}},
		{name: "dedup_within_watermark",
			spec: map[string]any{"watermark": []string{"ts", "30 seconds"}, "dedup": map[string]any{"columns": []string{"id"}, "within": true}},
			build: func(p *stream.Pipeline) *stream.Pipeline {
				return p.WithWatermark("ts", 30*time.Second).DropDuplicatesWithinWatermark("id")
			}},
		{name: "approx_count_distinct", input: "distinct",
			spec: map[string]any{"watermark": wm, "window": map[string]any{"column": "ts", "size": "1 minute",
				"aggs": [][]string{{"count", "*"}, {"approx_count_distinct", "id"}, {"approx_count_distinct", "k"}}}},
			build: func(p *stream.Pipeline) *stream.Pipeline {
				return p.WithWatermark("ts", 10*time.Second).WindowAggregate("ts", time.Minute, nil,
					stream.Count("*"), stream.ApproxCountDistinct("id", 0), stream.ApproxCountDistinct("k", 0))
			}},
		{name: "dedup_then_window",
			spec: map[string]any{"watermark": wm, "dedup": map[string]any{"columns": []string{"id", "ts"}},
				"window": map[string]any{"column": "ts", "size": "2 minutes", "keys": []string{"k"},
					"aggs": [][]string{{"count", "*"}, {"sum", "v"}}}},
			build: func(p *stream.Pipeline) *stream.Pipeline {
				return p.WithWatermark("ts", 10*time.Second).DropDuplicates("id", "ts").
					WindowAggregate("ts", 2*time.Minute, []string{"k"}, stream.Count("*"), stream.Sum("v"))
			}},
	}
}

// streamBatch is one micro-batch's output.
type streamBatch struct {
	ID   int64    `json:"id"`
	Rows []string `json:"rows"`
}

// runLakehouseStream runs q over the table with the trigger Spark's side
// uses and returns each batch's rows.
func runLakehouseStream(ctx context.Context, table, checkpoint string, q sparkStreamQuery) ([]streamBatch, error) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	var mu sync.Mutex
	var out []streamBatch
	sink := stream.ForeachBatch(func(_ context.Context, b *stream.Batch) error {
		sb := streamBatch{ID: b.ID, Rows: []string{}}
		for _, rec := range b.Records {
			for i := 0; i < int(rec.NumRows()); i++ {
				line, err := jsonrows.AppendRow(nil, rec, i)
				if err != nil {
					return err
				}
				sb.Rows = append(sb.Rows, string(line))
			}
		}
		mu.Lock()
		out = append(out, sb)
		mu.Unlock()
		return nil
	})
	v0 := int64(0)
	src := stream.NewDeltaSource(table, &stream.DeltaSourceOptions{StartingVersion: &v0, MaxFilesPerTrigger: 1})
	query, err := q.build(stream.From(src)).Start(ctx, sink, &stream.Options{Checkpoint: checkpoint, Trigger: stream.AvailableNow(),
		OutputMode: stream.Append, Allocator: mem, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return nil, err
	}
	if err := query.AwaitTermination(ctx); err != nil {
		return nil, err
	}
	if n := mem.CurrentAlloc(); n != 0 {
		return nil, fmt.Errorf("lakehouse's query left %d bytes of Arrow memory allocated", n)
	}
	return out, nil
}

// compareStreamBatches compares two engines' micro-batches: the same
// batches, each with the same rows. Batches without rows are left out,
// so that an engine running one more empty batch does not count.
func compareStreamBatches(want, got []streamBatch) (string, int, error) {
	index := func(bs []streamBatch) (map[int64][]string, []int64, error) {
		m := map[int64][]string{}
		var ids []int64
		for _, b := range bs {
			if len(b.Rows) == 0 {
				continue
			}
			rows, err := NormalizeRows(b.Rows)
			if err != nil {
				return nil, nil, err
			}
			m[b.ID] = append(m[b.ID], rows...)
			ids = append(ids, b.ID)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		return m, ids, nil
	}
	w, wIDs, err := index(want)
	if err != nil {
		return "", 0, err
	}
	g, gIDs, err := index(got)
	if err != nil {
		return "", 0, err
	}
	var diffs []string
	checked := 0
	for _, id := range uniqIDs(append(wIDs, gIDs...)) {
		wr, gr := w[id], g[id]
		sort.Strings(wr)
		sort.Strings(gr)
		checked += len(wr)
		if d := CompareRows(wr, gr); d != nil {
			diffs = append(diffs, fmt.Sprintf("batch %d: %s", id, d))
		}
	}
	return strings.Join(diffs, "; "), checked, nil
}

func uniqIDs(ids []int64) []int64 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []int64
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			out = append(out, id)
		}
	}
	return out
}

// TestCase6StreamStatefulSpark: the same watermark, deduplication and
// windowed-aggregation queries run in lakehouse (package stream) and in
// Spark Structured Streaming over one Delta table written in five commits
// with out-of-order and late rows; both read it from version 0, one
// commit per batch (maxFilesPerTrigger 1, trigger AvailableNow), output
// mode append. Every batch must emit the same rows on both.
func TestCase6StreamStatefulSpark(t *testing.T) {
	ctx := ctxFor(t, 15*time.Minute)
	dir := filepath.Join(s.tables, Lakehouse, "stream_stateful")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	inputs := map[string][][]streamEvent{"events": streamCommits, "distinct": distinctCommits()}
	inputErr := map[string]error{}
	for name, commits := range inputs {
		inputErr[name] = writeStreamInput(ctx, filepath.Join(dir, name), commits)
	}
	for _, q := range sparkStreamQueries() {
		t.Run(q.name, func(t *testing.T) {
			input := q.input
			if input == "" {
				input = "events"
			}
			table := filepath.Join(dir, input)
			r := Result{Case: "6", Scenario: "lh_stream_" + q.name, Writer: Lakehouse, Reader: Spark,
				Covers: fmt.Sprintf("Delta source (%d commits, 1 per batch, out-of-order and late rows) → %s, append mode: each batch's rows vs Spark Structured Streaming", len(inputs[input]), q.name)}
			if err := inputErr[input]; err != nil {
				r.Status, r.Detail = Fail, "writing the input table: "+err.Error()
				s.record(t, r)
				return
			}
			ours, err := runLakehouseStream(ctx, table, filepath.Join(dir, "ck-lakehouse-"+q.name), q)
			if err != nil {
				r.Status, r.Detail = Fail, "lakehouse's query: "+err.Error()
				s.record(t, r)
				return
			}
			p := s.peer(t, Spark, r)
			if p == nil {
				return
			}
			var theirs struct {
				Batches []streamBatch `json:"batches"`
			}
			if err := p.Call(ctx, "stream_query", map[string]any{"path": table, "checkpoint": filepath.Join(dir, "ck-spark-"+q.name),
				"query": q.spec}, &theirs); err != nil {
				r.Status, r.Detail = Fail, "Spark's query: "+err.Error()
				s.record(t, r)
				return
			}
			diff, checked, err := compareStreamBatches(theirs.Batches, ours)
			switch {
			case err != nil:
				r.Status, r.Detail = Fail, err.Error()
			case diff != "":
				r.Status, r.Detail = Fail, "want Spark's rows, got lakehouse's: "+diff
			default:
				r.Status, r.Checked = Pass, checked
			}
			t.Logf("%s: spark %v; lakehouse %v", q.name, theirs.Batches, ours)
			s.record(t, r)
		})
	}
}
