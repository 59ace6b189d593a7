package optimize_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/lakehouse-go/lakehouse/optimize"
)

// Maintain inspects a table, decides what it needs and does it; a second
// run on the now healthy table does nothing. A service calls it on a
// ticker, beside its appends.
func ExampleMaintain() {
	dir, _ := os.MkdirTemp("", "optimize-example")
	defer os.RemoveAll(dir)
	tbl, err := smallAppends(filepath.Join(dir, "events"), 120)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	policy := &optimize.Policy{Budget: 5 * time.Minute}
	for range 2 {
		rep, err := optimize.Maintain(ctx, tbl, policy)
		if err != nil {
			log.Fatal(err)
		}
		for _, d := range rep.Decisions {
			if d.Needed {
				fmt.Printf("%s: %s (%s)\n", d.Action, d.Status, d.Reason)
			}
		}
		fmt.Println("version", rep.Version, "files", countFiles(tbl))
	}
	// Output:
	// compact: done (60 small file(s) (< 64.0 MiB) in a partition, at least 50; 120 in the table)
	// version 121 files 2
	// version 121 files 2
}

// Decide is the pure rule book of Maintain: given what a table looks
// like, it says what to run and why.
func ExampleDecide() {
	stats := &optimize.TableStats{
		NumFiles: 400, Bytes: 3 << 30,
		SmallFiles: 380, MaxSmallFilesInPartition: 200,
		DVFiles: 2, DVHeavyFiles: 1, Rows: 1_000_000, DeletedRows: 30_000,
		CheckpointVersion: 90, CommitsSinceCheckpoint: 4, CheckpointInterval: 10,
	}
	policy := &optimize.Policy{
		TargetFileSize: 128 << 20, SmallFileSize: 64 << 20, MinSmallFiles: 50,
		MaxDeletedRowsRatio: 0.05, MaxUnclusteredRatio: 0.1,
	}
	for _, d := range optimize.Decide(stats, policy) {
		if d.Needed {
			fmt.Printf("%s: %s\n", d.Action, d.Reason)
		}
	}
	// Output:
	// purge: 1 file(s) delete more than 5% of their rows (3% of the table's rows are deleted)
	// compact: 200 small file(s) (< 64.0 MiB) in a partition, at least 50; 380 in the table
}

// Inspect reports what Maintain decides on, without deciding; a dry run
// of Maintain adds the decisions and changes nothing.
func ExampleInspect() {
	dir, _ := os.MkdirTemp("", "optimize-example")
	defer os.RemoveAll(dir)
	tbl, err := smallAppends(filepath.Join(dir, "events"), 8)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	stats, err := optimize.Inspect(ctx, tbl, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range stats.Partitions {
		fmt.Printf("%s: %d files, %d small\n", p.Partition, p.NumFiles, p.SmallFiles)
	}
	fmt.Println("commits since checkpoint:", stats.CommitsSinceCheckpoint)

	rep, err := optimize.Maintain(ctx, tbl, &optimize.Policy{MinSmallFiles: 4, DryRun: true})
	if err != nil {
		log.Fatal(err)
	}
	d := rep.Decision(optimize.ActionCompact)
	fmt.Println(d.Status, "-", d.Reason)
	fmt.Println("files still:", countFiles(tbl))
	// Output:
	// day=2024-01-01: 4 files, 4 small
	// day=2024-01-02: 4 files, 4 small
	// commits since checkpoint: 9
	// planned - 4 small file(s) (< 64.0 MiB) in a partition, at least 4; 8 in the table
	// files still: 8
}
