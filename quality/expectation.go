package quality

import (
	"fmt"
	"sort"
	"strings"
)

// Action is what happens to a row that fails an expectation.
type Action int

// The three actions, as in Delta Live Tables.
const (
	// ActionWarn keeps the row and counts it as failed (DLT's expect).
	ActionWarn Action = iota + 1
	// ActionDrop removes the row from the output (expect_or_drop); with
	// a quarantine table it goes there instead.
	ActionDrop
	// ActionFail stops the update with an *ExpectationError
	// (expect_or_fail).
	ActionFail
)

// String returns the action as DLT names it in its event log: allow,
// drop or fail.
func (a Action) String() string {
	switch a {
	case ActionWarn:
		return "allow"
	case ActionDrop:
		return "drop"
	case ActionFail:
		return "fail"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// ParseAction reads an action name: warn (or allow), drop, fail.
func ParseAction(s string) (Action, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "warn", "allow", "":
		return ActionWarn, nil
	case "drop":
		return ActionDrop, nil
	case "fail":
		return ActionFail, nil
	}
	return 0, fmt.Errorf("%w: unknown action %q (use warn, drop or fail)", ErrInvalidExpectation, s)
}

// MarshalText writes the action name (for JSON and YAML).
func (a Action) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads an action name.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := ParseAction(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Expectation is a named Spark SQL boolean condition every row should
// satisfy, and what to do with a row that does not. A row for which the
// condition is NULL passes, as in DLT. Expectation is a plain value so a
// pipeline table definition can carry a list of them.
type Expectation struct {
	Name      string `json:"name" yaml:"name"`
	Condition string `json:"condition" yaml:"condition"`
	Action    Action `json:"action" yaml:"action"`
}

// Warn is an expectation that keeps failing rows and counts them
// (DLT's @dlt.expect).
func Warn(name, condition string) Expectation {
	return Expectation{Name: name, Condition: condition, Action: ActionWarn}
}

// Drop is an expectation that drops failing rows (@dlt.expect_or_drop).
func Drop(name, condition string) Expectation {
	return Expectation{Name: name, Condition: condition, Action: ActionDrop}
}

// Fail is an expectation that fails the update on the first failing row
// (@dlt.expect_or_fail).
func Fail(name, condition string) Expectation {
	return Expectation{Name: name, Condition: condition, Action: ActionFail}
}

// ExpectAll is a group of Warn expectations, name → condition
// (@dlt.expect_all), in name order.
func ExpectAll(conditions map[string]string) []Expectation { return group(conditions, ActionWarn) }

// ExpectAllOrDrop is a group of Drop expectations (@dlt.expect_all_or_drop).
func ExpectAllOrDrop(conditions map[string]string) []Expectation {
	return group(conditions, ActionDrop)
}

// ExpectAllOrFail is a group of Fail expectations (@dlt.expect_all_or_fail).
func ExpectAllOrFail(conditions map[string]string) []Expectation {
	return group(conditions, ActionFail)
}

func group(conditions map[string]string, a Action) []Expectation {
	names := make([]string, 0, len(conditions))
	for n := range conditions {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]Expectation, len(names))
	for i, n := range names {
		out[i] = Expectation{Name: n, Condition: conditions[n], Action: a}
	}
	return out
}
