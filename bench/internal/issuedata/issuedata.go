// Package issuedata generates issue 16's benchmark table (id, value, label,
// ts, partitioned by day) and runs its append and scan workloads through
// lakehouse and through the plain-Parquet floor, each timing only the
// operation. bench/scan and the bench harness share it.
package issuedata

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

// Schema is issue 16's shape; nullable like a pyarrow table's.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "day", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// DataSchema is Schema less the partition column: what data files hold.
var DataSchema = arrow.NewSchema(Schema.Fields()[:4], nil)

// Partitions generates the rows, partition by partition, in batches of
// at most 64Ki rows. The formulas are the Python generator's.
func Partitions(mem memory.Allocator, n int64) [][]arrow.RecordBatch {
	out := make([][]arrow.RecordBatch, 10)
	for d := int64(0); d < 10; d++ {
		lo, hi := ceilDiv(d*n, 10), ceilDiv((d+1)*n, 10)
		day := fmt.Sprintf("2024-01-%02d", 1+d)
		for start := lo; start < hi; start += 64 * 1024 {
			end := min(start+64*1024, hi)
			b := array.NewRecordBuilder(mem, Schema)
			for i := start; i < end; i++ {
				b.Field(0).(*array.Int64Builder).Append(i)
				b.Field(1).(*array.Float64Builder).Append(float64((i*2654435761)%1000003) / 1000003.0)
				b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("label-%04d", (i*7919)%1000))
				b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + i*1000))
				b.Field(4).(*array.StringBuilder).Append(day)
			}
			out[d] = append(out[d], b.NewRecordBatch())
			b.Release()
		}
	}
	return out
}

// ceilDiv matches Python's day formula 1 + i*10//n: row i is in
// partition d when d*n <= 10*i < (d+1)*n.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// Release releases every batch Partitions made.
func Release(parts [][]arrow.RecordBatch) {
	for _, p := range parts {
		for _, b := range p {
			b.Release()
		}
	}
}

// EnsureTable generates a rows-row table in DIR/table with lakehouse
// unless a complete one (its marker file) is already there, and returns
// its path.
func EnsureTable(ctx context.Context, dir string, rows int64) (string, error) {
	table := filepath.Join(dir, "table")
	// v2: data files carry the page index.
	marker := filepath.Join(dir, fmt.Sprintf(".complete-v2-%d", rows))
	if _, err := os.Stat(marker); err == nil {
		return table, nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "generating a %d-row table in %s …\n", rows, table)
	if _, _, err := LakehouseAppend(ctx, table, rows); err != nil {
		return "", err
	}
	return table, os.WriteFile(marker, nil, 0o644)
}

// LakehouseAppend creates a table at path from rows generated rows in one
// commit and returns the time of the create alone.
func LakehouseAppend(ctx context.Context, path string, rows int64) (time.Duration, int64, error) {
	return create(ctx, path, rows, nil)
}

// EnsureChangeTable generates, unless a complete one is there, a rows-row
// table in DIR/cdf written with delta.enableChangeDataFeed, so that a
// change-feed read of it from version 0 returns every row as an insert.
func EnsureChangeTable(ctx context.Context, dir string, rows int64) (string, error) {
	table := filepath.Join(dir, "cdf")
	marker := filepath.Join(dir, fmt.Sprintf(".complete-cdf-v1-%d", rows))
	if _, err := os.Stat(marker); err == nil {
		return table, nil
	}
	if err := os.RemoveAll(table); err != nil {
		return "", err
	}
	if _, _, err := create(ctx, table, rows, map[string]string{"delta.enableChangeDataFeed": "true"}); err != nil {
		return "", err
	}
	return table, os.WriteFile(marker, nil, 0o644)
}

func create(ctx context.Context, path string, rows int64, props map[string]string) (time.Duration, int64, error) {
	parts := Partitions(memory.DefaultAllocator, rows)
	defer Release(parts)
	d, err := WriteDelta(ctx, path, parts, props)
	return d, rows, err
}

