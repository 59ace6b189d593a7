package delta

import (
	"errors"
	"fmt"

	"github.com/lakehouse-go/lakehouse/internal/checkpoint"
)

// Limits bound the size of single items a table's log and side files may
// hold, so that a hostile or broken table cannot make a reader allocate
// without bound. A zero field means its default; a negative one lifts that
// limit. Above a limit the operation fails with ErrLimitExceeded, naming
// the file, the limit and the field to raise, before the oversize item is
// read into memory.
type Limits struct {
	// MaxLogLineBytes bounds one line of a commit, log compaction or JSON
	// checkpoint: one action, with its stats and inline deletion vector.
	// Default: 64 MiB.
	MaxLogLineBytes int64
	// MaxCheckpointFooterBytes bounds the footer (schema and row-group
	// metadata) of a parquet checkpoint or sidecar. Default: 256 MiB.
	MaxCheckpointFooterBytes int64
	// MaxDeletionVectorBytes bounds the serialized size of one deletion
	// vector, inline or in a file. Default: 256 MiB.
	MaxDeletionVectorBytes int64
	// MaxStatsBytes bounds one file's JSON statistics string, which data
	// skipping and checkpoint writes parse. A filtered scan fails on a
	// longer one; a checkpoint writes it without stats_parsed. Default:
	// 16 MiB.
	MaxStatsBytes int64
}

// Default limits; see Limits.
const (
	DefaultMaxLogLineBytes          = 64 << 20
	DefaultMaxCheckpointFooterBytes = 256 << 20
	DefaultMaxDeletionVectorBytes   = 256 << 20
	DefaultMaxStatsBytes            = 16 << 20
)

// withDefaults fills zero fields. A negative field stays negative, so
// applying it twice changes nothing; effective turns it into 0, which the
// internal readers take as "no limit".
func (l Limits) withDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.MaxLogLineBytes, DefaultMaxLogLineBytes)
	def(&l.MaxCheckpointFooterBytes, DefaultMaxCheckpointFooterBytes)
	def(&l.MaxDeletionVectorBytes, DefaultMaxDeletionVectorBytes)
	def(&l.MaxStatsBytes, DefaultMaxStatsBytes)
	return l
}

// effective is a limit for the internal readers: 0 means none.
func effective(v int64) int64 { return max(v, 0) }

// exceeds reports whether size is over the limit v (negative: none).
func exceeds(size, v int64) bool { return v > 0 && size > v }

// LimitError reports an item larger than one of the Limits. It matches
// ErrLimitExceeded.
type LimitError struct {
	File   string // the file holding the item, as named in the log
	What   string // "line 3", "parquet footer", "deletion vector", "stats"
	Size   int64  // the item's size when known, else 0 (it was larger than Limit)
	Limit  int64
	Option string // the Limits field that raises it
}

func (e *LimitError) Error() string {
	size := fmt.Sprintf("more than %d bytes", e.Limit)
	if e.Size > 0 {
		size = fmt.Sprintf("%d bytes, more than the limit of %d", e.Size, e.Limit)
	}
	return fmt.Sprintf("delta: %s: %s is %s; raise Options.Limits.%s to read it", e.File, e.What, size, e.Option)
}

// Is makes errors.Is(err, ErrLimitExceeded) hold.
func (e *LimitError) Is(target error) bool { return target == ErrLimitExceeded }

// limitFromInternal turns the size errors of internal readers into a
// *LimitError for file; other errors are returned unchanged.
func limitFromInternal(err error, file string) error {
	var line *checkpoint.LineTooLongError
	if errors.As(err, &line) {
		return &LimitError{File: file, What: fmt.Sprintf("line %d", line.Line), Limit: line.Limit, Option: "MaxLogLineBytes"}
	}
	var footer *checkpoint.FooterTooLargeError
	if errors.As(err, &footer) {
		return &LimitError{File: file, What: "parquet footer", Size: footer.Size, Limit: footer.Limit, Option: "MaxCheckpointFooterBytes"}
	}
	return err
}
