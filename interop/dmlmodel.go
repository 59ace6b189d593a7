package interop

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// The expected rows of a table lakehouse ran DELETE, UPDATE or MERGE on are
// computed here, in plain Go over the canonical rows the suite already holds
// (what was written), never by reading the table: a bug in lakehouse's
// reader must not be able to confirm a bug in its writer.

// ErrModelCardinality is returned by MergeModel.Apply when a target row
// matches several source rows and a matched clause would change it; the
// real MERGE must fail the same way.
var ErrModelCardinality = errors.New("interop: MERGE model: a target row matches more than one source row")

// Row is one canonical row decoded for the model: numbers stay json.Number
// (integers exact), strings, booleans and nulls as JSON decodes them.
type Row map[string]any

// DecodeRows parses canonical JSON-lines rows.
func DecodeRows(lines []string) ([]Row, error) {
	out := make([]Row, 0, len(lines))
	for _, l := range lines {
		dec := json.NewDecoder(bytes.NewReader([]byte(l)))
		dec.UseNumber()
		var r Row
		if err := dec.Decode(&r); err != nil {
			return nil, fmt.Errorf("%w: %v: %q", ErrBadRow, err, truncate(l, 200))
		}
		out = append(out, r)
	}
	return out, nil
}

// EncodeRows renders rows as normalised, sorted JSON lines.
func EncodeRows(rows []Row) ([]string, error) {
	lines := make([]string, len(rows))
	for i, r := range rows {
		b, err := json.Marshal(map[string]any(r))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadRow, err)
		}
		lines[i] = string(b)
	}
	return NormalizeRows(lines)
}

// Int returns an integer column; ok is false for NULL.
func (r Row) Int(col string) (int64, bool) {
	n, ok := r[col].(json.Number)
	if !ok {
		return 0, false
	}
	v, err := n.Int64()
	return v, err == nil
}

// Float returns a floating-point column; ok is false for NULL.
func (r Row) Float(col string) (float64, bool) {
	switch v := r[col].(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case float64:
		return v, true
	}
	return 0, false
}

// Str returns a string column; ok is false for NULL.
func (r Row) Str(col string) (string, bool) {
	s, ok := r[col].(string)
	return s, ok
}

// Bool returns a boolean column; ok is false for NULL.
func (r Row) Bool(col string) (bool, bool) {
	b, ok := r[col].(bool)
	return b, ok
}

// With returns a copy of r with the given columns set (key, value pairs;
// Go ints and floats become JSON numbers).
func (r Row) With(kv ...any) Row {
	out := make(Row, len(r))
	for k, v := range r {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := kv[i].(string)
		switch v := kv[i+1].(type) {
		case int:
			out[k] = json.Number(strconv.Itoa(v))
		case int64:
			out[k] = json.Number(strconv.FormatInt(v, 10))
		default:
			out[k] = v
		}
	}
	return out
}

// Change is one change-feed row: the row and its _change_type (insert,
// delete, update_preimage, update_postimage).
type Change struct {
	Kind string
	Row  Row
}

// ExpectDelete is DELETE WHERE pred: rows for which pred is true go (pred
// must treat NULL as SQL does: a NULL predicate keeps the row).
func ExpectDelete(rows []Row, pred func(Row) bool) ([]Row, []Change) {
	var kept []Row
	var ch []Change
	for _, r := range rows {
		if pred(r) {
			ch = append(ch, Change{"delete", r})
			continue
		}
		kept = append(kept, r)
	}
	return kept, ch
}

// ExpectUpdate is UPDATE SET … WHERE pred: set returns the new row.
func ExpectUpdate(rows []Row, pred func(Row) bool, set func(Row) Row) ([]Row, []Change) {
	out := make([]Row, 0, len(rows))
	var ch []Change
	for _, r := range rows {
		if !pred(r) {
			out = append(out, r)
			continue
		}
		n := set(r)
		out = append(out, n)
		ch = append(ch, Change{"update_preimage", r}, Change{"update_postimage", n})
	}
	return out, ch
}

