package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// countingWriter counts the bytes that reached the sink. It keeps the
// sink's first error and then swallows further writes: pqarrow does not
// release its column buffers when its writer fails mid-row-group, so the
// encoder must always run to completion; the error is reported by the
// fileWriter after each step instead.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return len(p), nil
}

// fileWriter writes one Parquet file and collects its statistics.
type fileWriter struct {
	cfg   *writeConfig
	out   *countingWriter
	fw    *pqarrow.FileWriter
	stats *statsCollector
	rows  int64
	// inBytes is the in-memory size of the batches written, for
	// RollingWriter.Buffered.
	inBytes int64
}

func newFileWriter(w io.Writer, cfg *writeConfig) (*fileWriter, error) {
	out := &countingWriter{w: w}
	fw, err := pqarrow.NewFileWriter(cfg.physical, out, cfg.props, cfg.arrProps)
	if err != nil {
		return nil, fmt.Errorf("parquetio: start file: %w", err)
	}
	return &fileWriter{cfg: cfg, out: out, fw: fw, stats: newStatsCollector(cfg.logical, cfg.opts.ColumnMapping, cfg.selection())}, nil
}

// write appends rec, whose schema must have the logical schema's types.
func (f *fileWriter) write(rec arrow.RecordBatch) error {
	if err := checkBatchSchema(f.cfg.logical, rec.Schema()); err != nil {
		return err
	}
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = relabel(rec.Column(i), f.cfg.physical.Field(i).Type)
	}
	phys := array.NewRecordBatch(f.cfg.physical, cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	defer phys.Release()
	if err := f.fw.WriteBuffered(phys); err != nil {
		return fmt.Errorf("parquetio: write batch: %w", err)
	}
	if f.out.err != nil {
		return fmt.Errorf("parquetio: write batch: %w", f.out.err)
	}
	f.stats.observe(rec, f.cfg.opts.ColumnMapping)
	f.rows += rec.NumRows()
	f.inBytes += recordBytes(rec)
	return nil
}

// size estimates the file size so far: bytes flushed plus the buffered
// row group's compressed pages.
func (f *fileWriter) size() int64 { return f.out.n + f.fw.RowGroupTotalCompressedBytes() }

// close writes the footer and returns the statistics.
func (f *fileWriter) close() (FileStats, int64, error) {
	if err := f.fw.Close(); err != nil {
		return FileStats{}, 0, fmt.Errorf("parquetio: finish file: %w", err)
	}
	if f.out.err != nil {
		return FileStats{}, 0, fmt.Errorf("parquetio: finish file: %w", f.out.err)
	}
	return f.stats.finish(f.cfg.prefixLen), f.out.n, nil
}

// checkBatchSchema requires equal field names and types (metadata aside).
func checkBatchSchema(want, got *arrow.Schema) error {
	if want.NumFields() != got.NumFields() {
		return fmt.Errorf("%w: batch has %d columns, schema %d", ErrSchemaMismatch, got.NumFields(), want.NumFields())
	}
	for i, f := range want.Fields() {
		g := got.Field(i)
		if f.Name != g.Name || !arrow.TypeEqual(f.Type, g.Type) {
			return fmt.Errorf("%w: batch column %d is %s %s, schema has %s %s", ErrSchemaMismatch, i, g.Name, g.Type, f.Name, f.Type)
		}
	}
	return nil
}

// WriteFile writes every batch of rr to w as one Parquet file and returns
// its statistics. Batches are written as they arrive; at most one row group
// is buffered.
func WriteFile(ctx context.Context, w io.Writer, rr array.RecordReader, opts *WriteOptions) (FileStats, error) {
	cfg, err := newWriteConfig(rr.Schema(), opts)
	if err != nil {
		return FileStats{}, err
	}
	fw, err := newFileWriter(w, cfg)
	if err != nil {
		return FileStats{}, err
	}
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			_, _, _ = fw.close()
			return FileStats{}, err
		}
		if err := fw.write(rr.RecordBatch()); err != nil {
			_, _, _ = fw.close()
			return FileStats{}, err
		}
	}
	if err := rr.Err(); err != nil {
		_, _, _ = fw.close()
		return FileStats{}, fmt.Errorf("parquetio: read input: %w", err)
	}
	st, _, err := fw.close()
	return st, err
}

// WrittenFile describes one file a RollingWriter finished.
type WrittenFile struct {
	Size  int64 // bytes written to the sink
	Stats FileStats
}

// Sink is where a RollingWriter writes one file. storage.Writer satisfies
// it; Abort (optional) is called instead of Close when writing fails.
type Sink interface {
	io.Writer
	Close() error
}

type aborter interface{ Abort() error }

// RollingWriter writes a stream of batches as a sequence of Parquet files,
// starting a new one when the current file reaches TargetFileSize or
// MaxRecordsPerFile. It is not safe for concurrent use.
type RollingWriter struct {
	cfg   *writeConfig
	open  func(ctx context.Context) (Sink, error)
	sink  Sink
	cur   *fileWriter
	files []WrittenFile
	err   error
}

// NewRollingWriter returns a writer for batches of schema; open is called
// for each new file, in order.
func NewRollingWriter(schema *arrow.Schema, open func(ctx context.Context) (Sink, error), opts *WriteOptions) (*RollingWriter, error) {
	cfg, err := newWriteConfig(schema, opts)
	if err != nil {
		return nil, err
	}
	return &RollingWriter{cfg: cfg, open: open}, nil
}

