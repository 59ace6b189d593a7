package parquetio

import (
	"bytes"
	"context"
	"fmt"
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

// sourceFile writes batches as one file with opts and opens it to copy
// from.
func sourceFile(t *testing.T, mem memory.Allocator, batches []arrow.RecordBatch, opts *WriteOptions) (*File, *CopySource) {
	var src memSinks
	w, err := NewRollingWriter(flatSchema, src.open, opts)
	require.NoError(t, err)
	for _, b := range batches {
		require.NoError(t, w.Write(context.Background(), b))
	}
	_, err = w.Close()
	require.NoError(t, err)
	require.Len(t, src.files, 1)
	f, err := OpenFile(memFile{bytes.NewReader(src.files[0].Bytes())}, mem)
	require.NoError(t, err)
	cs, err := f.CopySource()
	require.NoError(t, err)
	return f, cs
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

	f, cs := sourceFile(t, mem, batches, opts)
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
	gotStats := sameFiles(t, mem, cw, pw, &copied, &plain)
	assert.Contains(t, gotStats, `"value":"NaN"`, "the NaN of a copied row group reaches the maximum")
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
	_, cs := sourceFile(t, mem, batches, &WriteOptions{Allocator: mem})

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

// TestReplacedColumnsReadAsWritten: row groups copied with some columns
// replaced (as an UPDATE does; middle columns, and the first and last)
// beside row groups copied whole read back
// as the same rows written afresh, with the same Delta statistics, and
// every column chunk's offset index points at its own first data page.
func TestReplacedColumnsReadAsWritten(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	batches := flatBatches(t, mem, rand.New(rand.NewPCG(5, 9)), 3000)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for _, codec := range []string{"snappy", "snappy-fast", "uncompressed"} {
		t.Run(codec, func(t *testing.T) {
			opts := &WriteOptions{RowGroupSize: 500, Allocator: mem, Codec: codec, Parallelism: 2}
			f, cs := sourceFile(t, mem, batches, opts)

			var copied, plain memSinks
			cw, err := NewRollingWriter(flatSchema, copied.open, opts)
			require.NoError(t, err)
			pw, err := NewRollingWriter(flatSchema, plain.open, opts)
			require.NoError(t, err)
			for g := range cs.groups {
				cols := map[int][]arrow.Array{}
				rr, err := f.Read(ctx, &ReadOptions{Schema: flatSchema, RowGroups: []int{g}})
				require.NoError(t, err)
				for rr.Next() {
					rec := rr.RecordBatch()
					if g%2 == 0 {
						require.NoError(t, pw.Write(ctx, rec))
						continue
					}
					v, l := replacedValues(mem, rec, g)
					cols[1] = append(cols[1], v)
					cols[2] = append(cols[2], l)
					// The first and the last column too, re-encoded with the
					// same values: chunks moved at both ends of the row group.
					for _, c := range map[int][]int{1: {0}, 3: {8}, 5: {0, 8}}[g] {
						same, err := array.Concatenate([]arrow.Array{rec.Column(c)}, mem)
						require.NoError(t, err)
						cols[c] = append(cols[c], same)
					}
					all := append([]arrow.Array(nil), rec.Columns()...)
					all[1], all[2] = v, l
					updated := array.NewRecordBatch(flatSchema, all, rec.NumRows())
					require.NoError(t, pw.Write(ctx, updated))
					updated.Release()
				}
				require.NoError(t, rr.Err())
				rr.Release()
				if g%2 == 1 {
					require.NoError(t, cw.CopyRowGroupReplacing(ctx, cs, g, cols))
				} else {
					require.NoError(t, cw.CopyRowGroup(ctx, cs, g))
				}
				for _, arrs := range cols {
					for _, a := range arrs {
						a.Release()
					}
				}
			}
			gotStats := sameFiles(t, mem, cw, pw, &copied, &plain)
			assert.Contains(t, gotStats, `"value":"NaN"`)
		})
	}
}

// sameFiles closes the writer that copied (cw, into copied) and the one
// that wrote the same rows afresh (pw, into plain) and checks that their
// one file each holds the same rows with the same statistics, and that
// the copied file's offset indexes point at its pages. It returns the
// copied file's statistics.
func sameFiles(t *testing.T, mem memory.Allocator, cw, pw *RollingWriter, copied, plain *memSinks) string {
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
	checkOffsetIndexes(t, got)
	return string(gotStats)
}

// replacedValues are an UPDATE's new value and label columns for rec:
// value negated (one NaN in row group 3), labels replaced, some null.
func replacedValues(mem memory.Allocator, rec arrow.RecordBatch, g int) (arrow.Array, arrow.Array) {
	vb := array.NewFloat64Builder(mem)
	defer vb.Release()
	lb := array.NewStringBuilder(mem)
	defer lb.Release()
	vals := rec.Column(1).(*array.Float64)
	for r := 0; r < vals.Len(); r++ {
		switch {
		case g == 3 && r == 7:
			vb.Append(math.NaN())
		case vals.IsNull(r):
			vb.AppendNull()
		default:
			vb.Append(-vals.Value(r))
		}
		if r%5 == 0 {
			lb.AppendNull()
		} else {
			lb.Append(fmt.Sprintf("new-%d", (g*7+r)%13))
		}
	}
	return vb.NewArray(), lb.NewArray()
}

// checkOffsetIndexes: every column chunk's offset index starts at the
// chunk's first data page.
func checkOffsetIndexes(t *testing.T, data []byte) {
	pf, err := file.NewParquetReader(bytes.NewReader(data))
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
			assert.Equal(t, cc.DataPageOffset(), locs[0].Offset, "row group %d column %d", g, c)
		}
	}
}

