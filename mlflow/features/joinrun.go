package features

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

var (
	labelSortSchema = arrow.NewSchema([]arrow.Field{
		{Name: keyCol, Type: arrow.BinaryTypes.Binary}, {Name: tsCol, Type: arrow.PrimitiveTypes.Int64}, {Name: rowCol, Type: arrow.PrimitiveTypes.Int64},
	}, nil)
)

// run executes the join:
//
//  1. one pass over the labels writes them, in order, to a spill file and
//     feeds each lookup's label sort with (key, time, row number);
//  2. per lookup, the feature table is scanned into a sort by (key,
//     time), the two sorted streams are merged (pitJoin), and the result
//     is sorted back by row number;
//  3. the reader zips the labels with every lookup's row-ordered result.
func (j *joinRun) run(ctx context.Context) (array.RecordReader, error) {
	ts := j.ts
	sorters := make([]*extSorter, len(ts.lookups))
	for i := range sorters {
		sorters[i] = newExtSorter(j.mem, labelSortSchema, 3, j.budget(), j.dir, ts.opts.BatchSize, &ts.spilled)
	}
	defer func() {
		for _, s := range sorters {
			for _, b := range s.buf {
				b.Release()
			}
		}
	}()
	sf, err := newSpillFile(j.dir, "labels", ts.labels.Schema(), j.mem)
	if err != nil {
		return nil, err
	}
	j.labels = sf.path
	var row int64
	for ts.labels.Next() {
		rec := ts.labels.RecordBatch()
		if err := sf.write(rec); err != nil {
			_ = sf.finish()
			return nil, err
		}
		n := int(rec.NumRows())
		rows := array.NewInt64Builder(j.mem)
		for i := range n {
			rows.Append(row + int64(i))
		}
		ra := rows.NewInt64Array()
		rows.Release()
		row += int64(n)
		for li, l := range ts.lookups {
			keyCols := make([]arrow.Array, len(l.labelKey))
			for k, c := range l.labelKey {
				keyCols[k] = rec.Column(c)
			}
			ka := encodeKeys(j.mem, keyCols, n)
			var ta *array.Int64
			switch {
			case l.labelTS >= 0:
				ta = timeColumn(j.mem, rec.Column(l.labelTS), n, 0)
			case l.tableTS:
				ta = timeColumn(j.mem, nil, n, latest)
			default:
				ta = timeColumn(j.mem, nil, n, 0)
			}
			kr := array.NewRecordBatch(labelSortSchema, []arrow.Array{ka, ta, ra}, int64(n))
			ka.Release()
			ta.Release()
			err := sorters[li].add(kr)
			kr.Release()
			if err != nil {
				ra.Release()
				_ = sf.finish()
				return nil, err
			}
		}
		ra.Release()
	}
	if err := ts.labels.Err(); err != nil {
		_ = sf.finish()
		return nil, fmt.Errorf("features: read labels: %w", err)
	}
	if err := sf.finish(); err != nil {
		return nil, err
	}
	for li, l := range ts.lookups {
		sorted, err := sorters[li].finish(ctx)
		if err != nil {
			return nil, err
		}
		res, err := j.lookup(ctx, l, sorted)
		sorted.Release()
		if err != nil {
			return nil, err
		}
		j.results = append(j.results, res)
	}
	return j.zip(ctx)
}

// lookup joins one lookup and returns its features sorted by label row.
func (j *joinRun) lookup(ctx context.Context, l resolvedLookup, labels array.RecordReader) (array.RecordReader, error) {
	feats, err := j.sortFeatures(ctx, l)
	if err != nil {
		return nil, err
	}
	defer feats.Release()
	fields := []arrow.Field{{Name: rowCol, Type: arrow.PrimitiveTypes.Int64}}
	for i, n := range l.outNames {
		fields = append(fields, arrow.Field{Name: n, Type: l.outTypes[i], Nullable: true})
	}
	schema := arrow.NewSchema(fields, nil)
	rows := newExtSorter(j.mem, schema, 1, j.budget(), j.dir, j.ts.opts.BatchSize, &j.ts.spilled)
	defer func() {
		for _, b := range rows.buf {
			b.Release()
		}
	}()
	var lookback int64
	if l.labelTS >= 0 {
		lookback = l.Lookback.Microseconds()
	}
	err = pitJoin(ctx, j.mem, labels, feats, lookback, j.ts.opts.BatchSize, func(r arrow.Array, cols []arrow.Array) error {
		all := append([]arrow.Array{r}, cols...)
		rec := array.NewRecordBatch(schema, all, int64(r.Len()))
		for _, a := range all {
			a.Release()
		}
		defer rec.Release()
		return rows.add(rec)
	})
	if err != nil {
		return nil, err
	}
	return rows.finish(ctx)
}

