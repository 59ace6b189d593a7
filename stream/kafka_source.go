package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// KafkaSourceOptions configure a KafkaSource. Brokers and exactly one of
// Topics and TopicPattern are required.
type KafkaSourceOptions struct {
	// Brokers are the bootstrap servers ("host:port").
	Brokers []string
	// Topics subscribes to these topics (Spark's subscribe).
	Topics []string
	// TopicPattern subscribes to every non-internal topic whose whole
	// name matches this regular expression (Spark's subscribePattern);
	// topics created later are picked up by the next batch.
	TopicPattern string
	// StartingOffsets is where a new query starts: "latest" (the
	// default, as Spark), "earliest", or per partition as Spark's JSON
	// {"topic":{"0":23,"1":-2}}, where -2 means earliest and -1 latest;
	// partitions it does not name start at earliest. It only applies to
	// a checkpoint without offsets: a restart resumes where it stopped.
	StartingOffsets string
	// StartingTimestamp, when non-zero, starts every partition at its
	// first record whose timestamp is at or after this Unix millisecond
	// (Spark's startingTimestamp); a partition without one starts at its
	// end. It takes precedence over StartingOffsets.
	StartingTimestamp int64
	// StartingOffsetsByTimestamp does the same per partition, as Spark's
	// JSON {"topic":{"0":1700000000000}}; partitions it does not name
	// start at earliest. It takes precedence over StartingOffsets.
	StartingOffsetsByTimestamp string
	// MaxOffsetsPerTrigger caps the records of one batch, split across
	// partitions in proportion to their backlog as Spark does (0: no
	// cap). Trigger Once ignores it.
	MaxOffsetsPerTrigger int64
	// IncludeHeaders adds the headers column (Spark's includeHeaders).
	IncludeHeaders bool
	// ValueSchema, when set, decodes each value as a JSON object into
	// these columns, which replace the value column. Fields that do not
	// fit their type and values that are not JSON objects go to
	// RescuedDataColumn, and so do unknown fields; without one, unknown
	// fields are dropped (as from_json does) and the rest fails the batch
	// with ErrMalformedRecord.
	ValueSchema *arrow.Schema
	// RescuedDataColumn names a string column collecting, as a JSON
	// object, what did not fit ValueSchema (a value that is not a JSON
	// object is kept whole under "value"). Empty means no such column.
	RescuedDataColumn string
	// AllowDataLoss reads on when records a batch should hold are gone
	// (deleted by retention, or the topic was re-created): the batch
	// takes what is left. By default such a batch fails with
	// ErrDataLoss, as Spark's failOnDataLoss=true does.
	AllowDataLoss bool
	// ClientOptions are extra franz-go options (TLS, SASL, …) for the
	// source's clients.
	ClientOptions []kgo.Opt
}

// KafkaSource reads Kafka topics with Spark's Kafka source semantics.
// Offsets are Spark's JSON, {"topic":{"partition":nextOffset}}, kept in
// the query's checkpoint and never in a consumer group: a batch is, for
// every partition, the records from the start offset (inclusive) to the
// end offset (exclusive), fetched partition by partition with a direct
// client, so a re-run batch reads exactly the same records (unless the
// broker deleted them meanwhile). The initial offsets are resolved once
// and kept in the source's checkpoint directory, so a query restarted
// before its first batch committed starts from the same place even with
// "latest". Partitions that appear later (new partitions, new topics
// matching TopicPattern) are read from their earliest offset.
//
// Rows come sorted by topic, partition and offset with the columns key
// and value (binary), topic (string), partition (int32), offset (int64),
// timestamp (timestamp[us, UTC]), timestampType (int32: 0 create time,
// 1 log append time) and, with IncludeHeaders, headers
// (list<struct<key string, value binary>>).
type KafkaSource struct {
	opts    KafkaSourceOptions
	pattern *regexp.Regexp

	cl      *kgo.Client
	adm     *kadm.Client
	meta    *MetaDir
	mem     memory.Allocator
	initial kafkaOffsets
	capEnd  kafkaOffsets // AvailableNow: the end offsets at start
}

