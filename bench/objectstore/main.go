// Command objectstore measures issue 16's object-store item: scans and
// snapshot loads through delta on an S3 emulator (gofakes3) that delays
// every request by 20–50 ms (internal/storage/latencys3). Each workload
// runs with delta.Options.IOConcurrency 1 (one request at a time, as
// before the read-ahead) and with the default, alternating which goes
// first, and prints wall time, requests, most requests in flight and the
// wall time in mean request delays ("rounds"); the same table read from
// local disk shows what decoding alone costs.
//
//	go run ./bench/objectstore [-runs 3] [-io 16]
//
// Workloads: a full and a filtered scan of a 100-file table; a full scan
// of 8 larger files (read footer first, then column chunks); the snapshot
// load (with its file list) of a table with 200 commits after a
// checkpoint; the same of a table whose 2,000-file checkpoint is written
// in 10 parts.
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/storage/latencys3"
)

func main() {
	runs := flag.Int("runs", 3, "measured runs of each mode")
	ioc := flag.Int("io", delta.DefaultIOConcurrency, "IOConcurrency of the concurrent mode")
	flag.Parse()
	ctx := context.Background()
	srv, err := latencys3.Start("lake", nil)
	check(err)
	defer srv.Close()
	bucket, err := srv.OpenBucket(ctx)
	check(err)
	defer bucket.Close()
	dir, err := os.MkdirTemp("", "lakehouse-bench-objectstore")
	check(err)
	defer os.RemoveAll(dir)

	srv.Pause(true)
	log.Print("generating tables")
	scanTbl := generate(ctx, bucket, dir, "scan100", genScanTable)
	bigTbl := generate(ctx, bucket, dir, "scan8big", genBigTable)
	commitsTbl := generate(ctx, bucket, dir, "commits200", genCommitsTable)
	partsTbl := generate(ctx, bucket, dir, "parts10", genPartsTable)
	srv.Pause(false)

	workloads := []struct {
		name, prefix string
		run          func(context.Context, *delta.Table) string
	}{
		{"full scan, 100 files", scanTbl, func(ctx context.Context, t *delta.Table) string { return scan(ctx, t, nil) }},
		{"filtered scan (value > 0.9), 100 files", scanTbl, func(ctx context.Context, t *delta.Table) string {
			return scan(ctx, t, expr.Col("value").Gt(expr.Lit(0.9)))
		}},
		{"full scan, 8 files of 2–3 MB (footer, then chunks)", bigTbl, func(ctx context.Context, t *delta.Table) string { return scan(ctx, t, nil) }},
		{"snapshot load, 200 commits after a checkpoint", commitsTbl, load},
		{"snapshot load, 2,000-file checkpoint in 10 parts", partsTbl, load},
	}
	fmt.Printf("latency 20–50 ms per request; IOConcurrency 1 vs %d; %d runs each, alternating\n\n", *ioc, *runs)
	fmt.Println("| workload | mode | wall (median, min–max) | requests | max in flight | rounds | result |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, w := range workloads {
		// Mode 0 reads the same table from local disk: the floor that
		// decoding alone sets.
		modes := []int{1, *ioc, 0}
		times := map[int][]time.Duration{}
		stats := map[int]latencys3.Stats{}
		results := map[int]string{}
		for r := range *runs {
			order := modes
			if r%2 == 1 {
				order = []int{modes[1], modes[0], modes[2]}
			}
			for _, n := range order {
				var tbl *delta.Table
				if n == 0 {
					tbl, err = delta.Open(ctx, filepath.Join(dir, w.prefix), nil)
				} else {
					tbl, err = delta.OpenBucket(ctx, bucket, w.prefix, &delta.Options{IOConcurrency: n})
				}
				check(err)
				srv.Reset()
				start := time.Now()
				res := w.run(ctx, tbl)
				times[n] = append(times[n], time.Since(start))
				stats[n] = srv.Stats()
				check(tbl.Close())
				if prev, ok := results[n]; ok && prev != res {
					log.Fatalf("%s: result changed between runs: %s, then %s", w.name, prev, res)
				}
				results[n] = res
			}
		}
		for _, n := range modes[1:] {
			if results[modes[0]] != results[n] {
				log.Fatalf("%s: sequential read %s, IOConcurrency %d read %s", w.name, results[modes[0]], n, results[n])
			}
		}
		for _, n := range modes {
			st := stats[n]
			med, lo, hi := summarize(times[n])
			ratio := ""
			if n == modes[1] {
				m0, _, _ := summarize(times[modes[0]])
				ratio = fmt.Sprintf(" (%.1f× faster)", float64(m0)/float64(med))
			}
			if n == 0 {
				fmt.Printf("| %s | local disk | %s, %s–%s | – | – | – | %s |\n", w.name, ms(med), ms(lo), ms(hi), results[n])
				continue
			}
			fmt.Printf("| %s | IOConcurrency %d | %s, %s–%s%s | %d | %d | %.1f | %s |\n", w.name, n,
				ms(med), ms(lo), ms(hi), ratio, st.Requests, st.MaxInFlight, float64(med)/float64(st.MeanDelay()), results[n])
		}
	}
}

