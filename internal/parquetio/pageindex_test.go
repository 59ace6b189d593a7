package parquetio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

var pagedSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
}, nil)

// writePaged writes rows random rows in row groups of 300 rows and pages
// of a few dozen rows, with the page index on (off when noIndex), and
// dictionary-encoded strings: what seeking must get right.
func writePaged(t *testing.T, seed uint64, rows int, noIndex bool) []byte {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 3))
	b := array.NewRecordBuilder(memory.DefaultAllocator, pagedSchema)
	defer b.Release()
	for i := 0; i < rows; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if sb := b.Field(1).(*array.StringBuilder); rnd.IntN(10) == 0 {
			sb.AppendNull()
		} else {
			sb.Append(fmt.Sprintf("s%03d", rnd.IntN(40)))
		}
		// n is null in the whole second row group: pages of nulls only.
		if nb := b.Field(2).(*array.Int32Builder); (i/300)%3 == 1 {
			nb.AppendNull()
		} else {
			nb.Append(int32(rnd.IntN(1000) - 500))
		}
		stb := b.Field(3).(*array.StructBuilder)
		if rnd.IntN(8) == 0 {
			stb.AppendNull()
		} else {
			stb.Append(true)
			stb.FieldBuilder(0).(*array.Int32Builder).Append(int32(i % 97))
		}
		lb := b.Field(4).(*array.ListBuilder)
		if rnd.IntN(6) == 0 {
			lb.AppendNull()
		} else {
			lb.Append(true)
			for k := rnd.IntN(4); k > 0; k-- {
				lb.ValueBuilder().(*array.Int64Builder).Append(int64(i*10 + k))
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(
		parquet.WithMaxRowGroupLength(300),
		parquet.WithPageIndexEnabled(!noIndex),
		parquet.WithDataPageSize(256),
		parquet.WithBatchSize(16),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor("s", true),
	)
	w, err := pqarrow.NewFileWriter(pagedSchema, &buf, props, pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func readRows(t *testing.T, mem memory.Allocator, data []byte, opts parquetio.ReadOptions) []string {
	t.Helper()
	return readRowsFrom(t, mem, readerOf(data), opts)
}

func readRowsFrom(t *testing.T, mem memory.Allocator, r storage.ReaderAt, opts parquetio.ReadOptions) []string {
	t.Helper()
	opts.Allocator = mem
	rr, err := parquetio.NewRecordReader(context.Background(), r, &opts)
	require.NoError(t, err)
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rec := rr.RecordBatch()
		require.LessOrEqual(t, rec.NumRows(), max(opts.BatchSize, 1))
		rows = append(rows, rowStrings(rec)...)
	}
	require.NoError(t, rr.Err())
	return rows
}

// TestReadRowRanges reads random row ranges, with deleted rows and the
// row index column, and compares them with the full read cut to the same
// rows: seeking into pages (dictionary pages, nulls, structs, lists) must
// neither lose nor shift a row, whether column chunks are read whole or
// the file is read page by page (odd seeds).
func TestReadRowRanges(t *testing.T) {
	defer parquetio.SetPagedReadMinFile(0)() // odd seeds read these small files page by page
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	const rows = 1000
	absent := arrow.NewSchema([]arrow.Field{{Name: "missing", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	for _, noIndex := range []bool{false, true} {
		data := writePaged(t, 1, rows, noIndex)
		for seed := uint64(0); seed < 12; seed++ {
			rnd := rand.New(rand.NewPCG(seed, 9))
			var ranges []parquetio.RowRange
			for at := int64(rnd.IntN(200)); at < rows; {
				end := min(rows, at+1+int64(rnd.IntN(150)))
				ranges = append(ranges, parquetio.RowRange{Start: at, End: end})
				at = end + int64(rnd.IntN(250))
			}
			deleted := roaring64.New()
			for i := 0; i < 40; i++ {
				deleted.Add(uint64(rnd.IntN(rows)))
			}
			groups := []int{0, 1, 2, 3}
			if seed%3 == 2 {
				groups = []int{2, 0}
			}
			batch := []int64{1, 7, 64, 4096}[seed%4]
			for _, sc := range []*arrow.Schema{pagedSchema, absent, arrow.NewSchema(pagedSchema.Fields()[3:], nil)} {
				t.Run(fmt.Sprintf("noIndex=%v/%d/%d", noIndex, seed, sc.NumFields()), func(t *testing.T) {
					full := readRows(t, mem, data, parquetio.ReadOptions{Schema: sc, RowIndexColumn: "ri", BatchSize: 4096})
					require.Len(t, full, rows)
					var want []string
					for _, g := range groups {
						for _, r := range ranges {
							for i := max(r.Start, int64(g)*300); i < min(r.End, int64(g+1)*300); i++ {
								if !deleted.Contains(uint64(i)) {
									want = append(want, full[i])
								}
							}
						}
					}
					open := readerOf
					if seed%2 == 1 {
						open = pagedReaderOf
					}
					got := readRowsFrom(t, mem, open(data), parquetio.ReadOptions{Schema: sc, RowIndexColumn: "ri", RowRanges: ranges, Deleted: deleted, RowGroups: groups, BatchSize: batch})
					assert.Equal(t, want, got)
				})
			}
		}
	}
}

func TestReadRowRangesInvalid(t *testing.T) {
	data := writePaged(t, 1, 100, false)
	for _, rs := range [][]parquetio.RowRange{
		{{Start: 5, End: 5}},
		{{Start: -1, End: 3}},
		{{Start: 90, End: 101}},
		{{Start: 10, End: 20}, {Start: 15, End: 30}},
	} {
		_, err := parquetio.NewRecordReader(context.Background(), readerOf(data), &parquetio.ReadOptions{Schema: pagedSchema, RowRanges: rs})
		assert.ErrorIs(t, err, parquetio.ErrInvalidOptions, "%v", rs)
	}
}

// TestPageSegments checks that every piece's bounds and null counts hold
// for each of its rows, that the pieces tile the row group, and that a
// file without a page index gives none.
func TestPageSegments(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	const rows = 700
	data := writePaged(t, 4, rows, false)
	full := readRows(t, mem, data, parquetio.ReadOptions{Schema: pagedSchema, BatchSize: rows})
	vals := map[string][]string{}
	rr, err := parquetio.NewRecordReader(context.Background(), readerOf(data), &parquetio.ReadOptions{Schema: pagedSchema, BatchSize: rows, Allocator: mem})
	require.NoError(t, err)
	for rr.Next() {
		rec := rr.RecordBatch()
		for c, f := range pagedSchema.Fields() {
			for i := 0; i < int(rec.NumRows()); i++ {
				vals[f.Name] = append(vals[f.Name], rec.Column(c).ValueStr(i))
			}
		}
		nested := rec.Column(3).(*array.Struct).Field(0)
		for i := 0; i < nested.Len(); i++ {
			v := "(null)"
			if nested.IsValid(i) {
				v = nested.ValueStr(i)
			}
			vals["st.a"] = append(vals["st.a"], v)
		}
	}
	require.NoError(t, rr.Err())
	rr.Release()
	require.Len(t, full, rows)

	f, err := parquetio.OpenFile(readerOf(data), mem)
	require.NoError(t, err)
	info := f.Info()
	segsSeen, boundsSeen, nullPages := 0, 0, 0
	for g, rg := range info.RowGroups {
		segs, ok, err := f.PageSegments(g, []string{"ID", "n", "s", "st", "l"})
		require.NoError(t, err)
		require.True(t, ok)
		require.NotEmpty(t, segs)
		assert.Equal(t, rg.FirstRow, segs[0].Rows.Start)
		assert.Equal(t, rg.FirstRow+rg.NumRows, segs[len(segs)-1].Rows.End)
		for k, s := range segs {
			segsSeen++
			if k > 0 {
				assert.Equal(t, segs[k-1].Rows.End, s.Rows.Start)
			}
			assert.Equal(t, s.Rows.End-s.Rows.Start, s.Stats.NumRecords)
			assert.NotContains(t, s.Stats.MinValues, "l", "list columns have no statistics")
			for _, name := range []string{"id", "n", "s", "st.a"} {
				lo, hi, nulls := segStat(s.Stats, name)
				if nulls != nil && *nulls == s.Stats.NumRecords {
					nullPages++
				}
				for i := s.Rows.Start; i < s.Rows.End; i++ {
					v := vals[name][i]
					if v == "(null)" {
						assert.True(t, nulls == nil || *nulls > 0, "%s row %d is null in a piece counted without nulls", name, i)
						continue
					}
					assert.True(t, nulls == nil || *nulls < s.Stats.NumRecords, "%s row %d in an all-null piece", name, i)
					if lo == nil {
						continue
					}
					boundsSeen++
					if name == "s" {
						assert.True(t, lo.(string) <= v && v <= hi.(string), "%s row %d: %s outside [%v, %v]", name, i, v, lo, hi)
						continue
					}
					var x, l, h int64
					fmt.Sscan(v, &x)
					fmt.Sscan(string(lo.(json.Number)), &l)
					fmt.Sscan(string(hi.(json.Number)), &h)
					assert.True(t, l <= x && x <= h, "%s row %d: %d outside [%d, %d]", name, i, x, l, h)
				}
			}
		}
	}
	assert.Greater(t, segsSeen, 3*len(info.RowGroups), "pages of a few dozen rows")
	assert.Greater(t, boundsSeen, rows)
	assert.Positive(t, nullPages, "n has pages of nulls only")

	_, ok, err := f.PageSegments(0, []string{"nope"})
	require.NoError(t, err)
	assert.False(t, ok)
	_, _, err = f.PageSegments(len(info.RowGroups), []string{"id"})
	assert.ErrorIs(t, err, parquetio.ErrInvalidOptions)

	plain, err := parquetio.OpenFile(readerOf(writePaged(t, 4, 100, true)), mem)
	require.NoError(t, err)
	_, ok, err = plain.PageSegments(0, []string{"id"})
	require.NoError(t, err)
	assert.False(t, ok, "no page index")
}

// segStat returns the bounds and null count of a dotted column path.
func segStat(st parquetio.FileStats, path string) (lo, hi any, nulls *int64) {
	get := func(m map[string]any) any {
		var cur any = m
		for _, p := range splitDot(path) {
			mm, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = mm[p]
		}
		return cur
	}
	lo, hi = get(st.MinValues), get(st.MaxValues)
	if n, ok := get(st.NullCount).(json.Number); ok {
		v, _ := n.Int64()
		nulls = &v
	}
	return lo, hi, nulls
}

func splitDot(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// TestReadRowRangesInt96 seeks INT96 timestamps, which parquetio decodes
// itself, alongside pqarrow's columns and alone.
func TestReadRowRangesInt96(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	}, nil)
	// Written from nanoseconds, which arrow-go stores as INT96 on request.
	wsc := arrow.NewSchema([]arrow.Field{sc.Field(0), {Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, wsc)
	defer b.Release()
	for i := 0; i < 500; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%7 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i) * 3_600_000_000_000))
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(200), parquet.WithPageIndexEnabled(true), parquet.WithDataPageSize(256), parquet.WithBatchSize(16))
	w, err := pqarrow.NewFileWriter(wsc, &buf, props, pqarrow.NewArrowWriterProperties(pqarrow.WithDeprecatedInt96Timestamps(true)))
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	data := buf.Bytes()
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	require.NoError(t, err)
	require.Equal(t, parquet.Types.Int96, pf.MetaData().Schema.Column(1).PhysicalType())
	ranges := []parquetio.RowRange{{Start: 3, End: 9}, {Start: 150, End: 260}, {Start: 333, End: 334}, {Start: 420, End: 500}}
	for _, s := range []*arrow.Schema{sc, arrow.NewSchema(sc.Fields()[1:], nil)} {
		full := readRows(t, mem, data, parquetio.ReadOptions{Schema: s, BatchSize: 1000})
		require.Len(t, full, 500)
		var want []string
		for _, r := range ranges {
			want = append(want, full[r.Start:r.End]...)
		}
		got := readRows(t, mem, data, parquetio.ReadOptions{Schema: s, RowRanges: ranges, BatchSize: 32})
		assert.Equal(t, want, got)
	}
}
