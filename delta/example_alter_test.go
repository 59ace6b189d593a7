package delta_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// mappedTable holds two orders in a table with column mapping by name,
// which renaming and dropping columns need.
func mappedTable(ctx context.Context) *delta.Table {
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{10, 20})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, &delta.CreateOptions{
		Properties: map[string]string{"delta.columnMapping.mode": "name"},
	})
	if err != nil {
		log.Fatal(err)
	}
	return tbl
}

// columnNames prints the latest schema's column names.
func columnNames(ctx context.Context, tbl *delta.Table) {
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	var names []string
	for _, f := range snap.Schema().Fields() {
		names = append(names, f.Name)
	}
	fmt.Println(names)
}

// AddColumns adds nullable columns; rows written before read them as
// null.
func ExampleTable_AddColumns() {
	ctx := context.Background()
	rr := orders([]int64{1}, []string{"Oslo"}, []float64{10})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	res, err := tbl.AddColumns(ctx, []arrow.Field{{Name: "coupon", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, res.Operation)
	columnNames(ctx, tbl)
	snap, _ := tbl.Snapshot(ctx)
	scan, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"id", "coupon"}})
	if err != nil {
		log.Fatal(err)
	}
	defer scan.Release()
	for scan.Next() {
		rec := scan.RecordBatch()
		fmt.Println(rec.Column(0).ValueStr(0), rec.Column(1).IsNull(0))
	}
	// Output:
	// version 1 ADD COLUMNS
	// [id city amount coupon]
	// 1 true
}

// DropColumns needs column mapping: the data files keep the column, the
// schema forgets it.
func ExampleTable_DropColumns() {
	ctx := context.Background()
	tbl := mappedTable(ctx)
	defer tbl.Close()
	res, err := tbl.DropColumns(ctx, []string{"amount"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Operation)
	columnNames(ctx, tbl)

	plain := smallFiles(ctx)
	defer plain.Close()
	_, err = plain.DropColumns(ctx, []string{"amount"}, nil)
	fmt.Println(err != nil)
	// Output:
	// DROP COLUMNS
	// [id city]
	// true
}

// RenameColumn renames a column of a column-mapped table without
// rewriting data.
func ExampleTable_RenameColumn() {
	ctx := context.Background()
	tbl := mappedTable(ctx)
	defer tbl.Close()
	res, err := tbl.RenameColumn(ctx, "amount", "total", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Operation)
	columnNames(ctx, tbl)
	snap, _ := tbl.Snapshot(ctx)
	printRows(snap, nil)
	// Unordered output:
	// RENAME COLUMN
	// [id city total]
	// 1 Oslo 10
	// 2 Lima 20
}

// SetColumnComment documents a column; the comment is Arrow field
// metadata on the schema.
func ExampleTable_SetColumnComment() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	res, err := tbl.SetColumnComment(ctx, "amount", "order total in EUR", nil)
	if err != nil {
		log.Fatal(err)
	}
	snap, _ := tbl.Snapshot(ctx)
	f, _ := snap.Schema().FieldsByName("amount")
	comment, _ := f[0].Metadata.GetValue("comment")
	fmt.Println(res.Operation, "|", comment)
	// Output:
	// CHANGE COLUMN | order total in EUR
}

// UnsetProperties removes table properties, here lifting append-only.
func ExampleTable_UnsetProperties() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, &delta.CreateOptions{Properties: map[string]string{"delta.appendOnly": "true"}})
	defer tbl.Close()
	_, err := tbl.Delete(ctx, nil, nil)
	fmt.Println(errors.Is(err, delta.ErrAppendOnly), snap.Properties()["delta.appendOnly"])

	res, err := tbl.UnsetProperties(ctx, []string{"delta.appendOnly"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Operation)
	if _, err := tbl.Delete(ctx, nil, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows", countRows(ctx, tbl))
	// Output:
	// true true
	// UNSET TBLPROPERTIES
	// rows 0
}

// AddConstraint checks existing rows, then every later write.
func ExampleTable_AddConstraint() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	_, err := tbl.AddConstraint(ctx, "small", "amount < 20", nil)
	fmt.Println("existing rows violate:", errors.Is(err, delta.ErrConstraintViolation))
	if _, err := tbl.AddConstraint(ctx, "positive", "amount > 0", nil); err != nil {
		log.Fatal(err)
	}
	snap, _ := tbl.Snapshot(ctx)
	fmt.Println(snap.Properties()["delta.constraints.positive"])
	bad := orders([]int64{9}, []string{"Oslo"}, []float64{-1})
	defer bad.Release()
	_, err = tbl.Append(ctx, bad, nil)
	fmt.Println("negative append refused:", errors.Is(err, delta.ErrConstraintViolation))
	// Output:
	// existing rows violate: true
	// amount > 0
	// negative append refused: true
}

// DropConstraint lifts a CHECK constraint.
func ExampleTable_DropConstraint() {
	ctx := context.Background()
	tbl, _ := cityTable(ctx, &delta.CreateOptions{Constraints: map[string]string{"positive": "amount > 0"}})
	defer tbl.Close()
	res, err := tbl.DropConstraint(ctx, "positive", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Operation)
	neg := orders([]int64{9}, []string{"Oslo"}, []float64{-1})
	defer neg.Release()
	if _, err := tbl.Append(ctx, neg, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("rows", countRows(ctx, tbl))
	// Output:
	// DROP CONSTRAINT
	// rows 5
}

// Purge rewrites files that carry deletion vectors so the deleted rows
// leave storage (after VACUUM); the rows a reader sees do not change.
func ExampleTable_Purge() {
	ctx := context.Background()
	tbl := dmlTable(ctx)
	defer tbl.Close()
	if _, err := tbl.Delete(ctx, expr.Col("city").Eq(expr.Lit("Oslo")), nil); err != nil {
		log.Fatal(err)
	}
	res, err := tbl.Purge(ctx, nil, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Operation, "removed", res.Metrics["numRemovedFiles"], "added", res.Metrics["numAddedFiles"])
	snap, _ := tbl.Snapshot(ctx)
	for f, err := range snap.Files(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("deletion vector", f.DeletionVector != nil)
	}
	printRows(snap, nil)
	// Output:
	// REORG removed 1 added 1
	// deletion vector false
	// 2 Lima 20
	// 4 Rome 40
}
