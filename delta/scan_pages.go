package delta

import (
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Page pruning: inside a row group that survives its statistics, the
// Parquet page index (min, max and null count of every page) rules out
// runs of rows the same way, and only the rest is decoded. The pieces are
// judged by the same skipper as files and row groups, so the evaluation
// stays as conservative as theirs.

// pageSeekGap is how many rows apart two kept runs may be and still be
// read as one: each seek re-fetches the column chunk (arrow-go opens a
// new page reader), which costs about as much as decoding a few pages.
// A variable so tests can make every gap a seek.
var pageSeekGap int64 = 32 << 10

// pagePruner decides which rows of a file's row groups to read.
type pagePruner struct {
	columns  []string // physical names of the filter's data columns
	mayMatch func(parquetio.FileStats) bool
}

// newPagePruner returns nil when the plan cannot prune pages: no
// skipper, page pruning turned off, or id column mapping (file column
// names need not be the physical names the statistics lookup uses).
func (s *Snapshot) newPagePruner(p *scanPlan, f *protocol.Add) *pagePruner {
	if p.skipper == nil || p.noPageIndex || s.mapping == protocol.ColumnMappingID || p.late == nil {
		return nil
	}
	pp := &pagePruner{mayMatch: func(st parquetio.FileStats) bool {
		return p.skipper.MayMatch(s.rowGroupStatsSource(f, st))
	}}
	for _, fld := range p.late.filterData.Fields() {
		if sf, _ := s.schema.Field(fld.Name); sf != nil {
			pp.columns = append(pp.columns, sf.PhysicalName(s.mapping))
		}
	}
	if len(pp.columns) == 0 {
		return nil
	}
	return pp
}

// ranges returns the rows of row group rg worth reading: nil to read it
// whole, and none true when no page can match.
func (pp *pagePruner) ranges(file *parquetio.File, rg int, counts *groupCounts) (rs []parquetio.RowRange, none bool) {
	if pp == nil {
		return nil, false
	}
	// An unreadable page index only costs pruning; reading the group
	// reports a corrupt file.
	segs, ok, err := file.PageSegments(rg, pp.columns)
	if err != nil || !ok || len(segs) < 2 {
		return nil, false
	}
	keep := make([]bool, len(segs))
	for i, sg := range segs {
		keep[i] = pp.mayMatch(sg.Stats)
	}
	rs, skipped := keptRanges(segs, keep, pageSeekGap)
	counts.pagesPruned.Add(skipped)
	switch {
	case len(rs) == 0:
		return nil, true
	case len(rs) == 1 && rs[0] == (parquetio.RowRange{Start: segs[0].Rows.Start, End: segs[len(segs)-1].Rows.End}):
		return nil, false
	}
	return rs, false
}

// keptRanges merges the rows of the kept pieces into ranges, joining
// those at most gap rows apart, and counts the pieces left out.
func keptRanges(segs []parquetio.PageSegment, keep []bool, gap int64) ([]parquetio.RowRange, int64) {
	var rs []parquetio.RowRange
	var skipped int64
	for i, sg := range segs {
		if keep[i] {
			rs = append(rs, sg.Rows)
		}
	}
	rs = parquetio.CoalesceRowRanges(rs, gap)
	// Count what the merged ranges do not cover, not what the predicate
	// rejected: a rejected piece inside a merged range is still read.
	for _, sg := range segs {
		covered := false
		for _, r := range rs {
			if sg.Rows.Start >= r.Start && sg.Rows.End <= r.End {
				covered = true
				break
			}
		}
		if !covered {
			skipped++
		}
	}
	return rs, skipped
}
