package stream_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lakehouse-go/lakehouse/stream"
)

// fakeKafka starts an in-process Kafka with topics of the given
// partition counts.
func fakeKafka(t testing.TB, topics map[string]int32) []string {
	t.Helper()
	var opts []kfake.Opt
	opts = append(opts, kfake.NumBrokers(1))
	for name, n := range topics {
		opts = append(opts, kfake.SeedTopics(n, name))
	}
	c, err := kfake.NewCluster(opts...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// kmsg is one record to produce.
type kmsg struct {
	topic string
	part  int32
	key   string
	value string
	ts    time.Time
	hdr   []kgo.RecordHeader
}

func produce(t testing.TB, brokers []string, msgs ...kmsg) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	defer cl.Close()
	for _, m := range msgs {
		r := &kgo.Record{Topic: m.topic, Partition: m.part, Value: []byte(m.value), Timestamp: m.ts, Headers: m.hdr}
		if m.key != "" {
			r.Key = []byte(m.key)
		}
		require.NoError(t, cl.ProduceSync(context.Background(), r).FirstErr())
	}
}

// kafkaCollector is a ForeachBatch sink that keeps each batch's rows as
// "topic/partition/offset=value" (or the column values given).
type kafkaCollector struct {
	mu      sync.Mutex
	batches [][]string
	schema  *arrow.Schema
}

func (c *kafkaCollector) sink() stream.ForeachBatch {
	return func(_ context.Context, b *stream.Batch) error {
		var rows []string
		for _, rec := range b.Records {
			rows = append(rows, kafkaRowStrings(rec)...)
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.schema = b.Schema
		c.batches = append(c.batches, rows)
		return nil
	}
}

func (c *kafkaCollector) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, b := range c.batches {
		out = append(out, b...)
	}
	sort.Strings(out)
	return out
}

func (c *kafkaCollector) sizes() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for _, b := range c.batches {
		out = append(out, len(b))
	}
	return out
}

// kafkaRowStrings renders rows as topic/partition/offset=value, with the
// value column, or the other non-metadata columns joined, as the value.
func kafkaRowStrings(rec arrow.RecordBatch) []string {
	col := func(name string) arrow.Array {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil
		}
		return rec.Column(idx[0])
	}
	topic, part, off := col("topic").(*array.String), col("partition").(*array.Int32), col("offset").(*array.Int64)
	var out []string
	for i := range int(rec.NumRows()) {
		v := ""
		if value, ok := col("value").(*array.Binary); ok {
			v = string(value.Value(i))
		} else {
			for j, f := range rec.Schema().Fields() {
				switch f.Name {
				case "key", "topic", "partition", "offset", "timestamp", "timestampType", "headers":
					continue
				}
				v += f.Name + ":" + rec.Column(j).ValueStr(i) + ";"
			}
		}
		out = append(out, fmt.Sprintf("%s/%d/%d=%s", topic.Value(i), part.Value(i), off.Value(i), v))
	}
	return out
}

var kafkaBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seedKafka produces a0-0..a0-5 to a/0, a1-0, a1-1 to a/1 and b0-0..b0-2 to
// b/0, with timestamps one second apart per partition.
func seedKafka(t testing.TB) []string {
	brokers := fakeKafka(t, map[string]int32{"a": 2, "b": 1, "other": 1})
	var msgs []kmsg
	for _, p := range []struct {
		topic string
		part  int32
		n     int
	}{{"a", 0, 6}, {"a", 1, 2}, {"b", 0, 3}, {"other", 0, 1}} {
		for i := range p.n {
			msgs = append(msgs, kmsg{topic: p.topic, part: p.part, value: fmt.Sprintf("%s%d-%d", p.topic, p.part, i), ts: kafkaBase.Add(time.Duration(i) * time.Second)})
		}
	}
	produce(t, brokers, msgs...)
	return brokers
}

