package parquetio

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

var pagesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float32},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "text", Type: arrow.BinaryTypes.String},
	{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
	{Name: "sparse", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, // mostly null
	{Name: "empty", Type: arrow.BinaryTypes.String, Nullable: true},    // all null
}, nil)

// writePagesFile writes rows random rows in row groups of 700 and pages
// of a few dozen rows.
func writePagesFile(t *testing.T, seed uint64, rows int, props ...parquet.WriterProperty) []byte {
	t.Helper()
	rnd := rand.New(rand.NewPCG(seed, 3))
	b := array.NewRecordBuilder(memory.DefaultAllocator, pagesSchema)
	defer b.Release()
	null := func(p int) bool { return rnd.IntN(p) == 0 }
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i) * 1000)
		if nb := b.Field(1).(*array.Int32Builder); null(6) {
			nb.AppendNull()
		} else {
			nb.Append(int32(rnd.IntN(50)))
		}
		if xb := b.Field(2).(*array.Float64Builder); null(9) {
			xb.AppendNull()
		} else {
			xb.Append(rnd.NormFloat64())
		}
		b.Field(3).(*array.Float32Builder).Append(rnd.Float32())
		if sb := b.Field(4).(*array.StringBuilder); null(5) {
			sb.AppendNull()
		} else {
			sb.Append(fmt.Sprintf("label-%d", rnd.IntN(40)))
		}
		b.Field(5).(*array.StringBuilder).Append(fmt.Sprintf("text %d %x", i, rnd.Uint64()>>rnd.IntN(64)))
		if bb := b.Field(6).(*array.BinaryBuilder); null(4) {
			bb.AppendNull()
		} else {
			bb.Append(bytes.Repeat([]byte{byte(i)}, rnd.IntN(5)))
		}
		if db := b.Field(7).(*array.Date32Builder); null(3) {
			db.AppendNull()
		} else {
			db.Append(arrow.Date32(19000 + rnd.IntN(3)))
		}
		if sb := b.Field(8).(*array.Int64Builder); rnd.IntN(100) != 0 {
			sb.AppendNull()
		} else {
			sb.Append(rnd.Int64())
		}
		b.Field(9).(*array.StringBuilder).AppendNull()
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props = append([]parquet.WriterProperty{
		parquet.WithMaxRowGroupLength(700),
		parquet.WithDataPageSize(300),
		parquet.WithBatchSize(32),
	}, props...)
	w, err := pqarrow.NewFileWriter(pagesSchema, &buf, parquet.NewWriterProperties(props...), pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// Reading chosen rows from the pages gives what parquet's column reader
// gives skipping between them, for every column and shape the page path
// takes: data pages v1 and v2, five codecs, plain and dictionary pages,
// with and without an offset index, columns without nulls, with some,
// with nearly all and with only nulls, and selections from none to all.
func TestPagesSelectedMatchColumnReader(t *testing.T) {
	codecs := []compress.Compression{compress.Codecs.Snappy, compress.Codecs.Zstd, compress.Codecs.Gzip, compress.Codecs.Uncompressed, compress.Codecs.Lz4Raw}
	for seed := range uint64(10) {
		v2 := seed%2 == 1
		codec := codecs[seed%uint64(len(codecs))]
		pageIndex := seed%3 != 0
		dict := seed%4 < 2
		name := fmt.Sprintf("seed=%d/v2=%v/%s/index=%v/dict=%v", seed, v2, codec, pageIndex, dict)
		t.Run(name, func(t *testing.T) {
			version := parquet.DataPageV1
			if v2 {
				version = parquet.DataPageV2
			}
			data := writePagesFile(t, seed, 2000,
				parquet.WithDataPageVersion(version), parquet.WithCompression(codec),
				parquet.WithPageIndexEnabled(pageIndex), parquet.WithDictionaryDefault(dict))
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			// Small reads are cheap on local files (a span per run of
			// pages) and dear on object stores (one span).
			var r storage.ReaderAt = bytesReaderOf(data)
			if seed%4 < 2 {
				r = cheapReader{bytesReaderOf(data)}
			}
			if seed%3 == 1 {
				// Spans of a few pages, and chunks without an index
				// left to the column reader on local files.
				old := pageSpanMax
				pageSpanMax = 1500
				defer func() { pageSpanMax = old }()
			}
			f, err := OpenFile(r, mem)
			require.NoError(t, err)
			rnd := rand.New(rand.NewPCG(seed, 9))
			bufs := NewPageBuffers(mem)
			defer bufs.Release()
			md := f.pf.MetaData()
			for rg := range md.NumRowGroups() {
				nrows := int(md.RowGroup(rg).NumRows())
				for col, fld := range pagesSchema.Fields() {
					for trial := range 10 {
						rows := pagesSelection(rnd, nrows, trial)
						runs := rowRuns(rows)
						got, ok, err := f.readPagesSelected(rg, col, runs, len(rows), fld.Type, bufs)
						require.NoError(t, err)
						if !ok {
							cc, err := md.RowGroup(rg).ColumnChunk(col)
							require.NoError(t, err)
							_, cheap := r.(cheapReader)
							require.True(t, cheap && !pageIndex && cc.TotalCompressedSize() > pageSpanMax,
								"column %s declined", fld.Name)
							continue
						}
						cr, err := f.pf.RowGroup(rg).Column(col)
						require.NoError(t, err)
						want, err := readSelected(cr, fld.Type, runs, len(rows), mem)
						require.NoError(t, err)
						require.NoError(t, cr.(interface{ Close() error }).Close())
						require.Truef(t, array.Equal(want, got), "group %d column %s rows %v\nwant %v\ngot  %v", rg, fld.Name, rows, want, got)
						require.Equal(t, want.NullN(), got.NullN())
						want.Release()
						got.Release()
					}
				}
			}
		})
	}
}

// pagesSelection returns ascending distinct rows below n: none, all, the
// last, one in a thousand, or runs at several densities.
func pagesSelection(rnd *rand.Rand, n, trial int) []int32 {
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
		return []int32{int32(n - 1)}
	case 3:
		for i := range n {
			if rnd.IntN(1000) == 0 {
				rows = append(rows, int32(i))
			}
		}
		return rows
	}
	density := []int{2, 10, 50, 300}[trial%4]
	for i := 0; i < n; i++ {
		if rnd.IntN(density) == 0 {
			for k := rnd.IntN(30); k >= 0 && i < n; k-- {
				rows = append(rows, int32(i))
				i++
			}
		}
	}
	return rows
}

