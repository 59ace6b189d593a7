package stream

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// inferSampleFiles is how many files schema inference reads at most.
const inferSampleFiles = 1000

// schemaLog versions the inferred schema in Auto Loader's layout:
// <location>/_schemas/<n>, each "v1" then the schema as Spark's JSON.
type schemaLog struct {
	dir   *MetaDir
	close func() error
	last  int64
}

func (l *schemaLog) latest(ctx context.Context) (*arrow.Schema, error) {
	names, err := l.dir.List(ctx, "")
	if err != nil {
		return nil, err
	}
	l.last = -1
	for _, n := range names {
		if id, err := strconv.ParseInt(n, 10, 64); err == nil {
			l.last = max(l.last, id)
		}
	}
	if l.last < 0 {
		return nil, nil
	}
	data, err := l.dir.Get(ctx, strconv.FormatInt(l.last, 10))
	if err != nil {
		return nil, err
	}
	head, body, _ := bytes.Cut(data, []byte("\n"))
	if string(head) != formatVersion {
		return nil, fmt.Errorf("%w: schema %d has no v1 header", ErrCorruptCheckpoint, l.last)
	}
	schema, err := delta.ParseSchemaJSON(string(bytes.TrimSpace(body)))
	if err != nil {
		return nil, fmt.Errorf("%w: schema %d: %v", ErrCorruptCheckpoint, l.last, err)
	}
	return schema, nil
}

func (l *schemaLog) write(ctx context.Context, schema *arrow.Schema) error {
	text, err := schemaJSON(schema)
	if err != nil {
		return err
	}
	next := l.last + 1
	if err := l.dir.PutIfAbsent(ctx, strconv.FormatInt(next, 10), []byte(formatVersion+"\n"+text)); err != nil && !errors.Is(err, storage.ErrExist) {
		return fmt.Errorf("stream: write schema %d: %w", next, err)
	}
	l.last = next
	return nil
}

// loadSchema sets s.schema: the given one, the latest in the schema
// location, or one inferred from the files present now (then recorded).
func (s *FilesSource) loadSchema(ctx context.Context) error {
	if s.opts.Schema != nil {
		s.schema = s.opts.Schema
		return nil
	}
	s.schemas = &schemaLog{dir: s.meta.Sub("_schemas"), close: func() error { return nil }}
	if loc := s.opts.SchemaLocation; loc != "" {
		st, err := storage.Open(ctx, loc, nil)
		if err != nil {
			return fmt.Errorf("stream: open schema location: %w", err)
		}
		s.schemas = &schemaLog{dir: (&MetaDir{store: st}).Sub("_schemas"), close: st.Close}
	}
	schema, err := s.schemas.latest(ctx)
	if err != nil {
		return err
	}
	if schema == nil {
		files, err := s.list(ctx)
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("%w: no files in %s to infer a schema from (give a Schema)", ErrInvalidArgument, s.url)
		}
		inf := newInferrer(s.opts.InferColumnTypes)
		for i, f := range files {
			if i == inferSampleFiles {
				break
			}
			data, err := s.store.Get(ctx, f.Path)
			if err != nil {
				return fmt.Errorf("stream: read %s: %w", f.Path, err)
			}
			if err := inf.observe(s.opts.Format, data); err != nil {
				return fmt.Errorf("stream: infer schema from %s: %w", f.Path, err)
			}
		}
		if schema, err = inf.schema(s.opts.SchemaHints, s.rescueCol); err != nil {
			return err
		}
		if err := s.schemas.write(ctx, schema); err != nil {
			return err
		}
	}
	s.schema = schema
	return nil
}

// inferrer accumulates column types across sample files.
type inferrer struct {
	types    bool
	order    []string
	fields   map[string]arrow.DataType
	parquet  bool
	fromFile map[string]bool
}

func newInferrer(types bool) *inferrer {
	return &inferrer{types: types, fields: map[string]arrow.DataType{}}
}

func (in *inferrer) see(name string, t arrow.DataType) {
	old, ok := in.fields[name]
	if !ok {
		in.order = append(in.order, name)
		in.fields[name] = t
		return
	}
	in.fields[name] = widen(old, t)
}

// widen is the common type of two inferred types: long and double make
// double; anything else that differs makes string; null gives way.
func widen(a, b arrow.DataType) arrow.DataType {
	switch {
	case arrow.TypeEqual(a, b):
		return a
	case a.ID() == arrow.NULL:
		return b
	case b.ID() == arrow.NULL:
		return a
	case isNumeric(a) && isNumeric(b):
		return arrow.PrimitiveTypes.Float64
	}
	return arrow.BinaryTypes.String
}

func isNumeric(t arrow.DataType) bool {
	return t.ID() == arrow.INT64 || t.ID() == arrow.FLOAT64
}

// jsonType infers the type of one JSON value.
func (in *inferrer) jsonType(v any) arrow.DataType {
	if !in.types {
		if v == nil {
			return arrow.Null
		}
		return arrow.BinaryTypes.String
	}
	switch x := v.(type) {
	case nil:
		return arrow.Null
	case bool:
		return arrow.FixedWidthTypes.Boolean
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return arrow.PrimitiveTypes.Int64
		}
		return arrow.PrimitiveTypes.Float64
	}
	return arrow.BinaryTypes.String
}

