package features

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/arrowmem"
)

// spillFile is an Arrow IPC stream file under the spill directory.
type spillFile struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	w    *ipc.Writer
}

func newSpillFile(dir, prefix string, schema *arrow.Schema, mem memory.Allocator) (*spillFile, error) {
	f, err := os.CreateTemp(dir, prefix+"-*.arrows")
	if err != nil {
		return nil, fmt.Errorf("features: spill: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	return &spillFile{path: f.Name(), f: f, bw: bw, w: ipc.NewWriter(bw, ipc.WithSchema(schema), ipc.WithAllocator(mem))}, nil
}

func (s *spillFile) write(rec arrow.RecordBatch) error {
	if err := s.w.Write(rec); err != nil {
		return fmt.Errorf("features: spill: %w", err)
	}
	return nil
}

func (s *spillFile) finish() error {
	err := s.w.Close()
	if err == nil {
		err = s.bw.Flush()
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("features: spill: %w", err)
	}
	return nil
}

// fileReader streams a finished spill file back.
type fileReader struct {
	f *os.File
	*ipc.Reader
}

func openSpill(path string, mem memory.Allocator) (*fileReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("features: spill: %w", err)
	}
	r, err := ipc.NewReader(bufio.NewReaderSize(f, 1<<16), ipc.WithAllocator(mem))
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("features: spill: %w", err)
	}
	return &fileReader{f: f, Reader: r}, nil
}

func (r *fileReader) close() {
	r.Release()
	_ = r.f.Close()
}

// extSorter sorts batches by their leading nkey columns (binary or int64,
// ascending). Batches are buffered until they pass maxMem bytes, then
// sorted and written to dir as a run; reading merges the runs. Memory
// held is about maxMem for the buffer (twice that while a run is sorted)
// plus one batch per run while merging.
type extSorter struct {
	mem       memory.Allocator
	schema    *arrow.Schema
	nkey      int
	maxMem    int64
	dir       string
	batchSize int
	buf       []arrow.RecordBatch
	bufBytes  int64
	runs      []string
	spilled   *atomic.Int64 // counts runs written, for tests and metrics
}

func newExtSorter(mem memory.Allocator, schema *arrow.Schema, nkey int, maxMem int64, dir string, batchSize int, spilled *atomic.Int64) *extSorter {
	return &extSorter{mem: mem, schema: schema, nkey: nkey, maxMem: maxMem, dir: dir, batchSize: batchSize, spilled: spilled}
}

func (s *extSorter) add(rec arrow.RecordBatch) error {
	if rec.NumRows() == 0 {
		return nil
	}
	rec.Retain()
	s.buf = append(s.buf, rec)
	s.bufBytes += arrowmem.RecordBytes(rec)
	if s.bufBytes > s.maxMem {
		return s.spill()
	}
	return nil
}

// sortBuffer returns the buffered rows as one sorted batch.
func (s *extSorter) sortBuffer(ctx context.Context) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, s.schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var n int64
	for i := range cols {
		parts := make([]arrow.Array, len(s.buf))
		for j, b := range s.buf {
			parts[j] = b.Column(i)
		}
		c, err := array.Concatenate(parts, s.mem)
		if err != nil {
			return nil, err
		}
		cols[i] = c
		n = int64(c.Len())
	}
	for _, b := range s.buf {
		b.Release()
	}
	s.buf, s.bufBytes = s.buf[:0], 0
	whole := array.NewRecordBatch(s.schema, cols, n)
	defer whole.Release()
	perm := make([]int64, n)
	for i := range perm {
		perm[i] = int64(i)
	}
	// Sort keys are total orders here (label row numbers, unique primary
	// keys), so an unstable sort is enough.
	cmp := rowComparator(whole, s.nkey)
	slices.SortFunc(perm, func(a, b int64) int { return cmp(int(a), int(b)) })
	g := newGatherer(s.mem, fieldTypes(s.schema), allCols(s.schema), int(n))
	defer g.release()
	for _, p := range perm {
		g.add(whole, int(p))
	}
	out, m, err := g.flush(ctx)
	if err != nil {
		return nil, err
	}
	rec := array.NewRecordBatch(s.schema, out, int64(m))
	for _, a := range out {
		a.Release()
	}
	return rec, nil
}

