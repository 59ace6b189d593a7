package parquetio

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Reading row ranges: every column reader of a row group with ranges
// moves to the first row of each range. With an offset index a seek jumps
// straight to the page holding that row, so the pages before it are
// neither decompressed nor decoded; without one the reader walks the page
// headers. Batches stop at the end of each range (a batch never spans two
// ranges), so two reads with the same ranges cut batches alike.

func checkRowRanges(rs []RowRange, total int64) error {
	var prev int64
	for i, r := range rs {
		if r.Start < 0 || r.End <= r.Start || r.End > total || (i > 0 && r.Start < prev) {
			return fmt.Errorf("%w: row range %d [%d, %d) in a file of %d rows after [.., %d)", ErrInvalidOptions, i, r.Start, r.End, total, prev)
		}
		prev = r.End
	}
	return nil
}

// groupRanges returns the ranges clipped to the rows [lo, hi).
func groupRanges(rs []RowRange, lo, hi int64) []RowRange {
	var out []RowRange
	for _, r := range rs {
		s, e := max(r.Start, lo), min(r.End, hi)
		if s < e {
			out = append(out, RowRange{Start: s, End: e})
		}
	}
	return out
}

// openGroupRanges opens row group g for reading only r.ranges. A group
// no range touches is left closed, so nextRaw moves on to the next one.
func (r *recordReader) openGroupRanges(g int, nrows int64) error {
	rs := groupRanges(r.ranges, r.starts[g], r.starts[g]+nrows)
	if len(rs) == 0 {
		return nil
	}
	if err := r.openInt96(g); err != nil {
		return err
	}
	r.pending = rs
	if len(r.leaves) == 0 {
		return r.nextCountRange()
	}
	readers, sc, err := r.fr.GetFieldReaders(r.ctx, r.leaves, []int{g})
	if err != nil {
		return fmt.Errorf("parquetio: open row group %d: %w", g, err)
	}
	r.rg = &rangeGroup{readers: readers, schema: sc, pos: make([]int64, len(readers))}
	return r.seekRange()
}

// rangeGroup reads the leaf columns of one row group field by field, so
// that each field can move to a row on its own: flat fields seek (a jump
// to the page holding the row, through the offset index), fields with
// lists or maps inside read and drop the rows in between, because
// arrow-go's seek loses track of their repetition levels.
type rangeGroup struct {
	readers []*pqarrow.ColumnReader
	schema  *arrow.Schema
	pos     []int64 // next row of each reader, relative to the group
}

func (g *rangeGroup) release() {
	for _, rd := range g.readers {
		rd.Release()
	}
	g.readers = nil
}

// moveTo positions every reader at row at of the group.
func (g *rangeGroup) moveTo(at int64) error {
	for i, rd := range g.readers {
		switch {
		case g.pos[i] == at:
		case !rd.IsOrHasRepeatedChild():
			if err := rd.SeekToRow(at); err != nil {
				return err
			}
		case g.pos[i] < at:
			skipped, err := rd.NextBatch(at - g.pos[i])
			if err != nil {
				return err
			}
			n := skipped.Len()
			skipped.Release()
			if int64(n) != at-g.pos[i] {
				return fmt.Errorf("%w: column %s ended after %d of %d rows", ErrCorruptFile, g.schema.Field(i).Name, n, at-g.pos[i])
			}
		default:
			return fmt.Errorf("parquetio: column %s cannot go back from row %d to %d", g.schema.Field(i).Name, g.pos[i], at)
		}
		g.pos[i] = at
	}
	return nil
}

// read decodes the next n rows of every reader as one batch.
func (g *rangeGroup) read(mem memory.Allocator, n int64) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, 0, len(g.readers))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, rd := range g.readers {
		chunks, err := rd.NextBatch(n)
		if err != nil {
			return nil, err
		}
		var col arrow.Array
		switch len(chunks.Chunks()) {
		case 1:
			col = chunks.Chunk(0)
			col.Retain()
		default:
			col, err = array.Concatenate(chunks.Chunks(), mem)
		}
		chunks.Release()
		if err != nil {
			return nil, err
		}
		cols = append(cols, col)
		if int64(col.Len()) != n {
			return nil, fmt.Errorf("%w: column %s gave %d of %d rows", ErrCorruptFile, g.schema.Field(i).Name, col.Len(), n)
		}
		g.pos[i] += n
	}
	return array.NewRecordBatch(g.schema, cols, n), nil
}

// seekRange moves every column of the current group to the next pending
// range.
func (r *recordReader) seekRange() error {
	x := r.pending[0]
	r.pending = r.pending[1:]
	at := x.Start - r.starts[r.curGroup]
	if r.rg != nil {
		if err := r.rg.moveTo(at); err != nil {
			return fmt.Errorf("parquetio: row group %d: seek to row %d: %w", r.curGroup, at, err)
		}
	}
	for _, c := range r.int96 {
		if err := c.reader.SeekToRow(at); err != nil {
			return fmt.Errorf("parquetio: row group %d: seek INT96 column to row %d: %w", r.curGroup, at, err)
		}
	}
	r.nextRow, r.rangeEnd = x.Start, x.End
	return nil
}

// nextCountRange starts the next range of a group read without leaf
// columns, where batches are only row counts.
func (r *recordReader) nextCountRange() error {
	if len(r.pending) == 0 {
		r.rangeEnd = 0
		return nil
	}
	if err := r.seekRange(); err != nil {
		return err
	}
	r.remaining = r.rangeEnd - r.nextRow
	return nil
}

// nextInRange returns the next batch of the current group's ranges; ok
// is false after the last range.
func (r *recordReader) nextInRange() (rec arrow.RecordBatch, start int64, ok bool, err error) {
	if r.nextRow >= r.rangeEnd {
		if len(r.pending) == 0 {
			return nil, 0, false, nil
		}
		if err := r.seekRange(); err != nil {
			return nil, 0, false, err
		}
	}
	n := min(r.batchSize, r.rangeEnd-r.nextRow)
	rec, err = r.rg.read(r.mem, n)
	if err != nil {
		return nil, 0, false, fmt.Errorf("parquetio: read row group %d: %w", r.curGroup, err)
	}
	start = r.nextRow
	r.nextRow += n
	return rec, start, true, nil
}
