package parquetio

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// RowRange is the file rows from Start (inclusive) to End (exclusive),
// counted from the file's first row.
type RowRange struct{ Start, End int64 }

// PageSegment is a run of rows of one row group that lies inside a single
// page of every column PageSegments looked at, with the statistics of
// those pages in the shape Info gives row groups.
type PageSegment struct {
	Rows  RowRange
	Stats FileStats
}

// pageColumn is one leaf column's page index within a row group.
type pageColumn struct {
	descr  *schema.Column
	index  metadata.ColumnIndex
	starts []int64 // first row of each page, relative to the row group
}

// PageSegments cuts row group g at every page boundary of the leaf
// columns under the named top-level file columns (physical names, matched
// case-insensitively) and gives each piece the min, max and null count of
// the pages that hold it. A page's bounds hold for every row of a piece
// inside it; its null count does not, so a piece gets a null count only
// when the page has no nulls or only nulls. Columns without a usable page
// index, and columns inside lists and maps, are left out of the
// statistics; ok is false when none of the named columns has one, and the
// caller reads the whole group.
func (f *File) PageSegments(g int, columns []string) (segs []PageSegment, ok bool, err error) {
	defer recoverCorrupt(&err)
	md := f.pf.MetaData()
	if g < 0 || g >= md.NumRowGroups() {
		return nil, false, fmt.Errorf("%w: row group %d of %d", ErrInvalidOptions, g, md.NumRowGroups())
	}
	var first int64
	for i := 0; i < g; i++ {
		first += md.RowGroup(i).NumRows()
	}
	nrows := md.RowGroup(g).NumRows()
	pir := f.pf.GetPageIndexReader()
	if pir == nil || nrows == 0 {
		return nil, false, nil
	}
	rgi, err := pir.RowGroup(g)
	if err != nil {
		return nil, false, fmt.Errorf("%w: page index of row group %d: %w", ErrCorruptFile, g, err)
	}
	if rgi == nil {
		return nil, false, nil
	}
	var cols []pageColumn
	sc := md.Schema
	for i := 0; i < sc.NumColumns(); i++ {
		descr := sc.Column(i)
		if descr.MaxRepetitionLevel() > 0 || !slices.ContainsFunc(columns, func(c string) bool { return strings.EqualFold(c, descr.ColumnPath()[0]) }) {
			continue
		}
		if c, ok := loadPageColumn(rgi, i, descr, nrows); ok {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil, false, nil
	}
	starts := make([][]int64, len(cols))
	for i, c := range cols {
		starts[i] = c.starts
	}
	bounds := segmentStarts(nrows, starts)
	page := make([]int, len(cols)) // current page of each column
	segs = make([]PageSegment, len(bounds))
	for k, lo := range bounds {
		hi := nrows
		if k+1 < len(bounds) {
			hi = bounds[k+1]
		}
		st := FileStats{NumRecords: hi - lo, MinValues: map[string]any{}, MaxValues: map[string]any{}, NullCount: map[string]any{}}
		root := &statsNode{isStruct: true}
		for i, c := range cols {
			for page[i]+1 < len(c.starts) && c.starts[page[i]+1] <= lo {
				page[i]++
			}
			c.addPageStats(&st, root, page[i], hi-lo)
		}
		pruneEmpty(st.MinValues)
		pruneEmpty(st.MaxValues)
		pruneEmpty(st.NullCount)
		st.order = root.children
		tight := true
		st.TightBounds = &tight
		segs[k] = PageSegment{Rows: RowRange{Start: first + lo, End: first + hi}, Stats: st}
	}
	return segs, true, nil
}

// loadPageColumn reads and checks one column's indexes; ok is false when
// it has none or they disagree with each other or the row group.
func loadPageColumn(rgi *metadata.RowGroupPageIndexReader, col int, descr *schema.Column, nrows int64) (pageColumn, bool) {
	ci, err := rgi.GetColumnIndex(col)
	if err != nil || ci == nil {
		return pageColumn{}, false
	}
	oi, err := rgi.GetOffsetIndex(col)
	if err != nil || oi == nil {
		return pageColumn{}, false
	}
	locs := oi.GetPageLocations()
	n := len(locs)
	if n == 0 || len(ci.GetNullPages()) != n || len(ci.GetMinValues()) != n || len(ci.GetMaxValues()) != n ||
		(ci.IsSetNullCounts() && len(ci.GetNullCounts()) != n) {
		return pageColumn{}, false
	}
	starts := make([]int64, n)
	for i, l := range locs {
		starts[i] = l.FirstRowIndex
		if (i == 0 && starts[i] != 0) || (i > 0 && starts[i] <= starts[i-1]) || starts[i] >= nrows {
			return pageColumn{}, false
		}
	}
	return pageColumn{descr: descr, index: ci, starts: starts}, true
}

// segmentStarts merges the page starts of several columns of a row group
// of nrows rows into the sorted, distinct starts of the pieces that lie
// inside one page of each column.
func segmentStarts(nrows int64, pageStarts [][]int64) []int64 {
	out := []int64{0}
	for _, s := range pageStarts {
		for _, v := range s {
			if v > 0 && v < nrows {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// addPageStats records page p's statistics for a piece of rows rows.
func (c pageColumn) addPageStats(st *FileStats, root *statsNode, p int, rows int64) {
	path := c.descr.ColumnPath()
	node := root
	mins, maxs, nulls := st.MinValues, st.MaxValues, st.NullCount
	for _, part := range path[:len(path)-1] {
		node = childNode(node, part, true)
		mins, maxs, nulls = subMap(mins, part), subMap(maxs, part), subMap(nulls, part)
	}
	leaf := path[len(path)-1]
	childNode(node, leaf, false)
	if c.index.GetNullPages()[p] {
		nulls[leaf] = json.Number(strconv.FormatInt(rows, 10))
		return
	}
	if c.index.IsSetNullCounts() && c.index.GetNullCounts()[p] == 0 {
		nulls[leaf] = json.Number("0")
	}
	enc := pageBounds{min: c.index.GetMinValues()[p], max: c.index.GetMaxValues()[p]}
	// Statistics objects hold no buffers that need releasing.
	ts := metadata.NewStatisticsFromEncoded(c.descr, memory.DefaultAllocator, rows, enc)
	if ts == nil || !ts.HasMinMax() {
		return
	}
	if lo, hi, ok := deltaBounds(ts, c.descr); ok {
		mins[leaf], maxs[leaf] = lo, hi
	}
}

// pageBounds presents a page's encoded min and max as statistics.
type pageBounds struct{ min, max []byte }

func (b pageBounds) GetMin() []byte           { return b.min }
func (b pageBounds) GetMax() []byte           { return b.max }
func (b pageBounds) GetNullCount() int64      { return 0 }
func (b pageBounds) GetDistinctCount() int64  { return 0 }
func (b pageBounds) IsSetMax() bool           { return true }
func (b pageBounds) IsSetMin() bool           { return true }
func (b pageBounds) IsSetNullCount() bool     { return false }
func (b pageBounds) IsSetDistinctCount() bool { return false }

// CoalesceRowRanges merges sorted ranges that overlap, touch or are at
// most gap rows apart: reading a few rows more beats seeking again.
func CoalesceRowRanges(rs []RowRange, gap int64) []RowRange {
	var out []RowRange
	for _, r := range rs {
		if r.End <= r.Start {
			continue
		}
		if n := len(out); n > 0 && r.Start-out[n-1].End < gap+1 && r.Start >= out[n-1].Start {
			out[n-1].End = max(out[n-1].End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}