func (s *extSorter) spill() error {
	rec, err := s.sortBuffer(context.Background())
	if err != nil {
		return err
	}
	defer rec.Release()
	sf, err := newSpillFile(s.dir, "run", s.schema, s.mem)
	if err != nil {
		return err
	}
	s.runs = append(s.runs, sf.path)
	for off := int64(0); off < rec.NumRows(); off += int64(s.batchSize) {
		sl := rec.NewSlice(off, min(off+int64(s.batchSize), rec.NumRows()))
		err := sf.write(sl)
		sl.Release()
		if err != nil {
			_ = sf.finish()
			return err
		}
	}
	if s.spilled != nil {
		s.spilled.Add(1)
	}
	return sf.finish()
}

// finish returns the sorted rows. Without spilled runs the buffer is
// sorted in memory; otherwise the rest is spilled too and the runs are
// merged.
func (s *extSorter) finish(ctx context.Context) (array.RecordReader, error) {
	if len(s.runs) == 0 {
		if len(s.buf) == 0 {
			return array.NewRecordReader(s.schema, nil)
		}
		rec, err := s.sortBuffer(ctx)
		if err != nil {
			return nil, err
		}
		defer rec.Release()
		var parts []arrow.RecordBatch
		for off := int64(0); off < rec.NumRows(); off += int64(s.batchSize) {
			parts = append(parts, rec.NewSlice(off, min(off+int64(s.batchSize), rec.NumRows())))
		}
		rr, err := array.NewRecordReader(s.schema, parts)
		for _, p := range parts {
			p.Release()
		}
		return rr, err
	}
	if len(s.buf) > 0 {
		if err := s.spill(); err != nil {
			return nil, err
		}
	}
	// Merge in passes of at most maxFanIn runs, so the merge holds a
	// bounded number of batches however many runs were spilled.
	for len(s.runs) > maxFanIn {
		if err := s.mergeRuns(ctx, maxFanIn); err != nil {
			return nil, err
		}
	}
	return s.openMerge(ctx, s.runs)
}

// maxFanIn is the most runs one merge reads at a time.
const maxFanIn = 16

// mergeRuns merges the first n runs into a new run at the end.
func (s *extSorter) mergeRuns(ctx context.Context, n int) error {
	m, err := s.openMerge(ctx, s.runs[:n])
	if err != nil {
		return err
	}
	defer m.Release()
	sf, err := newSpillFile(s.dir, "run", s.schema, s.mem)
	if err != nil {
		return err
	}
	for m.Next() {
		if err := sf.write(m.RecordBatch()); err != nil {
			_ = sf.finish()
			return err
		}
	}
	if err := m.Err(); err != nil {
		_ = sf.finish()
		return err
	}
	if err := sf.finish(); err != nil {
		return err
	}
	for _, p := range s.runs[:n] {
		_ = os.Remove(p)
	}
	s.runs = append(slices.Clone(s.runs[n:]), sf.path)
	return nil
}

// openMerge returns a reader merging the given sorted runs.
func (s *extSorter) openMerge(ctx context.Context, runs []string) (*mergeReader, error) {
	m := &mergeReader{ctx: ctx, mem: s.mem, schema: s.schema, nkey: s.nkey, refs: 1,
		g: newGatherer(s.mem, fieldTypes(s.schema), allCols(s.schema), s.batchSize)}
	for _, p := range runs {
		fr, err := openSpill(p, s.mem)
		if err != nil {
			m.Release()
			return nil, err
		}
		c := &runCursor{r: fr}
		m.all = append(m.all, c)
		if c.advance() {
			m.h = append(m.h, c)
		} else if err := fr.Err(); err != nil {
			m.Release()
			return nil, err
		}
	}
	heap.Init(m)
	return m, nil
}

func fieldTypes(s *arrow.Schema) []arrow.DataType {
	out := make([]arrow.DataType, s.NumFields())
	for i, f := range s.Fields() {
		out[i] = f.Type
	}
	return out
}

func allCols(s *arrow.Schema) []int {
	out := make([]int, s.NumFields())
	for i := range out {
		out[i] = i
	}
	return out
}

// compareRows orders row i of a against row j of b by the leading nkey
// columns.
func compareRows(a arrow.RecordBatch, nkey, i int, b arrow.RecordBatch, j int) int {
	for c := range nkey {
		switch x := a.Column(c).(type) {
		case *array.Binary:
			if r := bytes.Compare(x.Value(i), b.Column(c).(*array.Binary).Value(j)); r != 0 {
				return r
			}
		case *array.Int64:
			u, v := x.Value(i), b.Column(c).(*array.Int64).Value(j)
			if u != v {
				if u < v {
					return -1
				}
				return 1
			}
		}
	}
	return 0
}

