// Command quickstart writes a partitioned Delta table to a local
// directory, appends to it, reads it back with a filter and time travel,
// and prints its history — the main job of lakehouse on its embedded
// default, a table directory on local disk.
//
//	go run ./examples/quickstart [TABLE_DIR]
//
// TABLE_DIR defaults to ./quickstart-table; the table is replaced on each
// run. Read it afterwards with the CLI:
//
//	go run ./cmd/lakehouse cat quickstart-table
package main

import (
	"context"
	"fmt"
	"log"
	"os"

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
	if err := run(context.Background(), dir); err != nil {
		log.Fatalf("quickstart: %v", err)
	}
}

func run(ctx context.Context, dir string) error {
	if err := os.RemoveAll(dir); err != nil {
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
	fmt.Printf("created %s at version %d\n", dir, res.Version)

	more := events(1000, 500)
	defer more.Release()
	res, err = tbl.Append(ctx, more, nil)
	if err != nil {
		return err
	}
	fmt.Printf("appended 500 rows: version %d\n", res.Version)

	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	st, err := snap.FileStats(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("version %d: %d files, %d bytes, %d rows\n", snap.Version(), st.NumFiles, st.SizeInBytes, st.NumRecords)

	filter, err := expr.Parse("country = 'NO' AND amount > 1000 AND day = DATE '2024-03-18'")
	if err != nil {
		return err
	}
	n, files, err := count(ctx, snap, filter)
	if err != nil {
		return err
	}
	fmt.Printf("rows where %s: %d (read %d of %d files)\n", filter, n, files, st.NumFiles)

	v0, err := tbl.SnapshotAt(ctx, 0)
	if err != nil {
		return err
	}
	n0, _, err := count(ctx, v0, nil)
	if err != nil {
		return err
	}
	fmt.Printf("time travel to version 0: %d rows\n", n0)

	history, err := tbl.History(ctx, nil)
	if err != nil {
		return err
	}
	for _, h := range history {
		fmt.Printf("history: version %d %s at %s\n", h.Version, h.Operation(), h.Timestamp.Format("2006-01-02T15:04:05Z"))
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
