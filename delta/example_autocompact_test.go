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

// ComputeStatistics fills in statistics a table's files lack, here after
// delta.dataSkippingNumIndexedCols was raised from 0, so that filters skip
// files again; a second call finds nothing to do.
func ExampleTable_ComputeStatistics() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), &delta.CreateOptions{
		Properties: map[string]string{"delta.dataSkippingNumIndexedCols": "0"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	for _, id := range []int64{1, 2, 3} {
		rr := orders([]int64{id}, []string{"Oslo"}, []float64{10 * float64(id)})
		_, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		if err != nil {
			log.Fatal(err)
		}
	}
	if _, err := tbl.SetProperties(ctx, map[string]string{"delta.dataSkippingNumIndexedCols": "32"}, nil); err != nil {
		log.Fatal(err)
	}
	res, err := tbl.ComputeStatistics(ctx, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Operation, "version", res.Version, "files updated:", res.Metrics["numFilesUpdated"])
	again, err := tbl.ComputeStatistics(ctx, nil, nil)
	fmt.Println("second run commits:", again != nil, err)
	// Output:
	// COMPUTE STATS version 5 files updated: 3
	// second run commits: false <nil>
}