func TestKafkaSourceOffsets(t *testing.T) {
	a0 := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprintf("a/0/%d=a0-%d", i, i))
		}
		return out
	}
	rows := func(parts ...[]string) []string {
		var out []string
		for _, p := range parts {
			out = append(out, p...)
		}
		sort.Strings(out)
		return out
	}
	a1 := []string{"a/1/0=a1-0", "a/1/1=a1-1"}
	b0 := []string{"b/0/0=b0-0", "b/0/1=b0-1", "b/0/2=b0-2"}
	cases := []struct {
		name      string
		opts      stream.KafkaSourceOptions
		trigger   stream.Trigger
		want      []string
		wantSizes []int
	}{
		{name: "earliest", opts: stream.KafkaSourceOptions{Topics: []string{"a"}, StartingOffsets: "earliest"},
			want: rows(a0(0, 6), a1), wantSizes: []int{8}},
		{name: "latest reads nothing already there", opts: stream.KafkaSourceOptions{Topics: []string{"a"}},
			want: nil, wantSizes: nil},
		{name: "two topics", opts: stream.KafkaSourceOptions{Topics: []string{"a", "b"}, StartingOffsets: "earliest"},
			want: rows(a0(0, 6), a1, b0), wantSizes: []int{11}},
		{name: "pattern", opts: stream.KafkaSourceOptions{TopicPattern: "a|b", StartingOffsets: "earliest"},
			want: rows(a0(0, 6), a1, b0), wantSizes: []int{11}},
		{name: "per partition JSON", opts: stream.KafkaSourceOptions{Topics: []string{"a"}, StartingOffsets: `{"a":{"0":4,"1":-1}}`},
			want: rows(a0(4, 6)), wantSizes: []int{2}},
		{name: "per partition JSON, unnamed partition from earliest", opts: stream.KafkaSourceOptions{Topics: []string{"a"}, StartingOffsets: `{"a":{"0":-1}}`},
			want: rows(a1), wantSizes: []int{2}},
		{name: "by timestamp", opts: stream.KafkaSourceOptions{Topics: []string{"a", "b"}, StartingTimestamp: kafkaBase.Add(2 * time.Second).UnixMilli()},
			want: rows(a0(2, 6), b0[2:]), wantSizes: []int{5}},
		{name: "by timestamp per partition", opts: stream.KafkaSourceOptions{Topics: []string{"a"}, StartingOffsetsByTimestamp: fmt.Sprintf(`{"a":{"0":%d}}`, kafkaBase.Add(5*time.Second).UnixMilli())},
			want: rows(a0(5, 6), a1), wantSizes: []int{3}},
		{name: "maxOffsetsPerTrigger split by backlog", opts: stream.KafkaSourceOptions{Topics: []string{"a"}, StartingOffsets: "earliest", MaxOffsetsPerTrigger: 4},
			// backlog 6 and 2: shares 3 and 1, then 3 and 1 again.
			want: rows(a0(0, 6), a1), wantSizes: []int{4, 4}},
		{name: "maxOffsetsPerTrigger rounds a small share up", opts: stream.KafkaSourceOptions{Topics: []string{"a", "b"}, StartingOffsets: "earliest", MaxOffsetsPerTrigger: 5},
			// backlog 6, 2, 3 of 11: shares 2 (2.7), 1 (0.9 rounded up), 1 (1.4); then 2, 1, 1 of 4, 1, 2; then the rest.
			want: rows(a0(0, 6), a1, b0), wantSizes: []int{4, 4, 3}},
		{name: "trigger once ignores the cap", opts: stream.KafkaSourceOptions{Topics: []string{"a"}, StartingOffsets: "earliest", MaxOffsetsPerTrigger: 1},
			trigger: stream.Once(), want: rows(a0(0, 6), a1), wantSizes: []int{8}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			tc.opts.Brokers = seedKafka(t)
			trig := tc.trigger
			if trig == (stream.Trigger{}) {
				trig = stream.AvailableNow()
			}
			var c kafkaCollector
			err := runToEnd(t, stream.From(stream.NewKafkaSource(&tc.opts)), c.sink(), &stream.Options{
				Checkpoint: filepath.Join(t.TempDir(), "ck"), Trigger: trig, Allocator: mem})
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.all())
			assert.Equal(t, tc.wantSizes, c.sizes())
		})
	}
}