func bytesReaderOf(b []byte) memReader { return memReader{bytes.NewReader(b)} }

// cheapReader says small reads of it cost little, as a local file's do.
type cheapReader struct{ memReader }

func (cheapReader) SmallReadsCheap() bool { return true }

// FuzzPagesSelected reads fuzzed selections of files of fuzzed shape
// (page version, codec, dictionary, offset index), some with one byte
// changed. Intact files read exactly as parquet's column reader reads
// them; a changed file gives an error or exactly the rows asked for,
// never a panic.
func FuzzPagesSelected(f *testing.F) {
	f.Add(uint64(0), []byte{1, 5, 9}, uint32(0), byte(0))
	f.Add(uint64(5), []byte{0, 0, 200, 3}, uint32(200), byte(0x80))
	f.Add(uint64(11), []byte{255}, uint32(4000), byte(1))
	codecs := []compress.Compression{compress.Codecs.Snappy, compress.Codecs.Zstd, compress.Codecs.Uncompressed, compress.Codecs.Gzip}
	f.Fuzz(func(t *testing.T, shape uint64, gaps []byte, at uint32, flip byte) {
		version := parquet.DataPageV1
		if shape&1 == 1 {
			version = parquet.DataPageV2
		}
		data := writePagesFile(t, shape, 400,
			parquet.WithDataPageVersion(version), parquet.WithCompression(codecs[(shape>>1)%4]),
			parquet.WithPageIndexEnabled(shape&8 == 0), parquet.WithDictionaryDefault(shape&16 == 0))
		corrupt := flip != 0 && int(at) < len(data)-8 && at >= 4
		if corrupt {
			data = bytes.Clone(data)
			data[at] ^= flip
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		fl, err := OpenFile(bytesReaderOf(data), mem)
		if err != nil {
			require.True(t, corrupt, "intact file: %v", err)
			return
		}
		bufs := NewPageBuffers(mem)
		defer bufs.Release()
		md := fl.pf.MetaData()
		for rg := range md.NumRowGroups() {
			nrows := md.RowGroup(rg).NumRows()
			var rows []int32
			r := int64(0)
			for _, g := range gaps {
				if r += int64(g); r >= nrows {
					break
				}
				rows = append(rows, int32(r))
				r++
			}
			runs := rowRuns(rows)
			for col, fld := range pagesSchema.Fields() {
				got, ok, err := fl.readPagesSelected(rg, col, runs, len(rows), fld.Type, bufs)
				if corrupt {
					if err == nil && ok {
						require.Equal(t, len(rows), got.Len())
						got.Release()
					}
					continue
				}
				require.NoError(t, err)
				require.True(t, ok)
				cr, err := fl.pf.RowGroup(rg).Column(col)
				require.NoError(t, err)
				want, err := readSelected(cr, fld.Type, runs, len(rows), mem)
				require.NoError(t, err)
				require.NoError(t, cr.(interface{ Close() error }).Close())
				require.Truef(t, array.Equal(want, got), "group %d column %s rows %v", rg, fld.Name, rows)
				want.Release()
				got.Release()
			}
		}
		// DictionaryRows on the string and binary columns, passing values
		// whose hash the fuzzer's first gap divides.
		modulus := uint32(1)
		if len(gaps) > 0 {
			modulus = uint32(gaps[0]%7) + 1
		}
		passes := func(v []byte) bool { return fnv32(v)%modulus == 0 }
		match := func(d arrow.Array) ([]bool, error) {
			out := make([]bool, d.Len())
			for i := range out {
				out[i] = passes(binaryAt(d, i))
			}
			return out, nil
		}
		for _, col := range []int{4, 5, 6, 9} {
			fld := pagesSchema.Field(col)
			var full [][]byte
			if !corrupt {
				full = readRowsOf(t, data, fld, mem)
			}
			first := 0
			for rg := range md.NumRowGroups() {
				n := int(md.RowGroup(rg).NumRows())
				rows, ok, err := fl.DictionaryRows(context.Background(), rg, fld, ColumnMappingNone, match, shape&32 != 0, bufs)
				if !corrupt {
					require.NoError(t, err)
				}
				if ok && !corrupt {
					var want []int32
					for r := range n {
						if v := full[first+r]; (v == nil && shape&32 != 0) || (v != nil && passes(v)) {
							want = append(want, int32(r))
						}
					}
					require.Equal(t, want, rows, "group %d column %s", rg, fld.Name)
				}
				if ok && corrupt {
					for i, r := range rows {
						require.True(t, r >= 0 && int(r) < n && (i == 0 || r > rows[i-1]), "rows out of order or range: %v", rows)
					}
				}
				first += n
			}
		}
	})
}

// DictionaryRows finds exactly the rows whose value passes a test made on
// the dictionary (and the null rows, when nulls pass), for string and
// binary columns with and without nulls, all-null columns, page versions
// 1 and 2 and several codecs; it declines chunks without a dictionary
// (arrow-go writes some row groups plain even when asked for dictionaries)
// and chunks whose writer fell back to plain pages.
func TestDictionaryRowsMatchValues(t *testing.T) {
	ctx := context.Background()
	codecs := []compress.Compression{compress.Codecs.Snappy, compress.Codecs.Zstd, compress.Codecs.Uncompressed}
	strCols := []int{4, 5, 6, 9} // label, text, bin, empty
	accepted := 0
	for seed := range uint64(8) {
		version := parquet.DataPageV1
		if seed%2 == 1 {
			version = parquet.DataPageV2
		}
		dict := seed%4 != 3
		props := []parquet.WriterProperty{parquet.WithDataPageVersion(version), parquet.WithCompression(codecs[seed%3]), parquet.WithDictionaryDefault(dict)}
		fallback := seed == 4
		if fallback { // text's dictionary outgrows this, and its writer falls back to plain pages
			props = append(props, parquet.WithDictionaryPageSizeLimit(2000))
		}
		data := writePagesFile(t, seed, 2000, props...)
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		f, err := OpenFile(bytesReaderOf(data), mem)
		require.NoError(t, err)
		for _, col := range strCols {
			fld := pagesSchema.Field(col)
			full := readRowsOf(t, data, fld, mem)
			for _, modulus := range []uint32{1, 3, 1000} {
				for _, nulls := range []bool{false, true} {
					passes := func(v []byte) bool { return fnv32(v)%modulus == 0 }
					match := func(d arrow.Array) ([]bool, error) {
						out := make([]bool, d.Len())
						for i := range out {
							out[i] = passes(binaryAt(d, i))
						}
						return out, nil
					}
					for rg, first := 0, 0; rg < f.pf.MetaData().NumRowGroups(); rg++ {
						n := int(f.pf.MetaData().RowGroup(rg).NumRows())
						rows, ok, err := f.DictionaryRows(ctx, rg, fld, ColumnMappingNone, match, nulls, nil)
						require.NoError(t, err)
						if !dict {
							require.False(t, ok, "column %s has no dictionary", fld.Name)
						}
						if ok {
							accepted++
							var want []int32
							for r := range n {
								v := full[first+r]
								if (v == nil && nulls) || (v != nil && passes(v)) {
									want = append(want, int32(r))
								}
							}
							require.Equal(t, want, rows, "seed %d group %d column %s modulus %d nulls %v", seed, rg, fld.Name, modulus, nulls)
						} else if cc, err := f.pf.MetaData().RowGroup(rg).ColumnChunk(col); err == nil && cc.HasDictionaryPage() && !fallback {
							t.Fatalf("seed %d group %d: column %s declined", seed, rg, fld.Name)
						}
						first += n
					}
				}
			}
		}
		mem.AssertSize(t, 0)
	}
	require.Greater(t, accepted, 100)
}

// readRowsOf reads column fld of a file whole: each row's bytes, nil for
// a null.
func readRowsOf(t *testing.T, data []byte, fld arrow.Field, mem memory.Allocator) [][]byte {
	rr, err := NewRecordReader(context.Background(), bytesReaderOf(data), &ReadOptions{Schema: arrow.NewSchema([]arrow.Field{fld}, nil), Allocator: mem})
	require.NoError(t, err)
	defer rr.Release()
	var out [][]byte
	for rr.Next() {
		col := rr.RecordBatch().Column(0)
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				out = append(out, nil)
				continue
			}
			out = append(out, bytes.Clone(binaryAt(col, i)))
		}
	}
	require.NoError(t, rr.Err())
	return out
}

func fnv32(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h = (h ^ uint32(c)) * 16777619
	}
	return h
}

func binaryAt(a arrow.Array, i int) []byte {
	if s, ok := a.(*array.String); ok {
		return []byte(s.Value(i))
	}
	return a.(*array.Binary).Value(i)
}
