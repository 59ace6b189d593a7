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
