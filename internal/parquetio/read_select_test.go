package parquetio_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

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

var selectSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true}, // dictionary pages
	{Name: "text", Type: arrow.BinaryTypes.String},                  // plain pages
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float32},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), Nullable: true},
}, nil)

// writeSelectFile writes rows random rows in row groups of 300 rows and
// pages of a few dozen, some columns dictionary-encoded, with nulls in
// every nullable column (all of n in the second row group).
func writeSelectFile(t *testing.T, seed uint64, rows int, pageIndex bool) []byte {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 11))
	b := array.NewRecordBuilder(memory.DefaultAllocator, selectSchema)
	defer b.Release()
	null := func() bool { return rnd.IntN(7) == 0 }
	for i := 0; i < rows; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if nb := b.Field(1).(*array.Int32Builder); (i/300)%3 == 1 || null() {
			nb.AppendNull()
		} else {
			nb.Append(int32(rnd.IntN(1000) - 500))
		}
		if sb := b.Field(2).(*array.StringBuilder); null() {
			sb.AppendNull()
		} else {
			sb.Append(fmt.Sprintf("label-%02d", rnd.IntN(30)))
		}
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("text %d %x", i, rnd.Uint64()))
		if xb := b.Field(4).(*array.Float64Builder); null() {
			xb.AppendNull()
		} else {
			xb.Append(rnd.NormFloat64())
		}
		b.Field(5).(*array.Float32Builder).Append(rnd.Float32())
		if bb := b.Field(6).(*array.BooleanBuilder); null() {
			bb.AppendNull()
		} else {
			bb.Append(rnd.IntN(2) == 0)
		}
		if db := b.Field(7).(*array.Date32Builder); null() {
			db.AppendNull()
		} else {
			db.Append(arrow.Date32(19000 + rnd.IntN(400)))
		}
		if tb := b.Field(8).(*array.TimestampBuilder); null() {
			tb.AppendNull()
		} else {
			tb.Append(arrow.Timestamp(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() + rnd.Int64N(1e12)))
		}
		if bb := b.Field(9).(*array.BinaryBuilder); null() {
			bb.AppendNull()
		} else {
			bb.Append([]byte{byte(i), byte(rnd.IntN(256))})
		}
		stb := b.Field(10).(*array.StructBuilder)
		stb.Append(true)
		stb.FieldBuilder(0).(*array.Int32Builder).Append(int32(i % 97))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(
		parquet.WithMaxRowGroupLength(300),
		parquet.WithDataPageSize(256),
		parquet.WithBatchSize(16),
		parquet.WithPageIndexEnabled(pageIndex),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor("label", true),
		parquet.WithDictionaryFor("n", true),
	)
	w, err := pqarrow.NewFileWriter(selectSchema, &buf, props, pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// Reading chosen rows of a row group gives exactly the rows of reading
// the group whole and keeping those rows: random selections (empty, one
// row, runs across page boundaries, every row), every flat type, nulls,
// dictionary and plain pages, a widened and a missing column; gaps
// skipped value by value, and crossed by seeking with and without a page
// index; from column chunks read whole and from a file read page by page.
func TestReadRowsMatchesFullRead(t *testing.T) {
	for _, tc := range []struct {
		name      string
		seekGap   int64
		pageIndex bool
	}{
		{"skip", 1 << 40, true},
		{"seek with page index", 1, true},
		{"seek every 20 rows", 20, true},
		{"seek without page index", 1, false},
	} {
		for _, paged := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/paged=%v", tc.name, paged), func(t *testing.T) {
				defer parquetio.SetSeekGapRows(tc.seekGap)()
				open := readerOf
				if paged {
					open = pagedReaderOf
					defer parquetio.SetPagedReadMinFile(0)() // these files are a few KiB
				}
				checkReadRows(t, tc.pageIndex, open)
			})
		}
	}
}

