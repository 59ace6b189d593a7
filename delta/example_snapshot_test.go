package delta_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// cityTable holds four orders partitioned by city (three partitions) at
// version 0.
func cityTable(ctx context.Context, opts *delta.CreateOptions) (*delta.Table, *delta.Snapshot) {
	if opts == nil {
		opts = &delta.CreateOptions{}
	}
	opts.PartitionBy = []string{"city"}
	rr := orders([]int64{1, 2, 3, 4}, []string{"Oslo", "Lima", "Oslo", "Rome"}, []float64{10, 20, 30, 40})
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, "mem://", rr, opts)
	if err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	return tbl, snap
}

// Scan streams Arrow batches; Columns and Filter narrow what is read,
// files the filter rules out by partition or statistics are skipped.
func ExampleSnapshot_Scan() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	filter, err := expr.Parse("amount >= 20 AND city <> 'Rome'")
	if err != nil {
		log.Fatal(err)
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"id", "amount"}, Filter: filter})
	if err != nil {
		log.Fatal(err)
	}
	defer rr.Release()
	fmt.Println(rr.Schema().Field(0).Name, rr.Schema().Field(1).Name)
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			fmt.Println(rec.Column(0).ValueStr(i), rec.Column(1).ValueStr(i))
		}
	}
	if err := rr.Err(); err != nil {
		log.Fatal(err)
	}
	// Unordered output:
	// id amount
	// 2 20
	// 3 30
}

// Files lists the live data files with their partition values and sizes.
func ExampleSnapshot_Files() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	var cities []string
	for f, err := range snap.Files(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		cities = append(cities, *f.PartitionValues["city"])
	}
	sort.Strings(cities)
	fmt.Println(cities)
	// Output:
	// [Lima Oslo Rome]
}

// FilesMatching plans a read: only the files that may hold matching rows.
// ScanFiles then reads exactly those files.
func ExampleSnapshot_FilesMatching() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	var files []*delta.AddFile
	for f, err := range snap.FilesMatching(ctx, expr.Col("city").Eq(expr.Lit("Oslo"))) {
		if err != nil {
			log.Fatal(err)
		}
		files = append(files, f)
	}
	fmt.Println("files to read", len(files), "of 3")
	// Output:
	// files to read 1 of 3
}

// ScanFiles reads a chosen group of files, as a compaction job that
// schedules its own reads does.
func ExampleSnapshot_ScanFiles() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	var files []*delta.AddFile
	for f, err := range snap.FilesMatching(ctx, expr.Col("city").Eq(expr.Lit("Oslo"))) {
		if err != nil {
			log.Fatal(err)
		}
		files = append(files, f)
	}
	rr, err := snap.ScanFiles(ctx, files, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			fmt.Println(rec.Column(0).ValueStr(i), rec.Column(1).ValueStr(i), rec.Column(2).ValueStr(i))
		}
	}
	if err := rr.Err(); err != nil {
		log.Fatal(err)
	}
	// Unordered output:
	// 1 Oslo 10
	// 3 Oslo 30
}

// FileStats counts live files and rows without reading any data file.
func ExampleSnapshot_FileStats() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	st, err := snap.FileStats(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("files", st.NumFiles, "rows", st.NumRecords, "bytes > 0", st.SizeInBytes > 0)
	// Output:
	// files 3 rows 4 bytes > 0 true
}

// Schema is the Arrow schema, SchemaString the Delta JSON in the log.
func ExampleSnapshot_Schema() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	for _, f := range snap.Schema().Fields() {
		fmt.Println(f.Name, f.Type, f.Nullable)
	}
	// Output:
	// id int64 false
	// city utf8 true
	// amount float64 true
}

