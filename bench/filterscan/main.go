// Command filterscan times one filtered scan of a table through lakehouse
// (in file order and in any order) against the plain-Parquet floor, run
// after run, for filters the harness's workloads do not cover:
//
//	go run ./bench/filterscan -table .cache/bench/issue-10000000/table -filter 'value * 2 > 1.99998' -n 3
//
// To compare two builds, build this command at each commit and alternate
// the binaries; the table is the harness's (go run ./bench generates it).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/lakehouse-go/lakehouse/bench/internal/issuedata"
	"github.com/lakehouse-go/lakehouse/delta"
)

func main() {
	table := flag.String("table", ".cache/bench/issue-10000000/table", "the Delta table to scan")
	filter := flag.String("filter", "", "SQL filter; empty scans everything")
	n := flag.Int("n", 3, "runs")
	flag.Parse()
	ctx := context.Background()
	for range *n {
		ordered, rows, err := issuedata.LakehouseScan(ctx, *table, *filter, delta.ScanOptions{})
		if err != nil {
			log.Fatal(err)
		}
		anyOrder, _, err := issuedata.LakehouseScan(ctx, *table, *filter, delta.ScanOptions{AnyOrder: true})
		if err != nil {
			log.Fatal(err)
		}
		floor, floorRows, err := issuedata.FloorScan(ctx, *table, *filter)
		if err != nil {
			log.Fatal(err)
		}
		if rows != floorRows {
			log.Fatalf("filterscan: lakehouse returned %d rows, the floor %d", rows, floorRows)
		}
		fmt.Printf("rows %d  lakehouse %v  any order %v  floor %v  lakehouse/floor %.2f\n",
			rows, ordered.Round(time.Millisecond), anyOrder.Round(time.Millisecond), floor.Round(time.Millisecond),
			float64(ordered)/float64(floor))
	}
}