// MergeModel is a MERGE joined on equality of one key column (a NULL key
// matches nothing), with Spark's clause semantics: per row, the first
// clause of its kind whose condition holds acts; a row no clause takes is
// left alone.
type MergeModel struct {
	Key        string
	Matched    []MatchedClause
	NotMatched []NotMatchedClause
	BySource   []BySourceClause
}

// MatchedClause is WHEN MATCHED [AND Cond] THEN UPDATE (Update) | DELETE.
type MatchedClause struct {
	Cond   func(t, s Row) bool // nil: always
	Update func(t, s Row) Row
	Delete bool
}

// NotMatchedClause is WHEN NOT MATCHED [AND Cond] THEN INSERT.
type NotMatchedClause struct {
	Cond   func(s Row) bool
	Insert func(s Row) Row
}

// BySourceClause is WHEN NOT MATCHED BY SOURCE [AND Cond] THEN UPDATE | DELETE.
type BySourceClause struct {
	Cond   func(t Row) bool
	Update func(t Row) Row
	Delete bool
}

// Apply runs the merge on target with source and returns the new rows and
// the changes.
func (m MergeModel) Apply(target, source []Row) ([]Row, []Change, error) {
	bySourceKey := map[string][]Row{}
	for _, s := range source {
		if k, ok := keyOf(s, m.Key); ok {
			bySourceKey[k] = append(bySourceKey[k], s)
		}
	}
	matchedKeys := map[string]bool{}
	var out []Row
	var ch []Change
	for _, t := range target {
		k, ok := keyOf(t, m.Key)
		srcs := bySourceKey[k]
		if !ok || len(srcs) == 0 {
			row, c := m.bySource(t)
			out, ch = appendRow(out, row), append(ch, c...)
			continue
		}
		matchedKeys[k] = true
		if len(srcs) > 1 && !m.onlyUnconditionalDeletes() {
			return nil, nil, fmt.Errorf("%w (key %s)", ErrModelCardinality, k)
		}
		row, c := m.matched(t, srcs[0])
		out, ch = appendRow(out, row), append(ch, c...)
	}
	for _, s := range source {
		if k, ok := keyOf(s, m.Key); ok && matchedKeys[k] {
			continue
		}
		for _, c := range m.NotMatched {
			if c.Cond == nil || c.Cond(s) {
				n := c.Insert(s)
				out = append(out, n)
				ch = append(ch, Change{"insert", n})
				break
			}
		}
	}
	return out, ch, nil
}

func (m MergeModel) matched(t, s Row) (Row, []Change) {
	for _, c := range m.Matched {
		if c.Cond != nil && !c.Cond(t, s) {
			continue
		}
		if c.Delete {
			return nil, []Change{{"delete", t}}
		}
		n := c.Update(t, s)
		return n, []Change{{"update_preimage", t}, {"update_postimage", n}}
	}
	return t, nil
}

func (m MergeModel) bySource(t Row) (Row, []Change) {
	for _, c := range m.BySource {
		if c.Cond != nil && !c.Cond(t) {
			continue
		}
		if c.Delete {
			return nil, []Change{{"delete", t}}
		}
		n := c.Update(t)
		return n, []Change{{"update_preimage", t}, {"update_postimage", n}}
	}
	return t, nil
}

func (m MergeModel) onlyUnconditionalDeletes() bool {
	for _, c := range m.Matched {
		if !c.Delete || c.Cond != nil {
			return false
		}
	}
	return true
}

func appendRow(rows []Row, r Row) []Row {
	if r == nil {
		return rows
	}
	return append(rows, r)
}

func keyOf(r Row, col string) (string, bool) {
	v, ok := r[col]
	if !ok || v == nil {
		return "", false
	}
	b, err := json.Marshal(v)
	return string(b), err == nil
}

// ChangeRows renders changes committed at version as the change feed's
// normalised rows (_change_type and _commit_version added; the commit
// timestamp is left out, as the suite drops it from what engines read).
func ChangeRows(changes []Change, version int64) ([]string, error) {
	rows := make([]Row, len(changes))
	for i, c := range changes {
		rows[i] = c.Row.With("_change_type", c.Kind, "_commit_version", version)
	}
	return EncodeRows(rows)
}
