package delta_test

import (
	"context"
	"fmt"
	"log"

	"github.com/lakehouse-go/lakehouse/delta"
)

// A table with delta.autoOptimize.autoCompact on compacts a partition once
// enough small files have gathered there; AutoCompactOptions lowers the
// threshold (Delta's default is 50 files) for the example.
func ExampleAutoCompactOptions() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), &delta.CreateOptions{
		Properties: map[string]string{"delta.autoOptimize.autoCompact": "true"},
		Table:      &delta.Options{AutoCompact: delta.AutoCompactOptions{MinNumFiles: 3}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	for _, id := range []int64{1, 2, 3} {
		rr := orders([]int64{id}, []string{"Oslo"}, []float64{10 * float64(id)})
		res, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		if err != nil {
			log.Fatal(err)
		}
		if c := res.AutoCompaction; c != nil {
			fmt.Printf("append %d, then %s %d: %s files removed\n", res.Version, c.Operation, c.Version, c.Metrics["numRemovedFiles"])
		} else {
			fmt.Printf("append %d\n", res.Version)
		}
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("files:", len(liveFiles(ctx, snap)), "rows:", countRows(ctx, tbl))
	// Output:
	// append 1
	// append 2
	// append 3, then OPTIMIZE 4: 3 files removed
	// files: 1 rows: 3
}