// A query started with "latest" keeps its initial offsets in the
// checkpoint; later runs pick up new records, new partitions and new
// topics matching the pattern, each from its first record.
func TestKafkaSourceResumesAndDiscovers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	brokers := seedKafka(t)
	ck := filepath.Join(t.TempDir(), "ck")
	var c kafkaCollector
	run := func() {
		t.Helper()
		src := stream.NewKafkaSource(&stream.KafkaSourceOptions{Brokers: brokers, TopicPattern: "a.*"})
		require.NoError(t, runToEnd(t, stream.From(src), c.sink(), &stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Allocator: mem}))
	}
	adm, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer adm.Close()
	steps := []struct {
		name string
		do   func()
		want []string
	}{
		{"latest: nothing yet", func() {}, nil},
		{"new records after the start", func() {
			produce(t, brokers, kmsg{topic: "a", part: 1, value: "new-1"})
		}, []string{"a/1/2=new-1"}},
		{"a new partition", func() {
			_, err := kadm.NewClient(adm).CreatePartitions(context.Background(), 1, "a")
			require.NoError(t, err)
			produce(t, brokers, kmsg{topic: "a", part: 2, value: "p2-0"}, kmsg{topic: "a", part: 2, value: "p2-1"})
		}, []string{"a/1/2=new-1", "a/2/0=p2-0", "a/2/1=p2-1"}},
		{"a new topic matching the pattern", func() {
			_, err := kadm.NewClient(adm).CreateTopic(context.Background(), 1, 1, nil, "a2")
			require.NoError(t, err)
			produce(t, brokers, kmsg{topic: "a2", value: "x"}, kmsg{topic: "other", value: "not subscribed"})
		}, []string{"a/1/2=new-1", "a/2/0=p2-0", "a/2/1=p2-1", "a2/0/0=x"}},
	}
	for _, st := range steps {
		st.do()
		run()
		assert.Equal(t, st.want, c.all(), st.name)
	}
}

// A batch that fails after the sink saw it is re-run after a restart
// with the same offsets and gets exactly the same rows, though more
// records arrived meanwhile.
func TestKafkaSourceRerunSameRows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	brokers := seedKafka(t)
	ck := filepath.Join(t.TempDir(), "ck")
	opts := &stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"a", "b"}, StartingOffsets: "earliest", MaxOffsetsPerTrigger: 5}
	var c kafkaCollector
	err := runToEnd(t, stream.From(stream.NewKafkaSource(opts)), &failingSink{Sink: &kindAs{Sink: c.sink(), kind: "k"}, failAt: 0, after: true},
		&stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Allocator: mem})
	require.ErrorIs(t, err, errCrash)
	produce(t, brokers, kmsg{topic: "a", part: 1, value: "late"})
	require.NoError(t, runToEnd(t, stream.From(stream.NewKafkaSource(opts)), &kindAs{Sink: c.sink(), kind: "k"},
		&stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Allocator: mem}))
	require.GreaterOrEqual(t, len(c.batches), 2)
	assert.Equal(t, c.batches[0], c.batches[1], "the re-run batch has the same rows in the same order")
	assert.Equal(t, []string{"a/0/0=a0-0", "a/0/1=a0-1", "a/1/0=a1-0", "b/0/0=b0-0"}, c.batches[0])
	assert.Contains(t, c.all(), "a/1/2=late")
}

func TestKafkaSourceOptionErrors(t *testing.T) {
	brokers := fakeKafka(t, map[string]int32{"a": 1})
	cases := []struct {
		name string
		opts stream.KafkaSourceOptions
	}{
		{"no brokers", stream.KafkaSourceOptions{Topics: []string{"a"}}},
		{"no topics", stream.KafkaSourceOptions{Brokers: brokers}},
		{"topics and pattern", stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"a"}, TopicPattern: "a"}},
		{"bad pattern", stream.KafkaSourceOptions{Brokers: brokers, TopicPattern: "("}},
		{"bad starting offsets", stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"a"}, StartingOffsets: "first"}},
		{"unknown partition", stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"a"}, StartingOffsets: `{"a":{"7":0}}`}},
		{"rescue without schema", stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"a"}, RescuedDataColumn: "_rescued_data"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := runToEnd(t, stream.From(stream.NewKafkaSource(&tc.opts)), stream.ForeachBatch(func(context.Context, *stream.Batch) error { return nil }),
				&stream.Options{Checkpoint: filepath.Join(t.TempDir(), "ck"), Trigger: stream.AvailableNow()})
			require.ErrorIs(t, err, stream.ErrInvalidArgument)
		})
	}
}

