package delta_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
)

// ClusterBy makes a table clustered (Spark's ALTER TABLE … CLUSTER BY):
// the columns go into the delta.clustering domain, and the next OPTIMIZE
// (package optimize) orders files by them.
func ExampleTable_ClusterBy() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	if _, err := tbl.ClusterBy(ctx, []string{"city", "id"}, nil); err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(snap.IsClustered(), snap.ClusteringColumns())
	// Output:
	// true [city id]
}

// A table stays clustered (the clustering feature remains) after CLUSTER
// BY NONE, but has no clustering columns.
func ExampleSnapshot_IsClustered() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	for _, cols := range [][]string{{"city"}, nil} {
		if _, err := tbl.ClusterBy(ctx, cols, nil); err != nil {
			log.Fatal(err)
		}
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(snap.IsClustered(), snap.ClusteringColumns())
	}
	// Output:
	// true [city]
	// true []
}

// ClusteringColumns is nil on a table that was never clustered.
func ExampleSnapshot_ClusteringColumns() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(snap.ClusteringColumns() == nil, snap.IsClustered())
	// Output:
	// true false
}

// CommitFiles lists what one version added and removed: here an append of
// one file.
func ExampleTable_CommitFiles() {
	ctx := context.Background()
	tbl := smallFiles(ctx) // versions 1-3 append one file each
	defer tbl.Close()
	adds, removes, err := tbl.CommitFiles(ctx, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version 2:", len(adds), "added,", len(removes), "removed, dataChange", adds[0].DataChange)
	// Output:
	// version 2: 1 added, 0 removed, dataChange true
}

// CheckpointVersion says which checkpoint a snapshot started from; the
// commits after it are replayed on top.
func ExampleSnapshot_CheckpointVersion() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("before:", snap.CheckpointVersion())
	if _, err := tbl.Checkpoint(ctx, nil); err != nil {
		log.Fatal(err)
	}
	if snap, err = tbl.Snapshot(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("after:", snap.CheckpointVersion(), "of version", snap.Version())
	// Output:
	// before: -1
	// after: 3 of version 3
}

// ExpiredLogFiles lists the log files past delta.logRetentionDuration
// that log cleanup may delete (those before the newest checkpoint in the
// window); CleanupLog deletes them, and the latest version still reads.
func ExampleTable_CleanupLog() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), &delta.CreateOptions{
		Properties: map[string]string{"delta.logRetentionDuration": "interval 1 millisecond"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	for _, id := range []int64{1, 2} {
		rr := orders([]int64{id}, []string{"Oslo"}, []float64{1})
		_, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		if err != nil {
			log.Fatal(err)
		}
	}
	if _, err := tbl.Checkpoint(ctx, nil); err != nil {
		log.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // let the commits age past the retention
	expired, err := tbl.ExpiredLogFiles(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(expired)
	if err := tbl.CleanupLog(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows:", countRows(ctx, tbl))
	// Output:
	// [_delta_log/00000000000000000000.json _delta_log/00000000000000000001.json]
	// rows: 2
}

// ExpiredLogFiles is empty while every commit is inside the retention
// window (30 days by default).
func ExampleTable_ExpiredLogFiles() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	if _, err := tbl.Checkpoint(ctx, nil); err != nil {
		log.Fatal(err)
	}
	expired, err := tbl.ExpiredLogFiles(ctx)
	fmt.Println(len(expired), err)
	// Output:
	// 0 <nil>
}
