// Package snapdata generates the snapshot-load benchmark table: a long
// history of small commits, a classic checkpoint of many files, and a few
// commits after it. bench/snapshotload and the bench harness share it.
package snapdata

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

const schemaString = `{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}`

func stats(i int) string {
	return fmt.Sprintf(`{"numRecords":100,"minValues":{"id":%d},"maxValues":{"id":%d},"nullCount":{"id":0}}`, i*100, i*100+99)
}

func addLine(i, v int) string {
	return fmt.Sprintf(`{"add":{"path":"part-%08d.parquet","partitionValues":{},"size":1000,"modificationTime":%d,"dataChange":true,"stats":%q}}`,
		i, 1_700_000_000_000+int64(v), stats(i))
}

// EnsureTable writes the benchmark table unless a complete one is there.
func EnsureTable(ctx context.Context, dir string, commits, files int) error {
	logDir := filepath.Join(dir, "_delta_log")
	marker := filepath.Join(dir, fmt.Sprintf(".complete-v2-%d-%d", commits, files))
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "generating %d commits and a %d-file checkpoint in %s …\n", commits, files, dir)
	per := files / commits
	next := 0
	for v := 0; v < commits; v++ {
		var b []byte
		b = fmt.Appendf(b, `{"commitInfo":{"timestamp":%d,"operation":"WRITE","operationParameters":{"mode":"Append"}}}`+"\n", 1_700_000_000_000+int64(v))
		if v == 0 {
			b = append(b, `{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}`+"\n"...)
			b = fmt.Appendf(b, `{"metaData":{"id":"bench","format":{"provider":"parquet","options":{}},"schemaString":%q,"partitionColumns":[],"configuration":{},"createdTime":1700000000000}}`+"\n", schemaString)
		}
		n := per
		if v == commits-1 {
			n = files - next
		}
		for j := 0; j < n; j++ {
			b = append(b, addLine(next, v)+"\n"...)
			next++
		}
		if err := os.WriteFile(filepath.Join(logDir, fmt.Sprintf("%020d.json", v)), b, 0o644); err != nil {
			return err
		}
	}
	if err := writeCheckpoint(ctx, filepath.Join(logDir, fmt.Sprintf("%020d.checkpoint.parquet", commits-1)), files, commits-1); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(logDir, "_last_checkpoint"), fmt.Appendf(nil, `{"version":%d,"size":%d}`, commits-1, files+2), 0o644); err != nil {
		return err
	}
	for k := 0; k < 10; k++ {
		v := commits + k
		b := fmt.Appendf(nil, `{"commitInfo":{"timestamp":%d,"operation":"WRITE"}}`+"\n%s\n", 1_700_000_000_000+int64(v), addLine(files+k, v))
		if err := os.WriteFile(filepath.Join(logDir, fmt.Sprintf("%020d.json", v)), b, 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(marker, nil, 0o644)
}

var checkpointSchema = arrow.NewSchema([]arrow.Field{
	{Name: "protocol", Nullable: true, Type: arrow.StructOf(
		arrow.Field{Name: "minReaderVersion", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "minWriterVersion", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	)},
	{Name: "metaData", Nullable: true, Type: arrow.StructOf(
		arrow.Field{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "format", Nullable: true, Type: arrow.StructOf(
			arrow.Field{Name: "provider", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "options", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String), Nullable: true},
		)},
		arrow.Field{Name: "schemaString", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "partitionColumns", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		arrow.Field{Name: "configuration", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String), Nullable: true},
		arrow.Field{Name: "createdTime", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	)},
	{Name: "add", Nullable: true, Type: arrow.StructOf(
		arrow.Field{Name: "path", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "partitionValues", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.BinaryTypes.String), Nullable: true},
		arrow.Field{Name: "size", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "modificationTime", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "dataChange", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		arrow.Field{Name: "stats", Type: arrow.BinaryTypes.String, Nullable: true},
	)},
}, nil)

// writeCheckpoint writes a classic checkpoint: protocol and metadata rows,
// then one add row per file, in row groups of 64Ki rows.
func writeCheckpoint(ctx context.Context, path string, files, version int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy), parquet.WithDictionaryDefault(false))
	w, err := pqarrow.NewFileWriter(checkpointSchema, f, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	const chunk = 1 << 16
	row := 0
	total := files + 2
	for row < total {
		n := min(chunk, total-row)
		rec := checkpointRows(row, n, version)
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			return err
		}
		row += n
	}
	if err := w.Close(); err != nil {
		return err
	}
	return nil
}

func checkpointRows(start, n, version int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, checkpointSchema)
	defer b.Release()
	pb := b.Field(0).(*array.StructBuilder)
	mb := b.Field(1).(*array.StructBuilder)
	ab := b.Field(2).(*array.StructBuilder)
	for r := start; r < start+n; r++ {
		switch {
		case r == 0:
			pb.Append(true)
			pb.FieldBuilder(0).(*array.Int32Builder).Append(1)
			pb.FieldBuilder(1).(*array.Int32Builder).Append(2)
			mb.AppendNull()
			ab.AppendNull()
		case r == 1:
			pb.AppendNull()
			mb.Append(true)
			mb.FieldBuilder(0).(*array.StringBuilder).Append("bench")
			fb := mb.FieldBuilder(1).(*array.StructBuilder)
			fb.Append(true)
			fb.FieldBuilder(0).(*array.StringBuilder).Append("parquet")
			fb.FieldBuilder(1).(*array.MapBuilder).Append(true)
			mb.FieldBuilder(2).(*array.StringBuilder).Append(schemaString)
			mb.FieldBuilder(3).(*array.ListBuilder).Append(true)
			mb.FieldBuilder(4).(*array.MapBuilder).Append(true)
			mb.FieldBuilder(5).(*array.Int64Builder).Append(1_700_000_000_000)
			ab.AppendNull()
		default:
			i := r - 2
			pb.AppendNull()
			mb.AppendNull()
			ab.Append(true)
			ab.FieldBuilder(0).(*array.StringBuilder).Append(fmt.Sprintf("part-%08d.parquet", i))
			ab.FieldBuilder(1).(*array.MapBuilder).Append(true)
			ab.FieldBuilder(2).(*array.Int64Builder).Append(1000)
			ab.FieldBuilder(3).(*array.Int64Builder).Append(1_700_000_000_000 + int64(version))
			ab.FieldBuilder(4).(*array.BooleanBuilder).Append(true)
			ab.FieldBuilder(5).(*array.StringBuilder).Append(stats(i))
		}
	}
	return b.NewRecordBatch()
}

// BaselineReadAdds reads the checkpoint's add column with plain pqarrow:
// the minimum work of any reader that lists the table's files.
func BaselineReadAdds(ctx context.Context, dir string, version int) error {
	pf, err := file.OpenParquetFile(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.checkpoint.parquet", version)), false)
	if err != nil {
		return err
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 8192}, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	var leaves []int
	for i := range fr.Manifest.Fields {
		if fr.Manifest.Fields[i].Field.Name == "add" {
			for _, c := range fr.Manifest.Fields[i].Children {
				leaves = append(leaves, leafIndices(c)...)
			}
		}
	}
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	rows := 0
	for rr.Next() {
		rows += int(rr.RecordBatch().NumRows())
	}
	return rr.Err()
}

func leafIndices(f pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return []int{f.ColIndex}
	}
	var out []int
	for _, c := range f.Children {
		out = append(out, leafIndices(c)...)
	}
	return out
}
