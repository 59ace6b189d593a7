package stream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// row is one input record: its keys in input order (nil for JSON, whose
// keys are unordered) and their values
// (json.Number, string, bool, nil, nested JSON values, or Go values read
// from Parquet).
type row struct {
	keys []string
	vals map[string]any
	// corrupt is the text of a JSON line that did not parse: the row is
	// all NULLs, with the text in the rescued data column.
	corrupt string
}

// corruptRecordKey is the key under which the rescued data column keeps
// a malformed line, Spark's name for the corrupt record column.
const corruptRecordKey = "_corrupt_record"

// each yields the row's keys and values, in input order where known.
func (r row) each() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		if r.keys == nil {
			for k, v := range r.vals {
				if !yield(k, v) {
					return
				}
			}
			return
		}
		for _, k := range r.keys {
			if !yield(k, r.vals[k]) {
				return
			}
		}
	}
}

// decode turns one file into a batch of the source's output schema and
// reports the columns it has that the schema lacks.
func (s *FilesSource) decode(ctx context.Context, path string, data []byte) (arrow.RecordBatch, []arrow.Field, error) {
	var rows []row
	var err error
	switch s.opts.Format {
	case "json":
		err = eachJSONObject(data, func(_ int, obj map[string]any) error {
			rows = append(rows, row{vals: obj})
			return nil
		}, func(line int, text string) error {
			if s.rescueCol == "" {
				return fmt.Errorf("%w: line %d is not a JSON object; a rescued data column keeps such lines", ErrMalformedRecord, line)
			}
			rows = append(rows, row{corrupt: text})
			return nil
		})
	case "csv":
		var header []string
		var cells [][]string
		header, cells, err = readCSVAll(data)
		for _, c := range cells {
			r := row{keys: header, vals: map[string]any{}}
			for j, h := range header {
				if j < len(c) && c[j] != "" {
					r.vals[h] = c[j]
				} else {
					r.vals[h] = nil
				}
			}
			rows = append(rows, r)
		}
	case "parquet":
		rows, err = parquetRows(ctx, data, s.mem)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("stream: decode %s: %w", path, err)
	}
	out := s.outSchema()
	index := map[string]int{}
	for i, f := range s.schema.Fields() {
		index[strings.ToLower(f.Name)] = i
	}
	inf := newInferrer(s.opts.InferColumnTypes || s.opts.Format == "parquet")
	b := array.NewRecordBuilder(s.mem, out)
	defer b.Release()
	rescue := s.rescueCol != ""
	for _, r := range rows {
		filled := make([]bool, len(s.schema.Fields()))
		var rescued map[string]any
		keep := func(k string, v any) {
			if !rescue {
				return
			}
			if rescued == nil {
				rescued = map[string]any{}
			}
			rescued[k] = v
		}
		if r.corrupt != "" {
			keep(corruptRecordKey, r.corrupt)
		}
		for k, v := range r.each() {
			i, ok := index[strings.ToLower(k)]
			if !ok || k == s.rescueCol {
				if k == s.rescueCol {
					continue
				}
				if s.opts.Format == "parquet" {
					inf.see(k, parquetValueType(v))
				} else if s.opts.Format == "csv" {
					str, _ := v.(string)
					inf.see(k, inf.textType(str))
				} else {
					inf.see(k, inf.jsonType(v))
				}
				keep(k, v)
				continue
			}
			if filled[i] {
				continue
			}
			filled[i] = true
			if !appendValue(b.Field(i), s.schema.Field(i).Type, v) {
				b.Field(i).AppendNull()
				keep(k, v)
			}
		}
		for i, f := range filled {
			if !f {
				b.Field(i).AppendNull()
			}
		}
		if rescue {
			rb := b.Field(len(s.schema.Fields())).(*array.StringBuilder)
			if rescued == nil {
				rb.AppendNull()
			} else {
				rescued["_file_path"] = path
				text, err := json.Marshal(rescued)
				if err != nil {
					return nil, nil, err
				}
				rb.Append(string(text))
			}
		}
	}
	if s.opts.Format == "json" {
		sort.Strings(inf.order) // map order is random; Spark sorts JSON columns
	}
	var newCols []arrow.Field
	for _, n := range inf.order {
		t := inf.fields[n]
		if t.ID() == arrow.NULL {
			t = arrow.BinaryTypes.String
		}
		newCols = append(newCols, arrow.Field{Name: n, Type: t, Nullable: true})
	}
	return b.NewRecordBatch(), newCols, nil
}

func parquetValueType(v any) arrow.DataType {
	switch v.(type) {
	case bool:
		return arrow.FixedWidthTypes.Boolean
	case int8, int16, int32, int64, uint8, uint16, uint32, uint64:
		return arrow.PrimitiveTypes.Int64
	case float32, float64:
		return arrow.PrimitiveTypes.Float64
	}
	return arrow.BinaryTypes.String
}

