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
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSnappyPagesDecodeToTheUncompressedPages: a file whose pages were
// compressed after encoding holds, page for page, the pages one serial
// pqarrow writer produces without compression, marked SNAPPY, with every
// offset and size in the footer and the offset index pointing at them; and
// it reads back as written.
func TestSnappyPagesDecodeToTheUncompressedPages(t *testing.T) {
	tests := []struct {
		rows, rowGroup, parallelism int
		pageIndex                   bool
	}{
		{1, 100, 2, false},
		{1000, 7, 3, true},
		{2500, 1000, 1, false},
		{2500, 1000, 2, true},
		{5000, 128, 8, true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("rows=%d/group=%d/par=%d/pageindex=%v", tc.rows, tc.rowGroup, tc.parallelism, tc.pageIndex), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			rng := rand.New(rand.NewPCG(uint64(tc.rows), uint64(tc.rowGroup)))
			batches := stitchBatches(t, mem, rng, tc.rows)
			defer func() {
				for _, b := range batches {
					b.Release()
				}
			}()
			cfg, err := newWriteConfig(stitchSchema, &WriteOptions{RowGroupSize: int64(tc.rowGroup), Parallelism: tc.parallelism, Allocator: mem, Codec: CodecSnappyFast})
			require.NoError(t, err)
			require.True(t, cfg.snappyPages)
			if tc.pageIndex {
				cfg.props = withPageIndex(cfg)
			}
			var got bytes.Buffer
			fw := newFileWriter(&got, cfg, newGroupEncoder(cfg))
			for _, b := range batches {
				require.NoError(t, fw.write(b))
			}
			_, size, err := fw.close()
			require.NoError(t, err)
			require.Equal(t, int64(got.Len()), size)
			plain := serialFile(t, cfg, batches) // cfg.props: uncompressed

			snappy, err := file.NewParquetReader(bytes.NewReader(got.Bytes()))
			require.NoError(t, err)
			defer snappy.Close()
			want, err := file.NewParquetReader(bytes.NewReader(plain))
			require.NoError(t, err)
			defer want.Close()
			require.Equal(t, want.NumRowGroups(), snappy.NumRowGroups())
			for g := range snappy.NumRowGroups() {
				comparePages(t, want, snappy, g, tc.pageIndex)
			}
			assertTablesEqual(t, mem, want, snappy)
		})
	}
}

// comparePages checks row group g of got against the same group of want,
// written without compression.
func comparePages(t *testing.T, want, got *file.Reader, g int, pageIndex bool) {
	t.Helper()
	wrg, grg := want.MetaData().RowGroup(g), got.MetaData().RowGroup(g)
	require.Equal(t, wrg.NumRows(), grg.NumRows())
	var compressed int64
	for c := range grg.NumColumns() {
		wc, err := wrg.ColumnChunk(c)
		require.NoError(t, err)
		gc, err := grg.ColumnChunk(c)
		require.NoError(t, err)
		assert.Equal(t, compress.Codecs.Snappy, gc.Compression())
		assert.Equal(t, wc.NumValues(), gc.NumValues())
		assert.Equal(t, wc.HasDictionaryPage(), gc.HasDictionaryPage())
		compressed += gc.TotalCompressedSize()
		wstats, err := wc.Statistics()
		require.NoError(t, err)
		gstats, err := gc.Statistics()
		require.NoError(t, err)
		if wstats != nil {
			require.NotNil(t, gstats)
			assert.Equal(t, wstats.EncodeMin(), gstats.EncodeMin(), "column %d min", c)
			assert.Equal(t, wstats.EncodeMax(), gstats.EncodeMax(), "column %d max", c)
		}
		// Page by page, the decompressed bodies are the uncompressed ones.
		wr, err := want.RowGroup(g).GetColumnPageReader(c)
		require.NoError(t, err)
		gr, err := got.RowGroup(g).GetColumnPageReader(c)
		require.NoError(t, err)
		pages := 0
		for wr.Next() {
			require.True(t, gr.Next(), "column %d: fewer pages", c)
			wp, gp := wr.Page(), gr.Page()
			assert.Equal(t, wp.Type(), gp.Type())
			assert.Equal(t, wp.NumValues(), gp.NumValues())
			assert.Equal(t, wp.Data(), gp.Data(), "column %d page %d", c, pages)
			pages++
		}
		require.NoError(t, wr.Err())
		assert.False(t, gr.Next(), "column %d: more pages", c)
		require.NoError(t, gr.Err())
		if !pageIndex {
			continue
		}
		widx, err := want.GetPageIndexReader().RowGroup(g)
		require.NoError(t, err)
		gidx, err := got.GetPageIndexReader().RowGroup(g)
		require.NoError(t, err)
		woi, err := widx.GetOffsetIndex(c)
		require.NoError(t, err)
		goi, err := gidx.GetOffsetIndex(c)
		require.NoError(t, err)
		wlocs, glocs := woi.GetPageLocations(), goi.GetPageLocations()
		require.Len(t, glocs, len(wlocs))
		start := gc.DataPageOffset()
		end := gc.DataPageOffset() + gc.TotalCompressedSize()
		if gc.HasDictionaryPage() {
			end = gc.DictionaryPageOffset() + gc.TotalCompressedSize()
		}
		assert.Equal(t, start, glocs[0].Offset, "the first location is the first data page")
		for i, l := range glocs {
			assert.Equal(t, wlocs[i].FirstRowIndex, l.FirstRowIndex)
			if i+1 < len(glocs) {
				assert.Equal(t, l.Offset+int64(l.CompressedPageSize), glocs[i+1].Offset, "pages are contiguous")
			} else {
				assert.Equal(t, end, l.Offset+int64(l.CompressedPageSize), "the last page ends the chunk")
			}
		}
		wci, err := widx.GetColumnIndex(c)
		require.NoError(t, err)
		gci, err := gidx.GetColumnIndex(c)
		require.NoError(t, err)
		if wci != nil {
			assert.Equal(t, wci.GetMinValues(), gci.GetMinValues())
			assert.Equal(t, wci.GetMaxValues(), gci.GetMaxValues())
		}
	}
	assert.Equal(t, compressed, grg.TotalCompressedSize())
}

// assertTablesEqual reads both files whole and compares them.
func assertTablesEqual(t *testing.T, mem memory.Allocator, want, got *file.Reader) {
	t.Helper()
	read := func(r *file.Reader) arrow.Table {
		fr, err := pqarrow.NewFileReader(r, pqarrow.ArrowReadProperties{BatchSize: 1 << 20}, mem)
		require.NoError(t, err)
		tbl, err := fr.ReadTable(context.Background())
		require.NoError(t, err)
		return tbl
	}
	w, g := read(want), read(got)
	defer w.Release()
	defer g.Release()
	assert.True(t, array.TableEqual(w, g), "the files read back differently")
}