// kafkaOffsets maps topic → partition → the next offset to read.
type kafkaOffsets map[string]map[int32]int64

// NewKafkaSource returns a Kafka source; Open checks the options.
func NewKafkaSource(opts *KafkaSourceOptions) *KafkaSource {
	s := &KafkaSource{}
	if opts != nil {
		s.opts = *opts
	}
	return s
}

// Kind implements Source.
func (s *KafkaSource) Kind() string { return "kafka" }

// String describes the source in Progress.Sources.
func (s *KafkaSource) String() string {
	if s.opts.TopicPattern != "" {
		return "KafkaV2[SubscribePattern[" + s.opts.TopicPattern + "]]"
	}
	return "KafkaV2[Subscribe[" + strings.Join(s.opts.Topics, ",") + "]]"
}

// Open implements Source: it checks the options, connects and resolves
// (or reloads) the initial offsets.
func (s *KafkaSource) Open(ctx context.Context, env *SourceEnv) error {
	o := &s.opts
	if len(o.Brokers) == 0 {
		return fmt.Errorf("%w: kafka source needs Brokers", ErrInvalidArgument)
	}
	if (len(o.Topics) == 0) == (o.TopicPattern == "") {
		return fmt.Errorf("%w: kafka source needs exactly one of Topics and TopicPattern", ErrInvalidArgument)
	}
	if o.TopicPattern != "" {
		re, err := regexp.Compile("^(?:" + o.TopicPattern + ")$")
		if err != nil {
			return fmt.Errorf("%w: kafka topic pattern: %v", ErrInvalidArgument, err)
		}
		s.pattern = re
	}
	if o.MaxOffsetsPerTrigger < 0 {
		return fmt.Errorf("%w: MaxOffsetsPerTrigger %d", ErrInvalidArgument, o.MaxOffsetsPerTrigger)
	}
	if o.RescuedDataColumn != "" && o.ValueSchema == nil {
		return fmt.Errorf("%w: RescuedDataColumn needs a ValueSchema", ErrInvalidArgument)
	}
	s.mem, s.meta = env.Allocator, env.Meta
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(o.Brokers...)}, o.ClientOptions...)...)
	if err != nil {
		return fmt.Errorf("%w: kafka client: %v", ErrInvalidArgument, err)
	}
	s.cl, s.adm = cl, kadm.NewClient(cl)
	if err := s.loadInitial(ctx); err != nil {
		s.cl.Close()
		s.cl = nil
		return err
	}
	return nil
}

// Close implements Source.
func (s *KafkaSource) Close() error {
	if s.cl != nil {
		s.cl.Close()
		s.cl = nil
	}
	return nil
}

// initialName is the checkpoint object holding the initial offsets, as
// Spark keeps them in sources/<i>/0.
const initialName = "0"

func (s *KafkaSource) loadInitial(ctx context.Context) error {
	data, err := s.meta.Get(ctx, initialName)
	if err == nil {
		s.initial, err = parseInitial(data)
		return err
	}
	if !errors.Is(err, storage.ErrNotExist) {
		return err
	}
	init, err := s.resolveStart(ctx)
	if err != nil {
		return err
	}
	body, err := json.Marshal(init)
	if err != nil {
		return err
	}
	if err := s.meta.PutIfAbsent(ctx, initialName, append([]byte(formatVersion+"\n"), body...)); err != nil {
		if !errors.Is(err, storage.ErrExist) {
			return fmt.Errorf("stream: write kafka initial offsets: %w", err)
		}
		if data, err = s.meta.Get(ctx, initialName); err != nil {
			return err
		}
		s.initial, err = parseInitial(data)
		return err
	}
	s.initial = init
	return nil
}

