package main

import (
	"fmt"
	"io"
	"strings"
	"time"

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
