package delta

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
	{Name: "day", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// benchBatches builds rows in 64K-row batches; day takes 10 values in
// contiguous runs, as data arriving per day does.
func benchBatches(mem memory.Allocator, rows int) []arrow.RecordBatch {
	const batch = 64 * 1024
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(mem, benchSchema)
	defer b.Release()
	for start := 0; start < rows; start += batch {
		n := min(batch, rows-start)
		for i := start; i < start+n; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.Float64Builder).Append(float64(i) * 1.5)
			b.Field(2).(*array.StringBuilder).Append("label-" + strconv.Itoa(i%1000))
			b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(i)*1000))
			b.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("2024-01-%02d", 1+i*10/rows))
		}
		out = append(out, b.NewRecordBatch())
	}
	return out
}

func benchRows() int {
	if s := os.Getenv("LAKEHOUSE_BENCH_ROWS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	return 10_000_000
}

// writePlainParquet writes the batches as plain parquet files through the
// same writer Delta uses (the baseline).
func writePlainParquet(b *testing.B, ctx context.Context, dir string, batches []arrow.RecordBatch) {
	n := 0
	rw, err := parquetio.NewRollingWriter(benchSchema, func(context.Context) (parquetio.Sink, error) {
		n++
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("part-%05d.snappy.parquet", n)))
		if err != nil {
			return nil, err
		}
		return &bufferedFile{Writer: bufio.NewWriterSize(f, 1<<20), f: f}, nil
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range batches {
		if err := rw.Write(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := rw.Close(); err != nil {
		b.Fatal(err)
	}
}

// bufferedFile is a buffered plain file: the baseline gets the same
// large sequential writes the table store makes.
type bufferedFile struct {
	*bufio.Writer
	f *os.File
}

func (b *bufferedFile) Close() error {
	if err := b.Flush(); err != nil {
		_ = b.f.Close()
		return err
	}
	return b.f.Close()
}

// appendDelta creates a table partitioned by day and appends the batches
// in one transaction.
func appendDelta(b *testing.B, ctx context.Context, dir string, batches []arrow.RecordBatch) {
	tbl, err := Create(ctx, dir, benchSchema, &CreateOptions{PartitionBy: []string{"day"}, Table: &Options{NoSync: true}})
	if err != nil {
		b.Fatal(err)
	}
	defer tbl.Close()
	rr, err := array.NewRecordReader(benchSchema, batches)
	if err != nil {
		b.Fatal(err)
	}
	defer rr.Release()
	if _, err := tbl.Append(ctx, rr, nil); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppend compares a partitioned Delta append (partition split,
// data files, statistics, commit) of 10M rows with writing the same
// batches as plain parquet through the same writer. Each iteration runs
// both, back to back and in alternating order, so machine load affects
// them alike; the reported
// "delta/parquet" metric is the ratio of their total times. Reproduce
// with:
//
//	go test ./delta/ -run '^$' -bench BenchmarkAppend -benchtime 3x
//
// (LAKEHOUSE_BENCH_ROWS overrides the row count.)
func BenchmarkAppend(b *testing.B) {
	mem := memory.DefaultAllocator
	rows := benchRows()
	batches := benchBatches(mem, rows)
	defer func() {
		for _, r := range batches {
			r.Release()
		}
	}()
	ctx := context.Background()
	var plain, withDelta time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Alternate which runs first so neither always inherits the
		// other's garbage.
		for _, deltaFirst := range []bool{i%2 == 1, i%2 == 0} {
			t0 := time.Now()
			if deltaFirst {
				appendDelta(b, ctx, filepath.Join(b.TempDir(), "t"), batches)
				withDelta += time.Since(t0)
			} else {
				writePlainParquet(b, ctx, b.TempDir(), batches)
				plain += time.Since(t0)
			}
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/plain.Seconds(), "parquet-rows/s")
	b.ReportMetric(float64(rows)*float64(b.N)/withDelta.Seconds(), "delta-rows/s")
	b.ReportMetric(withDelta.Seconds()/plain.Seconds(), "delta/parquet")
}
