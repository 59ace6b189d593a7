package parquetio_test

import (
	"context"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pgo "github.com/parquet-go/parquet-go"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

// pgoRow is the benchmark row as parquet-go's typed writer wants it: the
// best case for parquet-go (no dynamic schema, no Arrow conversion).
type pgoRow struct {
	ID     *int64  `parquet:"id,optional"`
	Name   string  `parquet:"name,dict"`
	Amount float64 `parquet:"amount"`
	Ts     int64   `parquet:"ts,timestamp(microsecond)"`
	S      struct {
		A int32  `parquet:"a"`
		B string `parquet:"b,dict"`
	} `parquet:"s"`
}

// BenchmarkWrite1M writes the 1M-row benchmark data as one snappy file:
// WriteFile (pqarrow, dictionary for strings only, Delta stats collected)
// against pqarrow with its defaults (dictionary on every column) and
// parquet-go's typed GenericWriter with matching encodings.
func BenchmarkWrite1M(b *testing.B) {
	recs := benchRecords()
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	b.Run("parquetio.WriteFile", func(b *testing.B) {
		for b.Loop() {
			rr, err := array.NewRecordReader(benchSchema, recs)
			if err != nil {
				b.Fatal(err)
			}
			st, err := parquetio.WriteFile(context.Background(), io.Discard, rr, &parquetio.WriteOptions{RowGroupSize: 256 * 1024})
			rr.Release()
			if err != nil || st.NumRecords != benchRows {
				b.Fatal(err, st.NumRecords)
			}
		}
	})
	b.Run("pqarrow-defaults", func(b *testing.B) {
		for b.Loop() {
			props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(256*1024))
			w, err := pqarrow.NewFileWriter(benchSchema, io.Discard, props, pqarrow.DefaultWriterProps())
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range recs {
				if err := w.WriteBuffered(r); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pqarrow-dict-strings", func(b *testing.B) {
		for b.Loop() {
			props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(256*1024),
				parquet.WithDictionaryDefault(false), parquet.WithDictionaryFor("name", true), parquet.WithDictionaryFor("s.b", true))
			w, err := pqarrow.NewFileWriter(benchSchema, io.Discard, props, pqarrow.DefaultWriterProps())
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range recs {
				if err := w.WriteBuffered(r); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	rows := pgoRows(recs)
	b.Run("parquet-go-typed", func(b *testing.B) {
		for b.Loop() {
			w := pgo.NewGenericWriter[pgoRow](io.Discard, pgo.Compression(&pgo.Snappy), pgo.MaxRowsPerRowGroup(256*1024))
			for off := 0; off < len(rows); off += 65536 {
				if _, err := w.Write(rows[off:min(off+65536, len(rows))]); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func pgoRows(recs []arrow.RecordBatch) []pgoRow {
	out := make([]pgoRow, 0, benchRows)
	for _, r := range recs {
		id := r.Column(0).(*array.Int64)
		name := r.Column(1).(*array.String)
		amt := r.Column(2).(*array.Float64)
		ts := r.Column(3).(*array.Timestamp)
		s := r.Column(4).(*array.Struct)
		for i := 0; i < int(r.NumRows()); i++ {
			var row pgoRow
			if id.IsValid(i) {
				v := id.Value(i)
				row.ID = &v
			}
			row.Name = name.Value(i)
			row.Amount = amt.Value(i)
			row.Ts = int64(ts.Value(i))
			row.S.A = s.Field(0).(*array.Int32).Value(i)
			row.S.B = s.Field(1).(*array.String).Value(i)
			out = append(out, row)
		}
	}
	return out
}
