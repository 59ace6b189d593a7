package parquetio

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"
)

// expandDictionary gives exactly what arrow's dictionary-to-dense cast
// gives: random dictionaries (empty values included), null rows, sliced
// index arrays (bitmaps at odd offsets), strings and binaries.
func TestExpandDictionaryMatchesCast(t *testing.T) {
	for _, vt := range []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.Binary} {
		for seed := range uint64(40) {
			t.Run(fmt.Sprintf("%s/%d", vt, seed), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				rnd := rand.New(rand.NewPCG(seed, 3))
				dict := randomDictionary(mem, rnd, vt, 1+rnd.IntN(50), 12+rnd.IntN(300))
				defer dict.Release()
				offset := rnd.IntN(9)
				slice := array.NewSlice(dict, int64(offset), int64(dict.Len()-rnd.IntN(3)))
				defer slice.Release()
				d := slice.(*array.Dictionary)

				got, ok := expandDictionary(mem, d, vt)
				require.True(t, ok)
				defer got.Release()
				want, err := compute.CastArray(compute.WithAllocator(context.Background(), mem), d, compute.SafeCastOptions(vt))
				require.NoError(t, err)
				defer want.Release()
				require.True(t, array.Equal(want, got), "want %v\ngot  %v", want, got)
				require.Equal(t, want.NullN(), got.NullN())
			})
		}
	}
}

func randomDictionary(mem memory.Allocator, rnd *rand.Rand, vt arrow.DataType, distinct, rows int) arrow.Array {
	vb := array.NewBinaryBuilder(mem, vt.(arrow.BinaryDataType))
	defer vb.Release()
	for i := range distinct {
		if i == 0 && rnd.IntN(2) == 0 {
			vb.Append(nil) // the empty value
			continue
		}
		vb.Append([]byte(fmt.Sprintf("v%d", i) + strings.Repeat("x", rnd.IntN(12))))
	}
	built := vb.NewArray()
	defer built.Release()
	values := array.MakeFromData(built.Data()) // *array.String for strings
	defer values.Release()
	if distinct > 2 && rnd.IntN(2) == 0 {
		// A dictionary that is itself a slice: its values start past
		// its buffer's first byte.
		sliced := array.NewSlice(values, 2, int64(distinct))
		defer sliced.Release()
		values, distinct = sliced, distinct-2
	}
	ib := array.NewInt32Builder(mem)
	defer ib.Release()
	for range rows {
		if rnd.IntN(5) == 0 {
			ib.AppendNull()
			continue
		}
		ib.Append(int32(rnd.IntN(distinct)))
	}
	idx := ib.NewArray()
	defer idx.Release()
	return array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: vt}, idx, values)
}

// Shapes expandDictionary leaves to the general cast: other index types,
// a value type other than the wanted one, null dictionary values, an
// index past the dictionary.
func TestExpandDictionaryDeclines(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	values, _, err := array.FromJSON(mem, arrow.BinaryTypes.String, strings.NewReader(`["a", null, "c"]`))
	require.NoError(t, err)
	defer values.Release()
	for name, tc := range map[string]struct {
		idxType arrow.DataType
		idx     string
		to      arrow.DataType
	}{
		"int16 indexes":         {arrow.PrimitiveTypes.Int16, `[0, 2]`, arrow.BinaryTypes.String},
		"other value type":      {arrow.PrimitiveTypes.Int32, `[0, 2]`, arrow.BinaryTypes.Binary},
		"null dictionary value": {arrow.PrimitiveTypes.Int32, `[0, 1]`, arrow.BinaryTypes.String},
	} {
		t.Run(name, func(t *testing.T) {
			idx, _, err := array.FromJSON(mem, tc.idxType, strings.NewReader(tc.idx))
			require.NoError(t, err)
			defer idx.Release()
			d := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: tc.idxType, ValueType: arrow.BinaryTypes.String}, idx, values)
			defer d.Release()
			out, ok := expandDictionary(mem, d, tc.to)
			require.False(t, ok)
			require.Nil(t, out)
		})
	}
	good, _, err := array.FromJSON(mem, arrow.BinaryTypes.String, strings.NewReader(`["a", "b"]`))
	require.NoError(t, err)
	defer good.Release()
	idx, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Int32, strings.NewReader(`[0, 5]`))
	require.NoError(t, err)
	defer idx.Release()
	d := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, idx, good)
	defer d.Release()
	out, ok := expandDictionary(mem, d, arrow.BinaryTypes.String)
	require.False(t, ok, "index past the dictionary")
	require.Nil(t, out)
}

