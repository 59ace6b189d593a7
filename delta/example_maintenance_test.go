package delta_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// A bad DELETE is undone by restoring the version before it.
func ExampleTable_Restore() {
	ctx := context.Background()
	rr := orders([]int64{1, 2, 3}, []string{"Oslo", "Lima", "Oslo"}, []float64{10, 20, 30})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	oslo, err := expr.Parse("city = 'Oslo'")
	if err != nil {
		log.Fatal(err)
	}
	if _, err := tbl.Delete(ctx, oslo, nil); err != nil {
		log.Fatal(err)
	}

	res, err := tbl.Restore(ctx, delta.RestoreTarget{Version: 0}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, res.Operation, "restored files", res.Metrics["numRestoredFiles"], "removed files", res.Metrics["numRemovedFiles"])
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	printRows(snap, nil)
	// Output:
	// version 2 RESTORE restored files 1 removed files 1
	// 1 Oslo 10
	// 2 Lima 20
	// 3 Oslo 30
}

// A deep clone copies a table's files to another store; a shallow clone
// of a table on disk names the source's files instead of copying them.
func ExampleClone() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "clone-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{10, 20})
	defer rr.Release()
	src, _, err := delta.CreateAsSelect(ctx, filepath.Join(dir, "orders"), rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	snap, err := src.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}

	for _, shallow := range []bool{false, true} {
		target := "mem://"
		if shallow {
			target = filepath.Join(dir, "orders_dev")
		}
		// A shallow clone reads the source's files: its handle must be
		// allowed to leave its own root for the source's.
		opts := &delta.CloneOptions{Shallow: shallow, Table: &delta.Options{AllowedRoots: []string{src.URL()}}}
		clone, res, err := delta.Clone(ctx, snap, target, opts)
		if err != nil {
			log.Fatal(err)
		}
		cs, err := clone.Snapshot(ctx)
		if err != nil {
			log.Fatal(err)
		}
		stats, err := cs.FileStats(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("shallow", shallow, res.Operation, "copied files", res.Metrics["numCopiedFiles"], "rows", stats.NumRecords)
		_ = clone.Close()
	}
	// Output:
	// shallow false CLONE copied files 1 rows 2
	// shallow true CLONE copied files 0 rows 2
}

// A writer killed mid-way leaves a data file no commit names. Vacuum
// finds it once it is older than the retention; DryRun lists it first.
func ExampleTable_Vacuum() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vacuum-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{10, 20})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, dir, rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	orphan := filepath.Join(dir, "part-00000-killed-writer.snappy.parquet")
	if err := os.WriteFile(orphan, []byte("half a file"), 0o644); err != nil {
		log.Fatal(err)
	}
	lastWeek := time.Now().Add(-8 * 24 * time.Hour)
	if err := os.Chtimes(orphan, lastWeek, lastWeek); err != nil {
		log.Fatal(err)
	}

	dry, err := tbl.Vacuum(ctx, &delta.VacuumOptions{DryRun: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("would delete", dry.Files)
	res, err := tbl.Vacuum(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("deleted", res.NumDeletedFiles, "file; recorded in versions", res.StartVersion, "and", res.EndVersion)

	hour := time.Hour
	_, err = tbl.Vacuum(ctx, &delta.VacuumOptions{Retention: &hour})
	fmt.Println(errors.Is(err, delta.ErrRetentionTooShort))
	// Output:
	// would delete [part-00000-killed-writer.snappy.parquet]
	// deleted 1 file; recorded in versions 1 and 2
	// true
}
