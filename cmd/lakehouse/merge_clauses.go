package main

import (
	"fmt"
	"strings"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// The WHEN clauses of `lakehouse merge` are flags whose values read like
// the tail of Spark's clause after its keywords:
//
//	--matched-update "[AND cond] SET a = s.a, b = s.b + 1"
//	--matched-update-all[="AND cond"]
//	--matched-delete[="AND cond"]
//	--not-matched-insert "[AND cond] (a, b) VALUES (s.a, s.b)"
//	--not-matched-insert-all[="AND cond"]
//	--not-matched-by-source-update "[AND cond] SET a = 0"
//	--not-matched-by-source-delete[="AND cond"]
//
// The forms without arguments are switches: a condition must be attached
// with '=' (a separate word would be taken for the TABLE). The leading AND
// is optional. Clauses of one kind apply in the order given, the first
// whose condition holds wins, as in Spark.

// clauseKind is one WHEN clause form.
type clauseKind int

const (
	matchedUpdate clauseKind = iota
	matchedUpdateAll
	matchedDelete
	notMatchedInsert
	notMatchedInsertAll
	bySourceUpdate
	bySourceDelete
)

// clauseFlagSpecs names every clause flag, with whether it is a switch
// (no argument unless attached with '=') and its help text.
var clauseFlagSpecs = []struct {
	name     string
	kind     clauseKind
	isSwitch bool
	usage    string
}{
	{"matched-update", matchedUpdate, false, "WHEN MATCHED THEN UPDATE; `CLAUSE` is '[AND cond] SET col = expr, …'"},
	{"matched-update-all", matchedUpdateAll, true, "WHEN MATCHED THEN UPDATE SET *; attach a condition with '=': --matched-update-all='AND cond'"},
	{"matched-delete", matchedDelete, true, "WHEN MATCHED THEN DELETE; attach a condition with '=': --matched-delete='AND cond'"},
	{"not-matched-insert", notMatchedInsert, false, "WHEN NOT MATCHED THEN INSERT; `CLAUSE` is '[AND cond] (col, …) VALUES (expr, …)' or '[AND cond] SET col = expr, …'"},
	{"not-matched-insert-all", notMatchedInsertAll, true, "WHEN NOT MATCHED THEN INSERT *; attach a condition with '=': --not-matched-insert-all='AND cond'"},
	{"not-matched-by-source-update", bySourceUpdate, false, "WHEN NOT MATCHED BY SOURCE THEN UPDATE; `CLAUSE` is '[AND cond] SET col = expr, …'"},
	{"not-matched-by-source-delete", bySourceDelete, true, "WHEN NOT MATCHED BY SOURCE THEN DELETE; attach a condition with '=': --not-matched-by-source-delete='AND cond'"},
}

// rawClause is one clause flag as given, parsed once the aliases are known.
type rawClause struct {
	flag string
	kind clauseKind
	text string
}

// clauseList collects the clause flags in command-line order.
type clauseList struct{ clauses []rawClause }

// clauseFlag is the flag.Value of one clause flag.
type clauseFlag struct {
	list   *clauseList
	name   string
	kind   clauseKind
	isBool bool
}

func (f *clauseFlag) String() string { return "" }

// IsBoolFlag makes the argument-less forms switches: the flag package
// then passes "true" when no '=value' is attached.
func (f *clauseFlag) IsBoolFlag() bool { return f.isBool }

func (f *clauseFlag) Set(v string) error {
	if f.isBool && v == "true" {
		v = ""
	}
	f.list.clauses = append(f.list.clauses, rawClause{flag: f.name, kind: f.kind, text: v})
	return nil
}

// mergeClauses turns the collected flags into MERGE clauses. Target
// columns on the left of assignments may be qualified by targetAlias.
func (l *clauseList) mergeClauses(targetAlias string, o *delta.MergeOptions) error {
	for _, c := range l.clauses {
		if err := c.apply(targetAlias, o); err != nil {
			return mergeUsage("--%s %q: %v", c.flag, c.text, err)
		}
	}
	return nil
}

func (c rawClause) apply(targetAlias string, o *delta.MergeOptions) error {
	if _, err := topLevelMask(c.text); err != nil {
		return err
	}
	switch c.kind {
	case matchedUpdateAll, matchedDelete, notMatchedInsertAll, bySourceDelete:
		cond, err := parseClauseCond(c.text)
		if err != nil {
			return err
		}
		switch c.kind {
		case matchedUpdateAll:
			o.WhenMatched = append(o.WhenMatched, delta.WhenMatched{Condition: cond, UpdateAll: true})
		case matchedDelete:
			o.WhenMatched = append(o.WhenMatched, delta.WhenMatched{Condition: cond, Delete: true})
		case notMatchedInsertAll:
			o.WhenNotMatched = append(o.WhenNotMatched, delta.WhenNotMatched{Condition: cond, InsertAll: true})
		default:
			o.WhenNotMatchedBySource = append(o.WhenNotMatchedBySource, delta.WhenNotMatchedBySource{Condition: cond, Delete: true})
		}
		return nil
	case notMatchedInsert:
		if _, ok := findKeyword(c.text, "SET"); ok {
			break
		}
		cond, set, err := parseInsertValues(c.text, targetAlias)
		if err != nil {
			return err
		}
		o.WhenNotMatched = append(o.WhenNotMatched, delta.WhenNotMatched{Condition: cond, Insert: set})
		return nil
	}
	cond, set, err := parseSetClause(c.text, targetAlias)
	if err != nil {
		return err
	}
	switch c.kind {
	case matchedUpdate:
		o.WhenMatched = append(o.WhenMatched, delta.WhenMatched{Condition: cond, Update: set})
	case notMatchedInsert:
		o.WhenNotMatched = append(o.WhenNotMatched, delta.WhenNotMatched{Condition: cond, Insert: set})
	default:
		o.WhenNotMatchedBySource = append(o.WhenNotMatchedBySource, delta.WhenNotMatchedBySource{Condition: cond, Update: set})
	}
	return nil
}

// parseClauseCond parses "[AND] cond"; empty means no condition.
func parseClauseCond(s string) (expr.Expr, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if rest, ok := cutLeadingWord(s, "AND"); ok {
		s = rest
		if s == "" {
			return nil, fmt.Errorf("AND without a condition")
		}
	}
	e, err := expr.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("condition: %w", err)
	}
	return e, nil
}

