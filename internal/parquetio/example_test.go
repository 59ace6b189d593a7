package parquetio_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

func ExampleNewRecordReader() {
	// A file as an older writer left it: an int column and a string column.
	stored := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rec, _, _ := array.RecordFromJSON(memory.DefaultAllocator, stored,
		strings.NewReader(`[{"id":1,"name":"a"},{"id":2,"name":"b"},{"id":3,"name":"c"}]`))
	defer rec.Release()
	var buf bytes.Buffer
	if err := pqarrow.WriteTable(array.NewTableFromRecords(stored, []arrow.RecordBatch{rec}), &buf, 1024, nil, pqarrow.DefaultWriterProps()); err != nil {
		panic(err)
	}

	// Today's table schema: id widened to long, a new column, names reordered.
	logical := arrow.NewSchema([]arrow.Field{
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	rr, err := parquetio.NewRecordReader(context.Background(), readerOf(buf.Bytes()), &parquetio.ReadOptions{
		Schema:  logical,
		Deleted: roaring64.BitmapOf(1), // a deletion vector removing the second row
	})
	if err != nil {
		panic(err)
	}
	defer rr.Release()
	for rr.Next() {
		for _, row := range rowStrings(rr.RecordBatch()) {
			fmt.Println(row)
		}
	}
	if err := rr.Err(); err != nil {
		panic(err)
	}
	// Output:
	// a | 1 | (null)
	// c | 3 | (null)
}

func ExampleWriteFile() {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	rec, _, _ := array.RecordFromJSON(memory.DefaultAllocator, schema,
		strings.NewReader(`[{"id":3,"city":"Lisbon"},{"id":1,"city":null},{"id":2,"city":"Oslo"}]`))
	defer rec.Release()
	rr, _ := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	defer rr.Release()

	var file bytes.Buffer
	stats, err := parquetio.WriteFile(context.Background(), &file, rr, nil) // snappy, Delta stats
	if err != nil {
		panic(err)
	}
	js, _ := stats.JSON() // the add action's "stats" string
	fmt.Println(string(js))
	// Output:
	// {"numRecords":3,"minValues":{"id":1,"city":"Lisbon"},"maxValues":{"id":3,"city":"Oslo"},"nullCount":{"id":0,"city":1}}
}
