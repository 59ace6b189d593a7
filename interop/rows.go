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
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("%w: %v: %q", ErrBadRow, err, truncate(line, 200))
	}
	if _, ok := v.(map[string]any); !ok {
		return "", fmt.Errorf("%w: not an object: %q", ErrBadRow, truncate(line, 200))
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
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n, err := NormalizeRow(l)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

// RowDiff describes the first difference between two sorted row sets.
type RowDiff struct {
	Index                  int    // position in the sorted rows where they first differ
	Expected               string // "" when the expected side has no row there
	Actual                 string // "" when the actual side has no row there
	NumExpected, NumActual int
}

func (d *RowDiff) String() string {
	show := func(s string) string {
		if s == "" {
			return "<no row>"
		}
		return truncate(s, 600)
	}
	return fmt.Sprintf("%d rows expected, %d read; first differing sorted row #%d: expected %s, got %s",
		d.NumExpected, d.NumActual, d.Index, show(d.Expected), show(d.Actual))
}

// CompareRows compares two normalised, sorted row sets; nil means equal.
func CompareRows(expected, actual []string) *RowDiff {
	n := max(len(expected), len(actual))
	for i := 0; i < n; i++ {
		var e, a string
		if i < len(expected) {
			e = expected[i]
		}
		if i < len(actual) {
			a = actual[i]
		}
		if e != a {
			return &RowDiff{Index: i, Expected: e, Actual: a, NumExpected: len(expected), NumActual: len(actual)}
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func sortStrings(s []string) { sort.Strings(s) }
