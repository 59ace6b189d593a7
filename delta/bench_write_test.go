package delta

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

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

// BenchmarkAppend compares a partitioned Delta append (data files,
// statistics, commit) with writing the same batches as plain parquet
// through the same writer. Reproduce with:
//
//	go test ./delta/ -run '^$' -bench BenchmarkAppend -benchtime 3x
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
	b.Run("plain-parquet", func(b *testing.B) {
		b.SetBytes(0)
		for i := 0; i < b.N; i++ {
			dir := b.TempDir()
			n := 0
			rw, err := parquetio.NewRollingWriter(benchSchema, func(context.Context) (parquetio.Sink, error) {
				n++
				return os.Create(filepath.Join(dir, fmt.Sprintf("part-%05d.snappy.parquet", n)))
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
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("delta-append", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dir := filepath.Join(b.TempDir(), "t")
			tbl, err := Create(ctx, dir, benchSchema, &CreateOptions{PartitionBy: []string{"day"}, Table: &Options{NoSync: true}})
			if err != nil {
				b.Fatal(err)
			}
			rr, err := array.NewRecordReader(benchSchema, batches)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tbl.Append(ctx, rr, nil); err != nil {
				b.Fatal(err)
			}
			rr.Release()
			tbl.Close()
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
