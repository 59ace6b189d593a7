package parquetio_test

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

// FuzzRecordReader feeds arbitrary bytes to the reader: it must return an
// error, never panic.
func FuzzRecordReader(f *testing.F) {
	file := arrow.NewSchema([]arrow.Field{
		field("a", arrow.PrimitiveTypes.Int64),
		field("s", arrow.StructOf(field("x", arrow.BinaryTypes.String))),
		field("l", arrow.ListOf(arrow.PrimitiveTypes.Int32)),
	}, nil)
	t := &testing.T{}
	f.Add(writeParquet(t, file, `[{"a":1,"s":{"x":"q"},"l":[1,2]},{"a":null,"s":null,"l":null}]`, 1))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	logical := arrow.NewSchema([]arrow.Field{
		field("l", arrow.ListOf(arrow.PrimitiveTypes.Int64)),
		field("a", arrow.PrimitiveTypes.Float64),
		field("s", arrow.StructOf(field("x", arrow.BinaryTypes.String))),
	}, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		rr, err := parquetio.NewRecordReader(context.Background(), readerOf(data), &parquetio.ReadOptions{Schema: logical})
		if err != nil {
			return
		}
		defer rr.Release()
		for rr.Next() {
		}
	})
}
