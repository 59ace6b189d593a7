package delta_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob/fileblob"

	"github.com/lakehouse-go/lakehouse/delta"
)

// ordersSchema is the schema the orders helper builds batches of.
func ordersSchema() *arrow.Schema {
	rr := orders(nil, nil, nil)
	defer rr.Release()
	return rr.Schema()
}

// tempDir makes a directory for one example; the caller removes it.
func tempDir() string {
	dir, err := os.MkdirTemp("", "delta-example")
	if err != nil {
		log.Fatal(err)
	}
	return dir
}

// countRows returns the number of rows a snapshot holds.
func countRows(ctx context.Context, tbl *delta.Table) int64 {
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	st, err := snap.FileStats(ctx)
	if err != nil {
		log.Fatal(err)
	}
	return st.NumRecords
}

// Create writes version 0 of an empty table; a second Create at the same
// location fails with ErrTableExists.
func ExampleCreate() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	url := filepath.Join(dir, "orders")
	tbl, err := delta.Create(ctx, url, ordersSchema(), &delta.CreateOptions{
		PartitionBy: []string{"city"},
		Properties:  map[string]string{"delta.appendOnly": "true"},
		Constraints: map[string]string{"positive_amount": "amount > 0"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	p := snap.Protocol()
	fmt.Println("version", snap.Version(), "partitioned by", snap.PartitionColumns())
	fmt.Println("protocol", p.MinReaderVersion, p.MinWriterVersion)

	_, err = delta.Create(ctx, url, ordersSchema(), nil)
	fmt.Println(errors.Is(err, delta.ErrTableExists))
	// Output:
	// version 0 partitioned by [city]
	// protocol 1 3
	// true
}

// CreateAsSelect creates a table and writes its first rows in one commit,
// version 0.
func ExampleCreateAsSelect() {
	ctx := context.Background()
	rr := orders([]int64{1, 2, 3}, []string{"Oslo", "Lima", "Oslo"}, []float64{10, 20, 30})
	defer rr.Release()
	tbl, res, err := delta.CreateAsSelect(ctx, "mem://", rr, &delta.CreateOptions{PartitionBy: []string{"city"}})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	fmt.Println("version", res.Version, res.Operation, "files", res.Metrics["numFiles"], "rows", res.Metrics["numOutputRows"])
	// Output:
	// version 0 CREATE TABLE AS SELECT files 2 rows 3
}

// CreateOrReplace keeps the history of the table it replaces: the new,
// empty table is the next version.
func ExampleCreateOrReplace() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{10, 20})
	defer rr.Release()
	old, _, err := delta.CreateAsSelect(ctx, dir, rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	old.Close()

	schema := arrow.NewSchema([]arrow.Field{{Name: "sku", Type: arrow.BinaryTypes.String}}, nil)
	tbl, err := delta.CreateOrReplace(ctx, dir, schema, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", snap.Version(), "columns", snap.Schema().NumFields(), "rows", countRows(ctx, tbl))
	// Output:
	// version 1 columns 1 rows 0
}

// CreateOrReplaceAsSelect replaces a table's schema and rows in one
// commit; earlier versions stay readable.
func ExampleCreateOrReplaceAsSelect() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	for _, ids := range [][]int64{{1, 2}, {7}} {
		cities := make([]string, len(ids))
		amounts := make([]float64, len(ids))
		for i := range ids {
			cities[i], amounts[i] = "Oslo", float64(ids[i])
		}
		rr := orders(ids, cities, amounts)
		tbl, res, err := delta.CreateOrReplaceAsSelect(ctx, dir, rr, nil)
		rr.Release()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("version", res.Version, "rows", countRows(ctx, tbl))
		tbl.Close()
	}
	// Output:
	// version 0 rows 2
	// version 1 rows 1
}

// Open reads a table another process wrote; a directory without a
// _delta_log is ErrNotATable.
func ExampleOpen() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{10, 20})
	defer rr.Release()
	created, _, err := delta.CreateAsSelect(ctx, filepath.Join(dir, "orders"), rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	created.Close()

	tbl, err := delta.Open(ctx, filepath.Join(dir, "orders"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", snap.Version(), "rows", countRows(ctx, tbl))

	_, err = delta.Open(ctx, dir, nil)
	fmt.Println(errors.Is(err, delta.ErrNotATable))
	// Output:
	// version 0 rows 2
	// true
}

// OpenBucket reads a table through a bucket the application opened
// itself (here a fileblob bucket over a directory; s3blob, gcsblob and
// azureblob buckets work the same way).
func ExampleOpenBucket() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{10, 20})
	defer rr.Release()
	created, _, err := delta.CreateAsSelect(ctx, filepath.Join(dir, "warehouse", "orders"), rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	created.Close()

	bucket, err := fileblob.OpenBucket(dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer bucket.Close() // Table.Close leaves the bucket open
	tbl, err := delta.OpenBucket(ctx, bucket, "warehouse/orders", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	fmt.Println("rows", countRows(ctx, tbl))

	_, err = delta.OpenBucket(ctx, bucket, "warehouse/customers", nil)
	fmt.Println(errors.Is(err, delta.ErrNotATable))
	// Output:
	// rows 2
	// true
}

// Append adds rows in one commit; each append is the next version.
func ExampleTable_Append() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	for _, id := range []int64{1, 2} {
		rr := orders([]int64{id}, []string{"Oslo"}, []float64{10 * float64(id)})
		res, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("version", res.Version, res.Operation, "rows", res.Metrics["numOutputRows"])
	}
	fmt.Println("rows", countRows(ctx, tbl))
	// Output:
	// version 1 WRITE rows 1
	// version 2 WRITE rows 1
	// rows 2
}

// Overwrite replaces every row, or with ReplaceWhere only the rows a
// predicate selects.
func ExampleTable_Overwrite() {
	ctx := context.Background()
	rr := orders([]int64{1, 2, 3}, []string{"Oslo", "Lima", "Oslo"}, []float64{10, 20, 30})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, &delta.CreateOptions{PartitionBy: []string{"city"}})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()

	oslo := orders([]int64{9}, []string{"Oslo"}, []float64{90})
	defer oslo.Release()
	res, err := tbl.Overwrite(ctx, oslo, &delta.TxnOptions{ReplaceWhere: "city = 'Oslo'"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", res.Version, res.Operation)
	snap, _ := tbl.Snapshot(ctx)
	printRows(snap, nil)

	all := orders([]int64{5}, []string{"Rome"}, []float64{50})
	defer all.Release()
	if _, err := tbl.Overwrite(ctx, all, nil); err != nil {
		log.Fatal(err)
	}
	snap, _ = tbl.Snapshot(ctx)
	printRows(snap, nil)
	// Unordered output:
	// version 1 WRITE
	// 2 Lima 20
	// 9 Oslo 90
	// 5 Rome 50
}

// Snapshot pins the latest version: later commits do not change what it
// reads.
func ExampleTable_Snapshot() {
	ctx := context.Background()
	rr := orders([]int64{1}, []string{"Oslo"}, []float64{10})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	more := orders([]int64{2}, []string{"Lima"}, []float64{20})
	defer more.Release()
	if _, err := tbl.Append(ctx, more, nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("pinned version", snap.Version())
	printRows(snap, nil)
	fmt.Println("latest rows", countRows(ctx, tbl))
	// Output:
	// pinned version 0
	// 1 Oslo 10
	// latest rows 2
}

// SnapshotAt reads an earlier version; a version the table does not have
// yet is ErrVersionNotFound.
func ExampleTable_SnapshotAt() {
	ctx := context.Background()
	rr := orders([]int64{1}, []string{"Oslo"}, []float64{10})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	more := orders([]int64{2}, []string{"Lima"}, []float64{20})
	defer more.Release()
	if _, err := tbl.Append(ctx, more, nil); err != nil {
		log.Fatal(err)
	}
	v0, err := tbl.SnapshotAt(ctx, 0)
	if err != nil {
		log.Fatal(err)
	}
	printRows(v0, nil)
	_, err = tbl.SnapshotAt(ctx, 5)
	fmt.Println(errors.Is(err, delta.ErrVersionNotFound))
	// Output:
	// 1 Oslo 10
	// true
}

// CommitTimestamp gives the time of a version, the time SnapshotAsOf
// resolves to it.
func ExampleTable_CommitTimestamp() {
	ctx := context.Background()
	rr := orders([]int64{1}, []string{"Oslo"}, []float64{10})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	at, err := tbl.CommitTimestamp(ctx, 0)
	if err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.SnapshotAsOf(ctx, at)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", snap.Version(), "same time", snap.Timestamp().Equal(at))
	// Output:
	// version 0 same time true
}

// URL is the location the table was opened at; Close releases the
// storage Open opened.
func ExampleTable_URL() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	tbl, err := delta.Create(ctx, filepath.Join(dir, "orders"), ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasSuffix(tbl.URL(), "orders"))
	fmt.Println(tbl.Close())
	// Output:
	// true
	// <nil>
}

// Close releases the handle's storage; the table stays where it is, for
// the next Open. (A mem:// table lives only as long as its handle.)
func ExampleTable_Close() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	tbl, err := delta.Create(ctx, dir, ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tbl.Close())
	again, err := delta.Open(ctx, dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer again.Close()
	snap, _ := again.Snapshot(ctx)
	fmt.Println("version", snap.Version())
	// Output:
	// <nil>
	// version 0
}

// The table's allocator is Options.Allocator: a checked allocator shows
// that a scan released everything it allocated.
func ExampleTable_Allocator() {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rr := orders([]int64{1, 2}, []string{"Oslo", "Lima"}, []float64{10, 20})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, &delta.CreateOptions{Table: &delta.Options{Allocator: mem}})
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	fmt.Println(tbl.Allocator() == memory.Allocator(mem))
	snap, _ := tbl.Snapshot(ctx)
	printRows(snap, nil)
	fmt.Println("bytes still allocated", mem.CurrentAlloc())
	// Unordered output:
	// true
	// 1 Oslo 10
	// 2 Lima 20
	// bytes still allocated 0
}

// Checkpoint writes the table state as parquet so that readers need not
// replay every commit.
func ExampleTable_Checkpoint() {
	ctx := context.Background()
	tbl, err := delta.Create(ctx, "mem://", ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	for _, id := range []int64{1, 2, 3} {
		rr := orders([]int64{id}, []string{"Oslo"}, []float64{1})
		_, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		if err != nil {
			log.Fatal(err)
		}
	}
	info, err := tbl.Checkpoint(ctx, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", info.Version, info.Kind, "parts", info.Parts)
	// Output:
	// version 3 classic parts 1
}
