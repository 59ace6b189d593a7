package parquetio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/arrowmem"
)

// fileWriter writes one Parquet file and collects its statistics. Rows are
// gathered into row groups, each encoded on its own goroutine
// (groupEncoder); finished row groups are written to the sink in order
// from the caller's goroutine, and close writes the page index and footer.
type fileWriter struct {
	cfg   *writeConfig
	out   io.Writer
	n     int64 // bytes written to out
	enc   *groupEncoder
	stats *statsCollector
	rows  int64

	groupRows int64 // rows handed to the open row group

	placed   []*placedGroup
	template []byte // a FileMetaData to stitch the footer from
	// encoded and encodedRaw relate encoded bytes to in-memory bytes, to
	// estimate the size of row groups not yet encoded.
	encoded, encodedRaw int64
}

func newFileWriter(w io.Writer, cfg *writeConfig, enc *groupEncoder) *fileWriter {
	return &fileWriter{cfg: cfg, out: w, enc: enc, stats: newStatsCollector(cfg.logical, cfg.opts.ColumnMapping, cfg.selection())}
}

// write appends rec, whose schema must have the logical schema's types.
func (f *fileWriter) write(rec arrow.RecordBatch) error {
	if err := checkBatchSchema(f.cfg.logical, rec.Schema()); err != nil {
		return err
	}
	maxRows := f.cfg.opts.RowGroupSize
	for off := int64(0); off < rec.NumRows(); {
		n := min(rec.NumRows()-off, maxRows-f.groupRows)
		part := rec
		if off > 0 || n < rec.NumRows() {
			part = rec.NewSlice(off, off+n)
		}
		cols := make([]arrow.Array, part.NumCols())
		for i := range cols {
			settleNullCounts(part.Column(i))
			cols[i] = relabel(part.Column(i), f.cfg.physical.Field(i).Type)
		}
		b := recordBytes(part)
		if part == rec {
			rec.Retain() // the caller keeps its own reference
		}
		logical := part // its statistics are gathered by the encoder
		if retained := arrowmem.RecordCapacity(part); retained > 2*b+(64<<10) {
			// A small slice of a large batch (one partition's rows), or a
			// batch whose buffers were sized for many more rows, would
			// keep all that memory alive until its row group is encoded;
			// with many partitions open that is every batch. Copy it, and
			// gather its statistics here rather than keep it for them.
			err := compactColumns(cols, f.cfg.opts.Allocator)
			if err != nil {
				for _, c := range cols {
					c.Release()
				}
				part.Release()
				return err
			}
			f.stats.observe(part, f.cfg.opts.ColumnMapping)
			part.Release()
			logical = nil
		}
		phys := array.NewRecordBatch(f.cfg.physical, cols, n)
		for _, c := range cols {
			c.Release()
		}
		f.enc.add(phys, logical, b)
		f.groupRows += n
		off += n
		if f.groupRows >= maxRows {
			if err := f.endGroup(); err != nil {
				return err
			}
		}
	}
	f.rows += rec.NumRows()
	return f.writeFinished(false)
}

// settleNullCounts computes the null counts of arr and the arrays inside
// it on the caller's goroutine. Arrow computes a count when first asked
// and stores it in the array's data, which the caller may share: were
// the encoder's goroutine the first to ask while the caller's goroutine
// reads the same data (an UPDATE filtering the rows it just wrote, for
// the change feed), the two would race.
func settleNullCounts(arr arrow.Array) {
	arr.NullN()
	switch a := arr.(type) {
	case *array.Struct:
		for i := 0; i < a.NumField(); i++ {
			settleNullCounts(a.Field(i))
		}
	case array.ListLike:
		settleNullCounts(a.ListValues())
	case *array.Dictionary:
		settleNullCounts(a.Dictionary())
	}
}