// scan reads the table and returns a digest of what it read: row count
// and the sum of id, which differ if any row is lost or repeated.
func scan(ctx context.Context, t *delta.Table, filter expr.Expr) string {
	snap, err := t.Snapshot(ctx)
	check(err)
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Filter: filter})
	check(err)
	defer rr.Release()
	var rows, sum int64
	var first int64 = -1
	for rr.Next() {
		rec := rr.RecordBatch()
		ids := rec.Column(0).(*array.Int64)
		for i := range ids.Len() {
			if first < 0 {
				first = ids.Value(i)
			}
			sum += ids.Value(i)
		}
		rows += rec.NumRows()
	}
	check(rr.Err())
	return fmt.Sprintf("%d rows, first id %d, id sum %d", rows, first, sum)
}

// load loads the latest snapshot and lists its files.
func load(ctx context.Context, t *delta.Table) string {
	snap, err := t.Snapshot(ctx)
	check(err)
	n := 0
	for _, err := range snap.Files(ctx) {
		check(err)
		n++
	}
	return fmt.Sprintf("version %d, %d files", snap.Version(), n)
}

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "part", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// batch makes rows ids [from, from+n), spread over parts partitions.
func batch(from, n, parts int64) array.RecordReader {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := from; i < from+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(i)
		// A fixed pseudo-random value: the same table in every run.
		b.Field(1).(*array.Float64Builder).Append(float64((i*2654435761)%1000) / 1000)
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("label-%04d", i%997))
		b.Field(3).(*array.Int64Builder).Append(i % parts)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	check(err)
	return rr
}

func appendRows(ctx context.Context, t *delta.Table, rr array.RecordReader) {
	defer rr.Release()
	_, err := t.Append(ctx, rr, nil)
	check(err)
}

// genScanTable: 100 appends of 20,000 rows, one file each (~300 KB), and
// a checkpoint.
func genScanTable(ctx context.Context, path string) {
	t := create(ctx, path, nil)
	defer t.Close()
	for i := range int64(100) {
		appendRows(ctx, t, batch(i*20000, 20000, 1))
	}
	// Checkpointed, so the scans' own snapshot load is a few requests.
	_, err := t.Checkpoint(ctx, nil)
	check(err)
}

// genBigTable: 8 appends of 250,000 rows, one file each, and a checkpoint:
// files above the 1 MiB the read-ahead fetches whole.
func genBigTable(ctx context.Context, path string) {
	t := create(ctx, path, nil)
	defer t.Close()
	for i := range int64(8) {
		appendRows(ctx, t, batch(i*250000, 250000, 1))
	}
	_, err := t.Checkpoint(ctx, nil)
	check(err)
}

// genCommitsTable: a checkpoint at version 1, then 200 one-row commits.
func genCommitsTable(ctx context.Context, path string) {
	t := create(ctx, path, nil)
	defer t.Close()
	appendRows(ctx, t, batch(0, 10, 1))
	_, err := t.Checkpoint(ctx, nil)
	check(err)
	for i := range int64(200) {
		appendRows(ctx, t, batch(10+i, 1, 1))
	}
}

// genPartsTable: 2,000 files (one per partition) checkpointed in 10 parts.
func genPartsTable(ctx context.Context, path string) {
	t := create(ctx, path, []string{"part"})
	defer t.Close()
	appendRows(ctx, t, batch(0, 2000, 2000))
	_, err := t.Checkpoint(ctx, &delta.CheckpointOptions{ActionsPerPart: 200})
	check(err)
}

func create(ctx context.Context, path string, partitionBy []string) *delta.Table {
	t, err := delta.Create(ctx, path, schema, &delta.CreateOptions{
		PartitionBy: partitionBy,
		Properties:  map[string]string{"delta.checkpointInterval": "1000000"},
		Table:       &delta.Options{NoSync: true},
	})
	check(err)
	return t
}

// generate writes a table locally with gen and uploads it under name/.
func generate(ctx context.Context, bucket *blob.Bucket, dir, name string, gen func(context.Context, string)) string {
	src := filepath.Join(dir, name)
	gen(ctx, src)
	check(filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return bucket.WriteAll(ctx, name+"/"+filepath.ToSlash(rel), data, nil)
	}))
	return name
}

func summarize(ds []time.Duration) (med, lo, hi time.Duration) {
	s := append([]time.Duration(nil), ds...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2], s[0], s[len(s)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%d ms", d.Milliseconds()) }

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
