package delta

import (
	"bufio"
	"context"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// A MERGE holds its source in memory when it fits in MaxMemory. A larger
// source is split by a hash of its join key into partitions of about half
// that size, written to local files (Arrow IPC), and the target rows are
// split the same way; each partition is then joined on its own (a grace
// hash join). Rows with equal keys always share a partition, so a target
// row sees every source row it can match.

// maxSpillPartitions caps the partitions of a spilled MERGE.
const maxSpillPartitions = 256

// mergeInput is the partitioned source, and the partitioned target once
// the target has been routed.
type mergeInput struct {
	m     *mergeRun
	mem   []arrow.RecordBatch // the source, when it fits in memory
	parts int                 // >1 when spilled
	dir   string
	seed  maphash.Seed
	keys  []keyRange // per join key: the source's value range, for pruning
}

// keyRange tracks the smallest and largest source key of one column, for
// the types a range predicate can be built on.
type keyRange struct {
	min, max any
	nonNull  bool
	disabled bool
}

func (in *mergeInput) close() {
	for _, b := range in.mem {
		b.Release()
	}
	in.mem = nil
	if in.dir != "" {
		_ = os.RemoveAll(in.dir)
	}
}

// readSource drains the source, in memory until it outgrows MaxMemory,
// then into partition files.
func (m *mergeRun) readSource(ctx context.Context, source array.RecordReader) (*mergeInput, error) {
	in := &mergeInput{m: m, parts: 1, seed: maphash.MakeSeed(), keys: make([]keyRange, len(m.plan.sKeys))}
	limit := m.opts.MaxMemory
	if limit <= 0 {
		limit = DefaultMergeMaxMemory
	}
	var held int64
	var writers []*spillWriter
	defer func() {
		for _, w := range writers {
			w.close()
		}
	}()
	for source.Next() {
		if err := ctx.Err(); err != nil {
			in.close()
			return nil, err
		}
		rec := source.RecordBatch()
		m.sourceRows += rec.NumRows()
		in.observeKeys(rec)
		if in.parts == 1 {
			rec.Retain()
			in.mem = append(in.mem, rec)
			held += recordBytes(rec)
			if held <= limit {
				continue
			}
			if len(m.plan.sKeys) == 0 {
				in.close()
				return nil, fmt.Errorf("%w: MERGE source of more than %d bytes needs an equality between a target and a source column in ON to be partitioned (or a larger MaxMemory)", ErrInvalidArgument, limit)
			}
			var err error
			if writers, err = in.startSpill(held, limit); err != nil {
				in.close()
				return nil, err
			}
			continue
		}
		if err := in.route(rec, m.plan.sKeys, writers); err != nil {
			in.close()
			return nil, err
		}
	}
	if err := source.Err(); err != nil {
		in.close()
		return nil, fmt.Errorf("delta: MERGE: reading the source: %w", err)
	}
	for _, w := range writers {
		if err := w.finish(); err != nil {
			in.close()
			return nil, err
		}
	}
	writers = nil
	return in, nil
}

// startSpill switches to partitioned mode and routes what is held.
func (in *mergeInput) startSpill(held, limit int64) ([]*spillWriter, error) {
	// Partitions of about half the budget, so that one partition's source
	// and its hash index fit; capped so a tiny budget cannot open
	// thousands of files.
	parts := int(min(2*held/limit+2, maxSpillPartitions))
	dir, err := os.MkdirTemp(in.m.opts.SpillDir, "lakehouse-merge-*")
	if err != nil {
		return nil, fmt.Errorf("delta: MERGE: spill directory: %w", err)
	}
	in.dir, in.parts = dir, parts
	writers := make([]*spillWriter, parts)
	for i := range writers {
		writers[i] = &spillWriter{path: filepath.Join(dir, fmt.Sprintf("source-%04d.arrow", i)), schema: in.m.plan.source}
	}
	for _, rec := range in.mem {
		if err := in.route(rec, in.m.plan.sKeys, writers); err != nil {
			return writers, err
		}
		rec.Release()
	}
	in.mem = nil
	return writers, nil
}

// route appends each row of rec to the partition of its key.
func (in *mergeInput) route(rec arrow.RecordBatch, keyCols []int, writers []*spillWriter) error {
	keys := rowKeys(rec, keyCols)
	idx := make([][]int64, len(writers))
	for i, k := range keys {
		p := 0
		if k != nil {
			p = int(maphash.Bytes(in.seed, k) % uint64(len(writers)))
		}
		idx[p] = append(idx[p], int64(i))
	}
	for p, rows := range idx {
		if len(rows) == 0 {
			continue
		}
		sub, err := takeRecord(context.Background(), in.m.mem, rec, rows)
		if err != nil {
			return err
		}
		err = writers[p].write(sub)
		sub.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// observeKeys widens the tracked source key ranges.
func (in *mergeInput) observeKeys(rec arrow.RecordBatch) {
	for k, c := range in.m.plan.sKeys {
		r := &in.keys[k]
		if r.disabled {
			continue
		}
		col := rec.Column(c)
		for i := 0; i < col.Len(); i++ {
			if col.IsNull(i) {
				continue
			}
			var v any
			switch a := col.(type) {
			case *array.Int8:
				v = int64(a.Value(i))
			case *array.Int16:
				v = int64(a.Value(i))
			case *array.Int32:
				v = int64(a.Value(i))
			case *array.Int64:
				v = a.Value(i)
			case *array.String:
				v = a.Value(i)
			default:
				r.disabled = true
			}
			if r.disabled {
				break
			}
			if !r.nonNull {
				r.min, r.max, r.nonNull = v, v, true
				continue
			}
			switch x := v.(type) {
			case int64:
				r.min, r.max = min(r.min.(int64), x), max(r.max.(int64), x)
			case string:
				r.min, r.max = min(r.min.(string), x), max(r.max.(string), x)
			}
		}
	}
}

// targetFiles picks the target files the join must read: all of them for
// NOT MATCHED BY SOURCE, else those whose key columns may hold a value in
// the source's key range (partition values and statistics decide).
func (m *mergeRun) targetFiles(ctx context.Context, in *mergeInput) ([]*protocol.Add, error) {
	p := m.plan
	var filters []expr.Expr
	if len(p.bySource) == 0 {
		for k, r := range in.keys {
			name := p.target.Field(p.tKeys[k]).Name
			switch {
			case r.disabled:
			case !r.nonNull:
				// Every source key is NULL: nothing can match.
				filters = append(filters, expr.Lit(false))
			default:
				filters = append(filters, expr.Col(name).Between(expr.Lit(r.min), expr.Lit(r.max)))
			}
		}
	}
	var filter expr.Expr
	if len(filters) > 0 {
		filter = expr.And(filters...)
	}
	var out []*protocol.Add
	for f, err := range m.d.snap.filesMatching(ctx, filter) {
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// join runs every partition.
func (in *mergeInput) join(ctx context.Context, m *mergeRun) error {
	if in.parts == 1 {
		part, err := newMergePart(m, in.mem)
		if err != nil {
			return err
		}
		defer part.source.Release()
		if err := m.scanTarget(ctx, func(tr targetRows) error { return m.joinTarget(ctx, part, tr) }); err != nil {
			return err
		}
		return m.insertUnmatched(ctx, part)
	}
	if err := in.routeTarget(ctx); err != nil {
		return err
	}
	for p := range in.parts {
		src, err := readSpill(filepath.Join(in.dir, fmt.Sprintf("source-%04d.arrow", p)), m)
		if err != nil {
			return err
		}
		part, err := newMergePart(m, src)
		for _, b := range src {
			b.Release()
		}
		if err != nil {
			return err
		}
		err = in.joinSpilledTarget(ctx, p, part)
		if err == nil {
			err = m.insertUnmatched(ctx, part)
		}
		part.source.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// newMergePart concatenates a partition's source rows and hashes them by
// key.
func newMergePart(m *mergeRun, batches []arrow.RecordBatch) (*mergePart, error) {
	var src arrow.RecordBatch
	if len(batches) == 0 {
		src = emptyRecord(m.mem, m.plan.source)
	} else {
		tbl := array.NewTableFromRecords(m.plan.source, batches)
		var err error
		src, err = concatTable(tbl, m)
		tbl.Release()
		if err != nil {
			return nil, err
		}
	}
	part := &mergePart{source: src, matched: make([]bool, src.NumRows()), index: map[string][]int32{}}
	if intKeyColumn(src, m.plan.sKeys) {
		part.ints = newIntKeyIndex(src.Column(m.plan.sKeys[0]))
	} else if len(m.plan.sKeys) > 0 {
		for j, k := range rowKeys(src, m.plan.sKeys) {
			if k != nil {
				part.index[string(k)] = append(part.index[string(k)], int32(j))
			}
		}
	}
	return part, nil
}

// concatTable turns a table into one batch.
func concatTable(tbl arrow.Table, m *mergeRun) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, tbl.NumCols())
	for i := range cols {
		c, err := array.Concatenate(tbl.Column(i).Data().Chunks(), m.mem)
		if err != nil {
			for _, d := range cols[:i] {
				d.Release()
			}
			return nil, fmt.Errorf("delta: MERGE: gather the source: %w", err)
		}
		cols[i] = c
	}
	out := array.NewRecordBatch(tbl.Schema(), cols, tbl.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

func emptyRecord(mem memory.Allocator, s *arrow.Schema) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	return b.NewRecordBatch()
}

// targetSpillSchema is the target schema plus where each row lives.
func (in *mergeInput) targetSpillSchema() *arrow.Schema {
	fields := append(append([]arrow.Field(nil), in.m.plan.target.Fields()...),
		arrow.Field{Name: "__lakehouse_file", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: rowIndexColumn, Type: arrow.PrimitiveTypes.Int64})
	return arrow.NewSchema(fields, nil)
}

// routeTarget writes the target rows to the partitions of their keys.
// Rows with a NULL key match nothing; they are kept (in partition 0) only
// when NOT MATCHED BY SOURCE clauses may act on them.
func (in *mergeInput) routeTarget(ctx context.Context) error {
	m := in.m
	schema := in.targetSpillSchema()
	writers := make([]*spillWriter, in.parts)
	for i := range writers {
		writers[i] = &spillWriter{path: filepath.Join(in.dir, fmt.Sprintf("target-%04d.arrow", i)), schema: schema}
	}
	defer func() {
		for _, w := range writers {
			w.close()
		}
	}()
	err := m.scanTarget(ctx, func(tr targetRows) error {
		fb := array.NewInt32Builder(m.mem)
		fb.AppendValues(tr.file, nil)
		files := fb.NewArray()
		fb.Release()
		rb := array.NewInt64Builder(m.mem)
		rb.AppendValues(tr.row, nil)
		rows := rb.NewArray()
		rb.Release()
		cols := append(append([]arrow.Array(nil), tr.rec.Columns()...), files, rows)
		rec := array.NewRecordBatch(schema, cols, tr.rec.NumRows())
		files.Release()
		rows.Release()
		defer rec.Release()
		return in.route(rec, m.plan.tKeys, writers)
	})
	if err != nil {
		return err
	}
	for _, w := range writers {
		if err := w.finish(); err != nil {
			return err
		}
	}
	return nil
}

// joinSpilledTarget streams partition p's target rows through the join.
func (in *mergeInput) joinSpilledTarget(ctx context.Context, p int, part *mergePart) error {
	m := in.m
	f, err := os.Open(filepath.Join(in.dir, fmt.Sprintf("target-%04d.arrow", p)))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delta: MERGE: read spilled target: %w", err)
	}
	defer f.Close()
	r, err := ipc.NewReader(bufio.NewReader(f), ipc.WithAllocator(m.mem))
	if err != nil {
		return fmt.Errorf("delta: MERGE: read spilled target: %w", err)
	}
	defer r.Release()
	nt := m.plan.target.NumFields()
	for r.Next() {
		rec := r.RecordBatch()
		data := array.NewRecordBatch(m.plan.target, rec.Columns()[:nt], rec.NumRows())
		tr := targetRows{rec: data, file: rec.Column(nt).(*array.Int32).Int32Values(), row: rec.Column(nt + 1).(*array.Int64).Int64Values()}
		err := m.joinTarget(ctx, part, tr)
		data.Release()
		if err != nil {
			return err
		}
	}
	return r.Err()
}

// spillWriter appends batches to one partition file, opened on first use.
type spillWriter struct {
	path   string
	schema *arrow.Schema
	f      *os.File
	buf    *bufio.Writer
	w      *ipc.Writer
}

func (s *spillWriter) write(rec arrow.RecordBatch) error {
	if s.w == nil {
		f, err := os.Create(s.path)
		if err != nil {
			return fmt.Errorf("delta: MERGE: spill: %w", err)
		}
		s.f, s.buf = f, bufio.NewWriter(f)
		s.w = ipc.NewWriter(s.buf, ipc.WithSchema(s.schema))
	}
	if err := s.w.Write(rec); err != nil {
		return fmt.Errorf("delta: MERGE: spill to %s: %w", s.path, err)
	}
	return nil
}

// finish flushes and closes the file.
func (s *spillWriter) finish() error {
	if s.w == nil {
		return nil
	}
	err := s.w.Close()
	if err == nil {
		err = s.buf.Flush()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.w, s.f = nil, nil
	if err != nil {
		return fmt.Errorf("delta: MERGE: spill to %s: %w", s.path, err)
	}
	return nil
}

// close abandons an unfinished file (the directory is removed later).
func (s *spillWriter) close() {
	if s.f != nil {
		_ = s.f.Close()
		s.f, s.w = nil, nil
	}
}

// readSpill reads a source partition file back.
func readSpill(path string, m *mergeRun) ([]arrow.RecordBatch, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("delta: MERGE: read spilled source: %w", err)
	}
	defer f.Close()
	r, err := ipc.NewReader(bufio.NewReader(f), ipc.WithAllocator(m.mem))
	if err != nil {
		return nil, fmt.Errorf("delta: MERGE: read spilled source: %w", err)
	}
	defer r.Release()
	var out []arrow.RecordBatch
	for r.Next() {
		rec := r.RecordBatch()
		rec.Retain()
		out = append(out, rec)
	}
	if err := r.Err(); err != nil {
		for _, b := range out {
			b.Release()
		}
		return nil, fmt.Errorf("delta: MERGE: read spilled source: %w", err)
	}
	return out, nil
}

// recordBytes is the size of a batch's buffers (shared buffers counted
// once per reference: an upper bound, which is what a budget wants).
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			walk(c)
		}
	}
	for _, c := range rec.Columns() {
		walk(c.Data())
	}
	return n
}
