package delta

import (
	"context"
	"encoding/json"
	"errors"
	"math"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// A copy-on-write DELETE, UPDATE or MERGE writes every row of a touched
// file that it does not change back out as it was. Row groups holding none of
// the matched rows come out byte for byte the same, so they are copied
// into the new file as they are (parquetio's CopyRowGroup) instead of
// decoded, checked and encoded again: a DELETE of a narrow range
// rewrites the row groups the range touches, not whole files.
//
// Copying skips what writing the rows would have done to them, so it is
// used only where that is nothing: no CHECK constraint or generated
// column to evaluate, NOT NULL columns whose row-group statistics show
// no null, no deletion vector on the file, and a file the writer can
// copy from (written by this library with the same Parquet schema).

// groupCopier copies the unmatched row groups of one file while the
// other row groups are read and rewritten, keeping the file's row order.
type groupCopier struct {
	w     *dataWriter
	pf    *partitionFile
	r     storage.ReaderAt
	src   *parquetio.CopySource
	first []int64 // first file row of each row group
	mode  []groupMode
	next  int // row groups before next are done
	rows  *roaring64.Bitmap
	// upd reads and updates the SET columns of the row groups replaced
	// (groupReplace); nil when none is.
	upd    *fileColumnUpdate
	counts copyCounts
}

// groupMode is how a rewrite treats one row group of a file.
type groupMode uint8

const (
	groupRead    groupMode = iota // decoded and written by the caller
	groupCopy                     // copied as it is
	groupReplace                  // copied with an UPDATE's SET columns encoded anew
)

// copyCounts are the rows a groupCopier handled itself.
type copyCounts struct {
	rows    int64 // in row groups copied or replaced
	matched int64 // of those, the rows an UPDATE changed
	copied  int64 // of those, the rows written back unchanged
}

// planGroupCopy returns the copier of f's unmatched row groups, and the
// row groups left to read (nil when none is copied: read them all).
func (d *dml) planGroupCopy(ctx context.Context, f *protocol.Add, rows *roaring64.Bitmap, cu *columnUpdate) (*groupCopier, []int, error) {
	x := d.x
	if d.useDV || rows == nil || f.DeletionVector != nil || x.opts.MergeSchema || x.opts.OverwriteSchema {
		return nil, nil, nil
	}
	w, err := x.dataWriter()
	if err != nil {
		return nil, nil, err
	}
	if len(w.checks.checks) > 0 || len(w.checks.generated) > 0 {
		return nil, nil, nil
	}
	key, values, err := w.partitionOf(d.snap, f)
	if err != nil {
		return nil, nil, err
	}
	r, err := d.snap.table.openDataFile(ctx, f.Path)
	if err != nil {
		return nil, nil, err
	}
	c, read, err := w.planCopy(key, values, r, rows, cu != nil)
	if err == nil && c != nil && cu != nil {
		c.upd, err = cu.open(ctx, d, f, c)
	}
	if c == nil || err != nil {
		_ = r.Close()
		if errors.Is(err, parquetio.ErrCorruptFile) {
			// The read that follows reports it, with the file's name.
			err = nil
		}
		return nil, nil, err
	}
	return c, read, nil
}

// planCopy marks the row groups of the file r holds that have no row in
// rows and that the partition's writer can copy; with replace, the row
// groups with a row in rows that it can copy are to be replaced.
func (w *dataWriter) planCopy(key string, values map[string]*string, r storage.ReaderAt, rows *roaring64.Bitmap, replace bool) (*groupCopier, []int, error) {
	file, err := parquetio.OpenFile(r, w.mem)
	if err != nil {
		return nil, nil, err
	}
	src, err := file.CopySource()
	if err != nil {
		return nil, nil, err
	}
	pf, err := w.partition(key, values)
	if err != nil {
		return nil, nil, err
	}
	info := file.Info()
	c := &groupCopier{w: w, pf: pf, r: r, src: src, rows: rows, first: make([]int64, len(info.RowGroups)), mode: make([]groupMode, len(info.RowGroups))}
	var read []int
	some := false
	for g, rg := range info.RowGroups {
		c.first[g] = rg.FirstRow
		if rg.NumRows > 0 && w.notNullHolds(values, rg.Stats) && pf.rw.CanCopy(src, g) {
			switch {
			case !hasRowIn(rows, rg.FirstRow, rg.NumRows):
				c.mode[g], some = groupCopy, true
				continue
			case replace:
				c.mode[g], some = groupReplace, true
				continue
			}
		}
		read = append(read, g)
	}
	if !some {
		return nil, nil, nil
	}
	if read == nil {
		read = []int{} // every row group is copied: read none
	}
	return c, read, nil
}

// hasRowIn reports whether rows holds a member in [first, first+n).
func hasRowIn(rows *roaring64.Bitmap, first, n int64) bool {
	below := uint64(0)
	if first > 0 {
		below = rows.Rank(uint64(first - 1))
	}
	return rows.Rank(uint64(first+n-1)) > below
}

// notNullHolds reports whether a row group with these statistics (and
// partition values) meets every NOT NULL constraint without its rows
// being looked at.
func (w *dataWriter) notNullHolds(values map[string]*string, st parquetio.FileStats) bool {
	for _, nn := range w.checks.notNull {
		if len(nn.path) != 1 {
			return false
		}
		field := w.tableSchema.Field(nn.path[0])
		if pc, ok := w.partColumn(nn.path[0]); ok {
			if values[pc.physical] == nil {
				return false
			}
			continue
		}
		n, ok := st.NullCount[w.physicalName(field)].(json.Number)
		if !ok || n != "0" {
			return false
		}
	}
	return true
}

func (w *dataWriter) partColumn(idx int) (partColumn, bool) {
	for _, pc := range w.parts {
		if pc.idx == idx {
			return pc, true
		}
	}
	return partColumn{}, false
}

// physicalName is the name a table column has in data files.
func (w *dataWriter) physicalName(f arrow.Field) string {
	if w.mapping != protocol.ColumnMappingNone {
		if v, ok := f.Metadata.GetValue(parquetio.MetaPhysicalName); ok && v != "" {
			return v
		}
	}
	return f.Name
}

// partitionOf returns the partition key and values the writer gives the
// rows of f: its partition values, parsed and formatted as written rows'
// are, so copies and rewritten rows of one partition share its file.
func (w *dataWriter) partitionOf(s *Snapshot, f *protocol.Add) (string, map[string]*string, error) {
	values := make(map[string]*string, len(w.parts))
	for _, pc := range w.parts {
		field, _ := s.schema.Field(pc.name)
		if field == nil {
			return "", nil, corrupt("partition column %q is not in the schema", pc.name)
		}
		sc, err := s.partitionValue(f, field)
		if err != nil {
			return "", nil, err
		}
		arr, err := scalar.MakeArrayFromScalar(sc, 1, w.mem)
		if err != nil {
			return "", nil, err
		}
		v, err := formatPartitionValue(arr, 0)
		arr.Release()
		if err != nil {
			return "", nil, err
		}
		values[pc.physical] = v
	}
	return writerPartitionKey(w.parts, values), values, nil
}

// copyBefore copies (or replaces) the marked row groups that start
// before file row row, in order.
func (c *groupCopier) copyBefore(ctx context.Context, row int64) error {
	for ; c.next < len(c.mode) && c.first[c.next] < row; c.next++ {
		g, n := c.next, c.src.NumRows(c.next)
		switch c.mode[g] {
		case groupCopy:
			if err := c.w.copyRowGroup(ctx, c.pf, c.src, g); err != nil {
				return err
			}
			c.counts.rows += n
			c.counts.copied += n
		case groupReplace:
			matched, err := c.upd.replace(ctx, c, g)
			if err != nil {
				return err
			}
			c.counts.rows += n
			c.counts.matched += matched
			c.counts.copied += n - matched
		}
	}
	return nil
}

func (c *groupCopier) close() {
	if c.upd != nil {
		c.upd.close()
	}
	_ = c.r.Close()
}

// eachRewrittenBatch is eachLiveBatch for a copy-on-write rewrite whose
// fn writes the rows that do not match back unchanged: row groups without
// a matching row are copied into the partition's new file instead of
// being read, in their place in the file's row order. With cu (an UPDATE
// whose SET columns can be replaced alone), row groups with matching rows
// are copied too, with those columns encoded anew. It returns the rows
// handled that way.
func (d *dml) eachRewrittenBatch(ctx context.Context, f *protocol.Add, fn func(rec arrow.RecordBatch, matched []bool) error, rows *roaring64.Bitmap, cu *columnUpdate) (copyCounts, error) {
	c, read, err := d.planGroupCopy(ctx, f, rows, cu)
	if err != nil {
		return copyCounts{}, err
	}
	if c == nil {
		return copyCounts{}, d.eachLiveBatch(ctx, f, fn, rows, nil)
	}
	defer c.close()
	err = d.eachLiveBatch(ctx, f, fn, rows, &liveRead{groups: read, before: c.copyBefore})
	if err == nil {
		err = c.copyBefore(ctx, math.MaxInt64)
	}
	d.x.metrics.numCopiedRows += c.counts.copied
	return c.counts, err
}

// liveRead narrows eachLiveBatch to some row groups, calling before with
// the file row of each batch's first row before the batch is handled.
type liveRead struct {
	groups []int
	before func(ctx context.Context, row int64) error
}

// firstRowIndex is the file row index of rec's first row (rec has the
// row index as its last column and at least one row).
func firstRowIndex(rec arrow.RecordBatch) int64 {
	return rec.Column(int(rec.NumCols()) - 1).(*array.Int64).Value(0)
}