// parquetRows reads a Parquet file as rows of Go values.
func parquetRows(ctx context.Context, data []byte, mem interface {
	Allocate(int) []byte
	Reallocate(int, []byte) []byte
	Free([]byte)
}) ([]row, error) {
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, mem)
	if err != nil {
		return nil, err
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var rows []row
	names := make([]string, rr.Schema().NumFields())
	for i, f := range rr.Schema().Fields() {
		names[i] = f.Name
	}
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			r := row{keys: names, vals: map[string]any{}}
			for j, col := range rec.Columns() {
				if col.IsNull(i) {
					r.vals[names[j]] = nil
					continue
				}
				switch c := col.(type) {
				case *array.Timestamp:
					unit := c.DataType().(*arrow.TimestampType).Unit
					r.vals[names[j]] = c.Value(i).ToTime(unit).UTC().Format(time.RFC3339Nano)
				default:
					r.vals[names[j]] = col.GetOneForMarshal(i)
				}
			}
			rows = append(rows, r)
		}
	}
	if err := rr.Err(); err != nil && err.Error() != "EOF" {
		return nil, err
	}
	return rows, nil
}

// appendValue appends v converted to t; false when it does not fit (the
// caller appends a null and rescues v).
func appendValue(b array.Builder, t arrow.DataType, v any) bool {
	if v == nil {
		b.AppendNull()
		return true
	}
	switch bb := b.(type) {
	case *array.StringBuilder:
		switch x := v.(type) {
		case string:
			bb.Append(x)
		case json.Number:
			bb.Append(x.String())
		default:
			text, err := json.Marshal(x)
			if err != nil {
				return false
			}
			bb.Append(string(text))
		}
		return true
	case *array.BooleanBuilder:
		switch x := v.(type) {
		case bool:
			bb.Append(x)
			return true
		case string:
			p, err := strconv.ParseBool(x)
			if err != nil {
				return false
			}
			bb.Append(p)
			return true
		}
		return false
	case *array.Int64Builder:
		n, ok := toInt(v, math.MinInt64, math.MaxInt64)
		if ok {
			bb.Append(n)
		}
		return ok
	case *array.Int32Builder:
		n, ok := toInt(v, math.MinInt32, math.MaxInt32)
		if ok {
			bb.Append(int32(n))
		}
		return ok
	case *array.Int16Builder:
		n, ok := toInt(v, math.MinInt16, math.MaxInt16)
		if ok {
			bb.Append(int16(n))
		}
		return ok
	case *array.Int8Builder:
		n, ok := toInt(v, math.MinInt8, math.MaxInt8)
		if ok {
			bb.Append(int8(n))
		}
		return ok
	case *array.Float64Builder:
		f, ok := toFloat(v)
		if ok {
			bb.Append(f)
		}
		return ok
	case *array.Float32Builder:
		f, ok := toFloat(v)
		if ok {
			bb.Append(float32(f))
		}
		return ok
	case *array.Date32Builder:
		s, ok := v.(string)
		if !ok {
			return false
		}
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return false
		}
		bb.Append(arrow.Date32FromTime(d))
		return true
	case *array.TimestampBuilder:
		s, ok := v.(string)
		if !ok {
			return false
		}
		ts, ok := parseTimestamp(s)
		if !ok {
			return false
		}
		unit := t.(*arrow.TimestampType).Unit
		at, err := arrow.TimestampFromTime(ts, unit)
		if err != nil {
			return false
		}
		bb.Append(at)
		return true
	case *array.Decimal128Builder:
		dt := t.(*arrow.Decimal128Type)
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case json.Number:
			text = x.String()
		default:
			return false
		}
		d, err := decimal128.FromString(text, dt.Precision, dt.Scale)
		if err != nil {
			return false
		}
		bb.Append(d)
		return true
	}
	return false
}

func toInt(v any, lo, hi int64) (int64, bool) {
	var n int64
	switch x := v.(type) {
	case json.Number:
		p, err := x.Int64()
		if err != nil {
			return 0, false
		}
		n = p
	case string:
		p, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, false
		}
		n = p
	case int64:
		n = x
	case int32:
		n = int64(x)
	case int16:
		n = int64(x)
	case int8:
		n = int64(x)
	case int:
		n = int64(x)
	default:
		return 0, false
	}
	return n, n >= lo && n <= hi
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	}
	return 0, false
}

var timestampLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"}

func parseTimestamp(s string) (time.Time, bool) {
	for _, l := range timestampLayouts {
		if ts, err := time.Parse(l, s); err == nil {
			return ts.UTC(), true
		}
	}
	return time.Time{}, false
}
