package stream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaSinkOptions configure a KafkaSink. Brokers is required.
type KafkaSinkOptions struct {
	// Brokers are the bootstrap servers ("host:port").
	Brokers []string
	// Topic is where rows without a topic column (or with a null topic)
	// go; without it every row needs a topic.
	Topic string
	// ClientOptions are extra franz-go options (TLS, SASL, acks, …).
	ClientOptions []kgo.Opt
}

// KafkaSink writes each row of a batch as one Kafka record, with the
// columns of Spark's Kafka sink: value (binary or string, required), key
// (binary or string), topic (string), partition (int32) and headers
// (list<struct<key string, value binary>>); other columns are ignored.
// A row with a partition goes to that partition, others are hashed by
// key as Kafka's default partitioner does.
//
// Like Spark's Kafka sink it is at-least-once: AddBatch returns only
// after every record was acknowledged, so a committed batch is in Kafka,
// but a batch re-run after a crash between the produce and the
// checkpoint's commits/N is written again. franz-go's idempotent producer
// removes duplicates from retries within one run, not across runs; make
// consumers idempotent (for example by the key) when that matters.
type KafkaSink struct {
	opts KafkaSinkOptions

	mu sync.Mutex
	cl *kgo.Client
}

// NewKafkaSink returns a sink producing to Kafka.
func NewKafkaSink(opts *KafkaSinkOptions) *KafkaSink {
	s := &KafkaSink{}
	if opts != nil {
		s.opts = *opts
	}
	return s
}

// Kind implements Sink.
func (s *KafkaSink) Kind() string { return "kafka" }

// String describes the sink in Progress.Sink.
func (s *KafkaSink) String() string { return "KafkaSink[" + s.opts.Topic + "]" }

// Close closes the producer.
func (s *KafkaSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cl != nil {
		s.cl.Close()
		s.cl = nil
	}
	return nil
}

// AddBatch implements Sink.
func (s *KafkaSink) AddBatch(ctx context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Schema == nil {
		return nil
	}
	if b.Mode != Append {
		return fmt.Errorf("%w: the Kafka sink writes Append output only", ErrInvalidArgument)
	}
	if len(s.opts.Brokers) == 0 {
		return fmt.Errorf("%w: kafka sink needs Brokers", ErrInvalidArgument)
	}
	if s.cl == nil {
		opts := append([]kgo.Opt{kgo.SeedBrokers(s.opts.Brokers...), kgo.RecordPartitioner(kgo.BasicConsistentPartitioner(kafkaPartitioner))}, s.opts.ClientOptions...)
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return fmt.Errorf("%w: kafka client: %v", ErrInvalidArgument, err)
		}
		s.cl = cl
	}
	var (
		wg   sync.WaitGroup
		emu  sync.Mutex
		perr error
	)
	done := func(_ *kgo.Record, err error) {
		if err != nil {
			emu.Lock()
			perr = errors.Join(perr, err)
			emu.Unlock()
		}
		wg.Done()
	}
	for _, rec := range b.Records {
		rows, err := kafkaRows(rec, s.opts.Topic)
		if err != nil {
			wg.Wait()
			return err
		}
		for _, r := range rows {
			wg.Add(1)
			s.cl.Produce(ctx, r, done)
		}
	}
	wg.Wait()
	if perr != nil {
		return fmt.Errorf("stream: kafka sink batch %d: %w", b.ID, perr)
	}
	return nil
}

// manualPartition marks records whose partition column was set.
type manualPartition struct{}

// kafkaPartitioner sends records with a partition column to it and
// hashes the others by key with Kafka's murmur2 (round robin for a nil
// key).
func kafkaPartitioner(topic string) func(r *kgo.Record, n int) int {
	hash := kgo.StickyKeyPartitioner(nil).ForTopic(topic)
	var next atomic.Uint64
	return func(r *kgo.Record, n int) int {
		if r.Context != nil {
			if _, ok := r.Context.Value(manualPartition{}).(bool); ok {
				return int(r.Partition)
			}
		}
		if r.Key == nil {
			return int(next.Add(1) % uint64(n))
		}
		return hash.Partition(r, n)
	}
}

func kafkaRows(rec arrow.RecordBatch, defTopic string) ([]*kgo.Record, error) {
	col := func(name string) arrow.Array {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil
		}
		return rec.Column(idx[0])
	}
	value := col("value")
	if value == nil {
		return nil, fmt.Errorf("%w: the Kafka sink needs a value column", ErrInvalidArgument)
	}
	key, topic, part, headers := col("key"), col("topic"), col("partition"), col("headers")
	bytesAt := func(a arrow.Array, i int, what string) ([]byte, error) {
		if a == nil || a.IsNull(i) {
			return nil, nil
		}
		switch c := a.(type) {
		case *array.Binary:
			return append([]byte(nil), c.Value(i)...), nil
		case *array.String:
			return []byte(c.Value(i)), nil
		case *array.LargeBinary:
			return append([]byte(nil), c.Value(i)...), nil
		case *array.LargeString:
			return []byte(c.Value(i)), nil
		}
		return nil, fmt.Errorf("%w: the Kafka sink's %s column must be binary or string, not %s", ErrInvalidArgument, what, a.DataType())
	}
	var topics *array.String
	if topic != nil {
		t, ok := topic.(*array.String)
		if !ok {
			return nil, fmt.Errorf("%w: the Kafka sink's topic column must be a string", ErrInvalidArgument)
		}
		topics = t
	}
	var parts *array.Int32
	if part != nil {
		p, ok := part.(*array.Int32)
		if !ok {
			return nil, fmt.Errorf("%w: the Kafka sink's partition column must be int", ErrInvalidArgument)
		}
		parts = p
	}
	var hdrs *array.List
	if headers != nil {
		h, ok := headers.(*array.List)
		if !ok {
			return nil, fmt.Errorf("%w: the Kafka sink's headers column must be a list of (key, value) structs", ErrInvalidArgument)
		}
		hdrs = h
	}
	out := make([]*kgo.Record, 0, rec.NumRows())
	for i := range int(rec.NumRows()) {
		r := &kgo.Record{Topic: defTopic}
		var err error
		if r.Value, err = bytesAt(value, i, "value"); err != nil {
			return nil, err
		}
		if r.Key, err = bytesAt(key, i, "key"); err != nil {
			return nil, err
		}
		if topics != nil && topics.IsValid(i) {
			r.Topic = topics.Value(i)
		}
		if r.Topic == "" {
			return nil, fmt.Errorf("%w: a row has no topic and the Kafka sink has no Topic option", ErrInvalidArgument)
		}
		if parts != nil && parts.IsValid(i) {
			r.Partition = parts.Value(i)
			r.Context = context.WithValue(context.Background(), manualPartition{}, true)
		}
		if hdrs != nil && hdrs.IsValid(i) {
			st, ok := hdrs.ListValues().(*array.Struct)
			if !ok || st.NumField() < 2 {
				return nil, fmt.Errorf("%w: the Kafka sink's headers column must be a list of (key, value) structs", ErrInvalidArgument)
			}
			from, to := hdrs.ValueOffsets(i)
			for j := int(from); j < int(to); j++ {
				k, err := bytesAt(st.Field(0), j, "header key")
				if err != nil {
					return nil, err
				}
				v, err := bytesAt(st.Field(1), j, "header value")
				if err != nil {
					return nil, err
				}
				r.Headers = append(r.Headers, kgo.RecordHeader{Key: string(k), Value: v})
			}
		}
		out = append(out, r)
	}
	return out, nil
}
