package deltatest

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// CompareOptions relax a table comparison. Nil means: rows in any order
// (Delta promises none), columns in the same order, nullability compared,
// floats compared exactly.
type CompareOptions struct {
	// RowOrder makes the order of rows matter.
	RowOrder bool
	// IgnoreColumnOrder matches columns by name (case-insensitive).
	IgnoreColumnOrder bool
	// IgnoreNullability compares column types only.
	IgnoreNullability bool
	// FloatTolerance compares float and double values within this
	// absolute difference.
	FloatTolerance float64
}

// maxListed caps how many missing or extra rows a diff lists.
const maxListed = 20

// diff returns the differences of got from want, "" when there are none.
func diff(want, got *table, opts *CompareOptions) string {
	o := CompareOptions{}
	if opts != nil {
		o = *opts
	}
	var b strings.Builder
	cols, schemaDiff := matchColumns(want.schema, got.schema, o)
	for _, d := range schemaDiff {
		fmt.Fprintf(&b, "schema: %s\n", d)
	}
	if len(schemaDiff) > 0 {
		return b.String()
	}
	gotRows := make([][]any, len(got.rows))
	for i, r := range got.rows {
		gotRows[i] = make([]any, len(cols))
		for j, c := range cols {
			gotRows[i][j] = r[c]
		}
	}
	names := make([]string, want.schema.NumFields())
	for i, f := range want.schema.Fields() {
		names[i] = f.Name
	}
	var missing, extra [][]any
	if o.RowOrder {
		n := max(len(want.rows), len(gotRows))
		for i := range n {
			switch {
			case i >= len(gotRows):
				missing = append(missing, want.rows[i])
			case i >= len(want.rows):
				extra = append(extra, gotRows[i])
			case !rowsEqual(want.rows[i], gotRows[i], o.FloatTolerance):
				fmt.Fprintf(&b, "row %d: %s\n", i, columnDiffs(names, want.rows[i], gotRows[i], o.FloatTolerance))
			}
		}
	} else {
		missing, extra = unmatched(want.rows, gotRows, o.FloatTolerance)
	}
	if len(missing) > 0 && len(missing) == len(extra) {
		// Pair them up in sorted order: usually one row changed in a few
		// columns, which reads better as per-column differences.
		sortRows(missing)
		sortRows(extra)
		for i := range missing {
			if i == maxListed {
				fmt.Fprintf(&b, "… and %d more changed rows\n", len(missing)-maxListed)
				break
			}
			fmt.Fprintf(&b, "changed row %s: %s\n", rowString(names, missing[i]), columnDiffs(names, missing[i], extra[i], o.FloatTolerance))
		}
		return b.String()
	}
	listRows(&b, "missing (in want, not in got)", names, missing)
	listRows(&b, "extra (in got, not in want)", names, extra)
	if len(missing)+len(extra) > 0 {
		fmt.Fprintf(&b, "rows: want %d, got %d\n", len(want.rows), len(got.rows))
	}
	return b.String()
}

// matchColumns maps each wanted column to a column of got, and lists the
// schema differences.
func matchColumns(want, got *arrow.Schema, o CompareOptions) ([]int, []string) {
	var diffs []string
	cols := make([]int, want.NumFields())
	used := make([]bool, got.NumFields())
	for i, wf := range want.Fields() {
		j := -1
		if o.IgnoreColumnOrder {
			for k, gf := range got.Fields() {
				if strings.EqualFold(gf.Name, wf.Name) {
					j = k
					break
				}
			}
		} else if i < got.NumFields() {
			j = i
			if !strings.EqualFold(got.Field(i).Name, wf.Name) {
				diffs = append(diffs, fmt.Sprintf("column %d: want %q, got %q", i, wf.Name, got.Field(i).Name))
				continue
			}
		}
		if j < 0 {
			diffs = append(diffs, fmt.Sprintf("column %q (%s) is missing", wf.Name, wf.Type))
			continue
		}
		used[j] = true
		cols[i] = j
		gf := got.Field(j)
		if !arrow.TypeEqual(wf.Type, gf.Type) {
			diffs = append(diffs, fmt.Sprintf("column %q: want type %s, got %s", wf.Name, wf.Type, gf.Type))
		} else if !o.IgnoreNullability && wf.Nullable != gf.Nullable {
			diffs = append(diffs, fmt.Sprintf("column %q: want nullable=%t, got nullable=%t", wf.Name, wf.Nullable, gf.Nullable))
		}
	}
	for j, gf := range got.Fields() {
		if !used[j] && (o.IgnoreColumnOrder || j >= want.NumFields()) {
			diffs = append(diffs, fmt.Sprintf("column %q (%s) is extra", gf.Name, gf.Type))
		}
	}
	return cols, diffs
}

// unmatched pairs equal rows off and returns what is left of each side.
func unmatched(want, got [][]any, tol float64) (missing, extra [][]any) {
	if tol == 0 {
		// Exact: count rows by their rendering.
		counts := map[string]int{}
		for _, r := range got {
			counts[key(r)]++
		}
		for _, r := range want {
			k := key(r)
			if counts[k] > 0 {
				counts[k]--
			} else {
				missing = append(missing, r)
			}
		}
		for _, r := range got {
			k := key(r)
			if counts[k] > 0 {
				counts[k]--
				extra = append(extra, r)
			}
		}
		return missing, extra
	}
	taken := make([]bool, len(got))
	for _, w := range want {
		found := false
		for j, g := range got {
			if !taken[j] && rowsEqual(w, g, tol) {
				taken[j], found = true, true
				break
			}
		}
		if !found {
			missing = append(missing, w)
		}
	}
	for j, g := range got {
		if !taken[j] {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

func key(r []any) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = render(v)
	}
	return strings.Join(parts, "\x00")
}

func valuesEqual(a, b any, tol float64) bool {
	if tol > 0 {
		fa, aok := asFloat(a)
		fb, bok := asFloat(b)
		if aok && bok {
			return math.Abs(fa-fb) <= tol || (math.IsNaN(fa) && math.IsNaN(fb))
		}
	}
	return render(a) == render(b)
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	return 0, false
}

func rowsEqual(a, b []any, tol float64) bool {
	for i := range a {
		if !valuesEqual(a[i], b[i], tol) {
			return false
		}
	}
	return true
}

func columnDiffs(names []string, want, got []any, tol float64) string {
	var parts []string
	for i := range want {
		if !valuesEqual(want[i], got[i], tol) {
			parts = append(parts, fmt.Sprintf("%s: want %s, got %s", names[i], render(want[i]), render(got[i])))
		}
	}
	return strings.Join(parts, "; ")
}

func rowString(names []string, r []any) string {
	parts := make([]string, len(r))
	for i, v := range r {
		parts[i] = names[i] + ": " + render(v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func sortRows(rows [][]any) {
	slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(key(a), key(b)) })
}

func listRows(b *strings.Builder, title string, names []string, rows [][]any) {
	if len(rows) == 0 {
		return
	}
	sortRows(rows)
	fmt.Fprintf(b, "%d rows %s:\n", len(rows), title)
	for i, r := range rows {
		if i == maxListed {
			fmt.Fprintf(b, "  … and %d more\n", len(rows)-maxListed)
			break
		}
		fmt.Fprintf(b, "  %s\n", rowString(names, r))
	}
}
