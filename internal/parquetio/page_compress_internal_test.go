package parquetio

import (
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
