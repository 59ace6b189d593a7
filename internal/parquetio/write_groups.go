package parquetio

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Encoding dominates the cost of writing Parquet, and a Parquet file must
// hold each row group's column chunks one after another, so one file is
// normally encoded on one core. Here every row group is encoded by its own
// goroutine into a Parquet file of its own in memory; the caller's
// goroutine then copies the column chunks into the real file in order and
// writes one footer whose offsets point at their new places (stitch.go).
// A row group is encoded the same way however many run at once (pqarrow's
// file writer, or for a flat schema the column-by-column writer of
// write_flat.go), so the bytes of each column chunk do not depend on the
// parallelism: TestStitchedFileEqualsSerialFile compares them with one
// pqarrow writer's file.

// groupJob is one row group being encoded.
type groupJob struct {
	in      chan queuedBatch // closed when the row group has all its rows
	done    chan struct{}
	group   *encodedGroup
	err     error
	raw     int64 // in-memory bytes of its batches
	numRows int64
}

// queuedBatch is a batch handed to an encoder, with its in-memory size.
type queuedBatch struct {
	rec   arrow.RecordBatch // physical
	bytes int64
	// logical is the same rows as the caller gave them, for the
	// statistics, which the encoder's goroutine gathers; nil when the
	// caller gathered them.
	logical arrow.RecordBatch
}

// release lets go of both forms of the batch.
func (b queuedBatch) release() {
	b.rec.Release()
	if b.logical != nil {
		b.logical.Release()
	}
}

// groupEncoder runs row-group encodings, at most parallelism at a time;
// jobs are consumed in the order they were started. Each job's goroutine
// takes batches as they arrive: pqarrow's writer encodes them at once, so
// its job holds its encoded pages plus the batches queued for it; the flat
// writer keeps them until the row group is complete (at most a row
// group's rows, which inFlightRaw counts until the group is written).
// While every encoder is busy the caller runs ahead, queueing up to
// queueBudget bytes of rows, which is what lets the next row group start
// before the last one is done.
type groupEncoder struct {
	cfg   *writeConfig
	slots chan struct{}
	open  *groupJob   // the job receiving batches
	queue []*groupJob // jobs with all their rows, oldest first
	// inFlightRaw is the in-memory size of the batches of jobs not yet
	// written.
	inFlightRaw int64

	mu      sync.Mutex
	drained *sync.Cond
	queued  int64 // bytes handed to jobs and not yet encoded

	buffers *EncodeBuffers
}

// EncodeBuffers recycles the in-memory files row groups are encoded into
// once their chunks are written: a fresh buffer grown to a row group's
// size is zeroed, and copied as it doubles, several times over. A writer
// has its own unless WriteOptions.Buffers shares one among writers (a
// table write's partition files, each of which would otherwise grow its
// first buffers anew). It is safe for concurrent use.
type EncodeBuffers struct {
	// lastSize is the size of the last encoded row group's file, to size
	// a fresh buffer.
	lastSize atomic.Int64
	free     chan []byte
}

// NewEncodeBuffers keeps up to keep buffers for reuse.
func NewEncodeBuffers(keep int) *EncodeBuffers {
	return &EncodeBuffers{free: make(chan []byte, max(keep, 1))}
}

// get returns an empty buffer, a recycled one when there is one.
func (b *EncodeBuffers) get() *bytes.Buffer {
	select {
	case p := <-b.free:
		return bytes.NewBuffer(p[:0])
	default:
	}
	var buf bytes.Buffer
	if n := b.lastSize.Load(); n > 0 {
		buf.Grow(int(n + n/8))
	}
	return &buf
}

// put takes back a buffer whose bytes are no longer used.
func (b *EncodeBuffers) put(p []byte) {
	if p == nil {
		return
	}
	select {
	case b.free <- p:
	default:
	}
}

// queueBudget bounds the bytes of rows an encoder holds queued.
const queueBudget = 32 << 20

// queueDepth is how many batches a job's channel holds; the byte budget
// usually binds first.
const queueDepth = 1024

func newGroupEncoder(cfg *writeConfig) *groupEncoder {
	e := &groupEncoder{cfg: cfg, slots: make(chan struct{}, cfg.opts.Parallelism)}
	e.drained = sync.NewCond(&e.mu)
	e.buffers = cfg.opts.Buffers
	if e.buffers == nil {
		e.buffers = NewEncodeBuffers(cfg.opts.Parallelism + 1)
	}
	return e
}