func checkReadRows(t *testing.T, pageIndex bool, open func([]byte) storage.ReaderAt) {
	flat := arrow.NewSchema(append(selectSchema.Fields()[:10:10],
		arrow.Field{Name: "absent", Type: arrow.BinaryTypes.String, Nullable: true}), nil)
	widened := arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, // int32 in the file
		{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	for seed := range uint64(6) {
		data := writeSelectFile(t, seed, 1000, pageIndex)
		rnd := rand.New(rand.NewPCG(seed, 5))
		for _, schema := range []*arrow.Schema{flat, widened} {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			f, err := parquetio.OpenFile(open(data), mem)
			require.NoError(t, err)
			info := f.Info()
			for rg, g := range info.RowGroups {
				full := readRows(t, mem, data, parquetio.ReadOptions{Schema: schema, RowGroups: []int{rg}, BatchSize: 1 << 20})
				require.Len(t, full, int(g.NumRows))
				for trial := range 8 {
					rows := randomSelection(rnd, int(g.NumRows), trial)
					rec, ok, err := f.ReadRows(context.Background(), rg, rows, &parquetio.ReadOptions{Schema: schema, Allocator: mem})
					require.NoError(t, err)
					require.True(t, ok)
					want := make([]string, len(rows))
					for i, r := range rows {
						want[i] = full[r]
					}
					require.Equal(t, want, rowStrings(rec), "seed %d group %d rows %v", seed, rg, rows)
					require.True(t, schema.Equal(rec.Schema()))
					rec.Release()
				}
			}
			mem.AssertSize(t, 0)
		}
	}
}

// randomSelection returns ascending distinct rows below n: none, all,
// one, or random runs of random lengths.
func randomSelection(rnd *rand.Rand, n, trial int) []int32 {
	var rows []int32
	switch trial {
	case 0:
		return nil
	case 1:
		for i := range n {
			rows = append(rows, int32(i))
		}
		return rows
	case 2:
		return []int32{int32(rnd.IntN(n))}
	}
	density := []int{2, 10, 50, 200}[trial%4]
	for i := 0; i < n; i++ {
		if rnd.IntN(density) == 0 {
			for k := rnd.IntN(40); k >= 0 && i < n; k-- {
				rows = append(rows, int32(i))
				i++
			}
		}
	}
	return rows
}

// Nested columns and dictionary-typed output need the general reader:
// ReadRows says so instead of reading them; bad rows are refused.
func TestReadRowsDeclines(t *testing.T) {
	data := writeSelectFile(t, 1, 400, true)
	f, err := parquetio.OpenFile(readerOf(data), nil)
	require.NoError(t, err)
	ctx := context.Background()

	nested := arrow.NewSchema([]arrow.Field{selectSchema.Field(0), selectSchema.Field(10)}, nil)
	rec, ok, err := f.ReadRows(ctx, 0, []int32{1, 2}, &parquetio.ReadOptions{Schema: nested})
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Nil(t, rec)

	dict := arrow.NewSchema([]arrow.Field{{Name: "label", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, Nullable: true}}, nil)
	_, ok, err = f.ReadRows(ctx, 0, []int32{1}, &parquetio.ReadOptions{Schema: dict})
	require.NoError(t, err)
	assert.False(t, ok)

	flat := arrow.NewSchema(selectSchema.Fields()[:1], nil)
	for _, tc := range []struct {
		rg   int
		rows []int32
	}{
		{0, []int32{2, 1}}, // descending
		{0, []int32{3, 3}}, // repeated
		{0, []int32{300}},  // past the group
		{0, []int32{-1}},   // negative
		{5, []int32{0}},    // no such group
	} {
		_, _, err := f.ReadRows(ctx, tc.rg, tc.rows, &parquetio.ReadOptions{Schema: flat})
		require.ErrorIs(t, err, parquetio.ErrInvalidOptions, "%v", tc)
	}
	_, _, err = f.ReadRows(ctx, 0, []int32{1}, &parquetio.ReadOptions{Schema: flat, RowIndexColumn: "i"})
	require.ErrorIs(t, err, parquetio.ErrInvalidOptions)
}
