package parquetio

// SetSeekGapRows sets the gap past which ReadRows seeks instead of
// skipping, and returns a function that restores it.
func SetSeekGapRows(n int64) (restore func()) {
	old := seekGapRows
	seekGapRows = n
	return func() { seekGapRows = old }
}

// SetPagedReadMinFile sets the smallest file read page by page, and
// returns a function that restores it.
func SetPagedReadMinFile(n int64) (restore func()) {
	old := pagedReadMinFile
	pagedReadMinFile = n
	return func() { pagedReadMinFile = old }
}

// PageReads is the number of columns ReadRows has read from their pages.
func (f *File) PageReads() int { return f.pageReads }
