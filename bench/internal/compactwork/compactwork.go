// Package compactwork holds the compaction benchmark's table of small
// files and its three sides — lakehouse's optimize.Compact, the plain
// Parquet floor and delta-rs — shared by bench/optimize and the bench
// harness.
package compactwork

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/optimize"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
}, nil)

// SmallFilesTable writes rows in files small files with one commit (a
// target size of one byte makes every batch its own file), once.
func SmallFilesTable(ctx context.Context, dir string, files int, rows int64) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("small-%d-%d", files, rows))
	if _, err := os.Stat(filepath.Join(path, ".complete")); err == nil {
		return path, nil
	}
	_ = os.RemoveAll(path)
	fmt.Fprintf(os.Stderr, "generating %d small files (%d rows) in %s …\n", files, rows, path)
	tbl, err := delta.Create(ctx, path, schema, &delta.CreateOptions{Table: &delta.Options{NoSync: true}})
	if err != nil {
		return "", err
	}
	defer tbl.Close()
	per := rows / int64(files)
	var batches []arrow.RecordBatch
	for f := range int64(files) {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for i := f * per; i < (f+1)*per; i++ {
			b.Field(0).(*array.Int64Builder).Append(i)
			b.Field(1).(*array.Float64Builder).Append(float64((i*2654435761)%1000003) / 1000003.0)
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("label-%04d", (i*7919)%1000))
			b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + i*1000))
		}
		batches = append(batches, b.NewRecordBatch())
		b.Release()
	}
	rr, err := array.NewRecordReader(schema, batches)
	if err != nil {
		return "", err
	}
	defer rr.Release()
	for _, b := range batches {
		b.Release()
	}
	if _, err := tbl.Append(ctx, rr, &delta.TxnOptions{TargetFileSize: 1}); err != nil {
		return "", err
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return "", err
	}
	st, err := snap.FileStats(ctx)
	if err != nil {
		return "", err
	}
	if st.NumFiles != int64(files) {
		return "", fmt.Errorf("generated %d files, wanted %d", st.NumFiles, files)
	}
	return path, os.WriteFile(filepath.Join(path, ".complete"), nil, 0o644)
}

// Compact runs lakehouse's compaction on table (without fsync, as
// delta-rs's local store writes) and returns the files it removed and added.
func Compact(ctx context.Context, table string, target int64) (removed, added int64, err error) {
	tbl, err := delta.Open(ctx, table, &delta.Options{NoSync: true})
	if err != nil {
		return 0, 0, err
	}
	defer tbl.Close()
	res, err := optimize.Compact(ctx, tbl, &optimize.Options{TargetFileSize: target})
	if err != nil {
		return 0, 0, err
	}
	return res.Metrics.NumFilesRemoved, res.Metrics.NumFilesAdded, nil
}

// FloorCompact reads every data file of table as plain Parquet and writes
// the rows again into files of target bytes with the same encoder, one
// goroutine per core, each taking a contiguous share of the files.
func FloorCompact(ctx context.Context, table, out string, target int64) (removed, added int64, err error) {
	var files []string
	err = filepath.WalkDir(table, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, "_delta_log") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, 0, err
	}
	workers := runtime.GOMAXPROCS(0)
	written := make([]int64, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		share := files[w*len(files)/workers : (w+1)*len(files)/workers]
		wg.Add(1)
		go func() {
			defer wg.Done()
			written[w], errs[w] = floorRewrite(ctx, share, out, w, target)
		}()
	}
	wg.Wait()
	for w := range workers {
		if errs[w] != nil {
			return 0, 0, errs[w]
		}
		added += written[w]
	}
	return int64(len(files)), added, nil
}

func floorRewrite(ctx context.Context, files []string, out string, worker int, target int64) (int64, error) {
	n := 0
	open := func(context.Context) (parquetio.Sink, error) {
		n++
		return os.Create(filepath.Join(out, fmt.Sprintf("part-%d-%d.parquet", worker, n)))
	}
	w, err := parquetio.NewRollingWriter(schema, open, &parquetio.WriteOptions{TargetFileSize: target, RowGroupSize: 128 << 10})
	if err != nil {
		return 0, err
	}
	for _, path := range files {
		if err := copyRows(ctx, path, w); err != nil {
			w.Abort()
			return 0, err
		}
	}
	done, err := w.Close()
	return int64(len(done)), err
}

func copyRows(ctx context.Context, path string, w *parquetio.RollingWriter) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rr, err := parquetio.NewRecordReader(ctx, sizedFile{f, st.Size()}, &parquetio.ReadOptions{Schema: schema})
	if err != nil {
		return err
	}
	defer rr.Release()
	return w.WriteReader(ctx, rr)
}

// sizedFile is a local file as the Parquet reader wants it.
type sizedFile struct {
	*os.File
	size int64
}

func (f sizedFile) Size() int64 { return f.size }

// SmallReadsCheap lets the floor read page by page, as lakehouse reads
// local files, so both pay the same for their reads.
func (f sizedFile) SmallReadsCheap() bool { return true }

// DeltaRSScript compacts with delta-rs: argv is the table and the target
// size; it prints ms, removed, added and rss_kb as JSON.
const DeltaRSScript = `
import json, sys, time
def _hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0

from deltalake import DeltaTable
path, target = sys.argv[1], int(sys.argv[2])
dt = DeltaTable(path)
start = time.perf_counter()
m = dt.optimize.compact(target_size=target)
ms = (time.perf_counter() - start) * 1000
print(json.dumps({"ms": ms, "removed": m["numFilesRemoved"], "added": m["numFilesAdded"], "rss_kb": _hwm()}))
`

// CheckRows reads the compacted table with lakehouse and counts its rows.
func CheckRows(ctx context.Context, path string, want int64) error {
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"id"}})
	if err != nil {
		return err
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		n += rr.RecordBatch().NumRows()
	}
	if err := rr.Err(); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("the compacted table reads %d rows, wrote %d", n, want)
	}
	return nil
}