// textType infers the type of one CSV cell.
func (in *inferrer) textType(v string) arrow.DataType {
	if v == "" {
		return arrow.Null
	}
	if !in.types {
		return arrow.BinaryTypes.String
	}
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return arrow.PrimitiveTypes.Int64
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return arrow.PrimitiveTypes.Float64
	}
	if v == "true" || v == "false" {
		return arrow.FixedWidthTypes.Boolean
	}
	return arrow.BinaryTypes.String
}

func (in *inferrer) observe(format string, data []byte) error {
	switch format {
	case "json":
		return eachJSONObject(data, func(_ int, obj map[string]any) error {
			for k, v := range obj {
				in.see(k, in.jsonType(v))
			}
			return nil
		}, func(int, string) error { return nil }) // a malformed line says nothing of the schema
	case "csv":
		header, rows, err := readCSVAll(data)
		if err != nil {
			return err
		}
		for j, h := range header {
			t := arrow.DataType(arrow.Null)
			for _, r := range rows {
				if j < len(r) {
					t = widen(t, in.textType(r[j]))
				}
			}
			in.see(h, t)
		}
		return nil
	case "parquet":
		in.parquet = true
		schema, err := parquetSchema(data)
		if err != nil {
			return err
		}
		for _, f := range schema.Fields() {
			in.see(f.Name, f.Type)
		}
		return nil
	}
	return fmt.Errorf("%w: format %q", ErrInvalidArgument, format)
}

// schema builds the inferred schema: JSON columns sorted by name as Spark
// does, CSV and Parquet columns in file order; null-only columns are
// strings; hints override types.
func (in *inferrer) schema(hints, rescue string) (*arrow.Schema, error) {
	names := append([]string(nil), in.order...)
	if !in.parquet {
		sort.Strings(names)
	}
	hinted, err := parseHints(hints)
	if err != nil {
		return nil, err
	}
	var fields []arrow.Field
	for _, n := range names {
		if n == rescue {
			continue
		}
		t := in.fields[n]
		if t.ID() == arrow.NULL {
			t = arrow.BinaryTypes.String
		}
		if h, ok := hinted[strings.ToLower(n)]; ok {
			t = h
			delete(hinted, strings.ToLower(n))
		}
		fields = append(fields, arrow.Field{Name: n, Type: t, Nullable: true})
	}
	// A hint for a column the sample lacked adds it, as Auto Loader does.
	var rest []string
	for n := range hinted {
		rest = append(rest, n)
	}
	sort.Strings(rest)
	for _, n := range rest {
		fields = append(fields, arrow.Field{Name: n, Type: hinted[n], Nullable: true})
	}
	return arrow.NewSchema(fields, nil), nil
}

// parseHints reads "a bigint, b decimal(10,2)".
func parseHints(text string) (map[string]arrow.DataType, error) {
	out := map[string]arrow.DataType{}
	depth, startAt := 0, 0
	var parts []string
	for i, c := range text {
		switch c {
		case '(', '<':
			depth++
		case ')', '>':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, text[startAt:i])
				startAt = i + 1
			}
		}
	}
	parts = append(parts, text[startAt:])
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		name, typ, ok := strings.Cut(p, " ")
		if !ok {
			return nil, fmt.Errorf("%w: schema hint %q is not \"column type\"", ErrInvalidArgument, p)
		}
		t, err := expr.ParseType(strings.TrimSpace(typ))
		if err != nil {
			return nil, fmt.Errorf("%w: schema hint %q: %w", ErrInvalidArgument, p, err)
		}
		out[strings.ToLower(strings.Trim(name, "`"))] = t
	}
	return out, nil
}

func parquetSchema(data []byte) (*arrow.Schema, error) {
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	return pqarrow.FromParquet(pf.MetaData().Schema, nil, pf.MetaData().KeyValueMetadata())
}

// eachJSONObject calls fn for each JSON object of JSON-lines data, and
// malformed for each non-blank line that is not one (a record cut off,
// a bare value): with Spark's PERMISSIVE mode, one bad line costs one
// record, not the file. Keys come unordered: inferred JSON columns are
// sorted by name, as Spark does.
func eachJSONObject(data []byte, fn func(line int, obj map[string]any) error, malformed func(line int, text string) error) error {
	for line := 1; len(data) > 0; line++ {
		text := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			text, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		text = bytes.TrimRight(text, "\r")
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.UseNumber()
		var obj map[string]any
		err := dec.Decode(&obj)
		if err == nil && dec.More() {
			err = fmt.Errorf("text after the object")
		}
		if err == nil && obj == nil {
			err = fmt.Errorf("not a JSON object")
		}
		if err != nil {
			if err := malformed(line, string(text)); err != nil {
				return err
			}
			continue
		}
		if err := fn(line, obj); err != nil {
			return err
		}
	}
	return nil
}

func readCSVAll(data []byte) ([]string, [][]string, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	all, err := r.ReadAll()
	if err != nil {
		return nil, nil, err
	}
	if len(all) == 0 {
		return nil, nil, nil
	}
	return all[0], all[1:], nil
}
