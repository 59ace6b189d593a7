// Command snapshotreload measures issue 16's snapshot reload: a table of
// -commits commits after its last checkpoint is loaded on a fresh handle,
// one more commit is made, and the same handle loads the latest snapshot
// again, which reads only that commit. Both times are printed per run,
// with their ratio; runs alternate with the commits that separate them.
//
//	go run ./bench/snapshotreload [-commits 2000] [-runs 5]
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
)

func main() {
	commits := flag.Int("commits", 2000, "commits after the checkpoint (none is written)")
	runs := flag.Int("runs", 5, "measured runs")
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "lakehouse-bench-reload")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "t")
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	tbl, err := delta.Create(ctx, path, schema, &delta.CreateOptions{
		Properties: map[string]string{"delta.checkpointInterval": "1000000"}, Table: &delta.Options{NoSync: true}})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	appendOne := func(id int64) {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		b.Field(0).(*array.Int64Builder).Append(id)
		rec := b.NewRecordBatch()
		defer rec.Release()
		rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
		if err != nil {
			log.Fatal(err)
		}
		defer rr.Release()
		if _, err := tbl.Append(ctx, rr, nil); err != nil {
			log.Fatal(err)
		}
	}
	for i := range *commits {
		appendOne(int64(i))
	}
	var full, reload []time.Duration
	for r := range *runs {
		appendOne(int64(1_000_000 + 2*r))
		h, err := delta.Open(ctx, path, nil)
		if err != nil {
			log.Fatal(err)
		}
		t0 := time.Now()
		if _, err := h.Snapshot(ctx); err != nil {
			log.Fatal(err)
		}
		full = append(full, time.Since(t0))
		appendOne(int64(1_000_000 + 2*r + 1))
		t1 := time.Now()
		s, err := h.Snapshot(ctx)
		if err != nil {
			log.Fatal(err)
		}
		reload = append(reload, time.Since(t1))
		fmt.Printf("run %d, version %d: fresh load %v, reload after one commit %v\n", r+1, s.Version(), full[r], reload[r])
		_ = h.Close()
	}
	slices.Sort(full)
	slices.Sort(reload)
	fmt.Printf("\n| %d commits after the checkpoint | median | min–max |\n|---|---|---|\n", *commits)
	fmt.Printf("| fresh handle: Snapshot | %v | %v–%v |\n", full[len(full)/2].Round(time.Millisecond), full[0].Round(time.Millisecond), full[len(full)-1].Round(time.Millisecond))
	fmt.Printf("| same handle, one commit later: Snapshot | %v | %v–%v |\n", reload[len(reload)/2].Round(100*time.Microsecond), reload[0].Round(100*time.Microsecond), reload[len(reload)-1].Round(100*time.Microsecond))
	fmt.Printf("| ratio | %.1f× faster | |\n", float64(full[len(full)/2])/float64(reload[len(reload)/2]))
}
