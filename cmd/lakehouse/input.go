package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	arrowcsv "github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// inputBatchRows is the batch size input is decoded in.
const inputBatchRows = 64 * 1024

// readInput decodes data (jsonl, csv or parquet) into Arrow batches. When
// schema is nil the schema is inferred from the data; otherwise the data
// is read with it (jsonl and csv), and keys or columns it lacks are an
// error so nothing is dropped silently.
func readInput(ctx context.Context, data []byte, format string, schema *arrow.Schema, mem memory.Allocator) (array.RecordReader, error) {
	switch format {
	case "jsonl", "json", "ndjson":
		return readJSONL(data, schema, mem)
	case "csv":
		return readCSV(data, schema, mem)
	case "parquet":
		return readParquet(ctx, data, mem)
	}
	return nil, usagef("--format %q: use jsonl, csv or parquet", format)
}

func readParquet(ctx context.Context, data []byte, mem memory.Allocator) (array.RecordReader, error) {
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("parquet input: %w", err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: inputBatchRows}, mem)
	if err != nil {
		return nil, fmt.Errorf("parquet input: %w", err)
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("parquet input: %w", err)
	}
	return rr, nil
}

func readJSONL(data []byte, schema *arrow.Schema, mem memory.Allocator) (array.RecordReader, error) {
	inf := newInferrer()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for line := 1; ; line++ {
		row, err := decodeOrdered(dec)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("jsonl input, record %d: %w", line, err)
		}
		obj, ok := row.(*orderedObject)
		if !ok {
			return nil, fmt.Errorf("jsonl input, record %d: not a JSON object", line)
		}
		inf.observeObject(obj)
	}
	if schema == nil {
		if len(inf.order) == 0 {
			return nil, fmt.Errorf("jsonl input has no fields to infer a schema from")
		}
		schema = arrow.NewSchema(inf.fields(), nil)
	} else if err := checkKnownColumns(inf.order, schema); err != nil {
		return nil, err
	}
	rdr := array.NewJSONReader(bytes.NewReader(data), schema, array.WithAllocator(mem), array.WithChunk(inputBatchRows))
	return rdr, nil
}

func checkKnownColumns(cols []string, schema *arrow.Schema) error {
	var unknown []string
	for _, c := range cols {
		found := false
		for _, f := range schema.Fields() {
			if strings.EqualFold(f.Name, c) {
				found = true
			}
		}
		if !found {
			unknown = append(unknown, c)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("input has columns the table lacks: %s (add --merge-schema to add them)", strings.Join(unknown, ", "))
	}
	return nil
}

func readCSV(data []byte, schema *arrow.Schema, mem memory.Allocator) (array.RecordReader, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("csv input: reading the header: %w", err)
	}
	if schema == nil {
		kinds := make([]kind, len(header))
		for {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("csv input: %w", err)
			}
			for i, v := range rec {
				if i < len(kinds) && v != "" {
					kinds[i] = kinds[i].merge(classifyCell(v))
				}
			}
		}
		fields := make([]arrow.Field, len(header))
		for i, h := range header {
			fields[i] = arrow.Field{Name: h, Type: kinds[i].arrowType(), Nullable: true}
		}
		schema = arrow.NewSchema(fields, nil)
	} else {
		if err := checkKnownColumns(header, schema); err != nil {
			return nil, err
		}
		// Read the file's columns in file order with the table's types.
		fields := make([]arrow.Field, len(header))
		for i, h := range header {
			for _, f := range schema.Fields() {
				if strings.EqualFold(f.Name, h) {
					fields[i] = f
				}
			}
		}
		schema = arrow.NewSchema(fields, nil)
	}
	return arrowcsv.NewReader(bytes.NewReader(data), schema, arrowcsv.WithHeader(true),
		arrowcsv.WithNullReader(true, ""), arrowcsv.WithAllocator(mem), arrowcsv.WithChunk(inputBatchRows)), nil
}

// kind is an inferred column type; merging widens.
type kind int

const (
	kNone kind = iota
	kBool
	kInt
	kFloat
	kDate
	kTimestamp
	kString
	kObject
	kList
)

