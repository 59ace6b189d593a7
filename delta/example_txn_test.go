package delta_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
)

// smallFiles makes a table of three appends, one small file each.
func smallFiles(ctx context.Context) *delta.Table {
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, id := range []int64{1, 2, 3} {
		rr := orders([]int64{id}, []string{"Oslo"}, []float64{10 * float64(id)})
		_, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		if err != nil {
			log.Fatal(err)
		}
	}
	return tbl
}

// liveFiles collects a snapshot's live files.
func liveFiles(ctx context.Context, snap *delta.Snapshot) []*delta.AddFile {
	var files []*delta.AddFile
	for f, err := range snap.Files(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// Begin opens a transaction on the latest version; ReadVersion and
// Snapshot say which one.
func ExampleTable_Begin() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	fmt.Println("reads version", txn.ReadVersion(), txn.Snapshot().Version())
	rr := orders([]int64{4}, []string{"Lima"}, []float64{40})
	defer rr.Release()
	if err := txn.Write(ctx, rr); err != nil {
		log.Fatal(err)
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("committed version", res.Version)
	// Output:
	// reads version 3 3
	// committed version 4
}

// Compaction: plan from a snapshot, rewrite its small files as one and
// remove them without data change, recorded as OPTIMIZE. BeginAt makes
// the commit check every version after the planned one.
func ExampleTable_BeginAt() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	plan, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	files := liveFiles(ctx, plan)

	txn, err := tbl.BeginAt(ctx, plan, &delta.TxnOptions{NoDataChange: true})
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	rr, err := plan.ScanFiles(ctx, files, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rr.Release()
	if err := txn.Write(ctx, rr); err != nil {
		log.Fatal(err)
	}
	if err := txn.RemoveFiles(files, false); err != nil {
		log.Fatal(err)
	}
	if err := txn.SetOperation("OPTIMIZE", map[string]string{"predicate": "[]"}); err != nil {
		log.Fatal(err)
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, res.Operation, "added", res.Metrics["numAddedFiles"], "removed", res.Metrics["numRemovedFiles"])
	snap, _ := tbl.Snapshot(ctx)
	st, _ := snap.FileStats(ctx)
	fmt.Println("files", st.NumFiles, "rows", st.NumRecords)
	// Output:
	// version 4 OPTIMIZE added 1 removed 3
	// files 1 rows 3
}

// RemoveFiles with dataChange true deletes whole files' rows, here the
// files of one partition.
func ExampleTransaction_RemoveFiles() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	var lima []*delta.AddFile
	for _, f := range liveFiles(ctx, snap) {
		if *f.PartitionValues["city"] == "Lima" {
			lima = append(lima, f)
		}
	}
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	if err := txn.RemoveFiles(lima, true); err != nil {
		log.Fatal(err)
	}
	if err := txn.SetOperation("DELETE", map[string]string{"predicate": `["(city = 'Lima')"]`}); err != nil {
		log.Fatal(err)
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Operation, "removed", res.Metrics["numRemovedFiles"], "rows left", countRows(ctx, tbl))
	// Output:
	// DELETE removed 1 rows left 3
}

// SetOperationMetrics records an engine's own metrics next to the ones
// the transaction computes.
func ExampleTransaction_SetOperationMetrics() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	rr := orders([]int64{4}, []string{"Oslo"}, []float64{40})
	defer rr.Release()
	if err := txn.Write(ctx, rr); err != nil {
		log.Fatal(err)
	}
	if err := txn.SetOperation("STREAMING UPDATE", map[string]string{"outputMode": "Append", "epochId": "7"}); err != nil {
		log.Fatal(err)
	}
	if err := txn.SetOperationMetrics(map[string]string{"numOutputRows": "1", "sourceLagMs": "120"}); err != nil {
		log.Fatal(err)
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	hist, err := tbl.History(ctx, &delta.HistoryOptions{Limit: 1})
	if err != nil {
		log.Fatal(err)
	}
	metrics := hist[0].CommitInfo["operationMetrics"].(map[string]any)
	fmt.Println(res.Operation, metrics["sourceLagMs"], metrics["numFiles"])
	// Output:
	// STREAMING UPDATE 120 1
}

// Rollback abandons a transaction and its staged files; using it after
// is ErrTxnDone.
func ExampleTransaction_Rollback() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	rr := orders([]int64{4}, []string{"Oslo"}, []float64{40})
	defer rr.Release()
	if err := txn.Write(ctx, rr); err != nil {
		log.Fatal(err)
	}
	fmt.Println(txn.Rollback())
	_, err = txn.Commit(ctx)
	fmt.Println(errors.Is(err, delta.ErrTxnDone), "rows", countRows(ctx, tbl))
	// Output:
	// <nil>
	// true rows 3
}

