package main

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
)

// progressBar draws an operation's progress on one terminal line,
// redrawn at most every interval; finish clears it so the result line
// prints clean. On anything but a terminal it draws nothing: logs and
// pipes get only the result.
type progressBar struct {
	w        io.Writer
	interval time.Duration
	last     time.Time
	drawn    bool
}

// newProgress returns the callback for delta's Progress options, and a
// finish function; both are no-ops unless stderr is a terminal.
func newProgress(e *env) (func(delta.Progress), func()) {
	if !e.progressTTY {
		return nil, func() {}
	}
	b := &progressBar{w: e.stderr, interval: 100 * time.Millisecond}
	return b.update, b.finish
}

func (b *progressBar) update(p delta.Progress) {
	now := time.Now()
	done := p.Total > 0 && p.Done == p.Total
	if !done && now.Sub(b.last) < b.interval {
		return
	}
	b.last = now
	fmt.Fprintf(b.w, "\r\033[K%s", renderProgress(p, 30))
	b.drawn = true
}

func (b *progressBar) finish() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

// renderProgress is the bar's text: a bar when the total is known, a
// count otherwise.
func renderProgress(p delta.Progress, width int) string {
	label := strings.ToLower(p.Operation) + " " + p.Phase
	if p.Total <= 0 {
		return fmt.Sprintf("%s: %d files", label, p.Done)
	}
	filled := int(int64(width) * min(p.Done, p.Total) / p.Total)
	return fmt.Sprintf("%s [%s%s] %d/%d files", label, strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Done, p.Total)
}

// writeProgress is write's bar: rows and bytes read, and the byte rate.
// Without a terminal it counts nothing and draws nothing.
type writeProgress struct {
	bar   *progressBar
	start time.Time
	bytes atomic.Int64
	rows  int64
}

func newWriteProgress(e *env) *writeProgress {
	if !e.progressTTY {
		return &writeProgress{}
	}
	return &writeProgress{bar: &progressBar{w: e.stderr, interval: 100 * time.Millisecond}, start: time.Now()}
}

// countBytes counts what is read through r.
func (p *writeProgress) countBytes(r io.Reader) io.Reader {
	if p.bar == nil {
		return r
	}
	return &countingReader{r: r, n: &p.bytes}
}

// countRows counts the rows of each batch the write takes from rr and
// redraws the bar.
func (p *writeProgress) countRows(rr array.RecordReader) array.RecordReader {
	if p.bar == nil {
		return rr
	}
	return &countingRecords{RecordReader: rr, p: p}
}

func (p *writeProgress) update() {
	now := time.Now()
	if now.Sub(p.bar.last) < p.bar.interval {
		return
	}
	p.bar.last = now
	fmt.Fprintf(p.bar.w, "\r\033[K%s", renderWriteProgress(p.rows, p.bytes.Load(), now.Sub(p.start)))
	p.bar.drawn = true
}

// finish clears the bar; calling it again does nothing.
func (p *writeProgress) finish() {
	if p.bar != nil {
		p.bar.finish()
		p.bar.drawn = false
	}
}

// renderWriteProgress is the write bar's text.
func renderWriteProgress(rows, bytes int64, elapsed time.Duration) string {
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(bytes) / s
	}
	return fmt.Sprintf("write: %d rows, %s read, %s/s", rows, humanBytes(float64(bytes)), humanBytes(rate))
}

// humanBytes formats a byte count in binary units.
func humanBytes(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	if i == 0 {
		return fmt.Sprintf("%.0f B", n)
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

type countingRecords struct {
	array.RecordReader
	p *writeProgress
}

func (c *countingRecords) Next() bool {
	if !c.RecordReader.Next() {
		return false
	}
	c.p.rows += c.RecordReader.RecordBatch().NumRows()
	c.p.update()
	return true
}
