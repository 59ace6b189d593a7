// Package deltatest helps users of package delta test their own code:
// tables made in one call and removed when the test ends, table
// comparisons that print a readable diff (RequireTableEqual,
// RequireTableRows, Diff), and golden files of a table at a version
// (RequireGolden).
//
//	tbl := deltatest.NewTableFromRows(t, []Order{{ID: 1}, {ID: 2}}, nil)
//	… code under test writes to tbl …
//	deltatest.RequireTableRows(t, deltatest.Latest(t, tbl), `[{"id":1},{"id":2},{"id":3}]`, nil)
package deltatest

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Options say where a test table lives and how it is created. Nil means
// a directory under t.TempDir() and default table options.
type Options struct {
	// Memory puts the table in mem:// instead of on disk.
	Memory bool
	// Create is passed to delta.Create (partitioning, properties, …).
	Create *delta.CreateOptions
}

func location(t testing.TB, opts *Options) string {
	if opts != nil && opts.Memory {
		return "mem://"
	}
	return filepath.Join(t.TempDir(), "table")
}

func createOptions(opts *Options) *delta.CreateOptions {
	if opts == nil {
		return nil
	}
	return opts.Create
}

// NewTable creates an empty table with schema. It is closed when the test
// ends (and, on disk, removed with t.TempDir()).
func NewTable(t testing.TB, schema *arrow.Schema, opts *Options) *delta.Table {
	t.Helper()
	tbl, err := delta.Create(context.Background(), location(t, opts), schema, createOptions(opts))
	if err != nil {
		t.Fatalf("deltatest: creating a table: %v", err)
	}
	t.Cleanup(func() { _ = tbl.Close() })
	return tbl
}

// NewTableFromJSON creates a table with schema and the rows of a JSON
// array of objects (Arrow's JSON forms: dates as "2024-01-31", timestamps
// as RFC 3339, decimals as strings), committed as version 1.
func NewTableFromJSON(t testing.TB, schema *arrow.Schema, rows string, opts *Options) *delta.Table {
	t.Helper()
	tbl := NewTable(t, schema, opts)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(rows))
	if err != nil {
		t.Fatalf("deltatest: decoding rows: %v", err)
	}
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	if err != nil {
		t.Fatalf("deltatest: %v", err)
	}
	defer rr.Release()
	if _, err := tbl.Append(context.Background(), rr, nil); err != nil {
		t.Fatalf("deltatest: appending rows: %v", err)
	}
	return tbl
}

// NewTableFromRows creates a table whose columns are the fields of T (see
// delta.SchemaOf) and appends rows as version 1 (none when rows is empty).
func NewTableFromRows[T any](t testing.TB, rows []T, opts *Options) *delta.Table {
	t.Helper()
	tbl, err := delta.CreateFor[T](context.Background(), location(t, opts), createOptions(opts))
	if err != nil {
		t.Fatalf("deltatest: creating a table: %v", err)
	}
	t.Cleanup(func() { _ = tbl.Close() })
	if len(rows) > 0 {
		if _, err := delta.AppendRows(context.Background(), tbl, rows, nil); err != nil {
			t.Fatalf("deltatest: appending rows: %v", err)
		}
	}
	return tbl
}

// Latest returns the table's latest snapshot.
func Latest(t testing.TB, tbl *delta.Table) *delta.Snapshot {
	t.Helper()
	snap, err := tbl.Snapshot(context.Background())
	if err != nil {
		t.Fatalf("deltatest: %v", err)
	}
	return snap
}

// Rows reads every row of snap as T.
func Rows[T any](t testing.TB, snap *delta.Snapshot) []T {
	t.Helper()
	var out []T
	for r, err := range delta.ScanRows[T](context.Background(), snap, nil) {
		if err != nil {
			t.Fatalf("deltatest: %v", err)
		}
		out = append(out, r)
	}
	return out
}

// RequireTableEqual fails the test, printing the differences, unless the
// two snapshots hold the same rows with the same schema (as opts relaxes
// it).
func RequireTableEqual(t testing.TB, want, got *delta.Snapshot, opts *CompareOptions) {
	t.Helper()
	w, err := readTable(want)
	if err != nil {
		t.Fatalf("deltatest: reading the wanted table: %v", err)
	}
	g, err := readTable(got)
	if err != nil {
		t.Fatalf("deltatest: reading the table: %v", err)
	}
	if d := diff(w, g, opts); d != "" {
		t.Fatalf("deltatest: tables differ\n%s", d)
	}
}

// RequireTableRows is RequireTableEqual against rows written as a JSON
// array of objects, read with got's schema.
func RequireTableRows(t testing.TB, got *delta.Snapshot, want string, opts *CompareOptions) {
	t.Helper()
	g, err := readTable(got)
	if err != nil {
		t.Fatalf("deltatest: reading the table: %v", err)
	}
	w, err := readJSON(got.Schema(), want)
	if err != nil {
		t.Fatalf("deltatest: decoding the wanted rows: %v", err)
	}
	if d := diff(w, g, opts); d != "" {
		t.Fatalf("deltatest: tables differ\n%s", d)
	}
}

// Diff returns the differences between two snapshots as RequireTableEqual
// prints them, or "" when they are equal.
func Diff(want, got *delta.Snapshot, opts *CompareOptions) (string, error) {
	w, err := readTable(want)
	if err != nil {
		return "", err
	}
	g, err := readTable(got)
	if err != nil {
		return "", err
	}
	return diff(w, g, opts), nil
}

// table is the rows of a table as comparable values.
type table struct {
	schema *arrow.Schema
	rows   [][]any
}

func readTable(snap *delta.Snapshot) (*table, error) {
	rr, err := snap.Scan(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	out := &table{schema: snap.Schema()}
	for rr.Next() {
		out.add(rr.RecordBatch())
	}
	return out, rr.Err()
}

func readJSON(schema *arrow.Schema, rows string) (*table, error) {
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(rows))
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	out := &table{schema: schema}
	out.add(rec)
	return out, nil
}

func (tb *table) add(rec arrow.RecordBatch) {
	for i := range int(rec.NumRows()) {
		row := make([]any, rec.NumCols())
		for j, c := range rec.Columns() {
			row[j] = c.GetOneForMarshal(i)
		}
		tb.rows = append(tb.rows, row)
	}
}

// render writes a value for a diff: JSON-like, strings quoted.
func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	case json.RawMessage: // nested values: lists, maps, structs
		return string(x)
	case []byte:
		return fmt.Sprintf("%x", x)
	}
	return fmt.Sprint(v)
}