// cutLeadingWord removes a leading keyword (case-insensitive, followed by
// a space or '(') and the spaces after it.
func cutLeadingWord(s, word string) (string, bool) {
	if len(s) < len(word) || !strings.EqualFold(s[:len(word)], word) {
		return s, false
	}
	if len(s) > len(word) && isWordByte(s[len(word)]) {
		return s, false
	}
	return strings.TrimSpace(s[len(word):]), true
}

// parseSetClause parses "[AND cond] SET col = expr, …".
func parseSetClause(s, targetAlias string) (expr.Expr, map[string]expr.Expr, error) {
	i, ok := findKeyword(s, "SET")
	if !ok {
		return nil, nil, fmt.Errorf("want '[AND cond] SET column = expression, …'")
	}
	cond, err := parseClauseCond(s[:i])
	if err != nil {
		return nil, nil, err
	}
	parts, err := splitTopLevel(s[i+len("SET"):], ',')
	if err != nil {
		return nil, nil, err
	}
	set := map[string]expr.Expr{}
	seen := map[string]bool{}
	for _, p := range parts {
		eq, ok := findAssign(p)
		if !ok {
			return nil, nil, fmt.Errorf("assignment %q: want 'column = expression'", strings.TrimSpace(p))
		}
		col, err := targetColumn(p[:eq], targetAlias)
		if err != nil {
			return nil, nil, err
		}
		val, err := expr.Parse(p[eq+1:])
		if err != nil {
			return nil, nil, fmt.Errorf("value of %s: %w", col, err)
		}
		if seen[strings.ToLower(col)] {
			return nil, nil, fmt.Errorf("column %s is set twice", col)
		}
		seen[strings.ToLower(col)] = true
		set[col] = val
	}
	return cond, set, nil
}

// parseInsertValues parses "[AND cond] (col, …) VALUES (expr, …)".
func parseInsertValues(s, targetAlias string) (expr.Expr, map[string]expr.Expr, error) {
	const want = "want '[AND cond] (column, …) VALUES (expression, …)'"
	i, ok := findKeyword(s, "VALUES")
	if !ok {
		return nil, nil, fmt.Errorf("%s", want)
	}
	head := strings.TrimRight(s[:i], " \t\r\n")
	open, ok := lastGroup(head)
	if !ok {
		return nil, nil, fmt.Errorf("no (column, …) list before VALUES: %s", want)
	}
	cond, err := parseClauseCond(head[:open])
	if err != nil {
		return nil, nil, err
	}
	colTexts, err := splitTopLevel(head[open+1:len(head)-1], ',')
	if err != nil {
		return nil, nil, err
	}
	tail := strings.TrimSpace(s[i+len("VALUES"):])
	if len(tail) < 2 || tail[0] != '(' {
		return nil, nil, fmt.Errorf("no (expression, …) list after VALUES: %s", want)
	}
	if end, ok := lastGroup(tail); !ok || end != 0 {
		return nil, nil, fmt.Errorf("text after the VALUES list: %s", want)
	}
	valTexts, err := splitTopLevel(tail[1:len(tail)-1], ',')
	if err != nil {
		return nil, nil, err
	}
	if len(colTexts) != len(valTexts) {
		return nil, nil, fmt.Errorf("%d columns but %d values", len(colTexts), len(valTexts))
	}
	set := map[string]expr.Expr{}
	seen := map[string]bool{}
	for k := range colTexts {
		col, err := targetColumn(colTexts[k], targetAlias)
		if err != nil {
			return nil, nil, err
		}
		val, err := expr.Parse(valTexts[k])
		if err != nil {
			return nil, nil, fmt.Errorf("value of %s: %w", col, err)
		}
		if seen[strings.ToLower(col)] {
			return nil, nil, fmt.Errorf("column %s is given twice", col)
		}
		seen[strings.ToLower(col)] = true
		set[col] = val
	}
	return cond, set, nil
}

