package stream_test

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/stream"
)

func events(rows ...string) string {
	out := ""
	for _, r := range rows {
		out += r + "\n"
	}
	return out
}

// Tumbling windows of one minute with a 10 s watermark delay. File 1 moves
// the watermark to 10:01:00; file 2 brings a row behind it (10:00:50) and
// moves it to 10:02:10. As in Spark, rows are late against the previous
// batch's watermark: read in the batch right after file 1 the row still
// counts (its window closes in that batch); read after a restart, once a
// batch without data ran with watermark 10:01:00, it is dropped.
func TestWindowAggregate(t *testing.T) {
	file1 := events(`{"k":"a","v":1,"ts":"2026-01-01T10:00:01Z"}`, `{"k":"a","v":2,"ts":"2026-01-01T10:00:30Z"}`, `{"k":"b","v":5,"ts":"2026-01-01T10:01:10Z"}`)
	file2 := events(`{"k":"a","v":100,"ts":"2026-01-01T10:00:50Z"}`, `{"k":"a","v":1,"ts":"2026-01-01T10:02:20Z"}`)
	w := func(start, end, k string, n, sum int, avg float64) string {
		return `{"avg(v)":` + fmtFloat(avg) + `,"count(1)":` + itoa(int64(n)) + `,"k":"` + k + `","sum(v)":` + itoa(int64(sum)) + `,"window":{"end":"2026-01-01T` + end + `Z","start":"2026-01-01T` + start + `Z"}}`
	}
	cases := []struct {
		name    string
		mode    stream.OutputMode
		restart bool // stop after file 1, restart for file 2
		last    []string
		all     []string
	}{
		{"append", stream.Append, false, nil, []string{
			w("10:00:00", "10:01:00", "a", 3, 103, 103.0/3), w("10:01:00", "10:02:00", "b", 1, 5, 5)}},
		{"append across a restart", stream.Append, true, nil, []string{
			w("10:00:00", "10:01:00", "a", 2, 3, 1.5), w("10:01:00", "10:02:00", "b", 1, 5, 5)}},
		{"update", stream.Update, false, nil, []string{
			w("10:00:00", "10:01:00", "a", 2, 3, 1.5), w("10:00:00", "10:01:00", "a", 3, 103, 103.0/3),
			w("10:01:00", "10:02:00", "b", 1, 5, 5), w("10:02:00", "10:03:00", "a", 1, 1, 1)}},
		{"complete", stream.Complete, false, []string{
			w("10:00:00", "10:01:00", "a", 3, 103, 103.0/3), w("10:01:00", "10:02:00", "b", 1, 5, 5), w("10:02:00", "10:03:00", "a", 1, 1, 1)}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			base := time.Now().Add(-time.Hour)
			writeFile(t, in, "1.json", file1, base)
			if !tc.restart {
				writeFile(t, in, "2.json", file2, base.Add(time.Minute))
			}
			col := &collector{}
			rec := &recorder{}
			run := func() {
				src := stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", MaxFilesPerTrigger: 1, SchemaHints: "k string, v bigint, ts timestamp"})
				p := stream.From(src).WithWatermark("ts", 10*time.Second).
					WindowAggregate("ts", time.Minute, []string{"k"}, stream.Count("*"), stream.Sum("v"), stream.Avg("v"))
				require.NoError(t, runToEnd(t, p, col.sink(), &stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), OutputMode: tc.mode, Logger: quiet, Allocator: mem, Listener: rec}))
			}
			run()
			if tc.restart {
				writeFile(t, in, "2.json", file2, base.Add(time.Minute))
				run()
			}
			if tc.all != nil {
				sort.Strings(tc.all)
				assert.Equal(t, tc.all, col.all())
			}
			if tc.last != nil {
				sort.Strings(tc.last)
				assert.Equal(t, tc.last, col.batches[len(col.batches)-1])
			}
			last := rec.progress[len(rec.progress)-1]
			require.Len(t, last.StateOperators, 1)
			assert.Contains(t, last.StateOperators[0].OperatorName, "window(ts,60000ms;k;")
			assert.Equal(t, "2026-01-01T10:02:10Z", last.EventTime["watermark"])
		})
	}
}

func fmtFloat(f float64) string {
	b, _ := jsonMarshal(f)
	return string(b)
}

