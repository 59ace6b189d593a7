package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/jsonrows"
)

func runCat(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cat", "[--version N | --timestamp RFC3339] [--columns a,b] [--where EXPR] [--limit N] [--format jsonl|csv|table] TABLE")
	var sf snapshotFlags
	fs.Int64Var(&sf.version, "version", -1, "read this table version")
	fs.StringVar(&sf.timestamp, "timestamp", "", "read the version current at this time (RFC 3339)")
	columns := fs.String("columns", "", "comma-separated columns to print (default: all)")
	where := fs.String("where", "", "SQL predicate rows must satisfy, e.g. \"amount > 0 AND day >= '2024-01-01'\"")
	limit := fs.Int64("limit", -1, "print at most N rows")
	format := fs.String("format", "", "jsonl, csv or table (default: table on a terminal, jsonl otherwise)")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	w, err := newRowWriter(formatOr(*format, "jsonl", "table", e.tty), e.stdout)
	if err != nil {
		return err
	}
	opts := &delta.ScanOptions{}
	if *columns != "" {
		for _, c := range strings.Split(*columns, ",") {
			if c = strings.TrimSpace(c); c != "" {
				opts.Columns = append(opts.Columns, c)
			}
		}
	}
	if *where != "" {
		f, err := expr.Parse(*where)
		if err != nil {
			return exprError("--where", *where, err)
		}
		opts.Filter = f
	}
	tbl, snap, err := sf.open(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	rr, err := snap.Scan(ctx, opts)
	if err != nil {
		return exprError("--where", *where, err)
	}
	defer rr.Release()
	return printRows(w, rr, *limit)
}

// printRows writes at most limit rows (all when negative) of rr.
func printRows(w rowWriter, rr array.RecordReader, limit int64) error {
	if err := w.header(rr.Schema()); err != nil {
		return err
	}
	remaining := limit
	for remaining != 0 && rr.Next() {
		rec := rr.RecordBatch()
		n := rec.NumRows()
		if remaining > 0 && n > remaining {
			n = remaining
		}
		for i := 0; i < int(n); i++ {
			if err := w.row(rec, i); err != nil {
				return err
			}
		}
		if remaining > 0 {
			remaining -= n
		}
	}
	if err := rr.Err(); err != nil {
		return err
	}
	return w.flush()
}

// rowWriter prints rows in one output format.
type rowWriter interface {
	header(*arrow.Schema) error
	row(arrow.RecordBatch, int) error
	flush() error
}

func newRowWriter(format string, out io.Writer) (rowWriter, error) {
	switch format {
	case "jsonl", "json":
		return &jsonlWriter{w: bufio.NewWriterSize(out, 1<<16)}, nil
	case "csv":
		return &csvWriter{w: csv.NewWriter(out)}, nil
	case "table":
		return &tableWriter{w: tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)}, nil
	}
	return nil, usagef("--format %q: use jsonl, csv or table", format)
}

type jsonlWriter struct {
	w   *bufio.Writer
	buf []byte
}

func (j *jsonlWriter) header(*arrow.Schema) error { return nil }

func (j *jsonlWriter) row(rec arrow.RecordBatch, i int) error {
	var err error
	if j.buf, err = jsonrows.AppendRow(j.buf[:0], rec, i); err != nil {
		return err
	}
	j.buf = append(j.buf, '\n')
	_, err = j.w.Write(j.buf)
	return err
}

func (j *jsonlWriter) flush() error { return j.w.Flush() }

// cellText renders one value for csv and table output: the canonical JSON
// form, with strings unquoted and nulls empty (csv) or "NULL" (table).
func cellText(a arrow.Array, i int, f *arrow.Field, null string) (string, error) {
	if a.IsNull(i) {
		return null, nil
	}
	switch v := a.(type) {
	case *array.String:
		return v.Value(i), nil
	case *array.LargeString:
		return v.Value(i), nil
	}
	b, err := jsonrows.AppendValue(nil, a, i, f)
	if err != nil {
		return "", err
	}
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return s, nil
}

type csvWriter struct{ w *csv.Writer }

func (c *csvWriter) header(s *arrow.Schema) error {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return c.w.Write(names)
}

func (c *csvWriter) row(rec arrow.RecordBatch, i int) error {
	cells := make([]string, rec.NumCols())
	for j, f := range rec.Schema().Fields() {
		s, err := cellText(rec.Column(j), i, &f, "")
		if err != nil {
			return err
		}
		cells[j] = s
	}
	return c.w.Write(cells)
}

func (c *csvWriter) flush() error {
	c.w.Flush()
	return c.w.Error()
}

type tableWriter struct{ w *tabwriter.Writer }

func (t *tableWriter) header(s *arrow.Schema) error {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	_, err := fmt.Fprintln(t.w, strings.Join(names, "\t"))
	return err
}

func (t *tableWriter) row(rec arrow.RecordBatch, i int) error {
	cells := make([]string, rec.NumCols())
	for j, f := range rec.Schema().Fields() {
		s, err := cellText(rec.Column(j), i, &f, "NULL")
		if err != nil {
			return err
		}
		cells[j] = strings.NewReplacer("\t", " ", "\n", " ").Replace(s)
	}
	_, err := fmt.Fprintln(t.w, strings.Join(cells, "\t"))
	return err
}

func (t *tableWriter) flush() error { return t.w.Flush() }