func TestKafkaSourceJSONValues(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	cases := []struct {
		name    string
		value   string
		rescue  string
		want    string
		wantErr error
	}{
		{name: "fits", value: `{"id":1,"name":"x"}`, want: "id:1;name:x;"},
		{name: "missing field is null", value: `{"id":2}`, want: "id:2;name:(null);"},
		{name: "unknown field dropped without rescue", value: `{"id":3,"extra":true}`, want: "id:3;name:(null);"},
		{name: "unknown field rescued", rescue: "_rescued_data", value: `{"id":3,"extra":true}`, want: `id:3;name:(null);_rescued_data:{"extra":true};`},
		{name: "wrong type rescued", rescue: "_rescued_data", value: `{"id":"four","name":"y"}`, want: `id:(null);name:y;_rescued_data:{"id":"four"};`},
		{name: "not JSON rescued", rescue: "_rescued_data", value: `oops`, want: `id:(null);name:(null);_rescued_data:{"value":"oops"};`},
		{name: "wrong type fails without rescue", value: `{"id":"four"}`, wantErr: stream.ErrMalformedRecord},
		{name: "not JSON fails without rescue", value: `[1,2]`, wantErr: stream.ErrMalformedRecord},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			brokers := fakeKafka(t, map[string]int32{"ev": 1})
			produce(t, brokers, kmsg{topic: "ev", value: tc.value})
			var c kafkaCollector
			src := stream.NewKafkaSource(&stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"ev"}, StartingOffsets: "earliest", ValueSchema: schema, RescuedDataColumn: tc.rescue})
			err := runToEnd(t, stream.From(src), c.sink(), &stream.Options{Checkpoint: filepath.Join(t.TempDir(), "ck"), Trigger: stream.AvailableNow(), Allocator: mem})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{"ev/0/0=" + tc.want}, c.all())
		})
	}
}

// Keys, headers, timestamps and the Kafka sink: rows written by the sink
// come back through the source with every column.
func TestKafkaSinkRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	brokers := fakeKafka(t, map[string]int32{"in": 1, "out": 2, "side": 1})
	produce(t, brokers,
		kmsg{topic: "in", key: "k1", value: "v1", ts: kafkaBase, hdr: []kgo.RecordHeader{{Key: "h", Value: []byte("1")}}},
		kmsg{topic: "in", value: "v2", ts: kafkaBase.Add(time.Second)},
	)
	// in → out, through the sink, keeping key, value and headers; the
	// second row goes to the "side" topic through the topic column.
	src := stream.NewKafkaSource(&stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"in"}, StartingOffsets: "earliest", IncludeHeaders: true})
	sink := stream.NewKafkaSink(&stream.KafkaSinkOptions{Brokers: brokers, Topic: "out"})
	defer sink.Close()
	p := stream.From(src).Select("key", "value", "headers", "CASE WHEN key IS NULL THEN 'side' ELSE NULL END AS topic")
	require.NoError(t, runToEnd(t, p, sink, &stream.Options{Checkpoint: filepath.Join(t.TempDir(), "ck1"), Trigger: stream.AvailableNow(), Allocator: mem}))

	type row struct {
		key, value, topic string
		ts                time.Time
		tsType            int32
		headers           string
	}
	var got []row
	read := stream.NewKafkaSource(&stream.KafkaSourceOptions{Brokers: brokers, TopicPattern: "out|side", StartingOffsets: "earliest", IncludeHeaders: true})
	err := runToEnd(t, stream.From(read), stream.ForeachBatch(func(_ context.Context, b *stream.Batch) error {
		for _, rec := range b.Records {
			key, value := rec.Column(0).(*array.Binary), rec.Column(1).(*array.Binary)
			topic, ts := rec.Column(2).(*array.String), rec.Column(5).(*array.Timestamp)
			for i := range int(rec.NumRows()) {
				k := "<null>"
				if key.IsValid(i) {
					k = string(key.Value(i))
				}
				got = append(got, row{k, string(value.Value(i)), topic.Value(i), ts.Value(i).ToTime(arrow.Microsecond),
					rec.Column(6).(*array.Int32).Value(i), rec.Column(7).ValueStr(i)})
			}
		}
		return nil
	}), &stream.Options{Checkpoint: filepath.Join(t.TempDir(), "ck2"), Trigger: stream.AvailableNow(), Allocator: mem})
	require.NoError(t, err)
	require.Len(t, got, 2)
	sort.Slice(got, func(i, j int) bool { return got[i].value < got[j].value })
	assert.Equal(t, "k1", got[0].key)
	assert.Equal(t, "out", got[0].topic)
	assert.Equal(t, `[{"key":"h","value":"MQ=="}]`, got[0].headers)
	assert.Equal(t, "<null>", got[1].key)
	assert.Equal(t, "side", got[1].topic)
	assert.Equal(t, "[]", got[1].headers)
	for _, r := range got {
		assert.Equal(t, int32(0), r.tsType, "create time")
		assert.WithinDuration(t, time.Now(), r.ts, time.Minute, "the sink's records are stamped when produced")
	}
}

