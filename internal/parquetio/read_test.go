package parquetio_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

type bytesReader struct {
	*bytes.Reader
}

func (bytesReader) Close() error { return nil }

func readerOf(b []byte) storage.ReaderAt { return bytesReader{bytes.NewReader(b)} }

// pagedReader says small reads of it are cheap, as a local file does, so
// the decoder reads it page by page instead of chunk by chunk.
type pagedReader struct{ bytesReader }

func (pagedReader) SmallReadsCheap() bool { return true }

func pagedReaderOf(b []byte) storage.ReaderAt { return pagedReader{bytesReader{bytes.NewReader(b)}} }

// writeParquet writes rec (from JSON rows) as Parquet with pqarrow.
func writeParquet(t *testing.T, schema *arrow.Schema, rowsJSON string, rowGroup int64, opts ...parquet.WriterProperty) []byte {
	t.Helper()
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, bytes.NewReader([]byte(rowsJSON)))
	require.NoError(t, err)
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(append([]parquet.WriterProperty{parquet.WithMaxRowGroupLength(rowGroup)}, opts...)...)
	w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	require.NoError(t, err)
	require.NoError(t, w.WriteBuffered(rec))
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func read(t *testing.T, data []byte, opts *parquetio.ReadOptions) ([]string, error) {
	t.Helper()
	mem := checkedMem(t)
	opts.Allocator = mem
	rr, err := parquetio.NewRecordReader(context.Background(), readerOf(data), opts)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rec := rr.RecordBatch()
		require.True(t, rec.Schema().Equal(opts.Schema))
		rows = append(rows, rowStrings(rec)...)
	}
	return rows, rr.Err()
}

func field(name string, dt arrow.DataType, md ...string) arrow.Field {
	f := arrow.Field{Name: name, Type: dt, Nullable: true}
	if len(md) > 0 {
		f.Metadata = arrow.MetadataFrom(map[string]string{})
		keys, vals := []string{}, []string{}
		for i := 0; i < len(md); i += 2 {
			keys, vals = append(keys, md[i]), append(vals, md[i+1])
		}
		f.Metadata = arrow.NewMetadata(keys, vals)
	}
	return f
}

var (
	tsUTC = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	tsNTZ = &arrow.TimestampType{Unit: arrow.Microsecond}
)

