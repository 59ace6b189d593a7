package features

import (
	"bytes"
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// pitJoin is the point-in-time join as a sorted merge. labels are sorted
// by (__k, __t, __r) with those three columns; features are sorted by
// (__k, __t) followed by the feature columns. For every label row it
// finds the last feature row whose (key, time) is ≤ the label's; that row
// matches when its key equals the label's and the label time minus its
// time is at most lookback (0: any). Tables without a timestamp key have
// __t = 0 on both sides, which makes this an exact-match join. emit gets
// the label row numbers and the matched feature columns (NULL for no
// match), in label sort order; it must release them.
//
// Memory: one label batch, the current feature batch, and the feature
// batches the gatherer pins (at most maxGatherBatches).
func pitJoin(ctx context.Context, mem memory.Allocator, labels, feats array.RecordReader, lookback int64, batchSize int,
	emit func(r arrow.Array, cols []arrow.Array) error) error {
	nf := feats.Schema().NumFields() - 2
	types := fieldTypes(feats.Schema())[2:]
	cols := make([]int, nf)
	for i := range cols {
		cols[i] = i + 2
	}
	g := newGatherer(mem, types, cols, batchSize)
	defer g.release()
	rb := array.NewInt64Builder(mem)
	defer rb.Release()

	flush := func() error {
		r := rb.NewInt64Array()
		out, _, err := g.flush(ctx)
		if err != nil {
			r.Release()
			return err
		}
		return emit(r, out)
	}

	// The feature cursor and the last feature row passed.
	var fb arrow.RecordBatch
	fi := 0
	fdone := false
	var last arrow.RecordBatch
	lastRow := 0
	var lastKey []byte
	var lastT int64
	defer func() {
		if last != nil {
			last.Release()
		}
	}()
	nextFeature := func() bool {
		for fb == nil || fi >= int(fb.NumRows()) {
			if fdone || !feats.Next() {
				fdone = true
				return false
			}
			fb, fi = feats.RecordBatch(), 0
		}
		return true
	}

	for labels.Next() {
		lb := labels.RecordBatch()
		lk := lb.Column(0).(*array.Binary)
		lt := lb.Column(1).(*array.Int64)
		lr := lb.Column(2).(*array.Int64)
		for i := range int(lb.NumRows()) {
			key, t := lk.Value(i), lt.Value(i)
			if t != noTime {
				for nextFeature() {
					fk := fb.Column(0).(*array.Binary).Value(fi)
					ft := fb.Column(1).(*array.Int64).Value(fi)
					c := bytes.Compare(fk, key)
					if c > 0 || (c == 0 && ft > t) {
						break
					}
					if last != fb {
						if last != nil {
							last.Release()
						}
						fb.Retain()
						last = fb
					}
					lastRow, lastT = fi, ft
					lastKey = append(lastKey[:0], fk...)
					fi++
				}
			}
			rb.Append(lr.Value(i))
			if t != noTime && last != nil && bytes.Equal(lastKey, key) && (lookback <= 0 || t-lastT <= lookback) {
				g.add(last, lastRow)
			} else {
				g.addNull()
			}
			if g.full() {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := labels.Err(); err != nil {
		return err
	}
	if err := feats.Err(); err != nil {
		return err
	}
	if g.len() > 0 {
		return flush()
	}
	return nil
}
