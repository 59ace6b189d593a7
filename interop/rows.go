package interop

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// ErrBadRow is returned when a line is not one canonical JSON object.
var ErrBadRow = errors.New("interop: malformed row")

// NormalizeRow rewrites one JSON-lines row so that equal rows compare equal as
// strings: object keys sorted, floats written as the shortest float64 text
// ("1.0" and "1" agree, so do "1e21" and "1e+21"), integers kept digit for digit.
func NormalizeRow(line string) (string, error) {
	return normalizeRow(line, nil)
}

func normalizeRow(line string, drop []string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("%w: %v: %q", ErrBadRow, err, truncate(line, 200))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", fmt.Errorf("%w: not an object: %q", ErrBadRow, truncate(line, 200))
	}
	for _, k := range drop {
		delete(obj, k)
	}
	if dec.More() {
		return "", fmt.Errorf("%w: trailing data: %q", ErrBadRow, truncate(line, 200))
	}
	v = normalizeValue(v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadRow, err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func normalizeValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			return x
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return x
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeValue(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeValue(e)
		}
		return x
	default:
		return v
	}
}

// NormalizeRows normalises every line (blank lines dropped) and sorts them.
func NormalizeRows(lines []string) ([]string, error) {
	return NormalizeRowsDropping(lines)
}

// NormalizeRowsDropping is NormalizeRows after removing the named top-level
// keys from every row (e.g. _commit_timestamp, which engines date differently).
func NormalizeRowsDropping(lines []string, drop ...string) ([]string, error) {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n, err := normalizeRow(l, drop)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// RowDiff describes how two sorted row sets differ: the first row only the
// expected side has and the first row only the actual side has.
type RowDiff struct {
	Missing     string // first expected row the reader did not return ("" if none)
	Unexpected  string // first returned row that was not expected ("" if none)
	NumExpected int
	NumActual   int
}

func (d *RowDiff) String() string {
	show := func(s string) string {
		if s == "" {
			return "none"
		}
		return truncate(s, 600)
	}
	return fmt.Sprintf("%d rows expected, %d read; first differing row: expected %s, got %s",
		d.NumExpected, d.NumActual, show(d.Missing), show(d.Unexpected))
}

// CompareRows compares two normalised, sorted row sets (duplicates count);
// nil means equal.
func CompareRows(expected, actual []string) *RowDiff {
	d := &RowDiff{NumExpected: len(expected), NumActual: len(actual)}
	i, j := 0, 0
	for (i < len(expected) || j < len(actual)) && (d.Missing == "" || d.Unexpected == "") {
		switch {
		case j >= len(actual) || (i < len(expected) && expected[i] < actual[j]):
			if d.Missing == "" {
				d.Missing = expected[i]
			}
			i++
		case i >= len(expected) || actual[j] < expected[i]:
			if d.Unexpected == "" {
				d.Unexpected = actual[j]
			}
			j++
		default:
			i++
			j++
		}
	}
	if d.Missing == "" && d.Unexpected == "" {
		return nil
	}
	return d
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