func (a kind) merge(b kind) kind {
	switch {
	case a == kNone:
		return b
	case b == kNone || a == b:
		return a
	case (a == kInt && b == kFloat) || (a == kFloat && b == kInt):
		return kFloat
	}
	return kString
}

func (a kind) arrowType() arrow.DataType {
	switch a {
	case kBool:
		return arrow.FixedWidthTypes.Boolean
	case kInt:
		return arrow.PrimitiveTypes.Int64
	case kFloat:
		return arrow.PrimitiveTypes.Float64
	case kDate:
		return arrow.FixedWidthTypes.Date32
	case kTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	return arrow.BinaryTypes.String
}

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// classifyString infers the type of a CSV cell or JSON string.
func classifyString(s string) kind {
	if dateRe.MatchString(s) {
		if _, err := time.Parse("2006-01-02", s); err == nil {
			return kDate
		}
	}
	if len(s) >= 20 && s[4] == '-' && (s[10] == 'T' || s[10] == ' ') {
		if _, err := time.Parse(time.RFC3339Nano, strings.Replace(s, " ", "T", 1)); err == nil {
			return kTimestamp
		}
	}
	return kString
}

// classifyCell adds numbers and booleans, which JSON types itself.
func classifyCell(s string) kind {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return kInt
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return kFloat
	}
	if s == "true" || s == "false" {
		return kBool
	}
	return classifyString(s)
}

// inferrer accumulates the type of every JSON key, recursively.
type inferrer struct {
	order []string
	kinds map[string]kind
	sub   map[string]*inferrer // objects
	elem  map[string]*inferrer // list elements, under key ""
}

func newInferrer() *inferrer {
	return &inferrer{kinds: map[string]kind{}, sub: map[string]*inferrer{}, elem: map[string]*inferrer{}}
}

func (in *inferrer) observeObject(row *orderedObject) {
	for i, k := range row.keys {
		in.observe(k, row.vals[i])
	}
}

// orderedObject is a JSON object with its keys in document order, so the
// inferred schema follows the input's column order.
type orderedObject struct {
	keys []string
	vals []any
}

// decodeOrdered reads one JSON value, objects as *orderedObject.
func decodeOrdered(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			obj := &orderedObject{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				obj.keys = append(obj.keys, k)
				obj.vals = append(obj.vals, v)
			}
			_, err := dec.Token()
			return obj, err
		case '[':
			var list []any
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			_, err := dec.Token()
			return list, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	}
	return tok, nil
}

func (in *inferrer) observe(k string, v any) {
	if _, ok := in.kinds[k]; !ok {
		in.order = append(in.order, k)
		in.kinds[k] = kNone
	}
	var kd kind
	switch x := v.(type) {
	case nil:
		return
	case bool:
		kd = kBool
	case json.Number:
		if _, err := x.Int64(); err == nil {
			kd = kInt
		} else {
			kd = kFloat
		}
	case string:
		kd = classifyString(x)
	case *orderedObject:
		kd = kObject
		if in.sub[k] == nil {
			in.sub[k] = newInferrer()
		}
		in.sub[k].observeObject(x)
	case []any:
		kd = kList
		if in.elem[k] == nil {
			in.elem[k] = newInferrer()
		}
		for _, e := range x {
			in.elem[k].observe("element", e)
		}
	}
	in.kinds[k] = in.kinds[k].merge(kd)
}

func (in *inferrer) fields() []arrow.Field {
	out := make([]arrow.Field, 0, len(in.order))
	for _, k := range in.order {
		out = append(out, arrow.Field{Name: k, Type: in.typeOf(k), Nullable: true})
	}
	return out
}

func (in *inferrer) typeOf(k string) arrow.DataType {
	switch in.kinds[k] {
	case kObject:
		if s := in.sub[k]; s != nil && len(s.order) > 0 {
			return arrow.StructOf(s.fields()...)
		}
	case kList:
		if e := in.elem[k]; e != nil && len(e.order) > 0 {
			return arrow.ListOf(e.typeOf("element"))
		}
		return arrow.ListOf(arrow.BinaryTypes.String)
	}
	return in.kinds[k].arrowType()
}
