package delta

// SetReadAheadWholeFileBytes sets the size up to which the scan
// read-ahead fetches a file whole, for tests that need the chunk-by-chunk
// path on small files; it returns a function that restores the default.
// Tests using it must not run in parallel.
func SetReadAheadWholeFileBytes(n int64) (restore func()) {
	old := wholeFileBytes
	wholeFileBytes = n
	return func() { wholeFileBytes = old }
}
