// Command quickstart writes a partitioned Delta table to a local
// directory, appends to it, reads it back with a filter and time travel,
// and prints its history — the main job of lakehouse on its embedded
// default, a table directory on local disk.
//
//	go run ./examples/quickstart [TABLE_DIR]
//
// TABLE_DIR defaults to ./quickstart-table. The quickstart replaces a
// table it wrote on an earlier run (it leaves a marker file there), uses a
// missing or empty directory, and refuses anything else rather than delete
// data it did not create. Read the table afterwards with the CLI:
//
//	go run ./cmd/lakehouse cat quickstart-table
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "event_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32},
	{Name: "country", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
}, nil)

// events generates n rows starting at id.
func events(id int64, n int) array.RecordReader {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	countries := []string{"FR", "NO", "DE", "IT"}
	for i := range n {
		e := id + int64(i)
		b.Field(0).(*array.Int64Builder).Append(e)
		b.Field(1).(*array.Date32Builder).Append(arrow.Date32(19800 + e%3))
		b.Field(2).(*array.StringBuilder).Append(countries[e%4])
		b.Field(3).(*array.Decimal128Builder).Append(decimalCents(e * 125))
		b.Field(4).(*array.TimestampBuilder).Append(arrow.Timestamp(1_710_000_000_000_000 + e*1_000_000))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	if err != nil {
		log.Fatal(err)
	}
	return rr
}

func main() {
	dir := "quickstart-table"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := run(context.Background(), dir, os.Stdout); err != nil {
		log.Fatalf("quickstart: %v", err)
	}
}

// markerName is the file the quickstart leaves in a table directory it
// created. Its leading dot makes Delta readers (and VACUUM) ignore it.
const markerName = ".lakehouse-quickstart"

const markerText = "written by lakehouse examples/quickstart; the quickstart deletes and rewrites this directory on its next run\n"

// errNotOurs is returned when the target exists and is not a directory the
// quickstart created. main prefixes "quickstart: " to every error.
var errNotOurs = errors.New("refusing to replace a path the quickstart did not create")

// prepare makes dir ready for a new table. A missing or empty directory is
// used as is; a directory holding the quickstart's marker is its own table
// from an earlier run and is deleted. Anything else is left alone and is
// errNotOurs: deleting a directory because of its name would destroy
// whatever a user keeps there. The marker is written before the table so
// that a run that fails half way can still be cleaned up by the next.
func prepare(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fmt.Errorf("%w: %s: %w", errNotOurs, dir, err)
	case len(entries) == 0:
	default:
		marker, err := os.Lstat(filepath.Join(dir, markerName))
		if err != nil || !marker.Mode().IsRegular() {
			return fmt.Errorf("%w: %s is not empty and has no %s file; pass another directory", errNotOurs, dir, markerName)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, markerName), []byte(markerText), 0o644)
}

func run(ctx context.Context, dir string, w io.Writer) error {
	if err := prepare(dir); err != nil {
		return err
	}
	first := events(0, 1000)
	defer first.Release()
	tbl, res, err := delta.CreateAsSelect(ctx, dir, first, &delta.CreateOptions{
		PartitionBy: []string{"day"},
		Description: "quickstart events",
	})
	if err != nil {
		return err
	}
	defer tbl.Close()
	fmt.Fprintf(w, "created %s at version %d\n", dir, res.Version)

	more := events(1000, 500)
	defer more.Release()
	res, err = tbl.Append(ctx, more, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "appended 500 rows: version %d\n", res.Version)

	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	st, err := snap.FileStats(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "version %d: %d files, %d bytes, %d rows\n", snap.Version(), st.NumFiles, st.SizeInBytes, st.NumRecords)

	filter, err := expr.Parse("country = 'NO' AND amount > 1000 AND day = DATE '2024-03-18'")
	if err != nil {
		return err
	}
	n, files, err := count(ctx, snap, filter)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "rows where %s: %d (read %d of %d files)\n", filter, n, files, st.NumFiles)

	v0, err := tbl.SnapshotAt(ctx, 0)
	if err != nil {
		return err
	}
	n0, _, err := count(ctx, v0, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "time travel to version 0: %d rows\n", n0)

	history, err := tbl.History(ctx, nil)
	if err != nil {
		return err
	}
	for _, h := range history {
		fmt.Fprintf(w, "history: version %d %s at %s\n", h.Version, h.Operation(), h.Timestamp.Format("2006-01-02T15:04:05Z"))
	}
	return nil
}

// count scans with a filter and returns the rows and how many files the
// data skipping left to read.
func count(ctx context.Context, snap *delta.Snapshot, filter expr.Expr) (int64, int, error) {
	files := 0
	for _, err := range snap.FilesMatching(ctx, filter) {
		if err != nil {
			return 0, 0, err
		}
		files++
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Filter: filter})
	if err != nil {
		return 0, 0, err
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		n += rr.RecordBatch().NumRows()
	}
	return n, files, rr.Err()
}

func decimalCents(c int64) decimal128.Num { return decimal128.FromI64(c) }