// sortFeatures scans the pinned snapshot into a sort by (key, time).
func (j *joinRun) sortFeatures(ctx context.Context, l resolvedLookup) (array.RecordReader, error) {
	keys := l.Table.keys
	cols := slices.Clone(keys)
	if l.tableTS {
		cols = append(cols, l.Table.timestampKey)
	}
	for _, f := range l.features {
		if !slices.Contains(cols, f) {
			cols = append(cols, f)
		}
	}
	scan, err := l.snap.Scan(ctx, &delta.ScanOptions{Columns: cols})
	if err != nil {
		return nil, fmt.Errorf("features: scan %s: %w", l.Table.Name(), err)
	}
	defer scan.Release()
	fields := []arrow.Field{{Name: keyCol, Type: arrow.BinaryTypes.Binary}, {Name: tsCol, Type: arrow.PrimitiveTypes.Int64}}
	for i, n := range l.outNames {
		fields = append(fields, arrow.Field{Name: n, Type: l.outTypes[i], Nullable: true})
	}
	schema := arrow.NewSchema(fields, nil)
	s := newExtSorter(j.mem, schema, 2, j.budget(), j.dir, j.ts.opts.BatchSize, &j.ts.spilled)
	defer func() {
		for _, b := range s.buf {
			b.Release()
		}
	}()
	for scan.Next() {
		rec := scan.RecordBatch()
		n := int(rec.NumRows())
		keyCols := make([]arrow.Array, len(keys))
		for i := range keys {
			keyCols[i] = rec.Column(i)
		}
		out := []arrow.Array{encodeKeys(j.mem, keyCols, n)}
		if l.tableTS {
			out = append(out, timeColumn(j.mem, rec.Column(len(keys)), n, 0))
		} else {
			out = append(out, timeColumn(j.mem, nil, n, 0))
		}
		for _, f := range l.features {
			c := rec.Column(slices.Index(cols, f))
			c.Retain()
			out = append(out, c)
		}
		kr := array.NewRecordBatch(schema, out, int64(n))
		for _, a := range out {
			a.Release()
		}
		err := s.add(kr)
		kr.Release()
		if err != nil {
			return nil, err
		}
	}
	if err := scan.Err(); err != nil {
		return nil, fmt.Errorf("features: scan %s: %w", l.Table.Name(), err)
	}
	return s.finish(ctx)
}

// zip reads the labels back in order and appends every lookup's features.
func (j *joinRun) zip(ctx context.Context) (array.RecordReader, error) {
	fr, err := openSpill(j.labels, j.mem)
	if err != nil {
		return nil, err
	}
	z := &zipReader{ctx: ctx, j: j, labels: fr, refs: 1, schema: j.ts.schema}
	for li, l := range j.ts.lookups {
		q := &rowQueue{r: j.results[li], mem: j.mem}
		z.queues = append(z.queues, q)
		for i, name := range l.outNames {
			if v, ok := l.DefaultValues[l.features[i]]; ok {
				in := arrow.NewSchema([]arrow.Field{{Name: "v", Type: l.outTypes[i], Nullable: true}}, nil)
				p, err := expr.Compile(expr.Call("coalesce", expr.Col("v"), expr.Cast(expr.Lit(v), l.outTypes[i])), in, &expr.CompileOptions{Allocator: j.mem})
				if err != nil {
					z.Release()
					return nil, fmt.Errorf("%w: default value %v for %q: %v", ErrInvalidArgument, v, name, err)
				}
				z.defaults = append(z.defaults, colDefault{lookup: li, col: i, prog: p, schema: in})
			}
		}
	}
	return z, nil
}

