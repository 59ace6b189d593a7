package quality

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns wraps one of them (or
// an error of package expr or delta it passes on), so callers branch with
// errors.Is.
var (
	// ErrInvalidExpectation is returned by Bind and LoadSuite when an
	// expectation is malformed: no name, a duplicate name, an unknown
	// action, a condition that does not parse, names an unknown column or
	// is not boolean. The expr error (ErrSyntax, ErrUnknownColumn, …) is
	// wrapped too.
	ErrInvalidExpectation = errors.New("quality: invalid expectation")
	// ErrExpectationFailed is returned when a row fails an expectation
	// whose action is Fail. The concrete error is an *ExpectationError.
	ErrExpectationFailed = errors.New("quality: expectation failed")
	// ErrSchemaMismatch is returned when a batch does not have the schema
	// the expectations were bound to.
	ErrSchemaMismatch = errors.New("quality: batch schema differs from the bound schema")
	// ErrMemoryBudget is returned by a suite run when a unique expectation
	// needs more memory than SuiteOptions.UniqueMemoryBudget allows.
	ErrMemoryBudget = errors.New("quality: memory budget exceeded")
)

// ExpectationError reports the first row that failed a Fail expectation.
type ExpectationError struct {
	Dataset     string // Options.Dataset, may be empty
	Expectation string // the expectation's name
	Condition   string // its SQL condition
	Row         string // the offending row, as {col: value, …}
}

func (e *ExpectationError) Error() string {
	ds := ""
	if e.Dataset != "" {
		ds = fmt.Sprintf(" on dataset %q", e.Dataset)
	}
	return fmt.Sprintf("quality: expectation %q (%s) failed%s; offending row %s", e.Expectation, e.Condition, ds, e.Row)
}

// Is makes an *ExpectationError match ErrExpectationFailed.
func (e *ExpectationError) Is(target error) bool { return target == ErrExpectationFailed }