// SchemaString is the schema as the log stores it, for tools that speak
// Delta's JSON; ParseSchemaJSON turns it back into Arrow.
func ExampleSnapshot_SchemaString() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	fmt.Println(snap.SchemaString())
	schema, err := delta.ParseSchemaJSON(snap.SchemaString())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(schema.Equal(snap.Schema()))
	// Output:
	// {"type":"struct","fields":[{"name":"id","type":"long","nullable":false,"metadata":{}},{"name":"city","type":"string","nullable":true,"metadata":{}},{"name":"amount","type":"double","nullable":true,"metadata":{}}]}
	// true
}

// Metadata carries the table's name, description, partitioning and
// properties as CreateOptions set them.
func ExampleSnapshot_Metadata() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, &delta.CreateOptions{Name: "orders", Description: "one row per order"})
	defer tbl.Close()
	md := snap.Metadata()
	fmt.Println(md.Name, "|", md.Description, "|", md.Provider, md.PartitionColumns)
	// Output:
	// orders | one row per order | parquet [city]
}

// PartitionColumns names the partition columns in order.
func ExampleSnapshot_PartitionColumns() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	fmt.Println(snap.PartitionColumns())
	// Output:
	// [city]
}

// Properties are the table properties, as set at creation or by
// SetProperties.
func ExampleSnapshot_Properties() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, &delta.CreateOptions{Properties: map[string]string{"delta.appendOnly": "true", "team": "sales"}})
	defer tbl.Close()
	props := snap.Properties()
	fmt.Println(props["delta.appendOnly"], props["team"])
	// Output:
	// true sales
}

// Protocol shows what readers and writers must support; a property such
// as the change data feed raises the writer version.
func ExampleSnapshot_Protocol() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, &delta.CreateOptions{Properties: map[string]string{"delta.enableChangeDataFeed": "true"}})
	defer tbl.Close()
	p := snap.Protocol()
	fmt.Println(p.MinReaderVersion, p.MinWriterVersion, p.SupportsFeature("changeDataFeed"), p.SupportsFeature("deletionVectors"))
	// Output:
	// 1 4 true false
}

// SupportsFeature answers for features listed by name (reader 3 / writer
// 7) and for those a legacy writer version implies.
func ExampleProtocol_SupportsFeature() {
	legacy := delta.Protocol{MinReaderVersion: 1, MinWriterVersion: 4}
	features := delta.Protocol{MinReaderVersion: 3, MinWriterVersion: 7,
		ReaderFeatures: []string{"deletionVectors"}, WriterFeatures: []string{"deletionVectors", "appendOnly"}}
	fmt.Println(legacy.SupportsFeature("changeDataFeed"), legacy.SupportsFeature("deletionVectors"))
	fmt.Println(features.SupportsFeature("deletionVectors"), features.SupportsFeature("changeDataFeed"))
	// Output:
	// true false
	// true false
}

// ColumnMapping is "name" on a table created with
// delta.columnMapping.mode=name, which allows renaming and dropping
// columns.
func ExampleSnapshot_ColumnMapping() {
	ctx := context.Background()
	plain, snap := cityTable(ctx, nil)
	defer plain.Close()
	mapped, msnap := cityTable(ctx, &delta.CreateOptions{Properties: map[string]string{"delta.columnMapping.mode": "name"}})
	defer mapped.Close()
	fmt.Println(snap.ColumnMapping(), msnap.ColumnMapping())
	// Output:
	// none name
}

// CommitInfo is the provenance the writer of this version recorded.
func ExampleSnapshot_CommitInfo() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	ci, ok := snap.CommitInfo()
	if !ok {
		log.Fatal("no commitInfo")
	}
	_, hasTime := ci.Timestamp()
	fmt.Println(ci.Operation(), hasTime)
	// Output:
	// CREATE TABLE AS SELECT true
}

// Timestamp is the commit time of the snapshot's version.
func ExampleSnapshot_Timestamp() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	at, err := tbl.CommitTimestamp(ctx, snap.Version())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(snap.Timestamp().Equal(at), snap.Timestamp().IsZero())
	// Output:
	// true false
}

