package parquetio_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

const benchRows = 1_000_000

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ts", Type: tsUTC, Nullable: true},
	{Name: "s", Type: arrow.StructOf(field("a", arrow.PrimitiveTypes.Int32), field("b", arrow.BinaryTypes.String)), Nullable: true},
}, nil)

// benchRecords builds the benchmark rows in batches of 64Ki.
func benchRecords() []arrow.RecordBatch {
	var recs []arrow.RecordBatch
	b := array.NewRecordBuilder(memory.DefaultAllocator, benchSchema)
	defer b.Release()
	for i := 0; i < benchRows; i++ {
		if i%10 == 7 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
		}
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name-%d", i%1000))
		b.Field(2).(*array.Float64Builder).Append(float64(i) / 3)
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(i)*1000))
		sb := b.Field(4).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(i))
		sb.FieldBuilder(1).(*array.StringBuilder).Append("x")
		if (i+1)%65536 == 0 || i == benchRows-1 {
			recs = append(recs, b.NewRecordBatch())
		}
	}
	return recs
}

var benchFile = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "parquetio-bench")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "bench.parquet")
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(256*1024), parquet.WithDictionaryDefault(false), parquet.WithDictionaryFor("name", true))
	w, err := pqarrow.NewFileWriter(benchSchema, &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return "", err
	}
	for _, rec := range benchRecords() {
		if err := w.WriteBuffered(rec); err != nil {
			return "", err
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return p, os.WriteFile(p, buf.Bytes(), 0o644)
})

// BenchmarkRead1M reads a 1M-row, 4-row-group file end to end: plain
// pqarrow GetRecordReader (the baseline) against NewRecordReader without
// and with a 1% deletion vector.
func BenchmarkRead1M(b *testing.B) {
	path, err := benchFile()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(filepath.Dir(path)) })
	deleted := roaring64.New()
	for i := uint64(0); i < benchRows; i += 100 {
		deleted.Add(i)
	}
	count := func(b *testing.B, rr array.RecordReader, want int64) {
		var n int64
		for rr.Next() {
			n += rr.RecordBatch().NumRows()
		}
		if err := rr.Err(); err != nil {
			b.Fatal(err)
		}
		rr.Release()
		if n != want {
			b.Fatalf("read %d rows, want %d", n, want)
		}
	}
	b.Run("pqarrow", func(b *testing.B) {
		for b.Loop() {
			f := openFile(b, path)
			pf, err := file.NewParquetReader(f, file.WithReadProps(parquet.NewReaderProperties(memory.DefaultAllocator)))
			if err != nil {
				b.Fatal(err)
			}
			fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: parquetio.DefaultBatchSize}, memory.DefaultAllocator)
			if err != nil {
				b.Fatal(err)
			}
			rr, err := fr.GetRecordReader(context.Background(), nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			count(b, rr, benchRows)
		}
	})
	for _, tc := range []struct {
		name    string
		deleted *roaring64.Bitmap
		want    int64
	}{{"parquetio", nil, benchRows}, {"parquetio-dv1pct", deleted, benchRows - benchRows/100}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				rr, err := parquetio.NewRecordReader(context.Background(), openFile(b, path), &parquetio.ReadOptions{Schema: benchSchema, Deleted: tc.deleted})
				if err != nil {
					b.Fatal(err)
				}
				count(b, rr, tc.want)
			}
		})
	}
}
