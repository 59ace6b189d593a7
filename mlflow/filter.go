package mlflow

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// entity is the part of a run (or model) a filter or order-by key names.
type entity int

const (
	entityAttribute entity = iota
	entityMetric
	entityParam
	entityTag
	entityDataset
)

func (e entity) String() string {
	return [...]string{"attribute", "metric", "param", "tag", "dataset"}[e]
}

// entityPrefixes are the prefixes MLflow's search grammar accepts, with the
// same aliases (metrics., params., parameter., attr., run., …).
var entityPrefixes = map[string]entity{
	"metric": entityMetric, "metrics": entityMetric,
	"param": entityParam, "params": entityParam, "parameter": entityParam, "parameters": entityParam,
	"tag": entityTag, "tags": entityTag,
	"attribute": entityAttribute, "attributes": entityAttribute, "attr": entityAttribute, "run": entityAttribute,
	"dataset": entityDataset, "datasets": entityDataset,
}

// comparison is one `key op value` clause of a filter; clauses are ANDed.
type comparison struct {
	Entity entity
	Key    string
	Op     string // = != < <= > >= LIKE ILIKE IN "NOT IN" "IS NULL" "IS NOT NULL"
	Str    string
	Num    float64
	IsNum  bool
	List   []string
}

// orderBy is one order_by clause.
type orderBy struct {
	Entity entity
	Key    string
	Asc    bool
}

type tokenKind int

const (
	tokIdent  tokenKind = iota // bare word, may contain dots
	tokQuoted                  // `…` or "…": an identifier part, or a string value for "…"
	tokString                  // '…'
	tokNumber
	tokOp
	tokLParen
	tokRParen
	tokComma
)

type token struct {
	kind tokenKind
	text string
	// quote is the quote rune of tokQuoted/tokString tokens.
	quote rune
	// glued is true when the token directly follows the previous one with no
	// space, so `tags."a b"` reads as one identifier.
	glued bool
}

func tokenize(s string) ([]token, error) {
	var toks []token
	i := 0
	prevEnd := -1
	for i < len(s) {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			i++
			continue
		}
		start := i
		var t token
		switch {
		case c == '(':
			t, i = token{kind: tokLParen, text: "("}, i+1
		case c == ')':
			t, i = token{kind: tokRParen, text: ")"}, i+1
		case c == ',':
			t, i = token{kind: tokComma, text: ","}, i+1
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			var b strings.Builder
			for {
				if j >= len(s) {
					return nil, invalidParam("invalid filter %q: unterminated quote at %d", s, i)
				}
				if s[j] == c {
					// SQL style doubled quote is an escaped quote.
					if j+1 < len(s) && s[j+1] == c {
						b.WriteByte(c)
						j += 2
						continue
					}
					break
				}
				if s[j] == '\\' && j+1 < len(s) && s[j+1] == c {
					b.WriteByte(c)
					j += 2
					continue
				}
				b.WriteByte(s[j])
				j++
			}
			kind := tokQuoted
			if c == '\'' {
				kind = tokString
			}
			t, i = token{kind: kind, text: b.String(), quote: rune(c)}, j+1
		case c == '=' || c == '!' || c == '<' || c == '>':
			j := i + 1
			if j < len(s) && s[j] == '=' {
				j++
			}
			op := s[i:j]
			if op == "!" {
				return nil, invalidParam("invalid filter %q: stray '!'", s)
			}
			t, i = token{kind: tokOp, text: op}, j
		case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
			j := i + 1
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.' || ((s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E'))) {
				j++
			}
			word := s[i:j]
			if _, err := strconv.ParseFloat(word, 64); err != nil {
				if c == '-' || c == '+' || c == '.' {
					return nil, invalidParam("invalid filter %q: bad number %q", s, word)
				}
				t = token{kind: tokIdent, text: word}
			} else {
				t = token{kind: tokNumber, text: word}
			}
			i = j
		case isWordByte(c) || c == '.':
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.') {
				j++
			}
			t, i = token{kind: tokIdent, text: s[start:j]}, j
		default:
			r := rune(c)
			if r >= 0x80 {
				// Unicode letters are allowed in bare keys.
				j := i
				for j < len(s) && s[j] >= 0x80 {
					j++
				}
				t, i = token{kind: tokIdent, text: s[start:j]}, j
			} else {
				return nil, invalidParam("invalid filter %q: unexpected character %q", s, r)
			}
		}
		t.glued = prevEnd == start
		prevEnd = i
		toks = append(toks, t)
	}
	return toks, nil
}

