package delta

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Errors returned by this package. Each can be matched with errors.Is;
// returned errors wrap them with the table, version or path involved.
var (
	// ErrNotATable is returned by Open and the snapshot methods when the
	// location has no _delta_log, or a _delta_log without any commit.
	ErrNotATable = errors.New("delta: not a Delta table")

	// ErrVersionNotFound is returned when a requested version (or the
	// version a timestamp resolves to) does not exist or can no longer be
	// reconstructed because its log files were cleaned up.
	ErrVersionNotFound = logreplay.ErrVersionNotFound

	// ErrCorruptLog is returned when the transaction log breaks the
	// protocol: unreadable JSON or checkpoints, a missing protocol or
	// metadata action, a gap between commit versions. Nothing is returned
	// from a table in this state: partial results would look complete.
	ErrCorruptLog = errors.New("delta: corrupt transaction log")

	// ErrLogGap is returned when commit versions are not contiguous. It
	// also matches ErrCorruptLog.
	ErrLogGap = logreplay.ErrLogGap

	// ErrUnsupportedFeature is returned when a table needs a protocol
	// version or table feature this library does not implement (every
	// *UnsupportedFeatureError matches it), and for operations this
	// library does not offer on a table with a given feature enabled.
	ErrUnsupportedFeature = errors.New("delta: unsupported table feature")

	// ErrInvalidArgument is returned for bad options, unknown columns and
	// other caller mistakes.
	ErrInvalidArgument = errors.New("delta: invalid argument")

	// ErrUnsupportedType is returned when a column is defined (Create,
	// CreateAsSelect, OverwriteSchema, AddColumns, MergeSchema) with an
	// Arrow type Delta has no type for: time of day, durations, intervals,
	// unions, fixed-size lists and list views, decimals wider than 38
	// digits, and nanosecond timestamps. The message names the column and
	// the type to use instead; the package documentation has the full
	// type table. It also matches ErrInvalidArgument.
	ErrUnsupportedType = fmt.Errorf("%w: unsupported type", ErrInvalidArgument)

	// ErrOutsideRoot is returned when the log names a file to read (data,
	// change data, deletion vector or checkpoint sidecar) outside the
	// table's root: an absolute path elsewhere, a relative path that climbs
	// out with "..", a symbolic link on local disk that leads out, or
	// another URL scheme. Such a file is never opened unless
	// Options.AllowedRoots holds its location (or Options.AllowAnyRoot is
	// set): a table written by someone else could otherwise make the reader
	// open any file the process can read.
	ErrOutsideRoot = errors.New("delta: file outside the table root")

	// ErrLimitExceeded is returned when one item of the log or its side
	// files (a log line, a checkpoint footer, a deletion vector, a stats
	// string) is larger than Options.Limits allows. Every *LimitError
	// matches it. The item is not read into memory.
	ErrLimitExceeded = errors.New("delta: size limit exceeded")

	// ErrInvalidPath is returned by Open, Create and the other functions
	// taking a table URL when the URL names no location: an empty string,
	// a malformed file:// URL, or a scheme no gocloud.dev/blob driver was
	// imported for. It also matches ErrInvalidArgument.
	ErrInvalidPath = fmt.Errorf("%w: invalid table path", ErrInvalidArgument)

	// ErrMissingDataFile is returned by scans and by the operations that
	// read data files (Delete, Update, Merge, Optimize, change data feed)
	// when a file the log references is not in storage: vacuumed too
	// early, or lost in an incomplete copy. The error also matches
	// fs.ErrNotExist, and *MissingFilesError (Restore, Clone) matches it.
	ErrMissingDataFile = errors.New("delta: data file missing")

	// ErrCorruptDataFile is returned by the same operations when a data
	// file is not valid Parquet (truncated, overwritten, not Parquet at
	// all) or its pages do not decode. The message names the file.
	ErrCorruptDataFile = errors.New("delta: corrupt data file")
)

// UnsupportedFeatureError names a reader/writer version or table feature
// this library cannot honour. Reading or writing such a table would give
// wrong results, so the operation stops before any work. It matches
// ErrUnsupportedFeature.
type UnsupportedFeatureError struct {
	// Feature is the table feature's name (deletionVectors, rowTracking,
	// …), or "readerVersion=N" / "writerVersion=N" for a protocol version
	// newer than this library's.
	Feature string
	// Writer is true when only writing is affected: the table can still
	// be read.
	Writer bool
}

func (e *UnsupportedFeatureError) Error() string {
	side := "read"
	if e.Writer {
		side = "write"
	}
	return fmt.Sprintf("delta: unsupported table feature %q: this library cannot %s the table safely; use an engine that supports it (or drop the feature with that engine)", e.Feature, side)
}

// Is makes errors.Is(err, ErrUnsupportedFeature) hold.
func (e *UnsupportedFeatureError) Is(target error) bool { return target == ErrUnsupportedFeature }

// checkReadSupported fails with *UnsupportedFeatureError when reading a
// table with protocol p needs something this library lacks.
func checkReadSupported(p *protocol.Protocol) error {
	if u, ok := protocol.ReadUnsupported(p); ok {
		return &UnsupportedFeatureError{Feature: u.Feature, Writer: u.Writer}
	}
	return nil
}

// checkWriteSupported is checkReadSupported for writing.
func checkWriteSupported(p *protocol.Protocol) error {
	if u, ok := protocol.WriteUnsupported(p, protocol.SupportedWriterFeatures); ok {
		return &UnsupportedFeatureError{Feature: u.Feature, Writer: u.Writer}
	}
	return nil
}

// corrupt wraps a cause as ErrCorruptLog with context.
func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorruptLog, fmt.Sprintf(format, args...))
}

// classify maps internal errors onto this package's sentinels without
// losing the original chain.
func classify(err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, logreplay.ErrNoCommits):
		return under(ErrNotATable, err)
	case errors.Is(err, logreplay.ErrLogGap), errors.Is(err, protocol.ErrMalformed):
		if errors.Is(err, ErrCorruptLog) {
			return err
		}
		return under(ErrCorruptLog, err)
	}
	return err
}

// prefixed is an error that reads as one "delta: ..." message while
// every error it was built from stays matchable with errors.Is and As.
type prefixed struct {
	msg  string
	errs []error
}

func (e *prefixed) Error() string   { return e.msg }
func (e *prefixed) Unwrap() []error { return e.errs }

// wrapf is fmt.Errorf("delta: "+format+": %w", args..., err) for an err
// that may itself come from this package: its own "delta: " is dropped,
// so stacked context reads "delta: a: b: cause", not "delta: a: delta: b:
// cause".
func wrapf(err error, format string, args ...any) error {
	return &prefixed{msg: "delta: " + fmt.Sprintf(format, args...) + ": " + unprefixed(err), errs: []error{err}}
}

// under files err under the sentinel kind as well, without repeating the
// "delta: " prefix both carry.
func under(kind, err error) error {
	return &prefixed{msg: kind.Error() + ": " + unprefixed(err), errs: []error{kind, err}}
}

func unprefixed(err error) string { return strings.TrimPrefix(err.Error(), "delta: ") }

// readErr is the error for a failure reading data file p: filed under
// ErrCorruptDataFile when the file does not decode as Parquet.
func readErr(p string, err error) error {
	if errors.Is(err, parquetio.ErrCorruptFile) {
		return &prefixed{msg: "delta: read " + p + ": " + unprefixed(err), errs: []error{ErrCorruptDataFile, err}}
	}
	return fmt.Errorf("delta: read %s: %w", p, err)
}