// targetColumn resolves the left side of an assignment: a column name,
// optionally qualified by the target alias, optionally in backticks.
func targetColumn(s, targetAlias string) (string, error) {
	text := strings.TrimSpace(s)
	e, err := expr.Parse(text)
	cols := [][]string(nil)
	if err == nil {
		cols = expr.Columns(e)
	}
	if err != nil || len(cols) != 1 || expr.Col(cols[0]...).String() != e.String() {
		return "", fmt.Errorf("%q is not a column name", text)
	}
	path := cols[0]
	switch {
	case len(path) == 1:
		return path[0], nil
	case len(path) == 2 && strings.EqualFold(path[0], targetAlias):
		return path[1], nil
	}
	return "", fmt.Errorf("%q is not a column of the target (qualify with %q or not at all)", text, targetAlias)
}

// topLevelMask reports, per byte of s, whether it lies outside string
// literals, quoted identifiers and parentheses (an opening or closing
// parenthesis of a top-level group counts as top level).
func topLevelMask(s string) ([]bool, error) {
	top := make([]bool, len(s))
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"', '`':
			start := i
			for i++; i < len(s) && s[i] != c; i++ {
				if s[i] == '\\' && c != '`' {
					i++
				}
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated %c quote at offset %d", c, start)
			}
		case '(':
			top[i] = depth == 0
			depth++
		case ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ')' at offset %d", i)
			}
			top[i] = depth == 0
		default:
			top[i] = depth == 0
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced '('")
	}
	return top, nil
}

// splitTopLevel splits s at the separators outside quotes and
// parentheses; every part must be non-empty.
func splitTopLevel(s string, sep byte) ([]string, error) {
	top, err := topLevelMask(s)
	if err != nil {
		return nil, err
	}
	var parts []string
	last := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && !(top[i] && s[i] == sep) {
			continue
		}
		p := strings.TrimSpace(s[last:i])
		if p == "" {
			return nil, fmt.Errorf("empty item in %q", strings.TrimSpace(s))
		}
		parts = append(parts, p)
		last = i + 1
	}
	return parts, nil
}

func isWordByte(c byte) bool {
	return c == '_' || c == '.' || c == '`' || c >= 0x80 ||
		(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

// findKeyword returns the offset of the first top-level occurrence of the
// keyword as a whole word (case-insensitive).
func findKeyword(s, kw string) (int, bool) {
	top, err := topLevelMask(s)
	if err != nil {
		return 0, false
	}
	for i := 0; i+len(kw) <= len(s); i++ {
		if !top[i] || !strings.EqualFold(s[i:i+len(kw)], kw) {
			continue
		}
		if (i > 0 && isWordByte(s[i-1])) || (i+len(kw) < len(s) && isWordByte(s[i+len(kw)])) {
			continue
		}
		return i, true
	}
	return 0, false
}

// findAssign returns the offset of the '=' of "col = expr": the first
// top-level '=' that is not part of ==, <=, >=, != or <=>.
func findAssign(s string) (int, bool) {
	top, err := topLevelMask(s)
	if err != nil {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if !top[i] || s[i] != '=' {
			continue
		}
		if i > 0 && strings.IndexByte("<>!=", s[i-1]) >= 0 {
			continue
		}
		if i+1 < len(s) && (s[i+1] == '=' || s[i+1] == '>') {
			continue
		}
		return i, true
	}
	return 0, false
}

// lastGroup returns the offset of the '(' opening the parenthesized group
// that ends s, if s ends with one.
func lastGroup(s string) (int, bool) {
	if s == "" || s[len(s)-1] != ')' {
		return 0, false
	}
	top, err := topLevelMask(s)
	if err != nil {
		return 0, false
	}
	for i := len(s) - 2; i >= 0; i-- {
		if top[i] && s[i] == '(' {
			return i, true
		}
	}
	return 0, false
}
