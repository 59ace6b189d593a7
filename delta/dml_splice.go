package delta

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/rowruns"
)

// Writing a copy-on-write UPDATE's rows in place.
//
// A batch of a rewritten file holds a few updated rows among many kept
// ones. Selecting the kept rows into a batch of their own copies every
// column of 99% of the rows, and writing them and the updated rows as two
// batches doubles the encoder's per-batch work. Instead the updated
// values are spliced into the columns the SET clauses change: every other
// column of the batch is written as it was read, without a copy, and the
// rows keep their order in the file, as Spark's and delta-rs's UPDATE
// keep it.

// spliceRows returns base with the rows where hit is set replaced, in
// order, by the rows of updated, which are the rows of matched (base's
// hit rows) after the SET clauses. A column updated shares with matched
// is unchanged and taken from base as it is. ok is false, with nothing
// allocated, when a changed column's type differs from base's.
func spliceRows(mem memory.Allocator, base arrow.RecordBatch, hit []bool, matched, updated arrow.RecordBatch) (_ arrow.RecordBatch, ok bool, err error) {
	cols := make([]arrow.Array, 0, base.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, col := range base.Columns() {
		if updated.Column(i) == matched.Column(i) {
			col.Retain()
			cols = append(cols, col)
			continue
		}
		if !arrow.TypeEqual(col.DataType(), updated.Column(i).DataType()) {
			return nil, false, nil
		}
		c, err := rowruns.Splice(mem, col, hit, updated.Column(i))
		if err != nil {
			return nil, false, err
		}
		cols = append(cols, c)
	}
	return array.NewRecordBatch(base.Schema(), cols, base.NumRows()), true, nil
}
