package delta_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Order is a row type: the tags name the columns, the partition column
// and the decimal's precision; *string makes Note nullable.
type Order struct {
	ID       int64         `delta:"id"`
	Day      delta.Date    `delta:"day,partition"`
	At       time.Time     `delta:"at"`
	Amount   delta.Decimal `delta:"amount,decimal(10,2)"`
	Note     *string       `delta:"note"`
	Products []string      `delta:"products"`
}

// Typed rows: create a table from a struct type, append Go values and
// read them back, with no Arrow builders in sight.
func ExampleAppendRows() {
	ctx := context.Background()
	tbl, err := delta.CreateFor[Order](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()

	gift := "gift wrap"
	at := time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)
	res, err := delta.AppendRows(ctx, tbl, []Order{
		{ID: 1, Day: delta.DateOf(at), At: at, Amount: delta.MustParseDecimal("19.90"), Products: []string{"book"}},
		{ID: 2, Day: delta.DateOf(at), At: at.Add(time.Hour), Amount: delta.NewDecimal(500, 2), Note: &gift},
	}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, "rows", res.Metrics["numOutputRows"])

	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for o, err := range delta.ScanRows[Order](ctx, snap, nil) {
		if err != nil {
			log.Fatal(err)
		}
		note := "-"
		if o.Note != nil {
			note = *o.Note
		}
		fmt.Println(o.ID, o.Day, o.At.Format(time.TimeOnly), o.Amount, note, o.Products)
	}
	// Unordered output:
	// version 1 rows 2
	// 1 2024-05-01 09:30:00 19.90 - [book]
	// 2 2024-05-01 10:30:00 5.00 gift wrap []
}

// SchemaOf gives the Arrow schema of a row type, to inspect or to pass to
// Create with other options.
func ExampleSchemaOf() {
	schema, partitionBy, err := delta.SchemaOf[Order]()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields() {
		fmt.Println(f.Name, f.Type, f.Nullable)
	}
	fmt.Println("partitioned by", partitionBy)
	// Output:
	// id int64 false
	// day date32 false
	// at timestamp[us, tz=UTC] false
	// amount decimal(10, 2) false
	// note utf8 true
	// products list<element: utf8> true
	// partitioned by [day]
}
