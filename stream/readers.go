package stream

import (
	"context"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// chainReader reads a sequence of readers opened one at a time, so only
// one part's data is held at once. Its schema is the first part's.
type chainReader struct {
	ctx    context.Context
	schema *arrow.Schema
	parts  []func(context.Context) (array.RecordReader, error)
	cur    array.RecordReader
	rec    arrow.RecordBatch
	err    error
	refs   int64
}

func newChainReader(ctx context.Context, schema *arrow.Schema, parts []func(context.Context) (array.RecordReader, error)) *chainReader {
	return &chainReader{ctx: ctx, schema: schema, parts: parts, refs: 1}
}

func (r *chainReader) Retain()                        { atomic.AddInt64(&r.refs, 1) }
func (r *chainReader) Schema() *arrow.Schema          { return r.schema }
func (r *chainReader) RecordBatch() arrow.RecordBatch { return r.rec }
func (r *chainReader) Record() arrow.RecordBatch      { return r.rec }
func (r *chainReader) Err() error                     { return r.err }

func (r *chainReader) Release() {
	if atomic.AddInt64(&r.refs, -1) == 0 {
		r.close()
	}
}

func (r *chainReader) close() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	r.rec = nil
}

func (r *chainReader) Next() bool {
	if r.err != nil {
		return false
	}
	for {
		if r.cur != nil {
			if r.cur.Next() {
				r.rec = r.cur.RecordBatch()
				return true
			}
			if err := r.cur.Err(); err != nil {
				r.err = err
				r.close()
				return false
			}
			r.cur.Release()
			r.cur = nil
		}
		r.rec = nil
		if len(r.parts) == 0 {
			return false
		}
		open := r.parts[0]
		r.parts = r.parts[1:]
		rr, err := open(r.ctx)
		if err != nil {
			r.err = err
			return false
		}
		r.cur = rr
	}
}
