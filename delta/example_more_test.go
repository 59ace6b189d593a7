package delta_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Operation names the operation a commit recorded.
func ExampleCommitInfo_Operation() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	snap, _ := tbl.SnapshotAt(ctx, 0)
	ci, _ := snap.CommitInfo()
	fmt.Println(ci.Operation())
	// Output:
	// CREATE TABLE
}

// Timestamp is the writer's clock at commit time.
func ExampleCommitInfo_Timestamp() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	hist, _ := tbl.History(ctx, &delta.HistoryOptions{Limit: 1})
	at, ok := hist[0].CommitInfo.Timestamp()
	fmt.Println(ok, !at.IsZero(), hist[0].Version)
	// Output:
	// true true 3
}

// HistoryEntry.Operation is the operation of one version of History.
func ExampleHistoryEntry_Operation() {
	ctx := context.Background()
	tbl := dmlTable(ctx)
	defer tbl.Close()
	if _, err := tbl.Delete(ctx, exprParse("id = 1"), nil); err != nil {
		log.Fatal(err)
	}
	hist, err := tbl.History(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, h := range hist {
		fmt.Println(h.Version, h.Operation())
	}
	// Output:
	// 1 DELETE
	// 0 CREATE TABLE AS SELECT
}

// String writes a Date as yyyy-mm-dd.
func ExampleDate_String() {
	fmt.Println(delta.Date{Year: 2024, Month: 7, Day: 4}.String())
	// Output:
	// 2024-07-04
}

// Scale is the number of digits after the point.
func ExampleDecimal_Scale() {
	fmt.Println(delta.MustParseDecimal("3.1400").Scale(), delta.NewDecimal(7, 0).Scale())
	// Output:
	// 4 0
}

// String keeps Scale digits after the point, trailing zeros included.
func ExampleDecimal_String() {
	fmt.Println(delta.NewDecimal(1500, 3).String(), delta.MustParseDecimal("-0.10"))
	// Output:
	// 1.500 -0.10
}

// FileWriter.Write stages a stream of batches.
func ExampleFileWriter_Write() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	txn, _ := tbl.Begin(ctx, nil)
	defer txn.Rollback()
	fw, err := txn.NewFileWriter(nil)
	if err != nil {
		log.Fatal(err)
	}
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{1, 2})
	defer rr.Release()
	if err := fw.Write(ctx, rr); err != nil {
		log.Fatal(err)
	}
	files, err := fw.Close(ctx)
	if err != nil {
		log.Fatal(err)
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("files", len(files), "version", res.Version, "rows", countRows(ctx, tbl))
	// Output:
	// files 1 version 1 rows 2
}

// FileWriter.WriteBatch stages one batch, checked against the table's
// constraints like any write.
func ExampleFileWriter_WriteBatch() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), &delta.CreateOptions{Constraints: map[string]string{"positive": "amount > 0"}})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	txn, _ := tbl.Begin(ctx, nil)
	defer txn.Rollback()
	fw, err := txn.NewFileWriter(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer fw.Abort()
	rr := orders([]int64{1}, []string{"Oslo"}, []float64{-1})
	defer rr.Release()
	rr.Next()
	err = fw.WriteBatch(ctx, rr.RecordBatch())
	fmt.Println(errors.Is(err, delta.ErrConstraintViolation))
	// Output:
	// true
}

// SetOperation records an engine's operation name and parameters, as
// History shows them.
func ExampleTransaction_SetOperation() {
	ctx := context.Background()
	tbl := smallFiles(ctx)
	defer tbl.Close()
	txn, _ := tbl.Begin(ctx, nil)
	defer txn.Rollback()
	rr := orders([]int64{4}, []string{"Oslo"}, []float64{4})
	defer rr.Release()
	if err := txn.Write(ctx, rr); err != nil {
		log.Fatal(err)
	}
	if err := txn.SetOperation("STREAMING UPDATE", map[string]string{"outputMode": "Append", "epochId": "12"}); err != nil {
		log.Fatal(err)
	}
	if _, err := txn.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	hist, _ := tbl.History(ctx, &delta.HistoryOptions{Limit: 1})
	params := hist[0].CommitInfo["operationParameters"].(map[string]any)
	fmt.Println(hist[0].Operation(), params["epochId"])
	// Output:
	// STREAMING UPDATE 12
}