func TestDropDuplicates(t *testing.T) {
	file1 := events(`{"id":1,"ts":"2026-01-01T10:00:00Z"}`, `{"id":1,"ts":"2026-01-01T10:00:05Z"}`, `{"id":2,"ts":"2026-01-01T10:00:10Z"}`)
	file2 := events(`{"id":2,"ts":"2026-01-01T10:00:20Z"}`, `{"id":3,"ts":"2026-01-01T10:05:00Z"}`)
	file3 := events(`{"id":1,"ts":"2026-01-01T10:05:30Z"}`, `{"id":3,"ts":"2026-01-01T10:05:40Z"}`)
	row := func(id int, ts string) string { return `{"id":` + itoa(int64(id)) + `,"ts":"2026-01-01T` + ts + `Z"}` }
	cases := []struct {
		name      string
		within    bool
		watermark bool
		want      []string
	}{
		// Without a watermark every id is kept once, forever (even across a restart).
		{"dropDuplicates", false, false, []string{row(1, "10:00:00"), row(2, "10:00:10"), row(3, "10:05:00")}},
		// With a watermark but not keyed on the event time, keys are kept
		// for ever too (Spark evicts by the key's event time only).
		{"dropDuplicates with a watermark", false, true, []string{row(1, "10:00:00"), row(2, "10:00:10"), row(3, "10:05:00")}},
		// Within a 1 minute watermark: id 1 expired (10:00:00+1m < 10:04:00) and comes back; id 3 did not.
		{"dropDuplicatesWithinWatermark", true, true, []string{row(1, "10:00:00"), row(1, "10:05:30"), row(2, "10:00:10"), row(3, "10:05:00")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			base := time.Now().Add(-time.Hour)
			col := &collector{}
			run := func() {
				p := stream.From(stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", MaxFilesPerTrigger: 1, SchemaHints: "id bigint, ts timestamp"}))
				switch {
				case tc.within:
					p = p.WithWatermark("ts", time.Minute).DropDuplicatesWithinWatermark("id")
				case tc.watermark:
					p = p.WithWatermark("ts", time.Minute).DropDuplicates("id")
				default:
					p = p.DropDuplicates("id")
				}
				require.NoError(t, runToEnd(t, p, col.sink(), &stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem}))
			}
			writeFile(t, in, "1.json", file1, base)
			writeFile(t, in, "2.json", file2, base.Add(time.Minute))
			run()
			writeFile(t, in, "3.json", file3, base.Add(2*time.Minute))
			run() // the state comes back from the checkpoint
			assert.Equal(t, tc.want, col.all())
		})
	}
}

func TestStatefulCheckpointChecks(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeFile(t, in, "1.json", events(`{"id":1,"ts":"2026-01-01T10:00:00Z"}`), time.Now())
	ck := filepath.Join(dir, "ck")
	src := func() *stream.Pipeline {
		return stream.From(stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", SchemaHints: "id bigint, ts timestamp"}))
	}
	col := &collector{}
	opts := &stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Logger: quiet}
	require.NoError(t, runToEnd(t, src().DropDuplicates("id"), col.sink(), opts))
	cases := []struct {
		name string
		p    *stream.Pipeline
		mode stream.OutputMode
		err  error
	}{
		{"other dedup columns", src().DropDuplicates("id", "ts"), stream.Append, stream.ErrIncompatibleCheckpoint},
		{"stateful operator removed", src(), stream.Append, stream.ErrIncompatibleCheckpoint},
		{"operator added", src().DropDuplicates("id").DropDuplicates("ts"), stream.Append, stream.ErrIncompatibleCheckpoint},
		{"within watermark without watermark", src().DropDuplicatesWithinWatermark("id"), stream.Append, stream.ErrInvalidArgument},
		{"append window without watermark", src().WindowAggregate("ts", time.Minute, nil, stream.Count("*")), stream.Append, stream.ErrInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := *opts
			o.OutputMode = tc.mode
			require.ErrorIs(t, runToEnd(t, tc.p, col.sink(), &o), tc.err)
		})
	}
}

// Sliding windows of 2 minutes every minute: each row counts in two
// windows; Complete mode shows them all.
func TestSlidingWindowAggregate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeFile(t, in, "1.json", events(`{"v":1,"ts":"2026-01-01T10:00:30Z"}`, `{"v":2,"ts":"2026-01-01T10:01:30Z"}`), time.Now())
	col := &collector{}
	p := stream.From(stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", SchemaHints: "v bigint, ts timestamp"})).
		SlidingWindowAggregate("ts", 2*time.Minute, time.Minute, nil, stream.Sum("v").As("total"), stream.Min("v"), stream.Max("v"))
	require.NoError(t, runToEnd(t, p, col.sink(), &stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.Once(), OutputMode: stream.Complete, Logger: quiet, Allocator: mem}))
	win := func(start, end string, total, lo, hi int) string {
		return `{"max(v)":` + itoa(int64(hi)) + `,"min(v)":` + itoa(int64(lo)) + `,"total":` + itoa(int64(total)) + `,"window":{"end":"2026-01-01T` + end + `Z","start":"2026-01-01T` + start + `Z"}}`
	}
	want := []string{win("09:59:00", "10:01:00", 1, 1, 1), win("10:00:00", "10:02:00", 3, 1, 2), win("10:01:00", "10:03:00", 2, 2, 2)}
	sort.Strings(want)
	assert.Equal(t, want, col.all())
}