// rowComparator is compareRows within one batch, with the key columns'
// buffers looked up once.
func rowComparator(rec arrow.RecordBatch, nkey int) func(i, j int) int {
	type key struct {
		offs []int32
		data []byte
		ints []int64
	}
	keys := make([]key, nkey)
	for c := range nkey {
		switch x := rec.Column(c).(type) {
		case *array.Binary:
			// Offsets are absolute into the data buffer (ValueBytes is
			// rebased to the first offset).
			var data []byte
			if b := x.Data().Buffers()[2]; b != nil {
				data = b.Bytes()
			}
			keys[c] = key{offs: x.ValueOffsets(), data: data}
		case *array.Int64:
			keys[c] = key{ints: x.Int64Values()}
		}
	}
	return func(i, j int) int {
		for _, k := range keys {
			if k.ints != nil {
				if u, v := k.ints[i], k.ints[j]; u != v {
					if u < v {
						return -1
					}
					return 1
				}
				continue
			}
			if r := bytes.Compare(k.data[k.offs[i]:k.offs[i+1]], k.data[k.offs[j]:k.offs[j+1]]); r != 0 {
				return r
			}
		}
		return 0
	}
}

// runCursor is the current row of one sorted run.
type runCursor struct {
	r   *fileReader
	rec arrow.RecordBatch
	row int
}

// advance moves to the next row, loading the next batch when needed.
func (c *runCursor) advance() bool {
	c.row++
	for c.rec == nil || c.row >= int(c.rec.NumRows()) {
		if c.rec != nil {
			c.rec.Release()
			c.rec = nil
		}
		if !c.r.Next() {
			return false
		}
		c.rec = c.r.RecordBatch()
		c.rec.Retain()
		c.row = 0
	}
	return true
}

// mergeReader k-way merges sorted runs into batches.
type mergeReader struct {
	ctx    context.Context
	mem    memory.Allocator
	schema *arrow.Schema
	nkey   int
	h      []*runCursor
	all    []*runCursor
	g      *gatherer
	rec    arrow.RecordBatch
	err    error
	refs   int64
}

func (m *mergeReader) Len() int { return len(m.h) }
func (m *mergeReader) Less(i, j int) bool {
	a, b := m.h[i], m.h[j]
	return compareRows(a.rec, m.nkey, a.row, b.rec, b.row) < 0
}
func (m *mergeReader) Swap(i, j int) { m.h[i], m.h[j] = m.h[j], m.h[i] }
func (m *mergeReader) Push(x any)    { m.h = append(m.h, x.(*runCursor)) }
func (m *mergeReader) Pop() any {
	x := m.h[len(m.h)-1]
	m.h = m.h[:len(m.h)-1]
	return x
}

func (m *mergeReader) Schema() *arrow.Schema          { return m.schema }
func (m *mergeReader) RecordBatch() arrow.RecordBatch { return m.rec }
func (m *mergeReader) Record() arrow.RecordBatch      { return m.rec }
func (m *mergeReader) Err() error                     { return m.err }
func (m *mergeReader) Retain()                        { atomic.AddInt64(&m.refs, 1) }

func (m *mergeReader) Release() {
	if atomic.AddInt64(&m.refs, -1) != 0 {
		return
	}
	if m.rec != nil {
		m.rec.Release()
		m.rec = nil
	}
	m.g.release()
	for _, c := range m.all {
		if c.rec != nil {
			c.rec.Release()
		}
		c.r.close()
	}
}

func (m *mergeReader) Next() bool {
	if m.rec != nil {
		m.rec.Release()
		m.rec = nil
	}
	if m.err != nil {
		return false
	}
	for len(m.h) > 0 && !m.g.full() {
		c := m.h[0]
		m.g.add(c.rec, c.row)
		if c.advance() {
			heap.Fix(m, 0)
		} else {
			if err := c.r.Err(); err != nil {
				m.err = fmt.Errorf("features: spill: %w", err)
				return false
			}
			heap.Pop(m)
		}
	}
	if m.g.len() == 0 {
		return false
	}
	cols, n, err := m.g.flush(m.ctx)
	if err != nil {
		m.err = err
		return false
	}
	m.rec = array.NewRecordBatch(m.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return true
}

// spillDir makes a private directory for one operation's spill files.
func spillDir(parent string) (string, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	d, err := os.MkdirTemp(parent, "features-spill-")
	if err != nil {
		return "", fmt.Errorf("features: spill: %w", err)
	}
	return filepath.Clean(d), nil
}