// FuzzCopyRowGroups: however a file's row groups are split between
// copied whole, copied with their value column replaced, and read and
// written again, the file made reads back as the same rows written
// afresh, with the same statistics.
func FuzzCopyRowGroups(f *testing.F) {
	f.Add(uint64(1), uint16(300), uint8(49), uint16(0b1010))
	f.Add(uint64(2), uint16(17), uint8(0), uint16(0xffff))
	f.Add(uint64(3), uint16(400), uint8(127), uint16(0b0110_0101))
	f.Fuzz(func(t *testing.T, seed uint64, rows uint16, groupRows uint8, plan uint16) {
		ctx := context.Background()
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		n := 1 + int(rows)%400
		batches := flatBatches(t, mem, rand.New(rand.NewPCG(seed, 1)), n)
		defer func() {
			for _, b := range batches {
				b.Release()
			}
		}()
		opts := &WriteOptions{RowGroupSize: 1 + int64(groupRows), Allocator: mem, Codec: "snappy"}
		src, cs := sourceFile(t, mem, batches, opts)
		var copied, plain memSinks
		cw, err := NewRollingWriter(flatSchema, copied.open, opts)
		require.NoError(t, err)
		pw, err := NewRollingWriter(flatSchema, plain.open, opts)
		require.NoError(t, err)
		for g := range cs.groups {
			mode := ((plan >> (2 * (g % 8))) & 3) % 3 // 0 read, 1 copy, 2 replace
			cols := map[int][]arrow.Array{}
			rr, err := src.Read(ctx, &ReadOptions{Schema: flatSchema, RowGroups: []int{g}})
			require.NoError(t, err)
			for rr.Next() {
				rec := rr.RecordBatch()
				out := rec
				if mode == 2 {
					v, l := replacedValues(mem, rec, g)
					l.Release()
					cols[1] = append(cols[1], v)
					all := append([]arrow.Array(nil), rec.Columns()...)
					all[1] = v
					out = array.NewRecordBatch(flatSchema, all, rec.NumRows())
				}
				require.NoError(t, pw.Write(ctx, out))
				if mode == 0 {
					require.NoError(t, cw.Write(ctx, out))
				}
				if out != rec {
					out.Release()
				}
			}
			require.NoError(t, rr.Err())
			rr.Release()
			switch mode {
			case 1:
				require.NoError(t, cw.CopyRowGroup(ctx, cs, g))
			case 2:
				require.NoError(t, cw.CopyRowGroupReplacing(ctx, cs, g, cols))
			}
			for _, arrs := range cols {
				for _, a := range arrs {
					a.Release()
				}
			}
		}
		sameFiles(t, mem, cw, pw, &copied, &plain)
	})
}