// endGroup ends the open row group.
func (f *fileWriter) endGroup() error {
	if f.groupRows == 0 {
		return nil
	}
	f.enc.endGroup()
	f.groupRows = 0
	// Keep no more finished row groups waiting than there are encoders.
	for len(f.enc.queue) > cap(f.enc.slots) {
		if err := f.writeJob(f.enc.next(true)); err != nil {
			return err
		}
	}
	return nil
}

// writeFinished writes the encoded row groups at the head of the queue;
// with wait, it waits for every one.
func (f *fileWriter) writeFinished(wait bool) error {
	for {
		j := f.enc.next(wait)
		if j == nil {
			return nil
		}
		if err := f.writeJob(j); err != nil {
			return err
		}
	}
}

func (f *fileWriter) writeJob(j *groupJob) error {
	if j.err != nil {
		return j.err
	}
	g := j.group
	if f.n == 0 {
		if err := f.put(parquetMagic); err != nil {
			return err
		}
	}
	shift := f.n - g.base
	if err := f.put(g.chunks); err != nil {
		return err
	}
	f.enc.buffers.put(g.file)
	g.file = nil
	f.stats.merge(g.stats)
	g.stats = nil
	if f.template == nil {
		f.template = g.footer
	}
	f.placed = append(f.placed, &placedGroup{
		rowGroup: g.rowGroup, columnIndex: g.columnIndex, offsetIndex: g.offsetIndex,
		numRows: g.numRows, shift: shift,
	})
	f.encoded += int64(len(g.chunks))
	f.encodedRaw += j.raw
	return nil
}

func (f *fileWriter) put(p []byte) error {
	n, err := f.out.Write(p)
	f.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("parquetio: write file: %w", err)
	}
	return nil
}

// size estimates the file size so far: bytes written, plus the row groups
// not yet written at the compression seen so far.
func (f *fileWriter) size() int64 {
	n := max(f.n, int64(len(parquetMagic)))
	if f.encodedRaw > 0 {
		n += f.enc.inFlightRaw * f.encoded / f.encodedRaw
	}
	return n
}

// buffered is the in-memory size of the rows not yet written.
func (f *fileWriter) buffered() int64 { return f.enc.inFlightRaw }

// flush ends the row group being gathered and writes every row group.
func (f *fileWriter) flush() error {
	if err := f.endGroup(); err != nil {
		return err
	}
	return f.writeFinished(true)
}

// close writes the rest of the file: row groups, page index and footer,
// and returns the statistics and the file's size.
func (f *fileWriter) close() (FileStats, int64, error) {
	if err := f.flush(); err != nil {
		f.discard()
		return FileStats{}, 0, err
	}
	if len(f.placed) == 0 {
		cw := &countWriter{w: f.out}
		if err := encodeEmptyFile(f.cfg, cw); err != nil {
			return FileStats{}, 0, err
		}
		f.n = cw.n
	} else if err := f.writeFooter(); err != nil {
		return FileStats{}, 0, err
	}
	return f.stats.finish(f.cfg.prefixLen), f.n, nil
}

// discard waits for the encodings in flight and drops everything not yet
// written, releasing its memory.
func (f *fileWriter) discard() {
	f.enc.endGroup()
	f.groupRows = 0
	for f.enc.next(true) != nil {
	}
}

