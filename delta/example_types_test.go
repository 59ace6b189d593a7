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

// Dates of typed rows have no time of day and no zone.
func ExampleDate() {
	d, err := delta.ParseDate("2024-02-29")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(d, d.Year, d.Month, d.Day)
	fmt.Println(d.Time())
	tokyo := time.FixedZone("JST", 9*3600)
	fmt.Println(delta.DateOf(time.Date(2024, 3, 1, 1, 0, 0, 0, tokyo)))
	_, err = delta.ParseDate("2023-02-29")
	fmt.Println(err != nil)
	// Output:
	// 2024-02-29 2024 February 29
	// 2024-02-29 00:00:00 +0000 UTC
	// 2024-03-01
	// true
}

// DateOf takes the date in the time's own location.
func ExampleDateOf() {
	t := time.Date(2024, 3, 1, 1, 0, 0, 0, time.FixedZone("JST", 9*3600))
	fmt.Println(delta.DateOf(t), delta.DateOf(t.UTC()))
	// Output:
	// 2024-03-01 2024-02-29
}

// ParseDate reads the yyyy-mm-dd form Date.String writes.
func ExampleParseDate() {
	d, err := delta.ParseDate("1999-12-31")
	fmt.Println(d.String(), err)
	_, err = delta.ParseDate("31/12/1999")
	fmt.Println(err != nil)
	// Output:
	// 1999-12-31 <nil>
	// true
}

// Time gives midnight UTC of the date.
func ExampleDate_Time() {
	d := delta.Date{Year: 2024, Month: time.May, Day: 1}
	fmt.Println(d.Time().Format(time.RFC3339))
	// Output:
	// 2024-05-01T00:00:00Z
}

// Decimals are exact: 0.1 + 0.2 problems stay in float64.
func ExampleDecimal() {
	price := delta.MustParseDecimal("19.90")
	fmt.Println(price, price.Scale())
	fmt.Println(delta.NewDecimal(1990, 2).Equal(price), delta.MustParseDecimal("19.9").Equal(price))
	// Output:
	// 19.90 2
	// true true
}

// ParseDecimal keeps the digits after the point as the scale.
func ExampleParseDecimal() {
	for _, s := range []string{"-12.340", "7", "1e3"} {
		d, err := delta.ParseDecimal(s)
		if err != nil {
			fmt.Println(s, "error")
			continue
		}
		fmt.Println(d, d.Scale())
	}
	// Output:
	// -12.340 3
	// 7 0
	// 1e3 error
}

// NewDecimal builds a decimal from an unscaled integer and a scale.
func ExampleNewDecimal() {
	fmt.Println(delta.NewDecimal(1234, 2), delta.NewDecimal(-5, 3), delta.NewDecimal(42, 0))
	// Output:
	// 12.34 -0.005 42
}

// MustParseDecimal is for literals known to be valid.
func ExampleMustParseDecimal() {
	fmt.Println(delta.MustParseDecimal("0.50").String())
	// Output:
	// 0.50
}

// Equal compares values whatever the scales; == would compare
// representations.
func ExampleDecimal_Equal() {
	a, b := delta.MustParseDecimal("1.5"), delta.MustParseDecimal("1.500")
	fmt.Println(a.Equal(b), a == b)
	// Output:
	// true false
}

// CommitInfo is the writer's record of a commit, as History returns it.
func ExampleCommitInfo() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	hist, err := tbl.History(ctx, &delta.HistoryOptions{Limit: 2})
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hist {
		ci := h.CommitInfo
		_, hasTime := ci.Timestamp()
		_, hasICT := ci.InCommitTimestamp()
		fmt.Println(h.Version, ci.Operation(), h.Operation(), hasTime, hasICT)
	}
	// Output:
	// 3 WRITE WRITE true false
	// 2 WRITE WRITE true false
}