// A string column stored with dictionary pages reads, through the
// dictionary and its expansion, exactly as the same column stored plain;
// a column whose pages fell back to plain is read the usual way.
func TestDictionaryColumnsReadDense(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.Binary, Nullable: true},
	}, nil)
	rnd := rand.New(rand.NewPCG(7, 7))
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range 40000 {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		for c := 1; c <= 2; c++ {
			if rnd.IntN(7) == 0 {
				b.Field(c).AppendNull()
				continue
			}
			v := fmt.Sprintf("value-%d", rnd.IntN(40))
			if c == 1 {
				b.Field(c).(*array.StringBuilder).Append(v)
			} else {
				b.Field(c).(*array.BinaryBuilder).Append([]byte(v))
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	read := func(data []byte, groups []int) ([]string, []int) {
		f, err := OpenFile(memReader{bytes.NewReader(data)}, mem)
		require.NoError(t, err)
		rr, err := f.Read(context.Background(), &ReadOptions{Schema: schema, RowGroups: groups, BatchSize: 700})
		require.NoError(t, err)
		defer rr.Release()
		var rows []string
		for rr.Next() {
			r := rr.RecordBatch()
			require.True(t, schema.Equal(r.Schema()))
			for i := range int(r.NumRows()) {
				rows = append(rows, fmt.Sprint(r.Column(0).ValueStr(i), r.Column(1).ValueStr(i), r.Column(2).ValueStr(i)))
			}
		}
		require.NoError(t, rr.Err())
		if groups == nil {
			groups = []int{0, 1, 2, 3} // 40,000 rows in groups of 10,000
		}
		return rows, denseFromDictionary(f.pf, rr.(*recordReader).plans, nil, groups)
	}
	plain, expanded := read(writeStrings(t, schema, rec, 10000, parquet.WithDictionaryDefault(false)), nil)
	require.Empty(t, expanded)
	require.Len(t, plain, 40000)
	dict, expanded := read(writeStrings(t, schema, rec, 10000), nil)
	require.Equal(t, []int{1, 2}, expanded, "both byte-array columns are read as dictionaries")
	require.Equal(t, plain, dict)
	// A 64-byte dictionary page limit makes the writer fall back to plain
	// pages within each chunk.
	fellBack, expanded := read(writeStrings(t, schema, rec, 10000, parquet.WithDictionaryPageSizeLimit(64)), nil)
	require.Empty(t, expanded)
	require.Equal(t, plain, fellBack)
	some, expanded := read(writeStrings(t, schema, rec, 10000), []int{3, 1})
	require.Equal(t, []int{1, 2}, expanded)
	require.Equal(t, append(slices.Clone(plain[30000:40000]), plain[10000:20000]...), some)
	// Groups below expandMinRows read their strings directly.
	small, expanded := read(writeStrings(t, schema, rec, 5000), []int{0, 1, 2, 3, 4, 5, 6, 7})
	require.Empty(t, expanded)
	require.Equal(t, plain, small)
}

func writeStrings(t *testing.T, schema *arrow.Schema, rec arrow.RecordBatch, rowGroup int64, opts ...parquet.WriterProperty) []byte {
	t.Helper()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(append([]parquet.WriterProperty{parquet.WithMaxRowGroupLength(rowGroup)}, opts...)...)
	w, err := pqarrow.NewFileWriter(schema, &buf, props, pqarrow.DefaultWriterProps())
	require.NoError(t, err)
	require.NoError(t, w.Write(rec))
	require.NoError(t, w.Close())
	return buf.Bytes()
}

type memReader struct{ *bytes.Reader }

func (memReader) Close() error { return nil }
