package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	arrowcsv "github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// inputBatchRows is the batch size input is decoded in. Input is read one
// batch at a time, so memory is bounded by the batch and the inference
// sample, never by the size of the input.
const inputBatchRows = 64 * 1024

// The schema of jsonl and csv input is inferred from its first records:
// up to inferSampleRows of them, or inferSampleBytes, whichever comes
// first. The sample is held in memory until it is decoded.
const (
	inferSampleRows  = 100_000
	inferSampleBytes = 32 << 20
)

// errNoInput is returned when the input holds no records to infer a
// schema from.
var errNoInput = errors.New("no records in the input")

// readInput decodes r (jsonl, csv or parquet) into Arrow batches, reading
// it as the batches are consumed. When schema is nil the schema is
// inferred from the first records; otherwise the data is read with it
// (jsonl and csv), and keys or columns it lacks are an error so nothing
// is dropped silently. A malformed record anywhere, including a cut-off
// last line, makes the reader's Err non-nil, so a write consuming it
// commits nothing. pinned says schema is the user's --schema, which
// parquet input (typed by its own footer) does not take.
func readInput(ctx context.Context, r io.Reader, format string, schema *arrow.Schema, pinned bool, mem memory.Allocator) (array.RecordReader, error) {
	switch format {
	case "jsonl", "json", "ndjson":
		return readJSONL(r, schema, pinned, mem)
	case "csv":
		return readCSV(r, schema, pinned, mem)
	case "parquet":
		if pinned {
			return nil, usagef("--schema applies to jsonl and csv input: parquet input carries its own schema")
		}
		return readParquet(ctx, r, mem)
	}
	return nil, usagef("--format %q: use jsonl, csv or parquet", format)
}

// readParquet reads parquet input. Parquet keeps its footer at the end,
// so input that is not a seekable file (a pipe) is first copied to a
// temporary file rather than into memory.
func readParquet(ctx context.Context, r io.Reader, mem memory.Allocator) (array.RecordReader, error) {
	var src parquet.ReaderAtSeeker
	cleanup := func() {}
	switch x := r.(type) {
	case *bytes.Reader:
		src = x
	case *os.File:
		if st, err := x.Stat(); err == nil && st.Mode().IsRegular() {
			src = x
		}
	}
	if src == nil {
		tmp, err := os.CreateTemp("", "lakehouse-input-*.parquet")
		if err != nil {
			return nil, fmt.Errorf("parquet input: spooling to a temporary file: %w", err)
		}
		cleanup = func() { _ = tmp.Close(); _ = os.Remove(tmp.Name()) }
		if _, err := io.Copy(tmp, r); err != nil {
			cleanup()
			return nil, fmt.Errorf("parquet input: %w", err)
		}
		src = tmp
	}
	pf, err := file.NewParquetReader(src)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("parquet input: %w", err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: inputBatchRows}, mem)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("parquet input: %w", err)
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("parquet input: %w", err)
	}
	return &releasingReader{RecordReader: rr, cleanup: cleanup}, nil
}

// releasingReader runs cleanup when the last reference is released.
type releasingReader struct {
	array.RecordReader
	refs    atomic.Int64 // extra references beyond the first
	cleanup func()
}

func (r *releasingReader) Retain() { r.refs.Add(1); r.RecordReader.Retain() }

func (r *releasingReader) Release() {
	last := r.refs.Add(-1) < 0
	r.RecordReader.Release()
	if last {
		r.cleanup()
	}
}

// checkKnownColumns refuses input columns the schema lacks; pinned says
// the schema is --schema rather than the table's.
func checkKnownColumns(cols []string, schema *arrow.Schema, pinned bool) error {
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
	if len(unknown) > 0 && pinned {
		return fmt.Errorf("csv input has columns --schema lacks: %s", strings.Join(unknown, ", "))
	}
	if len(unknown) > 0 {
		return fmt.Errorf("input has columns the table lacks: %s (add --merge-schema to add them)", strings.Join(unknown, ", "))
	}
	return nil
}

// readCSV reads CSV input. With no schema, the column types are inferred
// from a sample of rows; the bytes read for the sample are kept and
// replayed ahead of the rest of the stream.
func readCSV(r io.Reader, schema *arrow.Schema, pinned bool, mem memory.Allocator) (array.RecordReader, error) {
	var seen bytes.Buffer
	cr := csv.NewReader(io.TeeReader(r, &seen))
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errNoInput
	}
	if err != nil {
		return nil, fmt.Errorf("csv input: reading the header: %w", err)
	}
	if schema == nil {
		kinds := make([]kind, len(header))
		for n := 0; n < inferSampleRows && seen.Len() < inferSampleBytes; n++ {
			rec, err := cr.Read()
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
		if err := checkKnownColumns(header, schema, pinned); err != nil {
			return nil, err
		}
		want := schema
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
		if pinned {
			// --schema also fixes the column order (and a new table's).
			replay := io.MultiReader(bytes.NewReader(seen.Bytes()), r)
			cr := arrowcsv.NewReader(replay, schema, arrowcsv.WithHeader(true),
				arrowcsv.WithNullReader(true, ""), arrowcsv.WithAllocator(mem), arrowcsv.WithChunk(inputBatchRows))
			return &projectingReader{RecordReader: cr, out: want, mem: mem}, nil
		}
	}
	replay := io.MultiReader(bytes.NewReader(seen.Bytes()), r)
	return arrowcsv.NewReader(replay, schema, arrowcsv.WithHeader(true),
		arrowcsv.WithNullReader(true, ""), arrowcsv.WithAllocator(mem), arrowcsv.WithChunk(inputBatchRows)), nil
}

// projectingReader reorders the columns of each batch into out, matching
// names case-insensitively; a column of out the input lacks is all null.
type projectingReader struct {
	array.RecordReader
	out  *arrow.Schema
	mem  memory.Allocator
	cur  arrow.RecordBatch
	refs atomic.Int64 // extra references beyond the first
}

func (p *projectingReader) Schema() *arrow.Schema { return p.out }

func (p *projectingReader) Next() bool {
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	if !p.RecordReader.Next() {
		return false
	}
	in := p.RecordReader.RecordBatch()
	cols := make([]arrow.Array, p.out.NumFields())
	for i, f := range p.out.Fields() {
		cols[i] = nil
		for j, g := range in.Schema().Fields() {
			if strings.EqualFold(f.Name, g.Name) {
				cols[i] = in.Column(j)
				cols[i].Retain()
			}
		}
		if cols[i] == nil {
			cols[i] = array.MakeArrayOfNull(p.mem, f.Type, int(in.NumRows()))
		}
	}
	p.cur = array.NewRecordBatch(p.out, cols, in.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return true
}

func (p *projectingReader) RecordBatch() arrow.RecordBatch { return p.cur }

// Record is RecordBatch, for the deprecated name in array.RecordReader.
func (p *projectingReader) Record() arrow.RecordBatch { return p.cur }

func (p *projectingReader) Retain() { p.refs.Add(1) }

func (p *projectingReader) Release() {
	if p.refs.Add(-1) >= 0 {
		return
	}
	if p.cur != nil {
		p.cur.Release()
		p.cur = nil
	}
	p.RecordReader.Release()
}
