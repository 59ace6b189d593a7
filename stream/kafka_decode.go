package stream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kafkaRowsPerRecord bounds the rows of one arrow.RecordBatch the source
// returns, so a large batch is not one huge allocation.
const kafkaRowsPerRecord = 64 << 10

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

// toArrow turns fetched records into batches of Schema.
func (s *KafkaSource) toArrow(recs []*kgo.Record) (array.RecordReader, error) {
	schema := s.Schema()
	b := array.NewRecordBuilder(s.mem, schema)
	defer b.Release()
	var out []arrow.RecordBatch
	release := func() {
		for _, r := range out {
			r.Release()
		}
	}
	nValue := 1
	if vs := s.opts.ValueSchema; vs != nil {
		nValue = vs.NumFields()
		if s.opts.RescuedDataColumn != "" {
			nValue++
		}
	}
	meta := 1 + nValue
	rows := 0
	for _, r := range recs {
		kb := b.Field(0).(*array.BinaryBuilder)
		if r.Key == nil {
			kb.AppendNull()
		} else {
			kb.Append(r.Key)
		}
		if s.opts.ValueSchema == nil {
			vb := b.Field(1).(*array.BinaryBuilder)
			if r.Value == nil {
				vb.AppendNull()
			} else {
				vb.Append(r.Value)
			}
		} else if err := s.decodeValue(b, r); err != nil {
			release()
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
		if rows++; rows == kafkaRowsPerRecord {
			out = append(out, b.NewRecordBatch())
			rows = 0
		}
	}
	if rows > 0 || len(out) == 0 {
		out = append(out, b.NewRecordBatch())
	}
	defer release()
	return array.NewRecordReader(schema, out)
}

// decodeValue appends the value's JSON fields to the ValueSchema columns
// (from column 1 on) and what does not fit to the rescued data column.
func (s *KafkaSource) decodeValue(b *array.RecordBuilder, r *kgo.Record) error {
	vs := s.opts.ValueSchema
	rescueCol := s.opts.RescuedDataColumn
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
	var rescued map[string]any
	keep := func(k string, v any) error {
		if rescueCol == "" {
			return fmt.Errorf("%w: %s/%d offset %d: field %q does not fit the value schema", ErrMalformedRecord, r.Topic, r.Partition, r.Offset, k)
		}
		if rescued == nil {
			rescued = map[string]any{}
		}
		rescued[k] = v
		return nil
	}
	filled := make([]bool, vs.NumFields())
	for k, v := range obj {
		idx := vs.FieldIndices(k)
		i := -1
		if len(idx) > 0 {
			i = idx[0]
		} else {
			for j, f := range vs.Fields() {
				if strings.EqualFold(f.Name, k) {
					i = j
					break
				}
			}
		}
		if i < 0 || filled[i] {
			if rescueCol == "" {
				continue // unknown fields are dropped, as from_json does
			}
			if err := keep(k, v); err != nil {
				return err
			}
			continue
		}
		filled[i] = true
		if !appendValue(b.Field(1+i), vs.Field(i).Type, v) {
			b.Field(1 + i).AppendNull()
			if err := keep(k, v); err != nil {
				return err
			}
		}
	}
	for i, f := range filled {
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
