package optimize_test

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
	"github.com/lakehouse-go/lakehouse/optimize"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "country", Type: arrow.BinaryTypes.String},
	{Name: "day", Type: arrow.BinaryTypes.String},
}, nil)

// smallAppends creates a table partitioned by day and appends n batches
// of 10 rows, as a service appending every few seconds would.
func smallAppends(dir string, n int) (*delta.Table, error) {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, dir, schema, &delta.CreateOptions{PartitionBy: []string{"day"}})
	if err != nil {
		return nil, err
	}
	for i := range n {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for j := range 10 {
			id := int64(i*10 + j)
			b.Field(0).(*array.Int64Builder).Append(id)
			b.Field(1).(*array.StringBuilder).Append([]string{"de", "fr", "jp"}[id%3])
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("2024-01-0%d", 1+i%2))
		}
		rec := b.NewRecordBatch()
		b.Release()
		rr, _ := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
		_, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		rec.Release()
		if err != nil {
			return nil, err
		}
	}
	return tbl, nil
}

func countFiles(tbl *delta.Table) int {
	snap, err := tbl.Snapshot(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	n := 0
	for _, err := range snap.Files(context.Background()) {
		if err != nil {
			log.Fatal(err)
		}
		n++
	}
	return n
}

// Compacting the small files of a table: each partition's files become
// one file, in a commit that changes no rows.
func ExampleCompact() {
	dir, _ := os.MkdirTemp("", "optimize-example")
	defer os.RemoveAll(dir)
	tbl, err := smallAppends(filepath.Join(dir, "events"), 20)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("files before:", countFiles(tbl))

	res, err := optimize.Compact(context.Background(), tbl, nil)
	if err != nil {
		log.Fatal(err)
	}
	m := res.Metrics
	fmt.Println("files after:", countFiles(tbl))
	fmt.Println("removed", m.NumFilesRemoved, "added", m.NumFilesAdded, "in", m.PartitionsOptimized, "partitions")
	fmt.Println("commit:", res.Commits[0].Operation, "version", res.Version)
	// Output:
	// files before: 20
	// files after: 2
	// removed 20 added 2 in 2 partitions
	// commit: OPTIMIZE version 21
}

// Z-ordering one partition by two columns; running it again finds the
// partition clustered already and commits nothing.
func ExampleCompact_zOrder() {
	dir, _ := os.MkdirTemp("", "optimize-example")
	defer os.RemoveAll(dir)
	tbl, err := smallAppends(filepath.Join(dir, "events"), 6)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	opts := &optimize.Options{
		Where:    expr.Col("day").Eq(expr.Lit("2024-01-01")),
		ZOrderBy: []string{"country", "id"},
	}
	res, err := optimize.Compact(ctx, tbl, opts)
	if err != nil {
		log.Fatal(err)
	}
	z := res.Metrics.ZOrderStats
	fmt.Println("merged", z.MergedFiles.Num, "files into", z.NumOutputCubes, "Z-cube")

	again, err := optimize.Compact(ctx, tbl, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("second run commits:", len(again.Commits), "skipped:", again.Metrics.NumFilesSkippedToReduceWriteAmplification)
	// Output:
	// merged 3 files into 1 Z-cube
	// second run commits: 0 skipped: 1
}
