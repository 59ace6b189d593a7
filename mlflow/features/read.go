package features

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// ReadOptions select a point-in-time read of a feature table. A nil
// pointer reads the latest value of every key from the current version.
type ReadOptions struct {
	// AsOf, when set, reads each key's newest row with timestamp ≤ AsOf
	// (for a table with a timestamp key).
	AsOf time.Time
	// Version, when set (≥ 0 with HasVersion), reads that table version.
	Version    int64
	HasVersion bool
	// MaxMemory, SpillDir, BatchSize and Allocator are as in
	// TrainingSetOptions.
	MaxMemory int64
	SpillDir  string
	BatchSize int
	Allocator memory.Allocator
}

// ReadLatest returns one row per primary key: the newest by the timestamp
// key (at or before AsOf when set), as a sorted merge that spills past
// MaxMemory. Rows come sorted by key. For a table without a timestamp key
// it returns the table's rows. Release the reader when done.
func ReadLatest(ctx context.Context, ft *FeatureTable, opts *ReadOptions) (array.RecordReader, error) {
	var o ReadOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxMemory <= 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	if o.BatchSize <= 0 {
		o.BatchSize = defaultBatchSize
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	var snap *delta.Snapshot
	var err error
	if o.HasVersion {
		snap, err = ft.table.SnapshotAt(ctx, o.Version)
	} else {
		snap, err = ft.table.Snapshot(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("features: read %s: %w", ft.Name(), err)
	}
	var filter expr.Expr
	if !o.AsOf.IsZero() && ft.timestampKey != "" {
		filter = expr.Col(ft.timestampKey).Le(expr.Lit(o.AsOf))
	}
	scan, err := snap.Scan(ctx, &delta.ScanOptions{Filter: filter})
	if err != nil {
		return nil, fmt.Errorf("features: read %s: %w", ft.Name(), err)
	}
	defer scan.Release()
	dir, err := spillDir(o.SpillDir)
	if err != nil {
		return nil, err
	}
	out := scan.Schema()
	fields := append([]arrow.Field{{Name: keyCol, Type: arrow.BinaryTypes.Binary}, {Name: tsCol, Type: arrow.PrimitiveTypes.Int64}}, out.Fields()...)
	schema := arrow.NewSchema(fields, nil)
	s := newExtSorter(o.Allocator, schema, 2, o.MaxMemory, dir, o.BatchSize, nil)
	fail := func(err error) (array.RecordReader, error) {
		for _, b := range s.buf {
			b.Release()
		}
		_ = os.RemoveAll(dir)
		return nil, err
	}
	keyIdx := make([]int, len(ft.keys))
	for i, k := range ft.keys {
		keyIdx[i] = slices.IndexFunc(out.Fields(), func(f arrow.Field) bool { return f.Name == k })
	}
	tsIdx := slices.IndexFunc(out.Fields(), func(f arrow.Field) bool { return f.Name == ft.timestampKey })
	for scan.Next() {
		rec := scan.RecordBatch()
		n := int(rec.NumRows())
		kc := make([]arrow.Array, len(keyIdx))
		for i, c := range keyIdx {
			kc[i] = rec.Column(c)
		}
		cols := []arrow.Array{encodeKeys(o.Allocator, kc, n)}
		if tsIdx >= 0 {
			cols = append(cols, timeColumn(o.Allocator, rec.Column(tsIdx), n, 0))
		} else {
			cols = append(cols, timeColumn(o.Allocator, nil, n, 0))
		}
		for _, c := range rec.Columns() {
			c.Retain()
			cols = append(cols, c)
		}
		kr := array.NewRecordBatch(schema, cols, int64(n))
		for _, c := range cols {
			c.Release()
		}
		err := s.add(kr)
		kr.Release()
		if err != nil {
			return fail(err)
		}
	}
	if err := scan.Err(); err != nil {
		return fail(fmt.Errorf("features: read %s: %w", ft.Name(), err))
	}
	sorted, err := s.finish(ctx)
	if err != nil {
		return fail(err)
	}
	cols := make([]int, out.NumFields())
	for i := range cols {
		cols[i] = i + 2
	}
	return &latestReader{ctx: ctx, in: sorted, schema: out, dir: dir, refs: 1,
		g: newGatherer(o.Allocator, fieldTypes(out), cols, o.BatchSize)}, nil
}

// latestReader keeps the last row of each key of a (key, time) sorted
// stream.
type latestReader struct {
	ctx     context.Context
	in      array.RecordReader
	schema  *arrow.Schema
	dir     string
	g       *gatherer
	prev    arrow.RecordBatch // batch holding the pending row
	prevRow int
	prevKey []byte
	rec     arrow.RecordBatch
	err     error
	done    bool
	refs    int64
}

func (r *latestReader) Schema() *arrow.Schema          { return r.schema }
func (r *latestReader) RecordBatch() arrow.RecordBatch { return r.rec }
func (r *latestReader) Record() arrow.RecordBatch      { return r.rec }
func (r *latestReader) Err() error                     { return r.err }
func (r *latestReader) Retain()                        { atomic.AddInt64(&r.refs, 1) }

func (r *latestReader) Release() {
	if atomic.AddInt64(&r.refs, -1) != 0 {
		return
	}
	if r.rec != nil {
		r.rec.Release()
	}
	if r.prev != nil {
		r.prev.Release()
	}
	r.g.release()
	r.in.Release()
	_ = os.RemoveAll(r.dir)
}

func (r *latestReader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	for !r.done && !r.g.full() {
		if !r.in.Next() {
			r.done = true
			if err := r.in.Err(); err != nil {
				r.err = err
				return false
			}
			if r.prev != nil {
				r.g.add(r.prev, r.prevRow)
			}
			break
		}
		b := r.in.RecordBatch()
		keys := b.Column(0).(*array.Binary)
		for i := range int(b.NumRows()) {
			k := keys.Value(i)
			if r.prev != nil && string(k) != string(r.prevKey) {
				r.g.add(r.prev, r.prevRow) // the previous key's last row
			}
			if r.prev != b {
				if r.prev != nil {
					r.prev.Release()
				}
				b.Retain()
				r.prev = b
			}
			r.prevRow = i
			r.prevKey = append(r.prevKey[:0], k...)
		}
	}
	if r.g.len() == 0 {
		return false
	}
	cols, n, err := r.g.flush(r.ctx)
	if err != nil {
		r.err = err
		return false
	}
	r.rec = array.NewRecordBatch(r.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return true
}

// Lookup returns, for every row of keys, the feature values of ft as of
// the time in column timestampKey of keys (or the latest, when
// timestampKey is ""): a training set with a single lookup.
func Lookup(ctx context.Context, ft *FeatureTable, keys array.RecordReader, lookupKey []string, timestampKey string, opts *TrainingSetOptions) (array.RecordReader, error) {
	ts, err := CreateTrainingSet(ctx, keys, []FeatureLookup{{Table: ft, LookupKey: lookupKey, TimestampLookupKey: timestampKey}}, opts)
	if err != nil {
		return nil, err
	}
	return ts.Records(ctx)
}