// stringRecord is a one-column batch of strings.
func stringRecord(t testing.TB, mem memory.Allocator, name string, values []string) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.BinaryTypes.String}}, nil))
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(values, nil)
	return b.NewRecordBatch()
}

// Records a planned batch must read but retention deleted fail the batch
// (Spark's failOnDataLoss), or are skipped with AllowDataLoss.
func TestKafkaSourceDataLoss(t *testing.T) {
	cases := []struct {
		name    string
		allow   bool
		want    []string
		wantErr error
	}{
		{name: "fails by default", wantErr: stream.ErrDataLoss},
		{name: "allowed: what is left", allow: true, want: []string{"a/0/0=a0-0", "a/0/1=a0-1", "a/0/4=a0-4", "a/0/5=a0-5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			brokers := seedKafka(t)
			ck := filepath.Join(t.TempDir(), "ck")
			opts := &stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"a"}, StartingOffsets: `{"a":{"1":-1}}`, MaxOffsetsPerTrigger: 2, AllowDataLoss: tc.allow}
			var c kafkaCollector
			// Batch 0 (offsets 0 and 1) commits; batch 1 is planned (2 to
			// 4) and fails in the sink, as a crash would.
			err := runToEnd(t, stream.From(stream.NewKafkaSource(opts)), &failingSink{Sink: &kindAs{Sink: c.sink(), kind: "k"}, failAt: 1},
				&stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Allocator: mem})
			require.ErrorIs(t, err, errCrash)
			cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
			require.NoError(t, err)
			defer cl.Close()
			var del kadm.Offsets
			del.AddOffset("a", 0, 4, -1)
			resp, err := kadm.NewClient(cl).DeleteRecords(context.Background(), del)
			require.NoError(t, err)
			require.NoError(t, resp.Error())
			err = runToEnd(t, stream.From(stream.NewKafkaSource(opts)), &kindAs{Sink: c.sink(), kind: "k"},
				&stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Allocator: mem})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.all())
		})
	}
}

