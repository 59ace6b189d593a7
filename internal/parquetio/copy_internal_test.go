package parquetio

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memFile is a Parquet file in memory, as storage.ReaderAt.
type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

// memSinks collects the files a RollingWriter writes.
type memSinks struct{ files []*bytes.Buffer }

type memSink struct{ *bytes.Buffer }

func (memSink) Close() error { return nil }

func (s *memSinks) open(context.Context) (Sink, error) {
	b := &bytes.Buffer{}
	s.files = append(s.files, b)
	return memSink{b}, nil
}

// withNaN returns rec with the value column's row i NaN.
func withNaN(t *testing.T, mem memory.Allocator, rec arrow.RecordBatch, i int) arrow.RecordBatch {
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	vals := rec.Column(1).(*array.Float64)
	for r := 0; r < vals.Len(); r++ {
		switch {
		case r == i:
			b.Append(math.NaN())
		case vals.IsNull(r):
			b.AppendNull()
		default:
			b.Append(vals.Value(r))
		}
	}
	col := b.NewArray()
	defer col.Release()
	cols := append([]arrow.Array(nil), rec.Columns()...)
	cols[1] = col
	return array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
}

// TestCopiedRowGroupsReadAsWritten: a file made of row groups copied from
// another file and row groups written around them reads back, row for
// row, as the file written from the same rows does, with the same Delta
// statistics (bounds taken from Parquet statistics, and from decoding
// where Parquet's are not enough: NaN, all-null columns), and a page
// index that points at the copied pages.
func TestCopiedRowGroupsReadAsWritten(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	batches := flatBatches(t, mem, rand.New(rand.NewPCG(3, 9)), 3000)
	nan := withNaN(t, mem, batches[2], 1)
	batches[2].Release()
	batches[2] = nan
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	opts := &WriteOptions{RowGroupSize: 500, Allocator: mem, Codec: "snappy", Parallelism: 2}

	var src memSinks
	w, err := NewRollingWriter(flatSchema, src.open, opts)
	require.NoError(t, err)
	for _, b := range batches {
		require.NoError(t, w.Write(ctx, b))
	}
	_, err = w.Close()
	require.NoError(t, err)
	require.Len(t, src.files, 1)
	f, err := OpenFile(memFile{bytes.NewReader(src.files[0].Bytes())}, mem)
	require.NoError(t, err)
	cs, err := f.CopySource()
	require.NoError(t, err)
	require.Len(t, cs.groups, 6)

	// Copy the even row groups; decode the odd ones and write every
	// second row of them, as a DELETE would.
	var copied, plain memSinks
	cw, err := NewRollingWriter(flatSchema, copied.open, opts)
	require.NoError(t, err)
	pw, err := NewRollingWriter(flatSchema, plain.open, opts)
	require.NoError(t, err)
	for g := range cs.groups {
		rr, err := f.Read(ctx, &ReadOptions{Schema: flatSchema, RowGroups: []int{g}})
		require.NoError(t, err)
		for rr.Next() {
			rec := rr.RecordBatch()
			if g%2 == 0 {
				require.NoError(t, pw.Write(ctx, rec))
				continue
			}
			half := rec.NewSlice(0, rec.NumRows()/2)
			require.NoError(t, cw.Write(ctx, half))
			require.NoError(t, pw.Write(ctx, half))
			half.Release()
		}
		require.NoError(t, rr.Err())
		rr.Release()
		if g%2 == 0 {
			require.True(t, cw.CanCopy(cs, g))
			require.NoError(t, cw.CopyRowGroup(ctx, cs, g))
		}
	}
	gotFiles, err := cw.Close()
	require.NoError(t, err)
	wantFiles, err := pw.Close()
	require.NoError(t, err)

	require.Len(t, gotFiles, 1)
	got, want := copied.files[0].Bytes(), plain.files[0].Bytes()
	assert.Equal(t, int64(len(got)), gotFiles[0].Size)
	assert.Equal(t, readFlat(t, mem, want), readFlat(t, mem, got))
	gotStats, err := gotFiles[0].Stats.JSON()
	require.NoError(t, err)
	wantStats, err := wantFiles[0].Stats.JSON()
	require.NoError(t, err)
	assert.JSONEq(t, string(wantStats), string(gotStats))
	assert.Contains(t, string(gotStats), `"value":"NaN"`, "the NaN of a copied row group reaches the maximum")

	pf, err := file.NewParquetReader(bytes.NewReader(got))
	require.NoError(t, err)
	defer pf.Close()
	md := pf.MetaData()
	for g := 0; g < md.NumRowGroups(); g++ {
		idx, err := pf.GetPageIndexReader().RowGroup(g)
		require.NoError(t, err)
		for c := 0; c < md.Schema.NumColumns(); c++ {
			cc, err := md.RowGroup(g).ColumnChunk(c)
			require.NoError(t, err)
			oi, err := idx.GetOffsetIndex(c)
			require.NoError(t, err)
			locs := oi.GetPageLocations()
			require.NotEmpty(t, locs)
			assert.Equal(t, cc.DataPageOffset(), locs[0].Offset, "row group %d column %d: the offset index points at the first data page", g, c)
		}
	}
}

// TestCopyRefusesOtherFiles: a row group is copied only into a writer of
// the same Parquet schema, and not from a nested schema.
func TestCopyRefusesOtherFiles(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	batches := flatBatches(t, mem, rand.New(rand.NewPCG(4, 9)), 300)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	var src memSinks
	w, err := NewRollingWriter(flatSchema, src.open, &WriteOptions{Allocator: mem})
	require.NoError(t, err)
	for _, b := range batches {
		require.NoError(t, w.Write(ctx, b))
	}
	_, err = w.Close()
	require.NoError(t, err)
	f, err := OpenFile(memFile{bytes.NewReader(src.files[0].Bytes())}, mem)
	require.NoError(t, err)
	cs, err := f.CopySource()
	require.NoError(t, err)

	narrower := arrow.NewSchema(flatSchema.Fields()[:3], nil)
	nullable := append([]arrow.Field(nil), flatSchema.Fields()...)
	nullable[0].Nullable = true
	for name, tc := range map[string]struct {
		schema *arrow.Schema
		opts   *WriteOptions
	}{
		"other columns":  {narrower, &WriteOptions{Allocator: mem}},
		"nullability":    {arrow.NewSchema(nullable, nil), &WriteOptions{Allocator: mem}},
		"nested writer":  {stitchSchema, &WriteOptions{Allocator: mem}},
		"too many rows":  {flatSchema, &WriteOptions{Allocator: mem, MaxRecordsPerFile: 10}},
		"same as source": {flatSchema, &WriteOptions{Allocator: mem}},
	} {
		t.Run(name, func(t *testing.T) {
			var out memSinks
			cw, err := NewRollingWriter(tc.schema, out.open, tc.opts)
			require.NoError(t, err)
			defer cw.Abort()
			if name == "same as source" {
				assert.True(t, cw.CanCopy(cs, 0))
				return
			}
			assert.False(t, cw.CanCopy(cs, 0))
			assert.ErrorIs(t, cw.CopyRowGroup(ctx, cs, 0), ErrInvalidOptions)
			assert.Empty(t, out.files, "a refused copy writes nothing")
		})
	}
}
