package delta

// Progress reports how far a long operation has got, for progress bars
// and logs. Callbacks receive it from the goroutine running the
// operation; they must return quickly.
type Progress struct {
	// Operation is the commitInfo operation name: "DELETE", "UPDATE",
	// "MERGE".
	Operation string
	// Phase is "scan" (finding the rows the operation touches), "join"
	// (MERGE matching target rows with the source) or "rewrite" (writing
	// new files and deletion vectors).
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
