package pipeline

import (
	"bufio"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// staged holds the rows an update computed for one table until the
// update commits: an Arrow IPC stream in a spill file, so an update of any
// size holds one batch in memory at a time, and nothing reaches a table
// before every table's rows are known to be good.
type staged struct {
	dir    string
	name   string
	mem    memory.Allocator
	schema *arrow.Schema
	f      *os.File
	buf    *bufio.Writer
	w      *ipc.Writer
	rows   int64
}

func newStaged(dir, name string, mem memory.Allocator) *staged {
	return &staged{dir: dir, name: name, mem: mem}
}

// write appends a batch. Every batch of one table must have the same
// columns; a source whose schema evolves stops the update first.
func (s *staged) write(rec arrow.RecordBatch) error {
	if rec == nil || rec.NumRows() == 0 {
		return nil
	}
	if s.w == nil {
		f, err := os.CreateTemp(s.dir, s.name+"-*.arrows")
		if err != nil {
			return fmt.Errorf("pipeline: stage %s: %w", s.name, err)
		}
		s.f, s.buf, s.schema = f, bufio.NewWriter(f), rec.Schema()
		s.w = ipc.NewWriter(s.buf, ipc.WithSchema(s.schema), ipc.WithAllocator(s.mem))
	} else if !sameColumns(s.schema, rec.Schema()) {
		return fmt.Errorf("pipeline: %s: a batch has columns [%s], earlier batches of the update [%s]", s.name, rec.Schema(), s.schema)
	} else if !s.schema.Equal(rec.Schema()) {
		rec = array.NewRecordBatch(s.schema, rec.Columns(), rec.NumRows())
		defer rec.Release()
	}
	if err := s.w.Write(rec); err != nil {
		return fmt.Errorf("pipeline: stage %s: %w", s.name, err)
	}
	s.rows += rec.NumRows()
	return nil
}

// finish closes the writer; reader may be called after it.
func (s *staged) finish() error {
	if s.w == nil {
		return nil
	}
	err := s.w.Close()
	if ferr := s.buf.Flush(); err == nil {
		err = ferr
	}
	s.w = nil
	if err != nil {
		return fmt.Errorf("pipeline: stage %s: %w", s.name, err)
	}
	return nil
}

// reader streams the staged rows; nil when there are none.
func (s *staged) reader() (array.RecordReader, error) {
	if s.f == nil {
		if s.schema == nil {
			return nil, nil
		}
		return emptyReader(s.schema), nil
	}
	f, err := os.Open(s.f.Name())
	if err != nil {
		return nil, fmt.Errorf("pipeline: read staged %s: %w", s.name, err)
	}
	r, err := ipc.NewReader(bufio.NewReader(f), ipc.WithAllocator(s.mem))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pipeline: read staged %s: %w", s.name, err)
	}
	return &fileRecordReader{Reader: r, f: f}, nil
}

// discard removes the spill file.
func (s *staged) discard() {
	if s.w != nil {
		_ = s.w.Close()
		s.w = nil
	}
	if s.f != nil {
		_ = s.f.Close()
		_ = os.Remove(s.f.Name())
		s.f = nil
	}
}

// fileRecordReader closes the spill file with the reader.
type fileRecordReader struct {
	*ipc.Reader
	f *os.File
}

func (r *fileRecordReader) Release() {
	r.Reader.Release()
	if r.f != nil {
		_ = r.f.Close()
		r.f = nil
	}
}

// sameColumns compares names and types, not nullability or metadata:
// a Go transformation may build a column as nullable that the table
// declares NOT NULL, and the write checks the values.
func sameColumns(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || !arrow.TypeEqual(fa.Type, fb.Type) {
			return false
		}
	}
	return true
}
