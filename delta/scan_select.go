package delta

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

// selectDensity is the share of a row group's rows (one in selectDensity)
// below which a filtered scan reads the columns its filter does not use
// for the matching rows only (parquetio.File.ReadRows) instead of decoding
// the whole group and dropping the rest. Reading row by row costs more per
// row read than decoding a page in bulk, but nothing at all for the rows
// skipped: past about one row in eight the bulk decode wins.
const selectDensity = 8

// readRestRows reads the late filter's other columns (lf.rest) for rows,
// indexes within row group rg in ascending order, when the selection is
// sparse enough and every column can be read that way; ok is false when
// the caller should decode the group whole instead. Files with deleted rows
// take the whole-group path: their filter batches are already missing the
// deleted rows, so batch positions are not group rows.
func (g *groupRows) readRestRows(rg int, rows []int32) (rec arrow.RecordBatch, ok bool, err error) {
	lf := g.plan.late
	if g.noSelect || lf.rest.NumFields() == 0 || (g.deleted != nil && !g.deleted.IsEmpty()) {
		return nil, false, nil
	}
	if int64(len(rows))*selectDensity > g.groupRows[rg] {
		return nil, false, nil
	}
	rec, ok, err = g.readRows(rg, rows, lf.rest)
	if err != nil {
		return nil, false, g.wrap(err)
	}
	if ok {
		g.plan.groups.selected.Add(1)
	}
	return rec, ok, nil
}

// readRows reads the given rows of row group rg, the columns of schema,
// into page buffers kept from one row group of the file to the next.
func (g *groupRows) readRows(rg int, rows []int32, schema *arrow.Schema) (arrow.RecordBatch, bool, error) {
	if g.pageBufs == nil {
		g.pageBufs = g.plan.pageBufs.get(g.plan.mem)
	}
	return g.file.ReadRows(g.ctx, rg, rows, &parquetio.ReadOptions{Schema: schema, ColumnMapping: g.mapping, Allocator: g.plan.mem, PageBuffers: g.pageBufs})
}

// sliceColumn returns rows [from, from+n) of column c of rec.
func sliceColumn(rec arrow.RecordBatch, c int, from, n int) arrow.Array {
	return array.NewSlice(rec.Column(c), int64(from), int64(from+n))
}

// groupPositions maps positions in the concatenated batches of a row
// group read over ranges (file rows; nil means the whole group) to rows
// of the group; first is the group's first file row.
type groupPositions struct {
	ranges []parquetio.RowRange
	first  int64
	r      int   // current range
	base   int64 // position of ranges[r]'s first row
}

// row returns the group row of position p; positions must not decrease.
func (gp *groupPositions) row(p int64) int32 {
	if gp.ranges == nil {
		return int32(p)
	}
	for {
		rg := gp.ranges[gp.r]
		if n := rg.End - rg.Start; p < gp.base+n {
			return int32(rg.Start + (p - gp.base) - gp.first)
		}
		gp.base += rg.End - rg.Start
		gp.r++
	}
}

// pageBufferPool hands the page buffers of files a scan is done with to
// the files it opens next, so a scan grows them to its largest chunk once
// instead of allocating and zeroing them again for every file. A nil pool
// gives every file buffers of its own.
type pageBufferPool struct {
	mu   sync.Mutex
	free []*parquetio.PageBuffers
}

func (p *pageBufferPool) get(mem memory.Allocator) *parquetio.PageBuffers {
	if p != nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		if n := len(p.free); n > 0 {
			b := p.free[n-1]
			p.free = p.free[:n-1]
			return b
		}
	}
	return parquetio.NewPageBuffers(mem)
}

// put takes back b, which a file read has finished with.
func (p *pageBufferPool) put(b *parquetio.PageBuffers) {
	if p == nil {
		b.Release()
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.free = append(p.free, b)
}

// release frees the pooled buffers, once every file read has stopped.
func (p *pageBufferPool) release() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.free {
		b.Release()
	}
	p.free = nil
}