func TestReadProjectionAndMissingColumns(t *testing.T) {
	file := arrow.NewSchema([]arrow.Field{
		field("a", arrow.PrimitiveTypes.Int64),
		field("B", arrow.BinaryTypes.String),
		field("s", arrow.StructOf(field("x", arrow.PrimitiveTypes.Int32), field("y", arrow.BinaryTypes.String))),
	}, nil)
	data := writeParquet(t, file, `[{"a":1,"B":"one","s":{"x":10,"y":"p"}},{"a":2,"B":null,"s":null}]`, 100)

	tests := []struct {
		name    string
		logical []arrow.Field
		want    []string
	}{
		{"reorder and subset", []arrow.Field{field("B", arrow.BinaryTypes.String), field("a", arrow.PrimitiveTypes.Int64)},
			[]string{"one | 1", "(null) | 2"}},
		{"case-insensitive fallback", []arrow.Field{field("b", arrow.BinaryTypes.String)}, []string{"one", "(null)"}},
		{"missing column is null", []arrow.Field{field("a", arrow.PrimitiveTypes.Int64), field("new", arrow.PrimitiveTypes.Float64)},
			[]string{"1 | (null)", "2 | (null)"}},
		{"struct subset, reordered, with a new field", []arrow.Field{field("s", arrow.StructOf(
			field("y", arrow.BinaryTypes.String), field("z", arrow.PrimitiveTypes.Int8), field("x", arrow.PrimitiveTypes.Int64)))},
			// ValueStr prints struct fields sorted by name; read checks
			// the field order through the batch schema.
			[]string{`{"x":10,"y":"p","z":null}`, "(null)"}},
		{"struct with only new fields keeps its nulls", []arrow.Field{field("s", arrow.StructOf(field("z", arrow.PrimitiveTypes.Int8)))},
			[]string{`{"z":null}`, "(null)"}},
		{"no columns at all", []arrow.Field{field("gone", arrow.BinaryTypes.String)}, []string{"(null)", "(null)"}},
		{"empty schema counts rows", nil, []string{"", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := read(t, data, &parquetio.ReadOptions{Schema: arrow.NewSchema(tc.logical, nil)})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestReadSchemaErrors(t *testing.T) {
	file := arrow.NewSchema([]arrow.Field{field("a", arrow.PrimitiveTypes.Int64), field("s", arrow.BinaryTypes.String)}, nil)
	data := writeParquet(t, file, `[{"a":1,"s":"x"}]`, 100)
	tests := []struct {
		name    string
		logical arrow.Field
	}{
		{"missing non-nullable", arrow.Field{Name: "req", Type: arrow.PrimitiveTypes.Int64}},
		{"narrowing", field("a", arrow.PrimitiveTypes.Int32)},
		{"string as int", field("s", arrow.PrimitiveTypes.Int64)},
		{"primitive as struct", field("a", arrow.StructOf(field("x", arrow.PrimitiveTypes.Int64)))},
		{"primitive as list", field("a", arrow.ListOf(arrow.PrimitiveTypes.Int64))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := read(t, data, &parquetio.ReadOptions{Schema: arrow.NewSchema([]arrow.Field{tc.logical}, nil)})
			require.ErrorIs(t, err, parquetio.ErrSchemaMismatch)
		})
	}
	_, err := parquetio.NewRecordReader(context.Background(), readerOf(data), nil)
	require.ErrorIs(t, err, parquetio.ErrInvalidOptions)
	_, err = parquetio.NewRecordReader(context.Background(), readerOf(data), &parquetio.ReadOptions{Schema: file, RowGroups: []int{3}})
	require.ErrorIs(t, err, parquetio.ErrInvalidOptions)
	_, err = parquetio.NewRecordReader(context.Background(), readerOf([]byte("not parquet")), &parquetio.ReadOptions{Schema: file})
	require.Error(t, err)
}

func TestReadColumnMappingSynthetic(t *testing.T) {
	// The file uses physical names and field ids, as a column-mapped table's
	// writer produces them.
	file := arrow.NewSchema([]arrow.Field{
		field("col-1", arrow.PrimitiveTypes.Int64, "PARQUET:field_id", "1"),
		field("col-2", arrow.StructOf(field("col-3", arrow.BinaryTypes.String, "PARQUET:field_id", "3")), "PARQUET:field_id", "2"),
	}, nil)
	data := writeParquet(t, file, `[{"col-1":7,"col-2":{"col-3":"x"}}]`, 100)
	logical := func(p1, p3 string) *arrow.Schema {
		return arrow.NewSchema([]arrow.Field{
			field("id", arrow.PrimitiveTypes.Int64, parquetio.MetaPhysicalName, p1, parquetio.MetaColumnID, "1"),
			field("s", arrow.StructOf(field("name", arrow.BinaryTypes.String, parquetio.MetaPhysicalName, p3, parquetio.MetaColumnID, "3")),
				parquetio.MetaPhysicalName, "col-2", parquetio.MetaColumnID, "2"),
		}, nil)
	}
	tests := []struct {
		name   string
		mode   parquetio.ColumnMappingMode
		schema *arrow.Schema
		want   []string
	}{
		{"name", parquetio.ColumnMappingName, logical("col-1", "col-3"), []string{`7 | {"name":"x"}`}},
		{"id wins over names", parquetio.ColumnMappingID, logical("renamed", "renamed"), []string{`7 | {"name":"x"}`}},
		{"none uses logical names", parquetio.ColumnMappingNone, logical("col-1", "col-3"), []string{`(null) | (null)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := read(t, data, &parquetio.ReadOptions{Schema: tc.schema, ColumnMapping: tc.mode})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}

	// Without field ids in the file, id mode falls back to physical names.
	noIDs := arrow.NewSchema([]arrow.Field{field("col-1", arrow.PrimitiveTypes.Int64)}, nil)
	data = writeParquet(t, noIDs, `[{"col-1":9}]`, 100)
	got, err := read(t, data, &parquetio.ReadOptions{ColumnMapping: parquetio.ColumnMappingID, Schema: arrow.NewSchema([]arrow.Field{
		field("id", arrow.PrimitiveTypes.Int64, parquetio.MetaPhysicalName, "col-1", parquetio.MetaColumnID, "1")}, nil)})
	require.NoError(t, err)
	assert.Equal(t, []string{"9"}, got)
}

func TestReadTypeAdaptation(t *testing.T) {
	ts := func(u arrow.TimeUnit, tz string) arrow.DataType { return &arrow.TimestampType{Unit: u, TimeZone: tz} }
	tests := []struct {
		name     string
		stored   arrow.DataType
		json     string
		logical  arrow.DataType
		want     string
		writeOpt []parquet.WriterProperty
	}{
		{"millis utc", ts(arrow.Millisecond, "UTC"), `"2024-01-02T03:04:05.678Z"`, tsUTC, "2024-01-02T03:04:05.678Z", nil},
		{"nanos floor before epoch", ts(arrow.Nanosecond, "UTC"), `"1969-12-31T23:59:59.999999999Z"`, tsUTC, "1969-12-31T23:59:59.999999Z", nil},
		{"ntz stored as utc-adjusted", ts(arrow.Microsecond, "UTC"), `"2024-01-02T03:04:05Z"`, tsNTZ, "2024-01-02T03:04:05", nil},
		{"utc stored as ntz", ts(arrow.Millisecond, ""), `"2024-01-02T03:04:05"`, tsUTC, "2024-01-02T03:04:05Z", nil},
		{"date to ntz", arrow.FixedWidthTypes.Date32, `"2024-09-09"`, tsNTZ, "2024-09-09T00:00:00", nil},
		{"int8 to long", arrow.PrimitiveTypes.Int8, `-5`, arrow.PrimitiveTypes.Int64, "-5", nil},
		{"short to int", arrow.PrimitiveTypes.Int16, `300`, arrow.PrimitiveTypes.Int32, "300", nil},
		{"int to double", arrow.PrimitiveTypes.Int32, `7`, arrow.PrimitiveTypes.Float64, "7", nil},
		{"float to double", arrow.PrimitiveTypes.Float32, `1.5`, arrow.PrimitiveTypes.Float64, "1.5", nil},
		{"int to decimal", arrow.PrimitiveTypes.Int32, `-12`, &arrow.Decimal128Type{Precision: 11, Scale: 1}, "-12", nil},
		{"long to decimal", arrow.PrimitiveTypes.Int64, `123456789012`, &arrow.Decimal128Type{Precision: 21, Scale: 1}, "123456789012", nil},
		{"decimal wider", &arrow.Decimal128Type{Precision: 5, Scale: 2}, `"123.45"`, &arrow.Decimal128Type{Precision: 10, Scale: 4}, "123.45", nil},
		{"decimal as int32", &arrow.Decimal128Type{Precision: 5, Scale: 2}, `"-1.05"`, &arrow.Decimal128Type{Precision: 5, Scale: 2}, "-1.05",
			[]parquet.WriterProperty{parquet.WithStoreDecimalAsInteger(true)}},
		{"decimal as int64", &arrow.Decimal128Type{Precision: 18, Scale: 3}, `"123456789012345.678"`, &arrow.Decimal128Type{Precision: 18, Scale: 3}, "123456789012345.678",
			[]parquet.WriterProperty{parquet.WithStoreDecimalAsInteger(true)}},
		{"decimal as flba", &arrow.Decimal128Type{Precision: 38, Scale: 0}, `"99999999999999999999999999999999999999"`, &arrow.Decimal128Type{Precision: 38, Scale: 0}, "99999999999999999999999999999999999999", nil},
		{"large string", arrow.BinaryTypes.LargeString, `"héllo"`, arrow.BinaryTypes.String, "héllo", nil},
		{"dictionary string", &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, `"dict"`, arrow.BinaryTypes.String, "dict", nil},
		{"binary as string", arrow.BinaryTypes.Binary, `"YWJj"`, arrow.BinaryTypes.String, "abc", nil},
		{"large binary", arrow.BinaryTypes.LargeBinary, `"YWJj"`, arrow.BinaryTypes.Binary, "YWJj", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := arrow.NewSchema([]arrow.Field{field("v", tc.stored)}, nil)
			data := writeParquet(t, file, `[{"v":`+tc.json+`},{"v":null}]`, 100, tc.writeOpt...)
			got, err := read(t, data, &parquetio.ReadOptions{Schema: arrow.NewSchema([]arrow.Field{field("v", tc.logical)}, nil)})
			require.NoError(t, err)
			assert.Equal(t, []string{tc.want, "(null)"}, got)
		})
	}
}

func TestReadNestedAdaptation(t *testing.T) {
	stored := arrow.NewSchema([]arrow.Field{
		field("l", arrow.ListOf(arrow.StructOf(field("a", arrow.PrimitiveTypes.Int32), field("b", arrow.BinaryTypes.String)))),
		field("m", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int16)),
		field("ll", arrow.LargeListOf(arrow.PrimitiveTypes.Int8)),
	}, nil)
	data := writeParquet(t, stored, `[
		{"l":[{"a":1,"b":"x"},null,{"a":2,"b":null}],"m":[{"key":"k","value":5}],"ll":[1,2]},
		{"l":[],"m":[],"ll":[]},
		{"l":null,"m":null,"ll":null}]`, 100)
	logical := arrow.NewSchema([]arrow.Field{
		// element widened, a new element field, one dropped
		field("l", arrow.ListOfField(arrow.Field{Name: "element", Nullable: true, Type: arrow.StructOf(
			field("a", arrow.PrimitiveTypes.Int64), field("c", arrow.PrimitiveTypes.Float64))})),
		field("m", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64)),
		field("ll", arrow.ListOf(arrow.PrimitiveTypes.Int32)),
	}, nil)
	got, err := read(t, data, &parquetio.ReadOptions{Schema: logical})
	require.NoError(t, err)
	assert.Equal(t, []string{
		`[{"a":1,"c":null},null,{"a":2,"c":null}] | [{"key":"k","value":5}] | [1,2]`,
		`[] | [] | []`,
		`(null) | (null) | (null)`,
	}, got)
}

func TestReadDeletedRowsAcrossRowGroups(t *testing.T) {
	file := arrow.NewSchema([]arrow.Field{field("i", arrow.PrimitiveTypes.Int64)}, nil)
	var sb bytes.Buffer
	sb.WriteString("[")
	for i := 0; i < 25; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"i":` + string(rune('0'+i/10)) + string(rune('0'+i%10)) + `}`)
	}
	sb.WriteString("]")
	data := writeParquet(t, file, sb.String(), 10) // row groups of 10, 10, 5
	deleted := roaring64.BitmapOf(0, 3, 9, 10, 11, 19, 24)
	tests := []struct {
		name   string
		groups []int
		batch  int64
		want   []string
	}{
		{"all groups, small batches", nil, 4, []string{"1", "2", "4", "5", "6", "7", "8", "12", "13", "14", "15", "16", "17", "18", "20", "21", "22", "23"}},
		{"second and last group keep file-wide indexes", []int{2, 1}, 0, []string{"20", "21", "22", "23", "12", "13", "14", "15", "16", "17", "18"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := read(t, data, &parquetio.ReadOptions{Schema: file, Deleted: deleted, RowGroups: tc.groups, BatchSize: tc.batch})
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	// A deleted index at or past the row count means the vector is not
	// this file's: an error, never rows silently kept.
	for _, bad := range []uint64{25, 1000} {
		_, err := parquetio.NewRecordReader(context.Background(), readerOf(data), &parquetio.ReadOptions{Schema: file, Deleted: roaring64.BitmapOf(1, bad)})
		require.ErrorIs(t, err, parquetio.ErrDeletedRowOutOfRange, "row %d", bad)
	}
	// The row index column reports file-wide positions of surviving rows.
	mem := checkedMem(t)
	rr, err := parquetio.NewRecordReader(context.Background(), readerOf(data), &parquetio.ReadOptions{
		Schema: file, Deleted: deleted, RowGroups: []int{1}, RowIndexColumn: "_row", BatchSize: 4, Allocator: mem})
	require.NoError(t, err)
	var idx []string
	for rr.Next() {
		rec := rr.RecordBatch()
		require.Equal(t, "_row", rec.Schema().Field(1).Name)
		for i := 0; i < int(rec.NumRows()); i++ {
			idx = append(idx, rec.Column(1).ValueStr(i))
			assert.Equal(t, rec.Column(0).ValueStr(i), rec.Column(1).ValueStr(i))
		}
	}
	require.NoError(t, rr.Err())
	rr.Release()
	assert.Equal(t, []string{"12", "13", "14", "15", "16", "17", "18"}, idx)
	_, err = parquetio.NewRecordReader(context.Background(), readerOf(data), &parquetio.ReadOptions{Schema: file, RowIndexColumn: "i"})
	require.ErrorIs(t, err, parquetio.ErrInvalidOptions)

	all := roaring64.New()
	all.AddRange(0, 25)
	got, err := read(t, data, &parquetio.ReadOptions{Schema: file, Deleted: all})
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestReadCancelled(t *testing.T) {
	file := arrow.NewSchema([]arrow.Field{field("i", arrow.PrimitiveTypes.Int64)}, nil)
	data := writeParquet(t, file, `[{"i":1}]`, 10)
	ctx, cancel := context.WithCancel(context.Background())
	rr, err := parquetio.NewRecordReader(ctx, readerOf(data), &parquetio.ReadOptions{Schema: file})
	require.NoError(t, err)
	defer rr.Release()
	cancel()
	assert.False(t, rr.Next())
	assert.ErrorIs(t, rr.Err(), context.Canceled)
}

func TestReadFileInfo(t *testing.T) {
	file := arrow.NewSchema([]arrow.Field{field("i", arrow.PrimitiveTypes.Int64)}, nil)
	data := writeParquet(t, file, `[{"i":1},{"i":2},{"i":3},{"i":4},{"i":5}]`, 2)
	info, err := parquetio.ReadFileInfo(readerOf(data))
	require.NoError(t, err)
	assert.Equal(t, int64(5), info.NumRows)
	require.Len(t, info.RowGroups, 3)
	assert.Equal(t, []int64{0, 2, 4}, []int64{info.RowGroups[0].FirstRow, info.RowGroups[1].FirstRow, info.RowGroups[2].FirstRow})
	assert.Equal(t, int64(1), info.RowGroups[2].NumRows)
	_, err = parquetio.ReadFileInfo(readerOf([]byte("PAR1")))
	require.ErrorIs(t, err, parquetio.ErrCorruptFile)
}

func TestReadLegacyMapAsList(t *testing.T) {
	// A map written without the MAP annotation: a list of key/value structs.
	entry := arrow.StructOf(arrow.Field{Name: "k", Type: arrow.BinaryTypes.String}, field("v", arrow.PrimitiveTypes.Int32))
	stored := arrow.NewSchema([]arrow.Field{field("m", arrow.ListOf(entry))}, nil)
	data := writeParquet(t, stored, `[{"m":[{"k":"a","v":1},{"k":"b","v":null}]},{"m":[]},{"m":null}]`, 100)
	logical := arrow.NewSchema([]arrow.Field{field("m", arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64))}, nil)
	got, err := read(t, data, &parquetio.ReadOptions{Schema: logical})
	require.NoError(t, err)
	assert.Equal(t, []string{`[{"key":"a","value":1},{"key":"b","value":null}]`, `[]`, `(null)`}, got)
}
