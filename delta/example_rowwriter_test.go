package delta_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// Reading is a row type for a sensor feed.
type Reading struct {
	Sensor string  `delta:"sensor,partition"`
	Seq    int64   `delta:"seq"`
	Value  float64 `delta:"value"`
}

// CreateFor derives the table's columns and partitioning from a struct.
func ExampleCreateFor() {
	ctx := context.Background()
	tbl, err := delta.CreateFor[Reading](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range snap.Schema().Fields() {
		fmt.Println(f.Name, f.Type)
	}
	fmt.Println("version", snap.Version(), "partitioned by", snap.PartitionColumns())
	// Output:
	// sensor utf8
	// seq int64
	// value float64
	// version 0 partitioned by [sensor]
}

// ScanRows reads rows into structs; a filter and a column subset work as
// in Scan, and fields without a selected column keep their zero value.
func ExampleScanRows() {
	ctx := context.Background()
	tbl, err := delta.CreateFor[Reading](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	if _, err := delta.AppendRows(ctx, tbl, []Reading{{"a", 1, 0.5}, {"b", 1, 7}, {"a", 2, 0.75}}, nil); err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	filter := exprParse("sensor = 'a'")
	for r, err := range delta.ScanRows[Reading](ctx, snap, &delta.ScanOptions{Filter: filter}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(r.Sensor, r.Seq, r.Value)
	}
	// Unordered output:
	// a 1 0.5
	// a 2 0.75
}

// A RowWriter streams rows into one commit, staging files as batches fill
// so that memory stays bounded.
func ExampleNewRowWriter() {
	ctx := context.Background()
	tbl, err := delta.CreateFor[Reading](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	w, err := delta.NewRowWriter[Reading](ctx, tbl, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort()
	for i := range 10_000 {
		if err := w.Write(ctx, Reading{Sensor: "a", Seq: int64(i), Value: float64(i) / 2}); err != nil {
			log.Fatal(err)
		}
	}
	res, err := w.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, "rows", res.Metrics["numOutputRows"])
	// Output:
	// version 1 rows 10000
}

// Write adds one row; nothing is visible before Commit.
func ExampleRowWriter_Write() {
	ctx := context.Background()
	tbl, err := delta.CreateFor[Reading](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	w, err := delta.NewRowWriter[Reading](ctx, tbl, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort()
	if err := w.Write(ctx, Reading{Sensor: "a", Seq: 1, Value: 1}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("before commit", countRows(ctx, tbl))
	if _, err := w.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after commit", countRows(ctx, tbl))
	// Output:
	// before commit 0
	// after commit 1
}

// Flush hands the rows written so far to the transaction's file writer,
// for instance at the end of each input file, so the RowWriter holds no
// rows; files still roll at the target file size, and all rows commit
// together.
func ExampleRowWriter_Flush() {
	ctx := context.Background()
	tbl, err := delta.CreateFor[Reading](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	w, err := delta.NewRowWriter[Reading](ctx, tbl, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer w.Abort()
	for file := range 3 {
		for seq := range 2 {
			if err := w.Write(ctx, Reading{Sensor: "a", Seq: int64(10*file + seq)}); err != nil {
				log.Fatal(err)
			}
		}
		if err := w.Flush(ctx); err != nil {
			log.Fatal(err)
		}
	}
	res, err := w.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, "files", res.Metrics["numFiles"], "rows", res.Metrics["numOutputRows"])
	// Output:
	// version 1 files 1 rows 6
}

// Commit makes every written row visible in one version; an idempotent
// writer passes AppID and AppVersion.
func ExampleRowWriter_Commit() {
	ctx := context.Background()
	tbl, err := delta.CreateFor[Reading](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	for attempt := range 2 {
		w, err := delta.NewRowWriter[Reading](ctx, tbl, &delta.TxnOptions{AppID: "feed", AppVersion: 1})
		if err != nil {
			log.Fatal(err)
		}
		if err := w.Write(ctx, Reading{Sensor: "a", Seq: 1}); err != nil {
			log.Fatal(err)
		}
		res, err := w.Commit(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("attempt", attempt, "skipped", res.Skipped)
	}
	fmt.Println("rows", countRows(ctx, tbl))
	// Output:
	// attempt 0 skipped false
	// attempt 1 skipped true
	// rows 1
}

// Abort drops everything the writer staged.
func ExampleRowWriter_Abort() {
	ctx := context.Background()
	tbl, err := delta.CreateFor[Reading](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	w, err := delta.NewRowWriter[Reading](ctx, tbl, nil)
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Write(ctx, Reading{Sensor: "a", Seq: 1}); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	w.Abort()
	snap, _ := tbl.Snapshot(ctx)
	fmt.Println("version", snap.Version(), "rows", countRows(ctx, tbl))
	// Output:
	// version 0 rows 0
}

// A struct that does not fit the table is refused before anything is
// written, with a *RowTypeError naming the field.
func ExampleRowTypeError() {
	ctx := context.Background()
	tbl, err := delta.CreateFor[Reading](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	type wrong struct {
		Sensor string `delta:"sensor"`
		Seq    string `delta:"seq"` // the column is a long
	}
	_, err = delta.AppendRows(ctx, tbl, []wrong{{"a", "1"}}, nil)
	var rte *delta.RowTypeError
	fmt.Println(errors.Is(err, delta.ErrSchemaMismatch), errors.As(err, &rte) && rte.Field == "Seq", rte.Column)

	type unsupported struct {
		C complex128 `delta:"c"`
	}
	_, _, err = delta.SchemaOf[unsupported]()
	fmt.Println(errors.Is(err, delta.ErrUnsupportedType))
	// Output:
	// true true seq
	// true
}

// exprParse parses a filter an example knows to be valid.
func exprParse(sql string) expr.Expr {
	e, err := expr.Parse(sql)
	if err != nil {
		log.Fatal(err)
	}
	return e
}