// WriteDelta creates a table at path, partitioned by day, from batches
// Partitions made, in one commit with table properties props, and returns
// the time of the create alone.
func WriteDelta(ctx context.Context, path string, parts [][]arrow.RecordBatch, props map[string]string) (time.Duration, error) {
	var all []arrow.RecordBatch
	for _, p := range parts {
		all = append(all, p...)
	}
	rr, err := array.NewRecordReader(Schema, all)
	if err != nil {
		return 0, err
	}
	defer rr.Release()
	start := time.Now()
	tbl, _, err := delta.CreateAsSelect(ctx, path, rr, &delta.CreateOptions{PartitionBy: []string{"day"}, Properties: props})
	if err != nil {
		return 0, err
	}
	d := time.Since(start)
	return d, tbl.Close()
}

// FloorAppend writes the same batches as plain Parquet, one file and one
// goroutine per partition.
func FloorAppend(ctx context.Context, dir string, rows int64) (time.Duration, int64, error) {
	parts := Partitions(memory.DefaultAllocator, rows)
	defer Release(parts)
	d, err := WriteFloor(ctx, dir, parts)
	return d, rows, err
}

// WriteFloor writes batches Partitions made as plain Parquet into dir, one
// file and one goroutine per partition, and returns the time it took.
func WriteFloor(ctx context.Context, dir string, parts [][]arrow.RecordBatch) (time.Duration, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	start := time.Now()
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := make([]arrow.RecordBatch, len(p))
			for j, b := range p {
				data[j] = array.NewRecordBatch(DataSchema, b.Columns()[:4], b.NumRows())
			}
			defer Release([][]arrow.RecordBatch{data})
			rr, err := array.NewRecordReader(DataSchema, data)
			if err != nil {
				errs[i] = err
				return
			}
			defer rr.Release()
			f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%d.parquet", i)))
			if err != nil {
				errs[i] = err
				return
			}
			_, err = parquetio.WriteFile(ctx, f, rr, &parquetio.WriteOptions{RowGroupSize: 128 << 10})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	d := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return d, nil
}

// LakehouseScan scans with opts (its Filter replaced by filter, parsed).
func LakehouseScan(ctx context.Context, table, filter string, opts delta.ScanOptions) (time.Duration, int64, error) {
	start := time.Now()
	tbl, err := delta.Open(ctx, table, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return 0, 0, err
	}
	if filter != "" {
		if opts.Filter, err = expr.Parse(filter); err != nil {
			return 0, 0, err
		}
	}
	rr, err := snap.Scan(ctx, &opts)
	if err != nil {
		return 0, 0, err
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		n += rr.RecordBatch().NumRows()
	}
	return time.Since(start), n, rr.Err()
}

// FloorScan reads every data file of the table as plain Parquet, one
// goroutine per core, filtering with the same compiled predicate.
func FloorScan(ctx context.Context, table, filter string) (time.Duration, int64, error) {
	start := time.Now()
	var files []string
	err := filepath.WalkDir(table, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, "_delta_log") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	var prog *expr.Program
	if filter != "" {
		e, err := expr.Parse(filter)
		if err != nil {
			return 0, 0, err
		}
		if prog, err = expr.Compile(e, DataSchema, nil); err != nil {
			return 0, 0, err
		}
	}
	work := make(chan string)
	counts := make([]int64, runtime.GOMAXPROCS(0))
	errs := make([]error, len(counts))
	var wg sync.WaitGroup
	for w := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for path := range work {
				n, err := floorFile(ctx, path, prog)
				counts[w] += n
				if err != nil && errs[w] == nil {
					errs[w] = err
				}
			}
		}()
	}
	for _, f := range files {
		work <- f
	}
	close(work)
	wg.Wait()
	var total int64
	for w, n := range counts {
		if errs[w] != nil {
			return 0, 0, errs[w]
		}
		total += n
	}
	return time.Since(start), total, nil
}

func floorFile(ctx context.Context, path string, prog *expr.Program) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	rr, err := parquetio.NewRecordReader(ctx, sizedFile{f, st.Size()}, &parquetio.ReadOptions{Schema: DataSchema})
	if err != nil {
		return 0, err
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		rec := rr.RecordBatch()
		if prog == nil {
			n += rec.NumRows()
			continue
		}
		kept, err := prog.Filter(ctx, rec)
		if err != nil {
			return 0, err
		}
		n += kept.NumRows()
		kept.Release()
	}
	return n, rr.Err()
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
