package stream_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
	"github.com/lakehouse-go/lakehouse/stream"
)

// realKafka returns the brokers of the real Kafka that scripts/services.sh
// starts, with a fresh topic of the given partitions.
func realKafka(t *testing.T, partitions int32) ([]string, string) {
	t.Helper()
	env := os.Getenv("LAKEHOUSE_KAFKA_BROKERS")
	if env == "" {
		prereq.Missing(t, "no real Kafka broker: LAKEHOUSE_KAFKA_BROKERS is unset; run bash .ci/setup.d/kafka.sh, then source scripts/services.sh")
	}
	brokers := strings.Split(env, ",")
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	require.NoError(t, err)
	defer cl.Close()
	topic := fmt.Sprintf("lakehouse-test-%d", time.Now().UnixNano())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic)
	require.NoError(t, err)
	return brokers, topic
}

// The Kafka source and sink against a real broker: JSON events produced
// by the sink are read by the source in rate-limited batches into a Delta
// table, every event exactly once.
func TestKafkaRealBroker(t *testing.T) {
	brokers, topic := realKafka(t, 3)
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()

	const n = 1000
	var values []string
	for i := range n {
		values = append(values, fmt.Sprintf(`{"id":%d,"name":"n%d"}`, i, i))
	}
	sink := stream.NewKafkaSink(&stream.KafkaSinkOptions{Brokers: brokers, Topic: topic})
	defer sink.Close()
	rec := stringRecord(t, mem, "value", values)
	defer rec.Release()
	require.NoError(t, sink.AddBatch(context.Background(), &stream.Batch{ID: 0, QueryID: "q", Schema: rec.Schema(), Records: []arrow.RecordBatch{rec}}))

	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	src := stream.NewKafkaSource(&stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{topic}, StartingOffsets: "earliest",
		MaxOffsetsPerTrigger: 300, ValueSchema: schema})
	rec2 := &recorder{}
	out := filepath.Join(dir, "out")
	delta := stream.NewDeltaSink(out, nil)
	defer delta.Close()
	require.NoError(t, runToEnd(t, stream.From(src).Select("id", "name", "partition"), delta, &stream.Options{
		Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Allocator: mem, Listener: rec2}))
	assert.Equal(t, seq(0, n-1), tableInts(t, out, "id"))
	require.Len(t, rec2.progress, 4, "1000 events at 300 per trigger")
	for _, p := range rec2.progress {
		assert.LessOrEqual(t, p.NumInputRows, int64(300))
	}
}
