// Command stream-kafka ingests a Kafka topic of JSON events into a bronze
// Delta table, exactly once, printing each micro-batch's progress.
//
//	go run ./examples/stream-kafka                      # no setup: an in-process Kafka fake
//	go run ./examples/stream-kafka -brokers 127.0.0.1:9092 -topic events -table ./bronze -checkpoint ./bronze-ck
//
// Without -brokers it starts franz-go's in-process Kafka fake, fills the
// topic with -events demo events and drains it; the table and checkpoint
// then default to a new temporary directory, since the fake forgets its
// records when the command exits. With -brokers it drains what the topic
// holds now (Trigger AvailableNow), or keeps polling with -continuous until
// interrupted. Either way a run that is killed and restarted with the same
// checkpoint writes every event exactly once: offsets live in the
// checkpoint, and each batch commits to the table with its txn id.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lakehouse-go/lakehouse/stream"
)

// config is the command line.
type config struct {
	brokers    string
	topic      string
	table      string
	checkpoint string
	events     int
	maxOffsets int64
	continuous bool
}

// eventSchema is what the JSON values are decoded into; anything else
// lands in _rescued_data.
var eventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "user", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
}, nil)

func main() {
	var c config
	flag.StringVar(&c.brokers, "brokers", "", "Kafka bootstrap servers, comma separated (default: start an in-process fake)")
	flag.StringVar(&c.topic, "topic", "events", "topic of JSON events")
	flag.StringVar(&c.table, "table", "", "bronze Delta table (default: a new temporary directory with the fake)")
	flag.StringVar(&c.checkpoint, "checkpoint", "", "checkpoint directory (default: beside the table)")
	flag.IntVar(&c.events, "events", 10_000, "demo events the fake broker is filled with")
	flag.Int64Var(&c.maxOffsets, "max-offsets", 2_500, "maxOffsetsPerTrigger: events per batch")
	flag.BoolVar(&c.continuous, "continuous", false, "keep polling for new events until interrupted")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, c, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// progress prints one line per batch.
type progress struct{ out io.Writer }

func (p progress) OnStarted(id, runID string) {
	fmt.Fprintf(p.out, "query %s started (run %s)\n", id, runID)
}

func (p progress) OnProgress(pr *stream.Progress) {
	fmt.Fprintf(p.out, "batch %d: %d events, %.0f events/s, %d ms, offsets %s\n",
		pr.BatchID, pr.NumInputRows, pr.ProcessedRowsPerSecond, pr.DurationMs["triggerExecution"], endOffset(pr))
}

func (p progress) OnTerminated(_, _ string, err error) {
	if err != nil && !errors.Is(err, stream.ErrStopped) {
		fmt.Fprintf(p.out, "query failed: %v\n", err)
	}
}

func endOffset(pr *stream.Progress) string {
	if len(pr.Sources) == 0 {
		return "-"
	}
	return string(pr.Sources[0].EndOffset)
}

func run(ctx context.Context, c config, out io.Writer) error {
	var brokers []string
	if c.brokers == "" {
		fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, c.topic))
		if err != nil {
			return fmt.Errorf("stream-kafka: start the Kafka fake: %w", err)
		}
		defer fake.Close()
		brokers = fake.ListenAddrs()
		fmt.Fprintf(out, "no -brokers: in-process Kafka fake at %s\n", strings.Join(brokers, ","))
		if err := produceDemo(ctx, brokers, c.topic, 0, c.events); err != nil {
			return err
		}
		fmt.Fprintf(out, "produced %d demo events to %q\n", c.events, c.topic)
		if c.table == "" {
			dir, err := os.MkdirTemp("", "stream-kafka-")
			if err != nil {
				return err
			}
			c.table = filepath.Join(dir, "bronze")
		}
	} else {
		brokers = strings.Split(c.brokers, ",")
	}
	if c.table == "" {
		return errors.New("stream-kafka: -table is required with -brokers")
	}
	if c.checkpoint == "" {
		c.checkpoint = c.table + "-checkpoint"
	}
	src := stream.NewKafkaSource(&stream.KafkaSourceOptions{
		Brokers:              brokers,
		Topics:               []string{c.topic},
		StartingOffsets:      "earliest",
		MaxOffsetsPerTrigger: c.maxOffsets,
		ValueSchema:          eventSchema,
		RescuedDataColumn:    "_rescued_data",
	})
	sink := stream.NewDeltaSink(c.table, &stream.DeltaSinkOptions{PartitionBy: []string{"partition"}})
	defer sink.Close()
	trigger := stream.AvailableNow()
	if c.continuous {
		trigger = stream.ProcessingTime(time.Second)
	}
	q, err := stream.From(src).
		Select("id", "user", "amount", "ts", "_rescued_data", "topic", "partition", "offset", "timestamp AS ingested_at").
		Start(ctx, sink, &stream.Options{
			Checkpoint: c.checkpoint,
			Trigger:    trigger,
			Listener:   progress{out},
			Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
	if err != nil {
		return err
	}
	err = q.AwaitTermination(ctx)
	if errors.Is(err, context.Canceled) || errors.Is(err, stream.ErrStopped) {
		err = nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "bronze table %s, checkpoint %s\n", c.table, c.checkpoint)
	return nil
}

// produceDemo writes n events with ids from first on, spread over the
// topic's partitions by key.
func produceDemo(ctx context.Context, brokers []string, topic string, first, n int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		return err
	}
	defer cl.Close()
	base := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	recs := make([]*kgo.Record, 0, n)
	for i := first; i < first+n; i++ {
		v := fmt.Sprintf(`{"id":%d,"user":"u%d","amount":%d.5,"ts":"%s"}`, i, i%100, i%97, base.Add(time.Duration(i)*time.Second).Format(time.RFC3339))
		if i%1000 == 999 {
			v = fmt.Sprintf(`{"id":%d,"user":"u%d","amount":"n/a"}`, i, i%100) // rescued
		}
		recs = append(recs, &kgo.Record{Key: fmt.Appendf(nil, "u%d", i%100), Value: []byte(v)})
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("stream-kafka: produce demo events: %w", err)
	}
	return nil
}
