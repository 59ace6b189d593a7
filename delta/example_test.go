package delta_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// orders builds a small batch of (id, city, amount) rows.
func orders(ids []int64, cities []string, amounts []float64) array.RecordReader {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
	b.Field(1).(*array.StringBuilder).AppendValues(cities, nil)
	b.Field(2).(*array.Float64Builder).AppendValues(amounts, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	if err != nil {
		log.Fatal(err)
	}
	return rr
}

// printRows prints every row a scan returns.
func printRows(snap *delta.Snapshot, opts *delta.ScanOptions) {
	rr, err := snap.Scan(context.Background(), opts)
	if err != nil {
		log.Fatal(err)
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			fmt.Println(rec.Column(0).ValueStr(i), rec.Column(1).ValueStr(i), rec.Column(2).ValueStr(i))
		}
	}
	if err := rr.Err(); err != nil {
		log.Fatal(err)
	}
}

// Create a partitioned table, append twice, and read it back with a SQL
// filter; then time-travel to the first version.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "lakehouse-example")
	defer os.RemoveAll(dir)

	rr := orders(nil, nil, nil)
	tbl, err := delta.Create(ctx, filepath.Join(dir, "orders"), rr.Schema(), &delta.CreateOptions{PartitionBy: []string{"city"}})
	rr.Release()
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()

	for _, batch := range []array.RecordReader{
		orders([]int64{1, 2}, []string{"Paris", "Oslo"}, []float64{10, 20}),
		orders([]int64{3}, []string{"Paris"}, []float64{35}),
	} {
		if _, err := tbl.Append(ctx, batch, nil); err != nil {
			log.Fatal(err)
		}
		batch.Release()
	}

	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	filter, err := expr.Parse("city = 'Paris' AND amount > 15")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", snap.Version())
	printRows(snap, &delta.ScanOptions{Columns: []string{"id", "city", "amount"}, Filter: filter})

	first, err := tbl.SnapshotAt(ctx, 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", first.Version())
	printRows(first, &delta.ScanOptions{Filter: expr.Col("city").Eq(expr.Lit("Paris"))})
	// Output:
	// version 2
	// 3 Paris 35
	// version 1
	// 1 Paris 10
}

// Open an existing table and inspect its metadata and history.
func ExampleTable_History() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "lakehouse-example")
	defer os.RemoveAll(dir)
	rr := orders([]int64{1}, []string{"Rome"}, []float64{1})
	created, _, err := delta.CreateAsSelect(ctx, filepath.Join(dir, "t"), rr, nil)
	rr.Release()
	if err != nil {
		log.Fatal(err)
	}
	created.Close()

	tbl, err := delta.Open(ctx, filepath.Join(dir, "t"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	history, err := tbl.History(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range history {
		fmt.Println(h.Version, h.Operation())
	}
	snap, _ := tbl.Snapshot(ctx)
	st, _ := snap.FileStats(ctx)
	fmt.Println("files", st.NumFiles, "rows", st.NumRecords)
	// Output:
	// 0 CREATE TABLE AS SELECT
	// files 1 rows 1
}

// Read the table as it was at a point in time.
func ExampleTable_SnapshotAsOf() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "lakehouse-example")
	defer os.RemoveAll(dir)
	rr := orders([]int64{1}, []string{"Rome"}, []float64{1})
	tbl, _, err := delta.CreateAsSelect(ctx, filepath.Join(dir, "t"), rr, nil)
	rr.Release()
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	created, _ := tbl.CommitTimestamp(ctx, 0)
	more := orders([]int64{2}, []string{"Rome"}, []float64{2})
	defer more.Release()
	if _, err := tbl.Append(ctx, more, nil); err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.SnapshotAsOf(ctx, created)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", snap.Version())
	// Output:
	// version 0
}

// Read the change data feed: the rows each version inserted or deleted.
func ExampleTable_Changes() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "lakehouse-example")
	defer os.RemoveAll(dir)
	rr := orders(nil, nil, nil)
	tbl, err := delta.Create(ctx, filepath.Join(dir, "t"), rr.Schema(), &delta.CreateOptions{
		Properties: map[string]string{"delta.enableChangeDataFeed": "true"},
	})
	rr.Release()
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	for _, id := range []int64{1, 2} {
		batch := orders([]int64{id}, []string{"Oslo"}, []float64{float64(id)})
		if _, err := tbl.Append(ctx, batch, nil); err != nil {
			log.Fatal(err)
		}
		batch.Release()
	}
	changes, err := tbl.Changes(ctx, 1, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer changes.Release()
	for changes.Next() {
		rec := changes.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			// id, _change_type, _commit_version
			fmt.Println(rec.Column(0).ValueStr(i), rec.Column(3).ValueStr(i), rec.Column(4).ValueStr(i))
		}
	}
	// Output:
	// 1 insert 1
	// 2 insert 2
}

// Read the change data feed from a point in time: the feed starts at the
// first version committed at or after StartTimestamp, and EndTimestamp
// would end it at the last version committed at or before.
func ExampleChangesOptions() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "lakehouse-example")
	defer os.RemoveAll(dir)
	rr := orders(nil, nil, nil)
	tbl, err := delta.Create(ctx, filepath.Join(dir, "t"), rr.Schema(), &delta.CreateOptions{
		Properties: map[string]string{"delta.enableChangeDataFeed": "true"},
	})
	rr.Release()
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	for _, id := range []int64{1, 2, 3} {
		batch := orders([]int64{id}, []string{"Oslo"}, []float64{float64(id)})
		if _, err := tbl.Append(ctx, batch, nil); err != nil {
			log.Fatal(err)
		}
		batch.Release()
	}
	since, err := tbl.CommitTimestamp(ctx, 2)
	if err != nil {
		log.Fatal(err)
	}
	changes, err := tbl.Changes(ctx, 0, &delta.ChangesOptions{StartTimestamp: since})
	if err != nil {
		log.Fatal(err)
	}
	defer changes.Release()
	for changes.Next() {
		rec := changes.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			// id, _change_type, _commit_version
			fmt.Println(rec.Column(0).ValueStr(i), rec.Column(3).ValueStr(i), rec.Column(4).ValueStr(i))
		}
	}
	if err := changes.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 2 insert 2
	// 3 insert 3
}
