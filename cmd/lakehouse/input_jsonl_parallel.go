package main

import (
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// JSON lines decode on every core: one goroutine reads chunks of
// inputBatchRows lines, workers turn each chunk into a batch with their
// own builder, and Next hands the batches out in input order. Decoding is
// most of the cost of `lakehouse write` (arrow's JSON builder), and lines
// are independent, so this scales with the cores; memory stays bounded by
// the chunks in flight (one per worker, one being read and one handed out).

// jsonChunk is one batch's worth of lines and, once decoded, its batch or
// the error of its first bad line.
type jsonChunk struct {
	buf   []byte // the lines, one after another
	lines [][]byte
	nums  []int
	rec   arrow.RecordBatch
	err   error
	done  chan struct{}
}

// decoders runs the read and decode goroutines of a jsonlReader.
type decoders struct {
	order chan *jsonChunk // chunks in input order, as read
	bufs  chan []byte     // chunk buffers done with, for reuse
	stop  chan struct{}
	wg    sync.WaitGroup
}

// startDecoders starts reading and decoding; Next takes from order.
func (jr *jsonlReader) startDecoders(mem memory.Allocator) {
	workers := max(1, runtime.GOMAXPROCS(0))
	d := &decoders{order: make(chan *jsonChunk, max(1, workers-1)), bufs: make(chan []byte, 1), stop: make(chan struct{})}
	work := make(chan *jsonChunk)
	d.wg.Add(1)
	go func() { // reader
		defer d.wg.Done()
		defer close(d.order)
		defer close(work)
		for {
			c := &jsonChunk{done: make(chan struct{})}
			select {
			case c.buf = <-d.bufs:
			default:
			}
			readErr := jr.fillChunk(c)
			if len(c.lines) == 0 && readErr == nil {
				return
			}
			if readErr != nil && len(c.lines) == 0 {
				c.err = readErr
				close(c.done)
				select {
				case d.order <- c:
				case <-d.stop:
				}
				return
			}
			c.err = readErr // reported after the chunk's own lines
			select {
			case d.order <- c:
			case <-d.stop:
				return
			}
			select {
			case work <- c:
			case <-d.stop:
				close(c.done) // queued in order but never decoded: nothing to release
				return
			}
			if readErr != nil {
				return
			}
		}
	}()
	for range workers {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			b := array.NewRecordBuilder(mem, jr.schema)
			rs := newRowScanner(b, jr.quote)
			defer func() { b.Release() }()
			for c := range work {
				readErr := c.err
				c.err = nil
				uneven := false
				rs.reserve(len(c.lines))
				for i, ln := range c.lines {
					if c.err, uneven = rs.decodeLine(jr, b, ln, c.nums[i]); c.err != nil {
						break
					}
				}
				if c.err == nil {
					c.err = readErr
				}
				if uneven {
					// A nested value failed part way through its row, or a
					// map is malformed: start afresh.
					b.Release()
					b = array.NewRecordBuilder(mem, jr.schema)
					rs = newRowScanner(b, jr.quote)
				} else {
					rec := b.NewRecordBatch() // also resets the builder after an error
					if c.err != nil {
						rec.Release()
					} else {
						c.rec = rec
					}
				}
				select {
				case d.bufs <- c.buf[:0]:
				default:
				}
				c.buf, c.lines, c.nums = nil, nil, nil
				close(c.done)
			}
		}()
	}
	jr.dec = d
}

// fillChunk reads up to inputBatchRows lines into c.buf: the sampled ones
// first.
func (jr *jsonlReader) fillChunk(c *jsonChunk) error {
	if c.buf == nil && jr.chunkBytes > 0 {
		// Sized as the last chunk, not grown by doubling: the copies
		// left behind would be garbage the size of a chunk.
		c.buf = make([]byte, 0, jr.chunkBytes+jr.chunkBytes/8)
	}
	defer func() { jr.chunkBytes = len(c.buf) }()
	ends := make([]int, 0, inputBatchRows)
	var err error
	for len(ends) < inputBatchRows {
		if len(jr.pending) > 0 {
			c.buf = append(c.buf, jr.pending[0]...)
			ends, c.nums = append(ends, len(c.buf)), append(c.nums, jr.pendLine[0])
			jr.pending[0] = nil
			jr.pending, jr.pendLine = jr.pending[1:], jr.pendLine[1:]
			continue
		}
		var ok bool
		if c.buf, ok, err = jr.appendLine(c.buf); !ok {
			break
		}
		ends, c.nums = append(ends, len(c.buf)), append(c.nums, jr.line)
	}
	c.lines = make([][]byte, len(ends))
	start := 0
	for i, end := range ends {
		c.lines[i] = c.buf[start:end:end]
		start = end
	}
	return err
}

// stopDecoders ends the goroutines and releases batches not handed out.
func (jr *jsonlReader) stopDecoders() {
	d := jr.dec
	if d == nil {
		return
	}
	jr.dec = nil
	close(d.stop)
	for c := range d.order {
		<-c.done
		if c.rec != nil {
			c.rec.Release()
		}
	}
	d.wg.Wait()
}
