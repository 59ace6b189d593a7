package pipeline

import "errors"

var (
	// ErrInvalidDefinition: a table definition is malformed (bad name,
	// duplicate table, missing definition function, bad expectation).
	ErrInvalidDefinition = errors.New("pipeline: invalid definition")
	// ErrGraph: the dependency graph cannot be run: a table reads a table
	// the pipeline does not define, or tables read each other in a cycle.
	ErrGraph = errors.New("pipeline: invalid dependency graph")
	// ErrUpdateFailed wraps the error that stopped an update. No table of
	// the update's failing table, and with an expectation failure no table
	// at all, was changed; the event log holds an error event.
	ErrUpdateFailed = errors.New("pipeline: update failed")
)