// approx_count_distinct's sketch is window state: values of one window
// read before and after a restart are counted once, from the checkpoint.
func TestApproxCountDistinctAcrossRestart(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	base := time.Now().Add(-time.Hour)
	col := &collector{}
	run := func() {
		src := stream.NewFilesSource(in, &stream.FilesSourceOptions{Format: "json", MaxFilesPerTrigger: 1, SchemaHints: "k string, ts timestamp"})
		p := stream.From(src).WithWatermark("ts", 10*time.Second).
			WindowAggregate("ts", time.Minute, nil, stream.Count("*"), stream.ApproxCountDistinct("k", 0))
		require.NoError(t, runToEnd(t, p, col.sink(), &stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem}))
	}
	writeFile(t, in, "1.json", events(`{"k":"a","ts":"2026-01-01T10:00:01Z"}`, `{"k":"b","ts":"2026-01-01T10:00:30Z"}`, `{"k":"a","ts":"2026-01-01T10:00:40Z"}`), base)
	run()
	writeFile(t, in, "2.json", events(`{"k":"c","ts":"2026-01-01T10:00:50Z"}`, `{"k":"a","ts":"2026-01-01T10:00:55Z"}`, `{"k":null,"ts":"2026-01-01T10:00:56Z"}`, `{"k":"x","ts":"2026-01-01T10:02:20Z"}`), base.Add(time.Minute))
	run()
	assert.Equal(t, []string{`{"approx_count_distinct(k)":3,"count(1)":6,"window":{"end":"2026-01-01T10:01:00Z","start":"2026-01-01T10:00:00Z"}}`}, col.all())
}

func TestApproxCountDistinctInvalidRSD(t *testing.T) {
	for _, rsd := range []float64{-0.1, 1, 2} {
		t.Run(fmtFloat(rsd), func(t *testing.T) {
			p := stream.From(stream.NewFilesSource(t.TempDir(), nil)).WithWatermark("ts", time.Second).
				WindowAggregate("ts", time.Minute, nil, stream.ApproxCountDistinct("k", rsd))
			_, err := p.Start(context.Background(), stream.ForeachBatch(func(context.Context, *stream.Batch) error { return nil }), &stream.Options{Checkpoint: filepath.Join(t.TempDir(), "ck")})
			require.ErrorIs(t, err, stream.ErrInvalidArgument)
		})
	}
}

// A windowed query over a Delta source ends, under AvailableNow, with a
// batch without data after the table's last version (the watermark moved):
// it must not ask the table for a version that does not exist.
func TestWindowOverDeltaSourceNoDataBatch(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	url := filepath.Join(dir, "events")
	schema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true}}, nil)
	for i, ts := range []string{"10:00:10", "10:01:30"} {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		at, err := time.Parse(time.RFC3339, "2026-01-01T"+ts+"Z")
		require.NoError(t, err)
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(at.UnixMicro()))
		rec := b.NewRecordBatch()
		b.Release()
		rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
		require.NoError(t, err)
		rec.Release()
		if i == 0 {
			tbl, _, err := delta.CreateAsSelect(ctx, url, rr, nil)
			require.NoError(t, err)
			tbl.Close()
		} else {
			tbl, err := delta.Open(ctx, url, nil)
			require.NoError(t, err)
			_, err = tbl.Append(ctx, rr, nil)
			require.NoError(t, err)
			tbl.Close()
		}
		rr.Release()
	}
	col := &collector{}
	v0 := int64(0)
	p := stream.From(stream.NewDeltaSource(url, &stream.DeltaSourceOptions{StartingVersion: &v0, MaxFilesPerTrigger: 1})).
		WithWatermark("ts", 10*time.Second).WindowAggregate("ts", time.Minute, nil, stream.Count("*"))
	require.NoError(t, runToEnd(t, p, col.sink(), &stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem}))
	require.Len(t, col.batches, 3, "two batches with data, one without")
	assert.Equal(t, []string{`{"count(1)":1,"window":{"end":"2026-01-01T10:01:00Z","start":"2026-01-01T10:00:00Z"}}`}, col.all())
}
