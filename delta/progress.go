package delta

import "sync"

// Progress reports how far a long operation has got, for progress bars
// and logs. Callbacks are never called concurrently, but may be called
// from goroutines the operation starts; they must return quickly.
type Progress struct {
	// Operation is the commitInfo operation name: "DELETE", "UPDATE",
	// "MERGE", "CLONE", "VACUUM".
	Operation string
	// Phase is "scan" (finding the rows the operation touches), "join"
	// (MERGE matching target rows with the source), "rewrite" (writing
	// new files and deletion vectors), "copy" (a deep CLONE) or "delete"
	// (VACUUM).
	Phase string
	// Done counts the data files finished in this phase; Total is their
	// number, or -1 while it is not known yet.
	Done, Total int64
}

// report calls the operation's progress callback, if any.
func (d *dml) report(phase string, done, total int64) {
	if d.progress != nil {
		d.progress(Progress{Operation: d.operation, Phase: phase, Done: done, Total: total})
	}
}

// fileCounter reports Done/Total progress from parallel workers.
type fileCounter struct {
	mu       sync.Mutex
	fn       func(Progress)
	op, step string
	done     int64
	total    int64
}

func newFileCounter(fn func(Progress), op, step string, total int) *fileCounter {
	return &fileCounter{fn: fn, op: op, step: step, total: int64(total)}
}

// add counts one finished file.
func (c *fileCounter) add() {
	if c == nil || c.fn == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done++
	c.fn(Progress{Operation: c.op, Phase: c.step, Done: c.done, Total: c.total})
}
