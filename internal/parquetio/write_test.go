package parquetio_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// allTypesSchema has every Delta type (as Arrow) including nested ones.
// With mapped, every field (nested too) carries column-mapping metadata.
func allTypesSchema(mapped bool) *arrow.Schema {
	id := 0
	f := func(name string, dt arrow.DataType) arrow.Field {
		fl := arrow.Field{Name: name, Type: dt, Nullable: true}
		if mapped {
			id++
			fl.Metadata = arrow.NewMetadata(
				[]string{parquetio.MetaColumnID, parquetio.MetaPhysicalName},
				[]string{itoa(id), "col-" + itoa(id) + "-" + name})
		}
		return fl
	}
	variant := f("v", protocol.ArrowVariant())
	variant.Metadata = arrow.NewMetadata(append(variant.Metadata.Keys(), "delta.type"), append(variant.Metadata.Values(), "variant"))
	return arrow.NewSchema([]arrow.Field{
		f("str", arrow.BinaryTypes.String),
		f("long", arrow.PrimitiveTypes.Int64),
		f("int", arrow.PrimitiveTypes.Int32),
		f("short", arrow.PrimitiveTypes.Int16),
		f("byte", arrow.PrimitiveTypes.Int8),
		f("float", arrow.PrimitiveTypes.Float32),
		f("double", arrow.PrimitiveTypes.Float64),
		f("bool", arrow.FixedWidthTypes.Boolean),
		f("bin", arrow.BinaryTypes.Binary),
		f("date", arrow.FixedWidthTypes.Date32),
		f("ts", tsUTC),
		f("ntz", tsNTZ),
		f("dec9", &arrow.Decimal128Type{Precision: 5, Scale: 2}),
		f("dec18", &arrow.Decimal128Type{Precision: 18, Scale: 3}),
		f("dec38", &arrow.Decimal128Type{Precision: 38, Scale: 10}),
		f("s", arrow.StructOf(f("a", arrow.PrimitiveTypes.Int32), f("b", arrow.StructOf(f("c", arrow.BinaryTypes.String))))),
		f("arr", arrow.ListOfField(arrow.Field{Name: "element", Nullable: true, Type: arrow.StructOf(f("x", arrow.PrimitiveTypes.Int64))})),
		f("m", arrow.MapOf(arrow.BinaryTypes.String, arrow.ListOfField(arrow.Field{Name: "element", Nullable: false, Type: arrow.PrimitiveTypes.Int32}))),
		variant,
	}, nil)
}

func itoa(i int) string { return strconv.Itoa(i) }

// phys maps a dotted logical path of s to the dotted physical path (list
// and map levels given literally, e.g. "arr.list.element.x") and the
// leaf's column-mapping id.
func phys(t *testing.T, s *arrow.Schema, path string) (string, int32) {
	t.Helper()
	var out []string
	var id int32
	fields := s.Fields()
	for _, part := range strings.Split(path, ".") {
		if part == "list" || part == "element" || part == "key_value" || part == "key" || part == "value" {
			out = append(out, part)
			continue
		}
		var found *arrow.Field
		for i := range fields {
			if fields[i].Name == part {
				found = &fields[i]
			}
		}
		require.NotNil(t, found, part)
		p, _ := found.Metadata.GetValue(parquetio.MetaPhysicalName)
		v, _ := found.Metadata.GetValue(parquetio.MetaColumnID)
		n, _ := strconv.Atoi(v)
		out, id = append(out, p), int32(n)
		switch dt := found.Type.(type) {
		case *arrow.StructType:
			fields = dt.Fields()
		case *arrow.ListType:
			if st, ok := dt.Elem().(*arrow.StructType); ok {
				fields = st.Fields()
			}
		}
	}
	return strings.Join(out, "."), id
}

const allTypesRows = `[
 {"str":"b","long":-9223372036854775808,"int":1,"short":-2,"byte":3,"float":1.5,"double":-0.25,"bool":true,"bin":"AAE=",
  "date":"2024-02-29","ts":"2024-02-29T23:59:59.999999Z","ntz":"1900-01-01T00:00:00.000001","dec9":"-1.05","dec18":"123456789012345.678",
  "dec38":"1234567890123456789012345678.0123456789","s":{"a":1,"b":{"c":"deep"}},"arr":[{"x":1},null,{"x":3}],
  "m":[{"key":"k","value":[1,2]}],"v":{"value":"AQ==","metadata":"AQA="}},
 {"str":"a","long":9223372036854775807,"int":-1,"short":2,"byte":-3,"float":-1.5,"double":1e300,"bool":false,"bin":"",
  "date":"1969-12-31","ts":"1969-12-31T23:59:59.9995Z","ntz":"2262-04-11T23:47:16.854775","dec9":"999.99","dec18":"-0.001",
  "dec38":"-0.0000000001","s":{"a":null,"b":null},"arr":[],"m":[],"v":null},
 {"str":null,"long":null,"int":null,"short":null,"byte":null,"float":null,"double":null,"bool":null,"bin":null,
  "date":null,"ts":null,"ntz":null,"dec9":null,"dec18":null,"dec38":null,"s":null,"arr":null,"m":null,"v":null}
]`

