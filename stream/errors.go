package stream

import (
	"errors"
	"fmt"
)

// Errors returned by this package; match them with errors.Is.
var (
	// ErrInvalidArgument is returned for bad options, unparsable SQL in
	// Select or Filter, and other caller mistakes.
	ErrInvalidArgument = errors.New("stream: invalid argument")

	// ErrIncompatibleCheckpoint is returned by Start when the checkpoint
	// was written by a query that differs in a way that makes it unusable:
	// another number or kind of sources, another sink kind, or offsets a
	// source cannot read. Start a new checkpoint instead.
	ErrIncompatibleCheckpoint = errors.New("stream: incompatible checkpoint")

	// ErrCorruptCheckpoint is returned when a checkpoint file is not in
	// the expected format.
	ErrCorruptCheckpoint = errors.New("stream: corrupt checkpoint")

	// ErrSchemaEvolved is returned by the files source in addNewColumns
	// mode when a batch met columns the schema did not have. The wider
	// schema has been recorded in the schema location; restarting the
	// query re-runs the batch with it (Auto Loader's
	// UnknownFieldException).
	ErrSchemaEvolved = errors.New("stream: schema evolved, restart the query to pick up the new columns")

	// ErrNewColumns is returned by the files source in failOnNewColumns
	// mode when a file has columns the schema does not.
	ErrNewColumns = errors.New("stream: new columns in input")

	// ErrChangeCommit is returned by the Delta source when a commit
	// deleted or rewrote rows and neither IgnoreDeletes (for pure
	// deletes) nor SkipChangeCommits allows it, as Spark does.
	ErrChangeCommit = errors.New("stream: source table commit changed existing rows")

	// ErrMalformedRecord: an input record is not one of the format — a
	// JSON line of a files source that does not parse, a Kafka value that
	// is not a JSON object of its ValueSchema — and the source has no
	// rescued data column to keep it in.
	ErrMalformedRecord = errors.New("stream: malformed record")

	// ErrDataLoss is returned by the Kafka source when records a batch
	// must read are no longer in the log (retention deleted them, or the
	// topic was re-created) and KafkaSourceOptions.AllowDataLoss is not
	// set.
	ErrDataLoss = errors.New("stream: kafka records lost")

	// ErrStopped is what AwaitTermination returns after Stop.
	ErrStopped = errors.New("stream: query stopped")
)

// IncompatibleCheckpointError details ErrIncompatibleCheckpoint.
type IncompatibleCheckpointError struct {
	// Checkpoint is the checkpoint location (without credentials).
	Checkpoint string
	// Reason says what differs.
	Reason string
}

// Error implements error.
func (e *IncompatibleCheckpointError) Error() string {
	if e.Checkpoint == "" {
		return "stream: incompatible checkpoint: " + e.Reason
	}
	return fmt.Sprintf("stream: incompatible checkpoint %s: %s", e.Checkpoint, e.Reason)
}

// Unwrap makes errors.Is(err, ErrIncompatibleCheckpoint) hold.
func (e *IncompatibleCheckpointError) Unwrap() error { return ErrIncompatibleCheckpoint }