// Tables with in-commit timestamps record the version's time in the
// commit itself, so copying the files keeps time travel exact.
func ExampleCommitInfo_InCommitTimestamp() {
	ctx := context.Background()
	rr := orders([]int64{1}, []string{"Oslo"}, []float64{1})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, &delta.CreateOptions{
		Properties: map[string]string{"delta.enableInCommitTimestamps": "true"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	snap, _ := tbl.Snapshot(ctx)
	ci, _ := snap.CommitInfo()
	ict, ok := ci.InCommitTimestamp()
	fmt.Println(ok, ict.Equal(snap.Timestamp()))
	// Output:
	// true true
}

// Isolation, WriteMode and ConflictKind print Delta's names.
func ExampleIsolation_String() {
	fmt.Println(delta.WriteSerializable, delta.Serializable)
	fmt.Println(delta.Append, delta.Overwrite)
	fmt.Println(delta.ConflictConcurrentAppend, delta.ConflictMetadataChanged)
	// Output:
	// WriteSerializable Serializable
	// Append Overwrite
	// ConcurrentAppend MetadataChanged
}

// Under Serializable isolation an overwrite conflicts with an append
// committed after the version it read (WriteSerializable, the default,
// would order the append after it); the error names the rule broken.
func ExampleConflictKind_String() {
	ctx := context.Background()
	tbl, _ := cityTable(ctx, nil)
	defer tbl.Close()
	txn, err := tbl.Begin(ctx, &delta.TxnOptions{Mode: delta.Overwrite, Isolation: delta.Serializable})
	if err != nil {
		log.Fatal(err)
	}
	defer txn.Rollback()
	more := orders([]int64{5}, []string{"Oslo"}, []float64{50})
	defer more.Release()
	if _, err := tbl.Append(ctx, more, nil); err != nil {
		log.Fatal(err)
	}
	_, err = txn.Commit(ctx)
	var ce *delta.ConflictError
	if errors.As(err, &ce) {
		fmt.Println(ce.Kind, ce.ReadVersion, ce.Version)
	}
	// Output:
	// ConcurrentAppend 0 1
}

// WriteMode names what a transaction does with existing rows; a method
// given a contradicting mode refuses with ErrInvalidArgument.
func ExampleWriteMode_String() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	rr := orders([]int64{4}, []string{"Oslo"}, []float64{4})
	defer rr.Release()
	_, err := tbl.Append(ctx, rr, &delta.TxnOptions{Mode: delta.Overwrite})
	fmt.Println(delta.Overwrite.String(), errors.Is(err, delta.ErrInvalidArgument))
	// Output:
	// Overwrite true
}

// A deletion vector's UniqueID, with the data file's path, identifies
// the logical file a DELETE left behind.
func ExampleDeletionVector_UniqueID() {
	ctx := context.Background()
	tbl := dmlTable(ctx)
	defer tbl.Close()
	if _, err := tbl.Delete(ctx, expr.Col("id").Eq(expr.Lit(int64(1))), nil); err != nil {
		log.Fatal(err)
	}
	snap, _ := tbl.Snapshot(ctx)
	for f, err := range snap.Files(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		dv := f.DeletionVector
		fmt.Println(dv.StorageType, dv.Cardinality, dv.UniqueID())
	}
	// Output:
	// i 1 i^Bg9^0rr910000000000iXQKl0rr91000005c8Xg00000
}

// Restoring a version whose files were deleted behind the log's back
// fails with a *MissingFilesError naming them; the table is unchanged.
func ExampleMissingFilesError() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	rr := orders([]int64{1}, []string{"Oslo"}, []float64{1})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, dir, rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	v0, _ := tbl.Snapshot(ctx)
	gone := liveFiles(ctx, v0)[0].Path
	more := orders([]int64{2}, []string{"Lima"}, []float64{2})
	defer more.Release()
	if _, err := tbl.Overwrite(ctx, more, nil); err != nil {
		log.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, gone)); err != nil {
		log.Fatal(err)
	}

	_, err = tbl.Restore(ctx, delta.RestoreTarget{Version: 0}, nil)
	var mf *delta.MissingFilesError
	fmt.Println(errors.Is(err, delta.ErrMissingFiles), errors.As(err, &mf) && mf.Paths[0] == gone)
	snap, _ := tbl.Snapshot(ctx)
	fmt.Println("version", snap.Version())
	// Output:
	// true true
	// version 1
}

// Writing to a table that needs a writer feature this library lacks
// stops before any work with an *UnsupportedFeatureError.
func ExampleUnsupportedFeatureError() {
	ctx := context.Background()
	_, err := delta.Create(ctx, "mem://", ordersSchema(), &delta.CreateOptions{
		Properties: map[string]string{"delta.enableRowTracking": "true"},
	})
	var uf *delta.UnsupportedFeatureError
	fmt.Println(errors.Is(err, delta.ErrUnsupportedFeature))
	if errors.As(err, &uf) {
		fmt.Println(uf.Feature, uf.Writer)
	}
	// Output:
	// true
	// rowTracking true
}
