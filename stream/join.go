package stream

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
)

// JoinType is the kind of a stream–static join.
type JoinType int

const (
	// InnerJoin keeps stream rows with a match.
	InnerJoin JoinType = iota
	// LeftOuterJoin keeps every stream row, with nulls when unmatched.
	LeftOuterJoin
)

// StaticLoader returns the static side of a stream–static join. It is
// called for every batch, so a table that changes is seen as of each
// batch, as Spark re-reads a static Delta table per micro-batch.
type StaticLoader func(ctx context.Context) (array.RecordReader, error)

// StaticDelta loads the latest snapshot of a Delta table for each batch.
func StaticDelta(url string, opts *delta.Options) StaticLoader {
	return func(ctx context.Context) (array.RecordReader, error) {
		tbl, err := delta.Open(ctx, url, opts)
		if err != nil {
			return nil, err
		}
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			_ = tbl.Close()
			return nil, err
		}
		rr, err := snap.Scan(ctx, nil)
		if err != nil {
			_ = tbl.Close()
			return nil, err
		}
		return &closingReader{RecordReader: rr, close: tbl.Close}, nil
	}
}

// closingReader closes what backs a reader when the reader is released.
type closingReader struct {
	array.RecordReader
	close func() error
	refs  atomic.Int64
}

func (r *closingReader) Retain() { r.refs.Add(1); r.RecordReader.Retain() }

func (r *closingReader) Release() {
	r.RecordReader.Release()
	if r.refs.Add(-1) == -1 {
		_ = r.close()
	}
}

// JoinStatic joins each batch with a static table on equal values of the
// columns on (Spark's stream.join(static, on, how)): the output has the
// stream's columns, then the static side's other columns. Null keys match
// nothing. The static side is held in memory while a batch is joined.
func (p *Pipeline) JoinStatic(load StaticLoader, on []string, how JoinType) *Pipeline {
	if load == nil || len(on) == 0 {
		p.fail(fmt.Errorf("%w: a join needs a static side and key columns", ErrInvalidArgument))
		return p
	}
	p.steps = append(p.steps, &joinStep{load: load, on: on, how: how})
	return p
}

type joinStep struct {
	load StaticLoader
	on   []string
	how  JoinType
}

func (j *joinStep) apply(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	right, err := j.readStatic(ctx, mem)
	if err != nil {
		return nil, err
	}
	defer right.Release()
	lcols, err := columnIndices(in.Schema(), j.on)
	if err != nil {
		return nil, err
	}
	rcols, err := columnIndices(right.Schema(), j.on)
	if err != nil {
		return nil, fmt.Errorf("%w (static side)", err)
	}
	index := map[string][]int64{}
	for i := 0; i < int(right.NumRows()); i++ {
		if k, ok := joinKey(right, rcols, i); ok {
			index[k] = append(index[k], int64(i))
		}
	}
	lb, rb := array.NewInt64Builder(mem), array.NewInt64Builder(mem)
	defer lb.Release()
	defer rb.Release()
	for i := 0; i < int(in.NumRows()); i++ {
		var matches []int64
		if k, ok := joinKey(in, lcols, i); ok {
			matches = index[k]
		}
		for _, m := range matches {
			lb.Append(int64(i))
			rb.Append(m)
		}
		if len(matches) == 0 && j.how == LeftOuterJoin {
			lb.Append(int64(i))
			rb.AppendNull()
		}
	}
	lidx, ridx := lb.NewInt64Array(), rb.NewInt64Array()
	defer lidx.Release()
	defer ridx.Release()

	isKey := map[int]bool{}
	for _, c := range rcols {
		isKey[c] = true
	}
	fields := append([]arrow.Field(nil), in.Schema().Fields()...)
	var cols []arrow.Array
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	cctx := compute.WithAllocator(ctx, mem)
	for c := range in.Columns() {
		a, err := compute.TakeArray(cctx, in.Column(c), lidx)
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
	}
	for c, f := range right.Schema().Fields() {
		if isKey[c] {
			continue
		}
		for _, lf := range in.Schema().Fields() {
			if strings.EqualFold(lf.Name, f.Name) {
				return nil, fmt.Errorf("%w: column %q is on both sides of the join", ErrInvalidArgument, f.Name)
			}
		}
		a, err := compute.TakeArray(cctx, right.Column(c), ridx)
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
		f.Nullable = f.Nullable || j.how == LeftOuterJoin
		fields = append(fields, f)
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(lidx.Len())), nil
}

// readStatic loads the static side as one batch.
func (j *joinStep) readStatic(ctx context.Context, mem memory.Allocator) (arrow.RecordBatch, error) {
	rr, err := j.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w (static side of the join)", err)
	}
	defer rr.Release()
	var recs []arrow.RecordBatch
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for rr.Next() {
		r := rr.RecordBatch()
		r.Retain()
		recs = append(recs, r)
	}
	if err := rr.Err(); err != nil {
		return nil, fmt.Errorf("%w (static side of the join)", err)
	}
	schema := rr.Schema()
	cols := make([]arrow.Array, schema.NumFields())
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	for c := range cols {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(c)
		}
		var a arrow.Array
		if len(parts) == 0 {
			b := array.NewBuilder(mem, schema.Field(c).Type)
			a = b.NewArray()
			b.Release()
		} else if a, err = array.Concatenate(parts, mem); err != nil {
			for _, done := range cols[:c] {
				done.Release()
			}
			return nil, err
		}
		cols[c] = a
	}
	out := array.NewRecordBatch(schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// joinKey is a row's key text; false when any key column is null.
func joinKey(rec arrow.RecordBatch, cols []int, i int) (string, bool) {
	for _, c := range cols {
		if rec.Column(c).IsNull(i) {
			return "", false
		}
	}
	k, _ := rowKey(rec, cols, i)
	return k, true
}