// A batch larger than one record chunk is decoded in parallel chunks and
// still comes out in topic, partition, offset order, every record once.
func TestKafkaSourceLargeBatchOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	brokers := fakeKafka(t, map[string]int32{"big": 3})
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	defer cl.Close()
	const n = 40_000
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: "big", Partition: int32(i % 3), Value: fmt.Appendf(nil, `{"id":%d}`, i)}
	}
	require.NoError(t, cl.ProduceSync(context.Background(), recs...).FirstErr())
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	var ids []int64
	var parts []int32
	var chunks int
	err = runToEnd(t, stream.From(stream.NewKafkaSource(&stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"big"}, StartingOffsets: "earliest", ValueSchema: schema})),
		stream.ForeachBatch(func(_ context.Context, b *stream.Batch) error {
			for _, rec := range b.Records {
				chunks++
				id, part := rec.Column(1).(*array.Int64), rec.Column(3).(*array.Int32)
				for i := range int(rec.NumRows()) {
					ids = append(ids, id.Value(i))
					parts = append(parts, part.Value(i))
				}
			}
			return nil
		}), &stream.Options{Checkpoint: filepath.Join(t.TempDir(), "ck"), Trigger: stream.Once(), Allocator: mem})
	require.NoError(t, err)
	require.Len(t, ids, n)
	assert.Greater(t, chunks, 1, "decoded in more than one chunk")
	// Partition p holds ids p, p+3, …: sorted by partition, then offset.
	// Partition 0 has 13,334 of the 40,000, the others 13,333 each.
	assert.Equal(t, []int64{0, 1, 2, 39999, 39997, 39998}, []int64{ids[0], ids[13334], ids[26667], ids[13333], ids[26666], ids[n-1]})
	assert.True(t, sort.SliceIsSorted(parts, func(i, j int) bool { return parts[i] < parts[j] }), "partitions in order")
	for i := 1; i < n; i++ {
		if parts[i] == parts[i-1] {
			require.Equal(t, ids[i-1]+3, ids[i], "offsets in order within partition %d", parts[i])
		}
	}
}

func TestKafkaSinkColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	brokers := fakeKafka(t, map[string]int32{"out": 3})
	build := func(fields []arrow.Field, fill func(b *array.RecordBuilder)) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
		defer b.Release()
		fill(b)
		return b.NewRecordBatch()
	}
	value := arrow.Field{Name: "value", Type: arrow.BinaryTypes.String}
	cases := []struct {
		name    string
		topic   string
		fields  []arrow.Field
		fill    func(b *array.RecordBuilder)
		want    []string // topic/partition/offset=value read back
		wantErr error
	}{
		{name: "partition column routes rows", topic: "out",
			fields: []arrow.Field{value, {Name: "partition", Type: arrow.PrimitiveTypes.Int32}},
			fill: func(b *array.RecordBuilder) {
				b.Field(0).(*array.StringBuilder).AppendValues([]string{"x", "y", "z"}, nil)
				b.Field(1).(*array.Int32Builder).AppendValues([]int32{2, 2, 1}, nil)
			},
			want: []string{"out/1/0=z", "out/2/0=x", "out/2/1=y"}},
		{name: "no value column", topic: "out",
			fields:  []arrow.Field{{Name: "key", Type: arrow.BinaryTypes.String}},
			fill:    func(b *array.RecordBuilder) { b.Field(0).(*array.StringBuilder).Append("k") },
			wantErr: stream.ErrInvalidArgument},
		{name: "no topic anywhere",
			fields:  []arrow.Field{value},
			fill:    func(b *array.RecordBuilder) { b.Field(0).(*array.StringBuilder).Append("v") },
			wantErr: stream.ErrInvalidArgument},
		{name: "value of another type", topic: "out",
			fields:  []arrow.Field{{Name: "value", Type: arrow.PrimitiveTypes.Int64}},
			fill:    func(b *array.RecordBuilder) { b.Field(0).(*array.Int64Builder).Append(1) },
			wantErr: stream.ErrInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := build(tc.fields, tc.fill)
			defer rec.Release()
			sink := stream.NewKafkaSink(&stream.KafkaSinkOptions{Brokers: brokers, Topic: tc.topic})
			defer sink.Close()
			err := sink.AddBatch(context.Background(), &stream.Batch{ID: 0, QueryID: "q", Schema: rec.Schema(), Records: []arrow.RecordBatch{rec}})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			var c kafkaCollector
			require.NoError(t, runToEnd(t, stream.From(stream.NewKafkaSource(&stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{"out"}, StartingOffsets: "earliest"})),
				c.sink(), &stream.Options{Checkpoint: filepath.Join(t.TempDir(), "ck"), Trigger: stream.AvailableNow(), Allocator: mem}))
			assert.Equal(t, tc.want, c.all())
		})
	}
}
