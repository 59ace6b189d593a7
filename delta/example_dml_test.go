package delta_test

import (
	"context"
	"fmt"
	"log"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// dmlTable creates a table with deletion vectors and the change feed on,
// holding four orders.
func dmlTable(ctx context.Context) *delta.Table {
	rr := orders([]int64{1, 2, 3, 4}, []string{"Oslo", "Lima", "Oslo", "Rome"}, []float64{10, 20, 30, 40})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, &delta.CreateOptions{Properties: map[string]string{
		"delta.enableDeletionVectors": "true",
		"delta.enableChangeDataFeed":  "true",
	}})
	if err != nil {
		log.Fatal(err)
	}
	return tbl
}

// DELETE marks the matching rows in a deletion vector; the data file
// stays, and the change feed shows the deleted rows.
func ExampleTable_Delete() {
	ctx := context.Background()
	tbl := dmlTable(ctx)
	defer tbl.Close()
	res, err := tbl.Delete(ctx, expr.Col("city").Eq(expr.Lit("Oslo")), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Operation, "deleted", res.Metrics["numDeletedRows"], "vectors", res.Metrics["numDeletionVectorsAdded"], "files removed", res.Metrics["numRemovedFiles"])
	snap, _ := tbl.Snapshot(ctx)
	printRows(snap, nil)
	// Output:
	// DELETE deleted 2 vectors 1 files removed 0
	// 2 Lima 20
	// 4 Rome 40
}

// UPDATE with Spark SQL values; the change feed carries the row before
// and after.
func ExampleTable_Update() {
	ctx := context.Background()
	tbl := dmlTable(ctx)
	defer tbl.Close()
	where, _ := expr.Parse("amount >= 30")
	raise, _ := expr.Parse("amount * 1.1")
	res, err := tbl.Update(ctx, map[string]expr.Expr{"amount": raise}, where, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Operation, "updated", res.Metrics["numUpdatedRows"])
	rr, err := tbl.Changes(ctx, res.Version, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		kind := rec.Column(rec.Schema().FieldIndices(delta.ChangeTypeColumn)[0])
		for i := 0; i < int(rec.NumRows()); i++ {
			fmt.Println(rec.Column(0).ValueStr(i), rec.Column(2).ValueStr(i), kind.ValueStr(i))
		}
	}
	// Output:
	// UPDATE updated 2
	// 3 30 update_preimage
	// 4 40 update_preimage
	// 3 33 update_postimage
	// 4 44 update_postimage
}

// An upsert: matched rows take the source's amount, new ids are inserted,
// and rows of Rome that the source no longer has are deleted.
func ExampleTable_Merge() {
	ctx := context.Background()
	tbl := dmlTable(ctx)
	defer tbl.Close()
	src := orders([]int64{2, 5}, []string{"Lima", "Oslo"}, []float64{25, 50})
	defer src.Release()
	on, _ := expr.Parse("t.id = s.id")
	rome, _ := expr.Parse("t.city = 'Rome'")
	res, err := tbl.Merge(ctx, src, on, &delta.MergeOptions{
		TargetAlias:            "t",
		SourceAlias:            "s",
		WhenMatched:            []delta.WhenMatched{{UpdateAll: true}},
		WhenNotMatched:         []delta.WhenNotMatched{{InsertAll: true}},
		WhenNotMatchedBySource: []delta.WhenNotMatchedBySource{{Condition: rome, Delete: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	m := res.Metrics
	fmt.Println(res.Operation, "updated", m["numTargetRowsUpdated"], "inserted", m["numTargetRowsInserted"], "deleted", m["numTargetRowsDeleted"])
	snap, _ := tbl.Snapshot(ctx)
	printRows(snap, nil)
	// Output:
	// MERGE updated 1 inserted 1 deleted 1
	// 2 Lima 25
	// 5 Oslo 50
	// 1 Oslo 10
	// 3 Oslo 30
}

// Without deletion vectors a DELETE rewrites the files it touches. The
// row groups of a file that hold no deleted row go into the new file as
// they are, not decoded and encoded again, so smaller row groups
// (TxnOptions.RowGroupRows) leave a narrow DELETE less to rewrite.
func ExampleTable_Delete_copyOnWrite() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	rr := orders([]int64{1, 2, 3, 4, 5, 6}, []string{"Oslo", "Lima", "Oslo", "Rome", "Lima", "Rome"}, []float64{10, 20, 30, 40, 50, 60})
	defer rr.Release()
	if _, err := tbl.Append(ctx, rr, &delta.TxnOptions{RowGroupRows: 2}); err != nil {
		log.Fatal(err)
	}
	res, err := tbl.Delete(ctx, expr.Col("id").Eq(expr.Lit(int64(3))), nil)
	if err != nil {
		log.Fatal(err)
	}
	// Rows 1, 2, 5 and 6 are copied with their row groups; row 4 is
	// rewritten beside the deleted row 3.
	fmt.Println(res.Operation, "deleted", res.Metrics["numDeletedRows"], "copied", res.Metrics["numCopiedRows"], "files", res.Metrics["numRemovedFiles"], "->", res.Metrics["numAddedFiles"])
	snap, _ := tbl.Snapshot(ctx)
	printRows(snap, nil)
	// Output:
	// DELETE deleted 1 copied 5 files 1 -> 1
	// 1 Oslo 10
	// 2 Lima 20
	// 4 Rome 40
	// 5 Lima 50
	// 6 Rome 60
}