func isWordByte(c byte) bool {
	return c == '_' || c == '-' || c == ':' || c == '/' || c == '@' || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c))
}

// readIdentifier reads an entity-prefixed key: `metrics.rmse`,
// tags."my key", params.`a.b`, attributes.status, or a bare attribute.
func readIdentifier(toks []token, pos int, src string) (entity, string, int, error) {
	if pos >= len(toks) {
		return 0, "", pos, invalidParam("invalid filter %q: expected a key", src)
	}
	t := toks[pos]
	switch t.kind {
	case tokQuoted:
		return entityAttribute, t.text, pos + 1, nil
	case tokIdent:
	default:
		return 0, "", pos, invalidParam("invalid filter %q: expected a key, got %q", src, t.text)
	}
	word := t.text
	dot := strings.IndexByte(word, '.')
	if dot < 0 {
		return entityAttribute, word, pos + 1, nil
	}
	prefix, rest := word[:dot], word[dot+1:]
	ent, ok := entityPrefixes[strings.ToLower(prefix)]
	if !ok {
		return 0, "", pos, invalidParam("invalid filter %q: invalid entity type %q; expected metrics, params, tags or attributes", src, prefix)
	}
	if rest != "" {
		return ent, rest, pos + 1, nil
	}
	// prefix. followed directly by a quoted key.
	if pos+1 < len(toks) && toks[pos+1].glued && toks[pos+1].kind == tokQuoted {
		return ent, toks[pos+1].text, pos + 2, nil
	}
	return 0, "", pos, invalidParam("invalid filter %q: missing key after %q", src, word)
}

// parseFilter parses MLflow's search filter: clauses `key op value` joined by
// AND. It does no semantic checks; the per-object validators do.
func parseFilter(src string) ([]comparison, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	var out []comparison
	pos := 0
	for {
		var c comparison
		c.Entity, c.Key, pos, err = readIdentifier(toks, pos, src)
		if err != nil {
			return nil, err
		}
		if c.Key == "" {
			return nil, invalidParam("invalid filter %q: empty key", src)
		}
		if pos >= len(toks) {
			return nil, invalidParam("invalid filter %q: missing comparator after %q", src, c.Key)
		}
		t := toks[pos]
		switch {
		case t.kind == tokOp:
			if t.text == "!" {
				return nil, invalidParam("invalid filter %q: bad comparator", src)
			}
			c.Op = t.text
			pos++
		case t.kind == tokIdent && strings.EqualFold(t.text, "like"):
			c.Op, pos = "LIKE", pos+1
		case t.kind == tokIdent && strings.EqualFold(t.text, "ilike"):
			c.Op, pos = "ILIKE", pos+1
		case t.kind == tokIdent && strings.EqualFold(t.text, "in"):
			c.Op, pos = "IN", pos+1
		case t.kind == tokIdent && strings.EqualFold(t.text, "not") && pos+1 < len(toks) && toks[pos+1].kind == tokIdent && strings.EqualFold(toks[pos+1].text, "in"):
			c.Op, pos = "NOT IN", pos+2
		case t.kind == tokIdent && strings.EqualFold(t.text, "is"):
			if pos+1 < len(toks) && toks[pos+1].kind == tokIdent && strings.EqualFold(toks[pos+1].text, "null") {
				c.Op, pos = "IS NULL", pos+2
			} else if pos+2 < len(toks) && strings.EqualFold(toks[pos+1].text, "not") && toks[pos+2].kind == tokIdent && strings.EqualFold(toks[pos+2].text, "null") {
				c.Op, pos = "IS NOT NULL", pos+3
			} else {
				return nil, invalidParam("invalid filter %q: expected NULL or NOT NULL after IS", src)
			}
		default:
			return nil, invalidParam("invalid filter %q: invalid comparator %q", src, t.text)
		}
		switch c.Op {
		case "IS NULL", "IS NOT NULL":
		case "IN", "NOT IN":
			if pos >= len(toks) || toks[pos].kind != tokLParen {
				return nil, invalidParam("invalid filter %q: %s needs a parenthesised list", src, c.Op)
			}
			pos++
			for {
				if pos >= len(toks) || (toks[pos].kind != tokString && !(toks[pos].kind == tokQuoted && toks[pos].quote == '"')) {
					return nil, invalidParam("invalid filter %q: %s list must hold quoted strings", src, c.Op)
				}
				c.List = append(c.List, toks[pos].text)
				pos++
				if pos < len(toks) && toks[pos].kind == tokComma {
					pos++
					continue
				}
				if pos < len(toks) && toks[pos].kind == tokRParen {
					pos++
					break
				}
				return nil, invalidParam("invalid filter %q: unterminated %s list", src, c.Op)
			}
		default:
			if pos >= len(toks) {
				return nil, invalidParam("invalid filter %q: missing value after %s", src, c.Op)
			}
			v := toks[pos]
			switch {
			case v.kind == tokString || (v.kind == tokQuoted && v.quote == '"'):
				c.Str = v.text
			case v.kind == tokNumber:
				c.Num, _ = strconv.ParseFloat(v.text, 64)
				c.Str, c.IsNum = v.text, true
			default:
				return nil, invalidParam("invalid filter %q: expected a quoted string or a number, got %q", src, v.text)
			}
			pos++
		}
		out = append(out, c)
		if pos == len(toks) {
			return out, nil
		}
		if toks[pos].kind != tokIdent || !strings.EqualFold(toks[pos].text, "and") {
			return nil, invalidParam("invalid filter %q: expected AND, got %q (MLflow supports only AND)", src, toks[pos].text)
		}
		pos++
	}
}