func recordReaderOf(t *testing.T, mem memory.Allocator, s *arrow.Schema, rows string) array.RecordReader {
	rec, _, err := array.RecordFromJSON(mem, s, strings.NewReader(rows))
	require.NoError(t, err)
	defer rec.Release()
	rr, err := array.NewRecordReader(s, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	return rr
}

func TestWriteRoundTripAllTypes(t *testing.T) {
	for _, mode := range []parquetio.ColumnMappingMode{parquetio.ColumnMappingNone, parquetio.ColumnMappingName, parquetio.ColumnMappingID} {
		t.Run(mode.String(), func(t *testing.T) {
			mem := checkedMem(t)
			s := allTypesSchema(mode != parquetio.ColumnMappingNone)
			rr := recordReaderOf(t, mem, s, allTypesRows)
			defer rr.Release()
			var buf bytes.Buffer
			st, err := parquetio.WriteFile(context.Background(), &buf, rr, &parquetio.WriteOptions{ColumnMapping: mode, Allocator: mem, RowGroupSize: 2})
			require.NoError(t, err)
			assert.Equal(t, int64(3), st.NumRecords)

			in, _, err := array.RecordFromJSON(mem, s, strings.NewReader(allTypesRows))
			require.NoError(t, err)
			defer in.Release()
			got, err := read(t, buf.Bytes(), &parquetio.ReadOptions{Schema: s, ColumnMapping: mode})
			require.NoError(t, err)
			assert.Equal(t, rowStrings(in), got)
		})
	}
}

func TestWriteParquetLayout(t *testing.T) {
	mem := checkedMem(t)
	s := allTypesSchema(true)
	rr := recordReaderOf(t, mem, s, allTypesRows)
	defer rr.Release()
	var buf bytes.Buffer
	_, err := parquetio.WriteFile(context.Background(), &buf, rr, &parquetio.WriteOptions{ColumnMapping: parquetio.ColumnMappingID, Codec: "zstd", Allocator: mem})
	require.NoError(t, err)
	pf, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	sc := pf.MetaData().Schema
	col := func(path string) int {
		i := sc.ColumnIndexByName(path)
		require.GreaterOrEqual(t, i, 0, "column %s in\n%s", path, sc)
		return i
	}
	physical := map[string]parquet.Type{
		"dec9": parquet.Types.Int32, "dec18": parquet.Types.Int64, "dec38": parquet.Types.FixedLenByteArray,
		"ts": parquet.Types.Int64, "ntz": parquet.Types.Int64, "str": parquet.Types.ByteArray,
	}
	for path, want := range physical {
		p, _ := phys(t, s, path)
		assert.Equal(t, want, sc.Column(col(p)).PhysicalType(), path)
	}
	tsPath, _ := phys(t, s, "ts")
	ts := sc.Column(col(tsPath)).LogicalType().(schema.TimestampLogicalType)
	assert.True(t, ts.IsAdjustedToUTC())
	assert.Equal(t, schema.TimeUnitMicros, ts.TimeUnit())
	ntzPath, _ := phys(t, s, "ntz")
	ntz := sc.Column(col(ntzPath)).LogicalType().(schema.TimestampLogicalType)
	assert.False(t, ntz.IsAdjustedToUTC())
	// Three-level lists and maps with the standard names, physical names
	// inside, and field ids on every mapped field.
	for _, path := range []string{"arr.list.element.x", "m.key_value.key", "m.key_value.value.list.element", "s.b.c", "str"} {
		p, id := phys(t, s, path)
		i := col(p)
		if !strings.HasSuffix(path, "key") && !strings.HasSuffix(path, "element") {
			assert.Equal(t, id, sc.Column(i).SchemaNode().FieldID(), path)
		}
	}
	assert.Regexp(t, `^\S+ version \S+ \(build \S+\)$`, pf.MetaData().GetCreatedBy())
	cc, err := pf.MetaData().RowGroup(0).ColumnChunk(0)
	require.NoError(t, err)
	assert.Equal(t, "ZSTD", cc.Compression().String())
}
