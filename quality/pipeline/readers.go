package pipeline

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// mapReader applies fn to each batch of rr; fn's result is owned by the
// reader, its input is not.
func mapReader(rr array.RecordReader, schema *arrow.Schema, fn func(arrow.RecordBatch) (arrow.RecordBatch, error)) array.RecordReader {
	return &chainReader{parts: []array.RecordReader{rr}, schema: schema, fn: fn, refs: 1}
}

// concatReaders reads the parts one after the other. Their columns must
// agree in names and types; batches are relabelled with the first part's
// schema. It takes ownership of the parts.
func concatReaders(parts []array.RecordReader) (array.RecordReader, error) {
	if len(parts) == 0 {
		return nil, fmt.Errorf("pipeline: nothing to read")
	}
	schema := parts[0].Schema()
	for _, p := range parts[1:] {
		if !sameColumns(schema, p.Schema()) {
			for _, q := range parts {
				q.Release()
			}
			return nil, fmt.Errorf("pipeline: committed and staged rows differ in columns: [%s] and [%s]", schema, p.Schema())
		}
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return &chainReader{parts: parts, schema: schema, refs: 1}, nil
}

// chainReader reads parts in order, optionally mapping each batch.
type chainReader struct {
	parts  []array.RecordReader
	schema *arrow.Schema
	fn     func(arrow.RecordBatch) (arrow.RecordBatch, error)
	cur    arrow.RecordBatch
	err    error
	refs   int64
}

func (r *chainReader) Retain() { atomic.AddInt64(&r.refs, 1) }

func (r *chainReader) Release() {
	if atomic.AddInt64(&r.refs, -1) != 0 {
		return
	}
	r.clear()
	for _, p := range r.parts {
		p.Release()
	}
	r.parts = nil
}

func (r *chainReader) clear() {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *chainReader) Schema() *arrow.Schema          { return r.schema }
func (r *chainReader) RecordBatch() arrow.RecordBatch { return r.cur }

// Record is RecordBatch, for the older name of the interface method.
func (r *chainReader) Record() arrow.RecordBatch { return r.cur }
func (r *chainReader) Err() error                { return r.err }

func (r *chainReader) Next() bool {
	r.clear()
	for r.err == nil && len(r.parts) > 0 {
		p := r.parts[0]
		if !p.Next() {
			if err := p.Err(); err != nil {
				r.err = err
				return false
			}
			p.Release()
			r.parts = r.parts[1:]
			continue
		}
		rec := p.RecordBatch()
		if r.fn != nil {
			out, err := r.fn(rec)
			if err != nil {
				r.err = err
				return false
			}
			r.cur = out
		} else {
			if !r.schema.Equal(rec.Schema()) {
				r.cur = array.NewRecordBatch(r.schema, rec.Columns(), rec.NumRows())
			} else {
				rec.Retain()
				r.cur = rec
			}
		}
		if r.cur.NumRows() == 0 {
			r.clear()
			continue
		}
		return true
	}
	return false
}
