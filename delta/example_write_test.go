package delta_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta"
)

// A transaction stages data files with Write; nothing is visible until
// Commit, and Rollback (deferred) deletes the staged files of a
// transaction that does not commit.
func ExampleTransaction_Commit() {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	tbl, err := delta.Create(ctx, "mem://", schema, &delta.CreateOptions{PartitionBy: []string{"city"}})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()

	txn, err := tbl.Begin(ctx, &delta.TxnOptions{AppID: "nightly-load", AppVersion: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	rr := orders([]int64{1, 2, 3}, []string{"Oslo", "Lima", "Oslo"}, []float64{10, 20, 30})
	defer rr.Release()
	if err := txn.Write(ctx, rr); err != nil {
		log.Fatal(err)
	}
	info, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", info.Version, info.Operation, "files", info.Metrics["numFiles"], "rows", info.Metrics["numOutputRows"])

	// Replaying the same application version commits nothing.
	again := orders([]int64{1, 2, 3}, []string{"Oslo", "Lima", "Oslo"}, []float64{10, 20, 30})
	defer again.Release()
	res, err := tbl.Append(ctx, again, &delta.TxnOptions{AppID: "nightly-load", AppVersion: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("replay skipped:", res.Skipped)
	// Output:
	// version 1 WRITE files 2 rows 3
	// replay skipped: true
}

// Two overwrites that read the same version: the first commits, the
// second gets a *ConflictError and leaves the table untouched.
func ExampleConflictError() {
	ctx := context.Background()
	rr := orders([]int64{1}, []string{"Oslo"}, []float64{10})
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, nil)
	rr.Release()
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	a, _ := tbl.Begin(ctx, &delta.TxnOptions{Mode: delta.Overwrite})
	b, _ := tbl.Begin(ctx, &delta.TxnOptions{Mode: delta.Overwrite})
	defer a.Rollback()
	defer b.Rollback()
	if _, err := a.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	_, err = b.Commit(ctx)
	var ce *delta.ConflictError
	fmt.Println(errors.Is(err, delta.ErrConflict), errors.As(err, &ce) && ce.Version == 1)
	// Output:
	// true true
}

// Table changes are commits of their own, recorded with Spark's operation
// names.
func ExampleTable_SetProperties() {
	ctx := context.Background()
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{10, 20})
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, nil)
	rr.Release()
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	if _, err := tbl.SetProperties(ctx, map[string]string{"delta.appendOnly": "true"}, nil); err != nil {
		log.Fatal(err)
	}
	if _, err := tbl.AddConstraint(ctx, "positive_amount", "amount > 0", nil); err != nil {
		log.Fatal(err)
	}
	bad := orders([]int64{3}, []string{"Rome"}, []float64{-5})
	defer bad.Release()
	_, err = tbl.Append(ctx, bad, nil)
	fmt.Println(errors.Is(err, delta.ErrConstraintViolation))
	hist, err := tbl.History(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hist {
		fmt.Println(h.Version, h.Operation())
	}
	// Output:
	// true
	// 2 ADD CONSTRAINT
	// 1 SET TBLPROPERTIES
	// 0 CREATE TABLE AS SELECT
}