type colDefault struct {
	lookup, col int
	prog        *expr.Program
	schema      *arrow.Schema
}

// rowQueue hands out the next n rows of a reader as columns.
type rowQueue struct {
	r   array.RecordReader
	mem memory.Allocator
	cur arrow.RecordBatch
	off int64
}

func (q *rowQueue) take(n int64) ([]arrow.Array, error) {
	var parts []arrow.RecordBatch
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	for n > 0 {
		if q.cur == nil || q.off >= q.cur.NumRows() {
			if !q.r.Next() {
				if err := q.r.Err(); err != nil {
					return nil, err
				}
				return nil, fmt.Errorf("features: internal error: a lookup returned fewer rows than the labels")
			}
			q.cur, q.off = q.r.RecordBatch(), 0
		}
		k := min(n, q.cur.NumRows()-q.off)
		parts = append(parts, q.cur.NewSlice(q.off, q.off+k))
		q.off += k
		n -= k
	}
	if len(parts) == 0 {
		return nil, nil
	}
	ncol := int(parts[0].NumCols())
	out := make([]arrow.Array, 0, ncol-1)
	for c := 1; c < ncol; c++ { // column 0 is the row number
		if len(parts) == 1 {
			a := parts[0].Column(c)
			a.Retain()
			out = append(out, a)
			continue
		}
		arrs := make([]arrow.Array, len(parts))
		for i, p := range parts {
			arrs[i] = p.Column(c)
		}
		a, err := array.Concatenate(arrs, q.mem)
		if err != nil {
			for _, o := range out {
				o.Release()
			}
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// zipReader is the training set's result reader.
type zipReader struct {
	ctx      context.Context
	j        *joinRun
	labels   *fileReader
	queues   []*rowQueue
	defaults []colDefault
	schema   *arrow.Schema
	rec      arrow.RecordBatch
	err      error
	refs     int64
}

func (z *zipReader) Schema() *arrow.Schema          { return z.schema }
func (z *zipReader) RecordBatch() arrow.RecordBatch { return z.rec }
func (z *zipReader) Record() arrow.RecordBatch      { return z.rec }
func (z *zipReader) Err() error                     { return z.err }
func (z *zipReader) Retain()                        { atomic.AddInt64(&z.refs, 1) }

// Release frees the reader and removes its spill files.
func (z *zipReader) Release() {
	if atomic.AddInt64(&z.refs, -1) != 0 {
		return
	}
	if z.rec != nil {
		z.rec.Release()
		z.rec = nil
	}
	z.labels.close()
	z.j.cleanup()
}

func (z *zipReader) Next() bool {
	if z.rec != nil {
		z.rec.Release()
		z.rec = nil
	}
	if z.err != nil || !z.labels.Next() {
		if z.err == nil {
			z.err = z.labels.Err()
		}
		return false
	}
	lb := z.labels.RecordBatch()
	n := lb.NumRows()
	var cols []arrow.Array
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	excluded := z.j.ts.opts.ExcludeColumns
	for i, f := range lb.Schema().Fields() {
		if !slices.Contains(excluded, f.Name) {
			c := lb.Column(i)
			c.Retain()
			cols = append(cols, c)
		}
	}
	for li, q := range z.queues {
		fc, err := q.take(n)
		if err != nil {
			z.err = err
			return false
		}
		for _, d := range z.defaults {
			if d.lookup != li {
				continue
			}
			in := array.NewRecordBatch(d.schema, fc[d.col:d.col+1], n)
			filled, err := d.prog.Eval(z.ctx, in)
			in.Release()
			if err != nil {
				for _, c := range fc {
					c.Release()
				}
				z.err = fmt.Errorf("features: default value: %w", err)
				return false
			}
			fc[d.col].Release()
			fc[d.col] = filled
		}
		l := z.j.ts.lookups[li]
		for i, c := range fc {
			if slices.Contains(excluded, l.outNames[i]) {
				c.Release()
				continue
			}
			cols = append(cols, c)
		}
	}
	z.rec = array.NewRecordBatch(z.schema, cols, n)
	return true
}