func parseInitial(data []byte) (kafkaOffsets, error) {
	v, body, ok := bytes.Cut(data, []byte("\n"))
	if !ok || string(v) != formatVersion {
		return nil, fmt.Errorf("%w: kafka initial offsets have no v1 header", ErrCorruptCheckpoint)
	}
	var o kafkaOffsets
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, fmt.Errorf("%w: kafka initial offsets: %v", ErrCorruptCheckpoint, err)
	}
	return o, nil
}

// topics lists the subscribed topics that exist now.
func (s *KafkaSource) topics(ctx context.Context) ([]string, error) {
	if s.pattern == nil {
		return s.opts.Topics, nil
	}
	all, err := s.adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("stream: kafka list topics: %w", err)
	}
	var out []string
	for name, d := range all {
		if !d.IsInternal && d.Err == nil && s.pattern.MatchString(name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

// list turns listed offsets into kafkaOffsets, failing on any error.
func listed(l kadm.ListedOffsets, err error, what string) (kafkaOffsets, error) {
	if err != nil {
		return nil, fmt.Errorf("stream: kafka list %s offsets: %w", what, err)
	}
	out := kafkaOffsets{}
	for t, ps := range l {
		for p, o := range ps {
			if p < 0 {
				continue // kadm's marker for a topic that does not exist
			}
			if o.Err != nil {
				return nil, fmt.Errorf("stream: kafka list %s offsets of %s/%d: %w", what, t, p, o.Err)
			}
			if out[t] == nil {
				out[t] = map[int32]int64{}
			}
			out[t][p] = o.Offset
		}
	}
	return out, nil
}

func (s *KafkaSource) earliest(ctx context.Context, topics []string) (kafkaOffsets, error) {
	if len(topics) == 0 {
		return kafkaOffsets{}, nil
	}
	l, err := s.adm.ListStartOffsets(ctx, topics...)
	return listed(l, err, "earliest")
}

func (s *KafkaSource) latest(ctx context.Context, topics []string) (kafkaOffsets, error) {
	if len(topics) == 0 {
		return kafkaOffsets{}, nil
	}
	l, err := s.adm.ListEndOffsets(ctx, topics...)
	return listed(l, err, "latest")
}

func (s *KafkaSource) afterMilli(ctx context.Context, ms int64, topics []string) (kafkaOffsets, error) {
	if len(topics) == 0 {
		return kafkaOffsets{}, nil
	}
	l, err := s.adm.ListOffsetsAfterMilli(ctx, ms, topics...)
	return listed(l, err, "by timestamp")
}

// resolveStart turns the starting options into concrete offsets.
func (s *KafkaSource) resolveStart(ctx context.Context) (kafkaOffsets, error) {
	topics, err := s.topics(ctx)
	if err != nil {
		return nil, err
	}
	o := s.opts
	switch {
	case o.StartingTimestamp != 0:
		return s.afterMilli(ctx, o.StartingTimestamp, topics)
	case o.StartingOffsetsByTimestamp != "":
		var spec map[string]map[string]int64
		if err := json.Unmarshal([]byte(o.StartingOffsetsByTimestamp), &spec); err != nil {
			return nil, fmt.Errorf("%w: StartingOffsetsByTimestamp: %v", ErrInvalidArgument, err)
		}
		out, err := s.earliest(ctx, topics)
		if err != nil {
			return nil, err
		}
		for t, ps := range spec {
			for p, ms := range ps {
				part, err := partitionOf(t, p)
				if err != nil {
					return nil, err
				}
				at, err := s.afterMilli(ctx, ms, []string{t})
				if err != nil {
					return nil, err
				}
				off, ok := at[t][part]
				if !ok {
					return nil, fmt.Errorf("%w: StartingOffsetsByTimestamp names %s/%d, which does not exist", ErrInvalidArgument, t, part)
				}
				out[t][part] = off
			}
		}
		return out, nil
	case o.StartingOffsets == "" || o.StartingOffsets == "latest":
		return s.latest(ctx, topics)
	case o.StartingOffsets == "earliest":
		return s.earliest(ctx, topics)
	}
	var spec map[string]map[string]int64
	if err := json.Unmarshal([]byte(o.StartingOffsets), &spec); err != nil {
		return nil, fmt.Errorf("%w: StartingOffsets must be earliest, latest or JSON: %v", ErrInvalidArgument, err)
	}
	out, err := s.earliest(ctx, topics)
	if err != nil {
		return nil, err
	}
	ends, err := s.latest(ctx, topics)
	if err != nil {
		return nil, err
	}
	for t, ps := range spec {
		for p, off := range ps {
			part, err := partitionOf(t, p)
			if err != nil {
				return nil, err
			}
			if _, ok := out[t][part]; !ok {
				return nil, fmt.Errorf("%w: StartingOffsets names %s/%d, which does not exist", ErrInvalidArgument, t, part)
			}
			switch off {
			case -2: // earliest, already there
			case -1:
				out[t][part] = ends[t][part]
			default:
				if off < 0 {
					return nil, fmt.Errorf("%w: StartingOffsets %s/%d: offset %d", ErrInvalidArgument, t, part, off)
				}
				out[t][part] = off
			}
		}
	}
	return out, nil
}

func partitionOf(topic, p string) (int32, error) {
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: partition %q of topic %s", ErrInvalidArgument, p, topic)
	}
	return int32(n), nil
}

// PrepareAvailableNow implements AvailableNowSource: batches stop at the
// end offsets of this moment.
func (s *KafkaSource) PrepareAvailableNow(ctx context.Context) error {
	topics, err := s.topics(ctx)
	if err != nil {
		return err
	}
	s.capEnd, err = s.latest(ctx, topics)
	return err
}

func (s *KafkaSource) parseOffset(o Offset) (kafkaOffsets, error) {
	if o == nil {
		return s.initial, nil
	}
	var k kafkaOffsets
	if err := json.Unmarshal(o, &k); err != nil {
		return nil, &IncompatibleCheckpointError{Reason: "kafka source offset: " + err.Error()}
	}
	return k, nil
}

// LatestOffset implements Source.
func (s *KafkaSource) LatestOffset(ctx context.Context, start Offset, limit Limit) (Offset, error) {
	from, err := s.parseOffset(start)
	if err != nil {
		return nil, err
	}
	topics, err := s.topics(ctx)
	if err != nil {
		return nil, err
	}
	until := s.capEnd
	if until == nil {
		if until, err = s.latest(ctx, topics); err != nil {
			return nil, err
		}
	}
	// Partitions the start does not know begin at their earliest offset.
	var begin kafkaOffsets
	for t, ps := range until {
		for p := range ps {
			if _, ok := from[t][p]; ok {
				continue
			}
			if begin == nil {
				if begin, err = s.earliest(ctx, slices.Collect(maps.Keys(until))); err != nil {
					return nil, err
				}
			}
			break
		}
	}
	type span struct {
		t    string
		p    int32
		a, b int64
	}
	var spans []span
	var total int64
	for t, ps := range until {
		for p, b := range ps {
			a, ok := from[t][p]
			if !ok {
				a = begin[t][p]
			}
			b = max(a, b)
			spans = append(spans, span{t, p, a, b})
			total += b - a
		}
	}
	if total == 0 {
		// Nothing new; nil tells the engine there is no first batch yet.
		return start, nil
	}
	end := kafkaOffsets{}
	for t, ps := range from { // partitions that vanished keep their offsets
		end[t] = maps.Clone(ps)
	}
	maxN := s.opts.MaxOffsetsPerTrigger
	for _, sp := range spans {
		b := sp.b
		if limit != LimitAll && maxN > 0 && total > maxN {
			// Each partition gets its share of the cap, as Spark's
			// rate limit does: rounded down, but at least one record
			// for a partition whose share is below one.
			share := float64(maxN) * float64(sp.b-sp.a) / float64(total)
			if share < 1 {
				share = math.Ceil(share)
			} else {
				share = math.Floor(share)
			}
			b = min(sp.b, sp.a+int64(share))
		}
		if end[sp.t] == nil {
			end[sp.t] = map[int32]int64{}
		}
		end[sp.t][sp.p] = b
	}
	return json.Marshal(end)
}

// Read implements Source: it fetches, for each partition, the records
// from start (inclusive) to end (exclusive).
func (s *KafkaSource) Read(ctx context.Context, start, end Offset) (array.RecordReader, error) {
	from, err := s.parseOffset(start)
	if err != nil {
		return nil, err
	}
	to, err := s.parseOffset(end)
	if err != nil {
		return nil, err
	}
	want := map[string]map[int32]kgo.Offset{}
	ranges := map[string]map[int32][2]int64{}
	// The log's bounds now tell whether the range is still all there;
	// reading a range that is not would skip records or wait forever.
	topics := slices.Collect(maps.Keys(to))
	begin, err := s.earliest(ctx, topics)
	if err != nil {
		return nil, err
	}
	ends, err := s.latest(ctx, topics)
	if err != nil {
		return nil, err
	}
	for t, ps := range to {
		for p, b := range ps {
			a, ok := from[t][p]
			if !ok {
				a = begin[t][p]
			}
			if b <= a {
				continue
			}
			lo, hasLo := begin[t][p]
			hi := ends[t][p]
			if !hasLo || lo > a || hi < b {
				if !s.opts.AllowDataLoss {
					return nil, fmt.Errorf("%w: %s/%d: the batch reads offsets %d to %d, the log now holds %d to %d", ErrDataLoss, t, p, a, b, lo, hi)
				}
				a, b = max(a, lo), min(b, hi)
				if !hasLo || b <= a {
					continue
				}
			}
			if want[t] == nil {
				want[t], ranges[t] = map[int32]kgo.Offset{}, map[int32][2]int64{}
			}
			want[t][p] = kgo.NewOffset().At(a)
			ranges[t][p] = [2]int64{a, b}
		}
	}
	recs, err := s.fetch(ctx, want, ranges)
	if err != nil {
		return nil, err
	}
	return s.toArrow(recs)
}

// fetch consumes the ranges with a client of its own, assigned to the
// partitions directly (no consumer group), and returns the records in
// topic, partition, offset order.
func (s *KafkaSource) fetch(ctx context.Context, want map[string]map[int32]kgo.Offset, ranges map[string]map[int32][2]int64) ([]*kgo.Record, error) {
	if len(want) == 0 {
		return nil, nil
	}
	opts := append([]kgo.Opt{kgo.SeedBrokers(s.opts.Brokers...), kgo.ConsumePartitions(want), kgo.KeepControlRecords()}, s.opts.ClientOptions...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: kafka client: %v", ErrInvalidArgument, err)
	}
	defer cl.Close()
	type key struct {
		t string
		p int32
	}
	next := map[key]int64{}
	byPart := map[key][]*kgo.Record{}
	left := 0
	for t, ps := range ranges {
		for p, r := range ps {
			next[key{t, p}] = r[0]
			left++
		}
	}
	for left > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, fe := range fs.Errors() {
			return nil, fmt.Errorf("stream: kafka fetch %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			k := key{r.Topic, r.Partition}
			rg, ok := ranges[r.Topic][r.Partition]
			n, open := next[k]
			if !ok || !open || r.Offset < n {
				return
			}
			if r.Offset < rg[1] && !r.Attrs.IsControl() {
				byPart[k] = append(byPart[k], r)
			}
			next[k] = r.Offset + 1
			// Offsets may have gaps (compaction, transaction markers
			// are kept so the last offset is seen): a partition is done
			// once a record at or past its last offset arrived.
			if r.Offset >= rg[1]-1 {
				delete(next, k)
				left--
				cl.PauseFetchPartitions(map[string][]int32{r.Topic: {r.Partition}})
			}
		})
	}
	keys := slices.Collect(maps.Keys(byPart))
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].t != keys[j].t {
			return keys[i].t < keys[j].t
		}
		return keys[i].p < keys[j].p
	})
	var out []*kgo.Record
	for _, k := range keys {
		out = append(out, byPart[k]...)
	}
	return out, nil
}
