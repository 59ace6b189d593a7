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
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/stream"
)

// BenchmarkKafkaToDelta measures end-to-end ingestion from Kafka: 200,000
// JSON events in a 3-partition topic, decoded into (id, user, amount, ts)
// and written to a Delta table exactly once (txn per batch), 50,000
// events per batch (maxOffsetsPerTrigger), Trigger AvailableNow, a fresh
// checkpoint and table each run. It uses the real broker at
// LAKEHOUSE_KAFKA_BROKERS (scripts/services.sh starts one) and kfake
// otherwise. It reports events/s and ms per batch.
func BenchmarkKafkaToDelta(b *testing.B) {
	const events, perBatch = 200_000, 50_000
	var brokers []string
	if env := os.Getenv("LAKEHOUSE_KAFKA_BROKERS"); env != "" {
		brokers = strings.Split(env, ",")
		b.Logf("real broker at %s", env)
	} else {
		brokers = fakeKafka(b, nil)
		b.Logf("no LAKEHOUSE_KAFKA_BROKERS: kfake in process")
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerBatchMaxBytes(1<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	ctx := context.Background()
	topic := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 1, nil, topic); err != nil {
		b.Fatal(err)
	}
	recs := make([]*kgo.Record, 0, events)
	for id := range events {
		v := fmt.Sprintf(`{"id":%d,"user":"u%d","amount":%d.5,"ts":"2026-01-01T10:%02d:%02dZ"}`, id, id%1000, id%97, (id/60)%60, id%60)
		recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "u%d", id%1000), Value: []byte(v)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	b.Logf("topic %s (bench/stream/spark_kafka.py reads it as BENCH_TOPIC)", topic)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "user", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	}, nil)
	dir := b.TempDir()
	var batches int
	var batchMs int64
	b.ResetTimer()
	for n := range b.N {
		run := filepath.Join(dir, fmt.Sprint(n))
		rec := &recorder{}
		src := stream.NewKafkaSource(&stream.KafkaSourceOptions{Brokers: brokers, Topics: []string{topic}, StartingOffsets: "earliest",
			MaxOffsetsPerTrigger: perBatch, ValueSchema: schema})
		sink := stream.NewDeltaSink(filepath.Join(run, "out"), &stream.DeltaSinkOptions{Table: &delta.Options{NoSync: true}})
		if err := runToEnd(b, stream.From(src).Select("id", "user", "amount", "ts", "partition", "offset"), sink,
			&stream.Options{Checkpoint: filepath.Join(run, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Listener: rec}); err != nil {
			b.Fatal(err)
		}
		sink.Close()
		var rows int64
		for _, p := range rec.progress {
			batches++
			batchMs += p.BatchDuration
			rows += p.NumInputRows
		}
		if rows != events {
			b.Fatalf("read %d events, want %d", rows, events)
		}
	}
	elapsed := b.Elapsed()
	b.ReportMetric(float64(events*b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(float64(batchMs)/float64(batches), "ms/batch")
}