// writeFooter writes the page index of every row group (column indexes,
// then offset indexes, as parquet-mr lays them out), the footer, its
// length and the magic.
func (f *fileWriter) writeFooter() error {
	for _, p := range f.placed {
		p.colIdxOff = make([]int64, len(p.columnIndex))
		for c, ci := range p.columnIndex {
			p.colIdxOff[c] = -1
			if ci != nil {
				p.colIdxOff[c] = f.n
				if err := f.put(ci); err != nil {
					return err
				}
			}
		}
	}
	for _, p := range f.placed {
		p.offIdxOff = make([]int64, len(p.offsetIndex))
		p.offIdxLen = make([]int64, len(p.offsetIndex))
		for c, oi := range p.offsetIndex {
			p.offIdxOff[c] = -1
			if oi == nil {
				continue
			}
			moved, err := relocateOffsetIndex(oi, p.shift)
			if err != nil {
				return err
			}
			p.offIdxOff[c], p.offIdxLen[c] = f.n, int64(len(moved))
			if err := f.put(moved); err != nil {
				return err
			}
		}
	}
	rgs := make([][]byte, len(f.placed))
	var rows int64
	for i, p := range f.placed {
		rg, err := relocateRowGroup(p, i)
		if err != nil {
			return err
		}
		rgs[i] = rg
		rows += p.numRows
	}
	footer, err := stitchedFooter(f.template, rows, rgs)
	if err != nil {
		return err
	}
	tail := binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
	return f.put(append(tail, parquetMagic...))
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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
	fw := newFileWriter(w, cfg, newGroupEncoder(cfg))
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			fw.discard()
			return FileStats{}, err
		}
		if err := fw.write(rr.RecordBatch()); err != nil {
			fw.discard()
			return FileStats{}, err
		}
	}
	if err := rr.Err(); err != nil {
		fw.discard()
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
	enc   *groupEncoder
	open  func(ctx context.Context) (Sink, error)
	sink  Sink
	cur   *fileWriter
	files []WrittenFile
	err   error
	// target is what CopyRowGroup's sources must match, once asked.
	target *copyTarget
	// subConfigs encode the columns CopyRowGroupReplacing replaces, by
	// the set of columns.
	subConfigs map[string]*writeConfig
}

// NewRollingWriter returns a writer for batches of schema; open is called
// for each new file, in order.
func NewRollingWriter(schema *arrow.Schema, open func(ctx context.Context) (Sink, error), opts *WriteOptions) (*RollingWriter, error) {
	cfg, err := newWriteConfig(schema, opts)
	if err != nil {
		return nil, err
	}
	return &RollingWriter{cfg: cfg, enc: newGroupEncoder(cfg), open: open}, nil
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
		if err := w.openFile(ctx); err != nil {
			return err
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

// openFile starts the next file unless one is open.
func (w *RollingWriter) openFile(ctx context.Context) error {
	if w.cur != nil {
		return nil
	}
	sink, err := w.open(ctx)
	if err != nil {
		return fmt.Errorf("parquetio: open file: %w", err)
	}
	w.sink = sink
	w.cur = newFileWriter(sink, w.cfg, w.enc)
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
		w.cur.discard()
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

// Buffered is the in-memory size of the rows the file in progress holds
// and has not yet written: the row group being gathered and the row groups
// being encoded.
func (w *RollingWriter) Buffered() int64 {
	if w.cur == nil {
		return 0
	}
	return w.cur.buffered()
}

// EndRowGroup ends the row group being gathered, so that it starts
// encoding, without waiting for it: a caller about to close many files
// ends every file's last row group first, and they encode side by side.
func (w *RollingWriter) EndRowGroup() error {
	if w.err != nil {
		return w.err
	}
	if w.cur == nil {
		return nil
	}
	if err := w.cur.endGroup(); err != nil {
		err = fmt.Errorf("parquetio: end row group: %w", err)
		w.fail(err)
		return err
	}
	return nil
}

// FlushRowGroup ends the row group being gathered and writes every
// buffered row group to the sink now, so that a caller holding many open
// files can bound their memory without starting more files.
func (w *RollingWriter) FlushRowGroup() error {
	if w.err != nil {
		return w.err
	}
	if w.cur == nil {
		return nil
	}
	if err := w.cur.flush(); err != nil {
		err = fmt.Errorf("parquetio: flush row group: %w", err)
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
				n += arrowmem.DataBytes(col.Data())
			}
		}
	}
	return n
}

// compactColumns replaces each array by a copy that owns only its rows.
func compactColumns(cols []arrow.Array, mem memory.Allocator) error {
	for i, c := range cols {
		cp, err := array.Concatenate([]arrow.Array{c}, mem)
		if err != nil {
			return fmt.Errorf("parquetio: copy rows: %w", err)
		}
		c.Release()
		cols[i] = cp
	}
	return nil
}
