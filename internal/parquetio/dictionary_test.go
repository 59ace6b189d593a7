package parquetio_test

import (
	"context"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

var dictFileSchema = arrow.NewSchema([]arrow.Field{
	{Name: "n", Type: arrow.PrimitiveTypes.Int64},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true},
}, nil)

// Row group 0: s in {x, y} and a null; row group 1: s in {y, zz}.
const dictFileRows = `[
	{"n": 0, "s": "x", "b": "AQ=="}, {"n": 1, "s": null, "b": null}, {"n": 2, "s": "y", "b": "AQ=="},
	{"n": 3, "s": "zz", "b": "Ag=="}, {"n": 4, "s": "y", "b": "Ag=="}, {"n": 5, "s": "zz", "b": null}
]`

// dictOn asks for dictionary encoding of s and b. Compression is on:
// without it the writer falls back to plain pages when a dictionary
// would not save space, as on these few rows.
func dictOn() []parquet.WriterProperty {
	return []parquet.WriterProperty{parquet.WithDictionaryFor("s", true), parquet.WithDictionaryFor("b", true), parquet.WithCompression(compress.Codecs.Snappy)}
}

func TestChunkDictionary(t *testing.T) {
	tests := []struct {
		name  string
		props []parquet.WriterProperty
		field arrow.Field
		// the dictionary of each row group; nil where ok must be false
		want [][]string
	}{
		{"string", nil, dictFileSchema.Field(1), [][]string{{"x", "y"}, {"zz", "y"}}},
		{"binary", nil, dictFileSchema.Field(2), [][]string{{"\x01"}, {"\x02"}}},
		{"not a string", nil, dictFileSchema.Field(0), [][]string{nil, nil}},
		{"absent", nil, arrow.Field{Name: "gone", Type: arrow.BinaryTypes.String, Nullable: true}, [][]string{nil, nil}},
		{"plain encoded", []parquet.WriterProperty{parquet.WithDictionaryFor("s", false)}, dictFileSchema.Field(1), [][]string{nil, nil}},
		// A dictionary page limit of one byte makes the writer fall back
		// to plain pages: the dictionary then lists only some values.
		{"fallback", []parquet.WriterProperty{parquet.WithDictionaryPageSizeLimit(1), parquet.WithBatchSize(1), parquet.WithDataPageSize(1)}, dictFileSchema.Field(1), [][]string{nil, nil}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := writeParquet(t, dictFileSchema, dictFileRows, 3, append(dictOn(), tc.props...)...)
			mem := checkedMem(t)
			f, err := parquetio.OpenFile(readerOf(data), mem)
			require.NoError(t, err)
			for rg, want := range tc.want {
				values, ok, err := f.ChunkDictionary(rg, tc.field, parquetio.ColumnMappingNone)
				require.NoError(t, err)
				require.Equal(t, want != nil, ok, "row group %d", rg)
				if !ok {
					continue
				}
				var got []string
				for i := 0; i < values.Len(); i++ {
					switch v := values.(type) {
					case *array.String:
						got = append(got, v.Value(i))
					case *array.Binary:
						got = append(got, string(v.Value(i)))
					}
				}
				assert.True(t, arrow.TypeEqual(tc.field.Type, values.DataType()))
				assert.ElementsMatch(t, want, got)
				values.Release()
			}
			_, _, err = f.ChunkDictionary(2, tc.field, parquetio.ColumnMappingNone)
			assert.ErrorIs(t, err, parquetio.ErrInvalidOptions)
		})
	}
}

// TestReadDictionaryFields reads string and binary fields as dictionaries
// and checks the rows against a plain read: with deleted rows, a field
// the file lacks, and files whose chunks are not dictionary-encoded.
func TestReadDictionaryFields(t *testing.T) {
	dictOf := func(t arrow.DataType) arrow.DataType {
		return &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: t}
	}
	fields := append(dictFileSchema.Fields(), arrow.Field{Name: "gone", Type: arrow.BinaryTypes.String, Nullable: true})
	plain := arrow.NewSchema(fields, nil)
	fields[1].Type = dictOf(arrow.BinaryTypes.String)
	fields[2].Type = dictOf(arrow.BinaryTypes.Binary)
	fields[3].Type = dictOf(arrow.BinaryTypes.String)
	dict := arrow.NewSchema(fields, nil)
	deleted := roaring64.BitmapOf(0, 4)
	for _, props := range [][]parquet.WriterProperty{dictOn(), nil} {
		data := writeParquet(t, dictFileSchema, dictFileRows, 3, props...)
		for _, del := range []*roaring64.Bitmap{nil, deleted} {
			want, err := read(t, data, &parquetio.ReadOptions{Schema: plain, Deleted: del, BatchSize: 2})
			require.NoError(t, err)
			got, err := read(t, data, &parquetio.ReadOptions{Schema: dict, Deleted: del, BatchSize: 2})
			require.NoError(t, err)
			assert.Equal(t, want, got)
			got, err = readIndexed(t, data, &parquetio.ReadOptions{Schema: dict, Deleted: del, BatchSize: 4, RowIndexColumn: "_row"})
			require.NoError(t, err)
			for i := range want {
				want[i] = strings.Join(append(strings.Split(want[i], " | "), rowOf(want[i])), " | ")
			}
			assert.Equal(t, want, got)
			if del != nil {
				assert.Len(t, got, 4)
			} else {
				assert.Len(t, got, 6)
			}
		}
	}
	_, err := parquetio.NewRecordReader(context.Background(), readerOf(writeParquet(t, dictFileSchema, dictFileRows, 3)), &parquetio.ReadOptions{
		Schema: arrow.NewSchema([]arrow.Field{{Name: "n", Type: dictOf(arrow.PrimitiveTypes.Int64)}}, nil),
	})
	assert.ErrorIs(t, err, parquetio.ErrInvalidOptions)
}

// readIndexed reads with a row index column, whose batches have that
// extra column.
func readIndexed(t *testing.T, data []byte, opts *parquetio.ReadOptions) ([]string, error) {
	t.Helper()
	opts.Allocator = checkedMem(t)
	rr, err := parquetio.NewRecordReader(context.Background(), readerOf(data), opts)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rows = append(rows, rowStrings(rr.RecordBatch())...)
	}
	return rows, rr.Err()
}

// rowOf is the file row index of a dictFileRows row, rendered: column n
// holds it.
func rowOf(row string) string { return strings.Split(row, " | ")[0] }