// add hands one batch (physical schema) to the open row group, starting
// one if none is open; it takes over the caller's reference. It blocks
// while the queue is over budget, or while parallelism jobs run and a new
// one must start.
func (e *groupEncoder) add(rec, logical arrow.RecordBatch, bytes int64) {
	if e.open == nil {
		e.slots <- struct{}{}
		j := &groupJob{in: make(chan queuedBatch, queueDepth), done: make(chan struct{})}
		e.open = j
		go e.run(j)
	}
	e.mu.Lock()
	for e.queued > 0 && e.queued+bytes > queueBudget {
		e.drained.Wait()
	}
	e.queued += bytes
	e.mu.Unlock()
	e.open.in <- queuedBatch{rec: rec, bytes: bytes, logical: logical}
	e.open.raw += bytes
	e.open.numRows += rec.NumRows()
	e.inFlightRaw += bytes
}

// endGroup closes the open row group: its job finishes on its own.
func (e *groupEncoder) endGroup() {
	if e.open != nil {
		close(e.open.in)
		e.queue = append(e.queue, e.open)
		e.open = nil
	}
}

func (e *groupEncoder) run(j *groupJob) {
	defer close(j.done)
	defer func() { <-e.slots }()
	j.group, j.err = encodeGroup(e.cfg, j.in, e.encoded, e.buffers)
	for b := range j.in { // after a failure: release what is still coming
		b.release()
		e.encoded(b.bytes)
	}
}

// encoded returns n bytes of the queue budget.
func (e *groupEncoder) encoded(n int64) {
	e.mu.Lock()
	e.queued -= n
	e.mu.Unlock()
	e.drained.Broadcast()
}

// next returns the oldest job with all its rows, waiting for it to finish
// encoding when wait is set; nil when there is none (or it is still
// running and wait is not set).
func (e *groupEncoder) next(wait bool) *groupJob {
	if len(e.queue) == 0 {
		return nil
	}
	j := e.queue[0]
	if wait {
		<-j.done
	} else {
		select {
		case <-j.done:
		default:
			return nil
		}
	}
	e.queue[0] = nil
	e.queue = e.queue[1:]
	e.inFlightRaw -= j.raw
	return j
}

// encodeGroup encodes the batches in as a one-row-group Parquet file in
// memory, gathering their statistics and releasing each once the writer
// has what it needs of it, and cuts the row group out of it.
func encodeGroup(cfg *writeConfig, in <-chan queuedBatch, encoded func(int64), buffers *EncodeBuffers) (g *encodedGroup, err error) {
	defer func() {
		// pqarrow panics on some malformed arrays rather than failing;
		// this runs on its own goroutine, where a panic would end the
		// process.
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("parquetio: encoding a row group failed: %v", r)
		}
	}()
	buf := buffers.get()
	stats := newStatsCollector(cfg.logical, cfg.opts.ColumnMapping, cfg.selection())
	if err := encodeRows(cfg, buf, in, func(b queuedBatch) {
		if b.logical != nil {
			stats.observe(b.logical, cfg.opts.ColumnMapping)
		}
		b.release()
		encoded(b.bytes)
	}); err != nil {
		return nil, err
	}
	buffers.lastSize.Store(int64(buf.Len()))
	g, err = splitEncodedFile(buf.Bytes())
	if err != nil {
		return nil, err
	}
	g.file, g.stats = buf.Bytes(), stats
	if !cfg.snappyPages {
		return g, nil
	}
	out := buffers.get()
	if err := snappyGroup(g, out.Bytes()); err != nil {
		return nil, fmt.Errorf("parquetio: compress row group: %w", err)
	}
	buffers.put(g.file)
	g.file = g.chunks
	return g, nil
}

// encodeRows writes the batches in as one row group, handing each to done
// once the writer has what it needs of it.
func encodeRows(cfg *writeConfig, w io.Writer, in <-chan queuedBatch, done func(queuedBatch)) error {
	if cfg.flat != nil {
		g, err := newFlatGroup(cfg, w)
		if err != nil {
			return err
		}
		for b := range in {
			g.write(b.rec)
			done(b)
		}
		return g.close()
	}
	fw, err := pqarrow.NewFileWriter(cfg.physical, w, cfg.props, cfg.arrProps)
	if err != nil {
		return fmt.Errorf("parquetio: start row group: %w", err)
	}
	for b := range in {
		err = fw.WriteBuffered(b.rec)
		done(b)
		if err != nil {
			_ = fw.Close()
			return fmt.Errorf("parquetio: write batch: %w", err)
		}
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("parquetio: finish row group: %w", err)
	}
	return nil
}

// encodeEmptyFile writes a Parquet file with no row groups to w.
func encodeEmptyFile(cfg *writeConfig, w io.Writer) error {
	fw, err := pqarrow.NewFileWriter(cfg.physical, w, cfg.props, cfg.arrProps)
	if err != nil {
		return fmt.Errorf("parquetio: start file: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("parquetio: finish file: %w", err)
	}
	return nil
}
