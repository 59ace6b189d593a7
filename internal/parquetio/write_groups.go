package parquetio

import (
	"bytes"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Encoding dominates the cost of writing Parquet, and a Parquet file must
// hold each row group's column chunks one after another, so one file is
// normally encoded on one core. Here every row group is encoded by its own
// goroutine into a Parquet file of its own in memory; the caller's
// goroutine then copies the column chunks into the real file in order and
// writes one footer whose offsets point at their new places (stitch.go).
// The encoder is the same pqarrow writer with the same properties, so the
// bytes of each column chunk are exactly what a serial writer produces.

// groupJob is one row group being encoded.
type groupJob struct {
	done    chan struct{}
	group   *encodedGroup
	err     error
	raw     int64 // in-memory bytes of its batches
	numRows int64
}

// groupEncoder runs row-group encodings, at most parallelism at a time;
// jobs are consumed in submission order.
type groupEncoder struct {
	cfg   *writeConfig
	slots chan struct{}
	queue []*groupJob
	// inFlightRaw is the in-memory size of the batches of queued jobs.
	inFlightRaw int64
}

func newGroupEncoder(cfg *writeConfig) *groupEncoder {
	return &groupEncoder{cfg: cfg, slots: make(chan struct{}, cfg.opts.Parallelism)}
}

// submit starts encoding batches (physical schema, at most one row
// group's rows) as one row group; it takes over the caller's references.
// It blocks while parallelism encodings are running.
func (e *groupEncoder) submit(batches []arrow.RecordBatch, rows, raw int64) {
	j := &groupJob{done: make(chan struct{}), raw: raw, numRows: rows}
	e.slots <- struct{}{}
	e.queue = append(e.queue, j)
	e.inFlightRaw += raw
	go func() {
		defer close(j.done)
		defer func() { <-e.slots }()
		defer func() {
			for _, b := range batches {
				b.Release()
			}
		}()
		j.group, j.err = encodeGroup(e.cfg, batches)
	}()
}

// next returns the oldest job, waiting for it when wait is set; nil when
// there is none (or it is still running and wait is not set).
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

// encodeGroup encodes batches as a one-row-group Parquet file in memory
// and cuts the row group out of it.
func encodeGroup(cfg *writeConfig, batches []arrow.RecordBatch) (g *encodedGroup, err error) {
	defer func() {
		// pqarrow panics on some malformed arrays rather than failing;
		// this runs on its own goroutine, where a panic would end the
		// process.
		if r := recover(); r != nil {
			g, err = nil, fmt.Errorf("parquetio: encoding a row group failed: %v", r)
		}
	}()
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(cfg.physical, &buf, cfg.props, cfg.arrProps)
	if err != nil {
		return nil, fmt.Errorf("parquetio: start row group: %w", err)
	}
	// A serial row group writes each column chunk to buf as soon as it is
	// encoded, so only one column's pages are held besides buf (a
	// buffered one holds every column's pages, then copies them).
	if err := fw.NewRowGroupChecked(); err != nil {
		_ = fw.Close()
		return nil, fmt.Errorf("parquetio: start row group: %w", err)
	}
	chunks := make([]arrow.Array, len(batches))
	for i, f := range cfg.physical.Fields() {
		var rows int64
		for j, b := range batches {
			chunks[j] = b.Column(i)
			rows += b.NumRows()
		}
		col := arrow.NewChunked(f.Type, chunks)
		err := fw.WriteColumnChunked(col, 0, rows)
		col.Release()
		if err != nil {
			_ = fw.Close()
			return nil, fmt.Errorf("parquetio: write batch: %w", err)
		}
	}
	if err := fw.Close(); err != nil {
		return nil, fmt.Errorf("parquetio: finish row group: %w", err)
	}
	return splitEncodedFile(buf.Bytes())
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