// conflict returns the error of an overwrite that lost to another one.
func conflict(ctx context.Context) error {
	tbl := smallFiles(ctx)
	defer tbl.Close()
	a, _ := tbl.Begin(ctx, &delta.TxnOptions{Mode: delta.Overwrite})
	b, _ := tbl.Begin(ctx, &delta.TxnOptions{Mode: delta.Overwrite})
	defer a.Rollback()
	defer b.Rollback()
	if _, err := a.Commit(ctx); err != nil {
		log.Fatal(err)
	}
	_, err := b.Commit(ctx)
	return err
}

// The message names the rule, the versions and what collided.
func ExampleConflictError_Error() {
	err := conflict(context.Background())
	var ce *delta.ConflictError
	if errors.As(err, &ce) {
		fmt.Println(ce.Kind, ce.ReadVersion, ce.Version)
	}
	msg, _, _ := strings.Cut(err.Error(), " (file ") // the file name is random
	fmt.Println(msg)
	// Output:
	// ConcurrentDeleteDelete 3 4
	// delta: transaction read at version 3 conflicts with version 4: ConcurrentDeleteDelete
}

// Is lets callers retry on any conflict with errors.Is(err, ErrConflict).
func ExampleConflictError_Is() {
	err := conflict(context.Background())
	fmt.Println(errors.Is(err, delta.ErrConflict), errors.Is(err, delta.ErrTableExists))
	// Output:
	// true false
}

// missingFiles returns the error of a restore whose files are gone.
func missingFiles(ctx context.Context, dir string) error {
	rr := orders([]int64{1}, []string{"Oslo"}, []float64{1})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, dir, rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	v0, _ := tbl.Snapshot(ctx)
	gone := liveFiles(ctx, v0)[0].Path
	if _, err := tbl.Overwrite(ctx, rr, nil); err != nil {
		log.Fatal(err)
	}
	os.Remove(filepath.Join(dir, gone))
	_, err = tbl.Restore(ctx, delta.RestoreTarget{Version: 0}, nil)
	return err
}

// The message names the version and how many files are missing.
func ExampleMissingFilesError_Error() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	err := missingFiles(context.Background(), dir)
	var mf *delta.MissingFilesError
	fmt.Println(errors.As(err, &mf), mf.Version, len(mf.Paths))
	msg, _, _ := strings.Cut(err.Error(), ": part-") // the file name is random
	fmt.Println(msg)
	// Output:
	// true 0 1
	// delta: 1 file(s) of version 0 are missing from storage (vacuumed or deleted)
}

// Is makes errors.Is(err, ErrMissingFiles) hold.
func ExampleMissingFilesError_Is() {
	dir := tempDir()
	defer os.RemoveAll(dir)
	err := missingFiles(context.Background(), dir)
	fmt.Println(errors.Is(err, delta.ErrMissingFiles))
	// Output:
	// true
}

// rowTypeError returns the error of a struct whose field does not fit
// its column.
func rowTypeError(ctx context.Context) error {
	tbl, err := delta.CreateFor[Reading](ctx, "mem://", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	type wrong struct {
		Value string `delta:"value"`
	}
	_, err = delta.AppendRows(ctx, tbl, []wrong{{"high"}}, nil)
	return err
}

// The message names the Go type, the field and the column.
func ExampleRowTypeError_Error() {
	err := rowTypeError(context.Background())
	var rte *delta.RowTypeError
	fmt.Println(errors.As(err, &rte), rte.Field, rte.Column)
	fmt.Println(err)
	// Output:
	// true Value value
	// delta: row type delta_test.wrong, field Value (column "value"): Go type string cannot be written to a float64 column
}

// Is matches ErrSchemaMismatch for a struct that does not fit the table.
func ExampleRowTypeError_Is() {
	err := rowTypeError(context.Background())
	fmt.Println(errors.Is(err, delta.ErrSchemaMismatch), errors.Is(err, delta.ErrUnsupportedType))
	// Output:
	// true false
}

// The message names the feature and tells reader from writer.
func ExampleUnsupportedFeatureError_Error() {
	err := &delta.UnsupportedFeatureError{Feature: "rowTracking", Writer: true}
	fmt.Println(err.Error())
	// Output:
	// delta: unsupported table feature "rowTracking": this library cannot write the table safely; use an engine that supports it (or drop the feature with that engine)
}

// Is makes errors.Is(err, ErrUnsupportedFeature) hold through wrapping.
func ExampleUnsupportedFeatureError_Is() {
	err := fmt.Errorf("nightly load: %w", &delta.UnsupportedFeatureError{Feature: "rowTracking", Writer: true})
	fmt.Println(errors.Is(err, delta.ErrUnsupportedFeature))
	// Output:
	// true
}