// parseOrderBy parses one order_by clause such as "metrics.rmse DESC".
func parseOrderBy(src string) (orderBy, error) {
	toks, err := tokenize(src)
	if err != nil {
		return orderBy{}, err
	}
	ent, key, pos, err := readIdentifier(toks, 0, src)
	if err != nil {
		return orderBy{}, err
	}
	ob := orderBy{Entity: ent, Key: key, Asc: true}
	if pos < len(toks) {
		switch strings.ToUpper(toks[pos].text) {
		case "ASC":
		case "DESC":
			ob.Asc = false
		default:
			return orderBy{}, invalidParam("invalid order_by clause %q: expected ASC or DESC", src)
		}
		pos++
	}
	if pos != len(toks) {
		return orderBy{}, invalidParam("invalid order_by clause %q", src)
	}
	return ob, nil
}

// likeMatch reports whether s matches the SQL LIKE pattern (% any run, _ one
// character); fold makes it ILIKE.
func likeMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	p, t := []rune(pattern), []rune(s)
	// Iterative wildcard match with backtracking to the last '%'.
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '_' || p[pi] == t[ti]) && p[pi] != '%':
			pi++
			ti++
		case pi < len(p) && p[pi] == '%':
			star, mark = pi, ti
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}

// compareString applies a string comparator.
func compareString(op, have, want string, list []string) (bool, error) {
	switch op {
	case "=":
		return have == want, nil
	case "!=":
		return have != want, nil
	case "LIKE":
		return likeMatch(want, have, false), nil
	case "ILIKE":
		return likeMatch(want, have, true), nil
	case "IN", "NOT IN":
		in := false
		for _, v := range list {
			if v == have {
				in = true
				break
			}
		}
		return in == (op == "IN"), nil
	}
	return false, invalidParam("comparator %q is not valid for string values", op)
}

// compareNumber applies a numeric comparator.
func compareNumber(op string, have, want float64) (bool, error) {
	switch op {
	case "=":
		return have == want, nil
	case "!=":
		return have != want, nil
	case "<":
		return have < want, nil
	case "<=":
		return have <= want, nil
	case ">":
		return have > want, nil
	case ">=":
		return have >= want, nil
	}
	return false, invalidParam("comparator %q is not valid for numeric values", op)
}

func (c comparison) String() string {
	return fmt.Sprintf("%s.%s %s %q", c.Entity, c.Key, c.Op, c.Str)
}