// Write takes a stream of batches; several Writes go into one commit.
func ExampleTransaction_Write() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	for _, id := range []int64{1, 2} {
		rr := orders([]int64{id}, []string{"Oslo"}, []float64{1})
		err := txn.Write(ctx, rr)
		rr.Release()
		if err != nil {
			log.Fatal(err)
		}
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, "rows", res.Metrics["numOutputRows"])
	// Output:
	// version 1 rows 2
}

// WriteBatch stages a single Arrow record batch.
func ExampleTransaction_WriteBatch() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{1, 2})
	defer rr.Release()
	for rr.Next() {
		if err := txn.WriteBatch(ctx, rr.RecordBatch()); err != nil {
			log.Fatal(err)
		}
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, "rows", res.Metrics["numOutputRows"])
	// Output:
	// version 1 rows 2
}

// ReadVersion is the version the transaction read: the latest when it
// began. Concurrent commits after it are checked for conflicts at Commit.
func ExampleTransaction_ReadVersion() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	fmt.Println(txn.ReadVersion())
	// Output:
	// 3
}

// Snapshot is what the transaction read: plan from it, not from a newer
// snapshot.
func ExampleTransaction_Snapshot() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	fmt.Println("version", txn.Snapshot().Version(), "files", len(liveFiles(ctx, txn.Snapshot())))
	// Output:
	// version 3 files 3
}

// FileWriters let several goroutines stage files of one transaction;
// each joins the transaction when its Close returns.
func ExampleTransaction_NewFileWriter() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()

	batches := []array.RecordReader{
		orders([]int64{1, 2}, []string{"Oslo", "Oslo"}, []float64{1, 2}),
		orders([]int64{3}, []string{"Lima"}, []float64{3}),
	}
	errs := make(chan error, len(batches))
	for _, rr := range batches {
		go func() {
			defer rr.Release()
			fw, err := txn.NewFileWriter(&delta.FileWriterOptions{Tags: map[string]string{"writer": "worker"}})
			if err != nil {
				errs <- err
				return
			}
			if err := fw.Write(ctx, rr); err != nil {
				fw.Abort()
				errs <- err
				return
			}
			_, err = fw.Close(ctx)
			errs <- err
		}()
	}
	for range batches {
		if err := <-errs; err != nil {
			log.Fatal(err)
		}
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, "rows", countRows(ctx, tbl))
	// Output:
	// version 1 rows 3
}

// Close returns the files a FileWriter staged.
func ExampleFileWriter_Close() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), &delta.CreateOptions{PartitionBy: []string{"city"}})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	fw, err := txn.NewFileWriter(nil)
	if err != nil {
		log.Fatal(err)
	}
	rr := orders([]int64{1, 2, 3}, []string{"Oslo", "Lima", "Oslo"}, []float64{1, 2, 3})
	defer rr.Release()
	for rr.Next() {
		if err := fw.WriteBatch(ctx, rr.RecordBatch()); err != nil {
			log.Fatal(err)
		}
	}
	files, err := fw.Close(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("files", len(files))
	if _, err := txn.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows", countRows(ctx, tbl))
	// Output:
	// files 2
	// rows 3
}

// Abort discards what a FileWriter staged; the transaction commits
// without it.
func ExampleFileWriter_Abort() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	fw, err := txn.NewFileWriter(nil)
	if err != nil {
		log.Fatal(err)
	}
	rr := orders([]int64{9}, []string{"Oslo"}, []float64{9})
	defer rr.Release()
	if err := fw.Write(ctx, rr); err != nil {
		log.Fatal(err)
	}
	fw.Abort()
	keep := orders([]int64{4}, []string{"Oslo"}, []float64{4})
	defer keep.Release()
	if err := txn.Write(ctx, keep); err != nil {
		log.Fatal(err)
	}
	if _, err := txn.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows", countRows(ctx, tbl))
	// Output:
	// rows 4
}
