package stream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaRowsPerRecord bounds the rows of one arrow.RecordBatch the source
// returns, so a large batch is not one huge allocation.
const kafkaRowsPerRecord = 16 << 10

// kafkaHeaderType is Spark's headers column type.
var kafkaHeaderType = arrow.ListOf(arrow.StructOf(
	arrow.Field{Name: "key", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "value", Type: arrow.BinaryTypes.Binary, Nullable: true},
))

// Schema is the source's output schema: Spark's Kafka columns, with the
// ValueSchema's columns (and the rescued data column) in place of value
// when one is given.
func (s *KafkaSource) Schema() *arrow.Schema {
	fields := []arrow.Field{{Name: "key", Type: arrow.BinaryTypes.Binary, Nullable: true}}
	if s.opts.ValueSchema != nil {
		fields = append(fields, s.opts.ValueSchema.Fields()...)
		if s.opts.RescuedDataColumn != "" {
			fields = append(fields, arrow.Field{Name: s.opts.RescuedDataColumn, Type: arrow.BinaryTypes.String, Nullable: true})
		}
	} else {
		fields = append(fields, arrow.Field{Name: "value", Type: arrow.BinaryTypes.Binary, Nullable: true})
	}
	fields = append(fields,
		arrow.Field{Name: "topic", Type: arrow.BinaryTypes.String},
		arrow.Field{Name: "partition", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "offset", Type: arrow.PrimitiveTypes.Int64},
		arrow.Field{Name: "timestamp", Type: arrow.FixedWidthTypes.Timestamp_us},
		arrow.Field{Name: "timestampType", Type: arrow.PrimitiveTypes.Int32},
	)
	if s.opts.IncludeHeaders {
		fields = append(fields, arrow.Field{Name: "headers", Type: kafkaHeaderType, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

// toArrow turns fetched records into batches of Schema. Chunks of
// kafkaRowsPerRecord rows are built in parallel (JSON decoding dominates
// the source's cost) and kept in record order.
func (s *KafkaSource) toArrow(recs []*kgo.Record) (array.RecordReader, error) {
	schema := s.Schema()
	n := max(1, (len(recs)+kafkaRowsPerRecord-1)/kafkaRowsPerRecord)
	out := make([]arrow.RecordBatch, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i := range n {
		chunk := recs[i*kafkaRowsPerRecord : min(len(recs), (i+1)*kafkaRowsPerRecord)]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i], errs[i] = s.buildChunk(schema, chunk)
		}()
	}
	wg.Wait()
	defer func() {
		for _, r := range out {
			if r != nil {
				r.Release()
			}
		}
	}()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return array.NewRecordReader(schema, out)
}

func (s *KafkaSource) buildChunk(schema *arrow.Schema, recs []*kgo.Record) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(s.mem, schema)
	defer b.Release()
	b.Reserve(len(recs))
	nValue := 1
	var dec *valueDecoder
	if vs := s.opts.ValueSchema; vs != nil {
		nValue = vs.NumFields()
		if s.opts.RescuedDataColumn != "" {
			nValue++
		}
		dec = newValueDecoder(vs, s.opts.RescuedDataColumn)
	}
	meta := 1 + nValue
	for _, r := range recs {
		kb := b.Field(0).(*array.BinaryBuilder)
		if r.Key == nil {
			kb.AppendNull()
		} else {
			kb.Append(r.Key)
		}
		if dec == nil {
			vb := b.Field(1).(*array.BinaryBuilder)
			if r.Value == nil {
				vb.AppendNull()
			} else {
				vb.Append(r.Value)
			}
		} else if err := dec.decode(b, r); err != nil {
			return nil, err
		}
		b.Field(meta).(*array.StringBuilder).Append(r.Topic)
		b.Field(meta + 1).(*array.Int32Builder).Append(r.Partition)
		b.Field(meta + 2).(*array.Int64Builder).Append(r.Offset)
		b.Field(meta + 3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.Timestamp.UnixMicro()))
		b.Field(meta + 4).(*array.Int32Builder).Append(int32(r.Attrs.TimestampType()))
		if s.opts.IncludeHeaders {
			lb := b.Field(meta + 5).(*array.ListBuilder)
			lb.Append(true)
			sb := lb.ValueBuilder().(*array.StructBuilder)
			for _, h := range r.Headers {
				sb.Append(true)
				sb.FieldBuilder(0).(*array.StringBuilder).Append(h.Key)
				hv := sb.FieldBuilder(1).(*array.BinaryBuilder)
				if h.Value == nil {
					hv.AppendNull()
				} else {
					hv.Append(h.Value)
				}
			}
		}
	}
	return b.NewRecordBatch(), nil
}

// valueDecoder decodes JSON values into the ValueSchema columns (from
// column 1 on) and the rescued data column. One per goroutine.
type valueDecoder struct {
	vs        *arrow.Schema
	rescueCol string
	index     map[string]int
	filled    []bool
}

func newValueDecoder(vs *arrow.Schema, rescueCol string) *valueDecoder {
	d := &valueDecoder{vs: vs, rescueCol: rescueCol, index: map[string]int{}, filled: make([]bool, vs.NumFields())}
	for i, f := range vs.Fields() {
		d.index[f.Name] = i
	}
	return d
}

func (d *valueDecoder) field(k string) int {
	if i, ok := d.index[k]; ok {
		return i
	}
	for j, f := range d.vs.Fields() {
		if strings.EqualFold(f.Name, k) {
			return j
		}
	}
	return -1
}

// decode appends one record's value. Flat objects (the common case) are
// scanned without building a map; anything else goes through
// encoding/json, which also words the errors.
func (d *valueDecoder) decode(b *array.RecordBuilder, r *kgo.Record) error {
	vs, rescueCol := d.vs, d.rescueCol
	clear(d.filled)
	var rescued map[string]any
	var failed error
	set := func(k string, v any) {
		if failed != nil {
			return
		}
		i := d.field(k)
		if i >= 0 && !d.filled[i] {
			d.filled[i] = true
			if appendValue(b.Field(1+i), vs.Field(i).Type, v) {
				return
			}
			b.Field(1 + i).AppendNull()
		} else if rescueCol == "" {
			return // unknown fields are dropped, as from_json does
		}
		if rescueCol == "" {
			failed = fmt.Errorf("%w: %s/%d offset %d: field %q does not fit the value schema", ErrMalformedRecord, r.Topic, r.Partition, r.Offset, k)
			return
		}
		if rescued == nil {
			rescued = map[string]any{}
		}
		rescued[k] = v
	}
	if !scanFlatObject(r.Value, func(k []byte, v any) { set(string(k), v) }) {
		// Not flat: undo nothing (the scan appends only once it has
		// read the whole object) and decode the general way.
		var obj map[string]any
		dec := json.NewDecoder(bytes.NewReader(r.Value))
		dec.UseNumber()
		err := dec.Decode(&obj)
		if err == nil && obj == nil {
			err = fmt.Errorf("not a JSON object")
		}
		if err == nil && dec.More() {
			err = fmt.Errorf("trailing data after the JSON object")
		}
		if err != nil {
			if rescueCol == "" {
				return fmt.Errorf("%w: %s/%d offset %d: %v", ErrMalformedRecord, r.Topic, r.Partition, r.Offset, err)
			}
			for i := range vs.NumFields() {
				b.Field(1 + i).AppendNull()
			}
			text, _ := json.Marshal(map[string]string{"value": string(r.Value)})
			b.Field(1 + vs.NumFields()).(*array.StringBuilder).Append(string(text))
			return nil
		}
		for k, v := range obj {
			set(k, v)
		}
	}
	if failed != nil {
		return failed
	}
	for i, f := range d.filled {
		if !f {
			b.Field(1 + i).AppendNull()
		}
	}
	if rescueCol != "" {
		rb := b.Field(1 + vs.NumFields()).(*array.StringBuilder)
		if rescued == nil {
			rb.AppendNull()
		} else {
			text, err := json.Marshal(rescued)
			if err != nil {
				return err
			}
			rb.Append(string(text))
		}
	}
	return nil
}
