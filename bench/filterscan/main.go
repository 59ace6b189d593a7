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
	"os"
	"runtime/pprof"
	"time"

	"github.com/lakehouse-go/lakehouse/bench/internal/issuedata"
	"github.com/lakehouse-go/lakehouse/delta"
)

func main() {
	table := flag.String("table", ".cache/bench/issue-10000000/table", "the Delta table to scan")
	filter := flag.String("filter", "", "SQL filter; empty scans everything")
	n := flag.Int("n", 3, "runs")
	batch := flag.Int64("batch", 0, "rows per batch (ScanOptions.BatchSize); 0 is the default")
	profile := flag.String("cpuprofile", "", "write a CPU profile of lakehouse's ordered scans to this file")
	flag.Parse()
	ctx := context.Background()
	var prof *os.File
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			log.Fatal(err)
		}
		defer f.Close()
		prof = f
	}
	for range *n {
		if prof != nil {
			if err := pprof.StartCPUProfile(prof); err != nil {
				log.Fatal(err)
			}
		}
		ordered, rows, err := issuedata.LakehouseScan(ctx, *table, *filter, delta.ScanOptions{BatchSize: *batch})
		if prof != nil {
			pprof.StopCPUProfile()
			prof = nil // one profile file holds one run; the first is enough to read
		}
		if err != nil {
			log.Fatal(err)
		}
		anyOrder, _, err := issuedata.LakehouseScan(ctx, *table, *filter, delta.ScanOptions{AnyOrder: true, BatchSize: *batch})
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