// Version is the table version the snapshot reads.
func ExampleSnapshot_Version() {
	ctx := context.Background()
	tbl, snap := cityTable(ctx, nil)
	defer tbl.Close()
	more := orders([]int64{5}, []string{"Oslo"}, []float64{50})
	defer more.Release()
	if _, err := tbl.Append(ctx, more, nil); err != nil {
		log.Fatal(err)
	}
	latest, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(snap.Version(), latest.Version())
	// Output:
	// 0 1
}

// Tombstones are the files later commits removed, kept until VACUUM.
func ExampleSnapshot_Tombstones() {
	ctx := context.Background()
	tbl, _ := cityTable(ctx, nil)
	defer tbl.Close()
	if _, err := tbl.Delete(ctx, expr.Col("city").Eq(expr.Lit("Rome")), nil); err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for rm, err := range snap.Tombstones(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("removed", *rm.PartitionValues["city"], "dataChange", rm.DataChange)
	}
	// Output:
	// removed Rome dataChange true
}

// TxnVersion tells an idempotent writer which of its batches the table
// already has.
func ExampleSnapshot_TxnVersion() {
	ctx := context.Background()
	tbl, _ := cityTable(ctx, nil)
	defer tbl.Close()
	rr := orders([]int64{5}, []string{"Oslo"}, []float64{50})
	defer rr.Release()
	if _, err := tbl.Append(ctx, rr, &delta.TxnOptions{AppID: "ingest", AppVersion: 41}); err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	v, ok := snap.TxnVersion("ingest")
	fmt.Println(v, ok)
	_, ok = snap.TxnVersion("other")
	fmt.Println(ok)
	// Output:
	// 41 true
	// false
}

// Txns lists every application's last committed version.
func ExampleSnapshot_Txns() {
	ctx := context.Background()
	tbl, _ := cityTable(ctx, nil)
	defer tbl.Close()
	for i, app := range []string{"ingest", "backfill"} {
		rr := orders([]int64{int64(10 + i)}, []string{"Oslo"}, []float64{1})
		_, err := tbl.Append(ctx, rr, &delta.TxnOptions{AppID: app, AppVersion: int64(7 + i)})
		rr.Release()
		if err != nil {
			log.Fatal(err)
		}
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	txns := snap.Txns()
	fmt.Println(len(txns), txns["ingest"].Version, txns["backfill"].Version)
	// Output:
	// 2 7 8
}

// DomainMetadata shows the configuration engines keep in the log under
// their own domain names; here another engine committed version 1 with a
// domain of its own.
func ExampleSnapshot_DomainMetadata() {
	ctx := context.Background()
	dir := tempDir()
	defer os.RemoveAll(dir)
	tbl, err := delta.Create(ctx, dir, ordersSchema(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer tbl.Close()
	commit := `{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["domainMetadata"]}}
{"domainMetadata":{"domain":"ingest.watermark","configuration":"{\"offset\":42}","removed":false}}
`
	if err := os.WriteFile(filepath.Join(dir, "_delta_log", "00000000000000000001.json"), []byte(commit), 0o644); err != nil {
		log.Fatal(err)
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		log.Fatal(err)
	}
	dm, ok := snap.DomainMetadata()["ingest.watermark"]
	fmt.Println(ok, dm.Configuration)
	// Output:
	// true {"offset":42}
}

// ParseSchemaJSON reads a Delta schema string, as other tools write it,
// into an Arrow schema to pass to Create.
func ExampleParseSchemaJSON() {
	schema, err := delta.ParseSchemaJSON(`{"type":"struct","fields":[
		{"name":"id","type":"long","nullable":false,"metadata":{}},
		{"name":"price","type":"decimal(10,2)","nullable":true,"metadata":{"comment":"EUR"}}]}`)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range schema.Fields() {
		fmt.Println(f.Name, f.Type, f.Nullable)
	}
	// Output:
	// id int64 false
	// price decimal(10, 2) true
}