// Write adds one batch, splitting it across files as the limits require.
func (w *RollingWriter) Write(ctx context.Context, rec arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if err := w.write(ctx, rec); err != nil {
		w.fail(err)
		return err
	}
	return nil
}

func (w *RollingWriter) write(ctx context.Context, rec arrow.RecordBatch) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkBatchSchema(w.cfg.logical, rec.Schema()); err != nil {
		return err
	}
	for off := int64(0); off < rec.NumRows(); {
		if w.cur == nil {
			sink, err := w.open(ctx)
			if err != nil {
				return fmt.Errorf("parquetio: open file: %w", err)
			}
			w.sink = sink
			if w.cur, err = newFileWriter(sink, w.cfg); err != nil {
				return err
			}
		}
		n := rec.NumRows() - off
		if max := w.cfg.opts.MaxRecordsPerFile; max > 0 && w.cur.rows+n > max {
			n = max - w.cur.rows
		}
		part := rec
		if off > 0 || n < rec.NumRows() {
			part = rec.NewSlice(off, off+n)
		}
		err := w.cur.write(part)
		if part != rec {
			part.Release()
		}
		if err != nil {
			return err
		}
		off += n
		full := w.cfg.opts.MaxRecordsPerFile > 0 && w.cur.rows >= w.cfg.opts.MaxRecordsPerFile
		if full || w.cur.size() >= w.cfg.opts.TargetFileSize {
			if err := w.finishFile(); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteReader writes every batch of rr.
func (w *RollingWriter) WriteReader(ctx context.Context, rr array.RecordReader) error {
	for rr.Next() {
		if err := w.Write(ctx, rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		err = fmt.Errorf("parquetio: read input: %w", err)
		w.fail(err)
		return err
	}
	return nil
}

func (w *RollingWriter) finishFile() error {
	st, size, err := w.cur.close()
	w.cur = nil
	if err != nil {
		return err
	}
	sink := w.sink
	w.sink = nil
	if err := sink.Close(); err != nil {
		return fmt.Errorf("parquetio: close file: %w", err)
	}
	w.files = append(w.files, WrittenFile{Size: size, Stats: st})
	return nil
}

// fail records err and discards the file in progress.
func (w *RollingWriter) fail(err error) {
	if w.err == nil {
		w.err = err
	}
	if w.cur != nil {
		_, _, _ = w.cur.close()
		w.cur = nil
	}
	if w.sink != nil {
		if a, ok := w.sink.(aborter); ok {
			_ = a.Abort()
		} else {
			_ = w.sink.Close()
		}
		w.sink = nil
	}
}

// Close finishes the last file and returns every file written, in order.
// After an error it returns that error; files already closed stay written
// and are the caller's to clean up.
func (w *RollingWriter) Close() ([]WrittenFile, error) {
	if w.err != nil {
		return w.files, w.err
	}
	if w.cur != nil {
		if err := w.finishFile(); err != nil {
			w.fail(err)
			return w.files, err
		}
	}
	w.err = errors.New("parquetio: rolling writer closed")
	return w.files, nil
}

// Abort discards the file in progress; files already finished remain.
func (w *RollingWriter) Abort() {
	w.fail(errors.New("parquetio: rolling writer aborted"))
}

// Buffered estimates the bytes the file in progress holds in memory for
// its unwritten row group: its rows times the average in-memory size of
// the rows written so far (the encoder's own pages are counted only once
// a page fills, far too late to bound many small open files).
func (w *RollingWriter) Buffered() int64 {
	if w.cur == nil || w.cur.rows == 0 {
		return 0
	}
	n, err := w.cur.fw.RowGroupNumRows()
	if err != nil || n == 0 {
		return 0
	}
	return int64(n) * (w.cur.inBytes / w.cur.rows)
}

// FlushRowGroup writes the buffered row group to the sink now, ending it
// early, so that a caller holding many open files can bound their memory
// without starting more files.
func (w *RollingWriter) FlushRowGroup() error {
	if w.err != nil {
		return w.err
	}
	if w.cur == nil {
		return nil
	}
	if err := w.cur.fw.NewBufferedRowGroupChecked(); err != nil {
		err = fmt.Errorf("parquetio: flush row group: %w", err)
		w.fail(err)
		return err
	}
	if w.cur.out.err != nil {
		err := fmt.Errorf("parquetio: flush row group: %w", w.cur.out.err)
		w.fail(err)
		return err
	}
	return nil
}

// recordBytes estimates the bytes of rec's own rows. A slice of a larger
// batch shares its buffers, so summing buffer lengths would count the
// whole batch once per slice; fixed-width and string columns are sized
// by their rows instead, other types by their buffers.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	rows := rec.NumRows()
	for _, col := range rec.Columns() {
		switch a := col.(type) {
		case *array.String:
			if a.Len() > 0 {
				n += int64(a.ValueOffset(a.Len()-1)-a.ValueOffset(0)) + int64(len(a.Value(a.Len()-1))) + 4*rows
			}
		case *array.Binary:
			if a.Len() > 0 {
				n += int64(a.ValueOffset(a.Len()-1)-a.ValueOffset(0)) + int64(len(a.Value(a.Len()-1))) + 4*rows
			}
		default:
			if fw, ok := col.DataType().(arrow.FixedWidthDataType); ok {
				n += rows * int64(max(fw.BitWidth(), 8)) / 8
			} else {
				n += dataBytes(col.Data())
			}
		}
	}
	return n
}

// dataBytes sums the buffers of an array and its children.
func dataBytes(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataBytes(c)
	}
	return n
}
