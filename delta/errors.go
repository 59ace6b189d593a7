package delta

import (
	"errors"
	"fmt"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
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

	// ErrUnsupportedFeature matches every *UnsupportedFeatureError.
	ErrUnsupportedFeature = protocol.ErrUnsupportedFeature

	// ErrInvalidArgument is returned for bad options, unknown columns and
	// other caller mistakes.
	ErrInvalidArgument = errors.New("delta: invalid argument")
)

// UnsupportedFeatureError names a reader/writer version or table feature
// this library cannot honour. It matches ErrUnsupportedFeature.
type UnsupportedFeatureError = protocol.UnsupportedFeatureError

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
		return fmt.Errorf("%w: %w", ErrNotATable, err)
	case errors.Is(err, logreplay.ErrLogGap), errors.Is(err, protocol.ErrMalformed):
		if errors.Is(err, ErrCorruptLog) {
			return err
		}
		return fmt.Errorf("%w: %w", ErrCorruptLog, err)
	}
	return err
}
