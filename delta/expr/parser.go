package expr

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Parse reads one Spark SQL scalar expression. Errors are *SyntaxError
// values (errors.Is(err, ErrSyntax)) whose Pos is the byte offset of the
// offending token.
func Parse(text string) (Expr, error) {
	toks, err := lex(text)
	if err != nil {
		return nil, err
	}
	p := &parser{src: text, toks: toks}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.typ != tEOF {
		return nil, p.errAt(t, "unexpected "+describe(t)+" after the expression")
	}
	return n, nil
}

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 500

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(k int) token {
	if p.i+k < len(p.toks) {
		return p.toks[p.i+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.typ != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, msg string) error {
	return &SyntaxError{Text: p.src, Pos: t.pos, Msg: msg}
}

func describe(t token) string {
	switch t.typ {
	case tEOF:
		return "end of input"
	case tString:
		return "string " + strconv.Quote(t.text)
	case tQuotedIdent:
		return "identifier `" + t.text + "`"
	}
	return strconv.Quote(t.text)
}

func (p *parser) isOp(op string) bool { t := p.peek(); return t.typ == tOp && t.text == op }

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) (token, error) {
	t := p.peek()
	if t.typ != tOp || t.text != op {
		return t, p.errAt(t, "expected "+strconv.Quote(op)+", found "+describe(t))
	}
	return p.advance(), nil
}

func (p *parser) acceptKw(kw string) bool {
	if p.peek().is(kw) {
		p.advance()
		return true
	}
	return false
}

func (p *parser) expectKw(kw string) error {
	if !p.acceptKw(kw) {
		return p.errAt(p.peek(), "expected "+kw+", found "+describe(p.peek()))
	}
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(p.peek(), "expression nested too deeply")
	}
	return nil
}

func (p *parser) expr() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	return p.or()
}

func (p *parser) or() (*node, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek().is("or") {
		t := p.advance()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &node{kind: kBinary, pos: t.pos, op: "or", args: []*node{l, r}}
	}
	return l, nil
}

func (p *parser) and() (*node, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peek().is("and") {
		t := p.advance()
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = &node{kind: kBinary, pos: t.pos, op: "and", args: []*node{l, r}}
	}
	return l, nil
}

func (p *parser) not() (*node, error) {
	t := p.peek()
	if t.is("not") || (t.typ == tOp && t.text == "!") {
		p.advance()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &node{kind: kNot, pos: t.pos, args: []*node{x}}, nil
	}
	return p.predicate()
}

// predicate parses a value expression followed by at most one of the
// Spark predicate forms (BETWEEN, IN, LIKE, IS …).
func (p *parser) predicate() (*node, error) {
	v, err := p.value(levelComparison)
	if err != nil {
		return nil, err
	}
	start := p.peek()
	negated := false
	if start.is("not") {
		next := p.peekAt(1)
		if next.is("between") || next.is("in") || next.is("like") || next.is("ilike") || next.is("rlike") || next.is("regexp") {
			p.advance()
			negated = true
		}
	}
	t := p.peek()
	switch {
	case t.is("between"):
		p.advance()
		lo, err := p.value(levelComparison)
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("and"); err != nil {
			return nil, err
		}
		hi, err := p.value(levelComparison)
		if err != nil {
			return nil, err
		}
		return &node{kind: kBetween, pos: t.pos, not: negated, args: []*node{v, lo, hi}}, nil
	case t.is("in"):
		p.advance()
		if _, err := p.expectOp("("); err != nil {
			return nil, err
		}
		n := &node{kind: kIn, pos: t.pos, not: negated, args: []*node{v}}
		for {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			n.args = append(n.args, x)
			if !p.acceptOp(",") {
				break
			}
		}
		if _, err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return n, nil
	case t.is("like") || t.is("ilike") || t.is("rlike") || t.is("regexp"):
		p.advance()
		op := strings.ToLower(t.text)
		if op == "regexp" {
			op = "rlike"
		}
		pat, err := p.value(levelComparison)
		if err != nil {
			return nil, err
		}
		n := &node{kind: kLike, pos: t.pos, op: op, not: negated, args: []*node{v, pat}}
		if op != "rlike" && p.peek().is("escape") {
			p.advance()
			et := p.peek()
			if et.typ != tString {
				return nil, p.errAt(et, "ESCAPE needs a one-character string")
			}
			p.advance()
			r := []rune(et.text)
			if len(r) != 1 {
				return nil, p.errAt(et, "ESCAPE needs a one-character string")
			}
			n.escape = r[0]
		}
		return n, nil
	case t.is("is"):
		p.advance()
		not := p.acceptKw("not")
		k := p.peek()
		switch {
		case k.is("null"):
			p.advance()
			return &node{kind: kIsNull, pos: t.pos, not: not, args: []*node{v}}, nil
		case k.is("true") || k.is("false") || k.is("unknown"):
			p.advance()
			return &node{kind: kIsBool, pos: t.pos, not: not, op: strings.ToLower(k.text), args: []*node{v}}, nil
		case k.is("distinct"):
			p.advance()
			if err := p.expectKw("from"); err != nil {
				return nil, err
			}
			r, err := p.value(levelComparison)
			if err != nil {
				return nil, err
			}
			eq := &node{kind: kBinary, pos: t.pos, op: "<=>", args: []*node{v, r}}
			if not {
				return eq, nil
			}
			return &node{kind: kNot, pos: t.pos, args: []*node{eq}}, nil
		}
		return nil, p.errAt(k, "expected NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM after IS, found "+describe(k))
	}
	if negated {
		return nil, p.errAt(start, "unexpected NOT")
	}
	return v, nil
}

// Binary operator precedence, loosest first (Spark's valueExpression).
const (
	levelComparison = iota + 1
	levelBitOr
	levelBitXor
	levelBitAnd
	levelAdditive
	levelMultiplicative
)

func binaryLevel(t token) (string, int) {
	if t.typ == tIdent && strings.EqualFold(t.text, "div") {
		return "div", levelMultiplicative
	}
	if t.typ != tOp {
		return "", 0
	}
	switch t.text {
	case "=", "==":
		return "=", levelComparison
	case "<>", "!=":
		return "!=", levelComparison
	case "<", "<=", ">", ">=", "<=>":
		return t.text, levelComparison
	case "|":
		return "|", levelBitOr
	case "^":
		return "^", levelBitXor
	case "&":
		return "&", levelBitAnd
	case "+", "-", "||":
		return t.text, levelAdditive
	case "*", "/", "%":
		return t.text, levelMultiplicative
	}
	return "", 0
}

// value parses binary operators binding at least as tightly as min.
func (p *parser) value(min int) (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op, lvl := binaryLevel(t)
		if lvl == 0 || lvl < min {
			return l, nil
		}
		p.advance()
		r, err := p.value(lvl + 1)
		if err != nil {
			return nil, err
		}
		l = &node{kind: kBinary, pos: t.pos, op: op, args: []*node{l, r}}
	}
}

func (p *parser) unary() (*node, error) {
	t := p.peek()
	if t.typ == tOp && (t.text == "-" || t.text == "+" || t.text == "~") {
		p.advance()
		if t.text == "-" && p.peek().typ == tNumber {
			// Spark's grammar reads "-5" as one literal, which keeps the
			// minimum BIGINT expressible.
			nt := p.advance()
			l, err := numberLiteral(nt.text, true)
			if err != nil {
				return nil, p.errAt(nt, err.Error())
			}
			return &node{kind: kLiteral, pos: t.pos, lit: l}, nil
		}
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		switch t.text {
		case "-":
			return &node{kind: kNeg, pos: t.pos, args: []*node{x}}, nil
		case "~":
			return &node{kind: kBitNot, pos: t.pos, args: []*node{x}}, nil
		}
		return x, nil // unary plus is the identity
	}
	return p.primary()
}

// reservedPrimary are words that can never start a column reference.
var reservedPrimary = map[string]bool{
	"and": true, "or": true, "not": true, "is": true, "in": true, "between": true, "like": true,
	"ilike": true, "rlike": true, "regexp": true, "when": true, "then": true, "else": true, "end": true,
	"escape": true, "distinct": true, "div": true, "from": true,
}

func (p *parser) primary() (*node, error) {
	t := p.peek()
	switch t.typ {
	case tEOF:
		return nil, p.errAt(t, "unexpected end of input, expected an expression")
	case tNumber:
		p.advance()
		l, err := numberLiteral(t.text, false)
		if err != nil {
			return nil, p.errAt(t, err.Error())
		}
		return &node{kind: kLiteral, pos: t.pos, lit: l}, nil
	case tString:
		s := p.advance().text
		for p.peek().typ == tString { // adjacent literals concatenate
			s += p.advance().text
		}
		return &node{kind: kLiteral, pos: t.pos, lit: literal{kind: litString, s: s}}, nil
	case tHexBinary:
		p.advance()
		b, err := hexLiteral(t.text)
		if err != nil {
			return nil, p.errAt(t, err.Error())
		}
		return &node{kind: kLiteral, pos: t.pos, lit: literal{kind: litBinary, bin: b}}, nil
	case tOp:
		if t.text == "(" {
			p.advance()
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			if _, err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return x, nil
		}
		return nil, p.errAt(t, "unexpected "+describe(t)+", expected an expression")
	case tQuotedIdent:
		return p.columnPath()
	}
	// identifiers and keywords
	word := strings.ToLower(t.text)
	next := p.peekAt(1)
	switch word {
	case "null":
		p.advance()
		return &node{kind: kLiteral, pos: t.pos, lit: literal{kind: litNull}}, nil
	case "true", "false":
		p.advance()
		return &node{kind: kLiteral, pos: t.pos, lit: literal{kind: litBool, b: word == "true"}}, nil
	case "case":
		return p.caseExpr()
	case "cast", "try_cast":
		if next.typ == tOp && next.text == "(" {
			return p.castExpr()
		}
	case "date", "timestamp", "timestamp_ntz", "timestamp_ltz":
		if next.typ == tString {
			return p.typedLiteral(word)
		}
	case "interval":
		if next.typ == tString || next.typ == tNumber || (next.typ == tOp && (next.text == "-" || next.text == "+")) {
			return p.intervalLiteral()
		}
	}
	if reservedPrimary[word] {
		return nil, p.errAt(t, "unexpected keyword "+strings.ToUpper(word)+", expected an expression")
	}
	if next.typ == tOp && next.text == "(" {
		return p.call()
	}
	return p.columnPath()
}

func (p *parser) columnPath() (*node, error) {
	t := p.advance()
	n := &node{kind: kColumn, pos: t.pos, path: []string{t.text}}
	for p.isOp(".") {
		p.advance()
		f := p.peek()
		if f.typ != tIdent && f.typ != tQuotedIdent {
			return nil, p.errAt(f, "expected a field name after '.', found "+describe(f))
		}
		p.advance()
		n.path = append(n.path, f.text)
	}
	return n, nil
}

func (p *parser) call() (*node, error) {
	t := p.advance()
	p.advance() // (
	n := &node{kind: kCall, pos: t.pos, op: strings.ToLower(t.text)}
	if p.acceptOp(")") {
		return n, nil
	}
	if n.op == "extract" && isExtractField(p.peek()) && p.peekAt(1).is("from") {
		// EXTRACT(field FROM source) is the field's function applied to source.
		n.op = extractFields[strings.ToLower(p.advance().text)]
		p.advance() // FROM
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		n.args = []*node{x}
		_, err = p.expectOp(")")
		return n, err
	}
	for {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, x)
		if (n.op == "substring" || n.op == "substr") && len(n.args) < 3 && p.peek().is(map[int]string{1: "from", 2: "for"}[len(n.args)]) {
			// SUBSTRING(s FROM pos [FOR len]) is substring(s, pos, len).
			p.advance()
			continue
		}
		if !p.acceptOp(",") {
			break
		}
	}
	if _, err := p.expectOp(")"); err != nil {
		return nil, err
	}
	return n, nil
}

// extractFields maps EXTRACT fields to the functions computing them.
var extractFields = map[string]string{
	"year": "year", "years": "year", "y": "year", "yr": "year", "yrs": "year",
	"quarter": "quarter", "qtr": "quarter",
	"month": "month", "months": "month", "mon": "month", "mons": "month",
	"day": "day", "days": "day", "d": "day",
	"dayofweek": "dayofweek", "dow": "dayofweek", "doy": "dayofyear",
	"hour": "hour", "hours": "hour", "h": "hour", "hr": "hour", "hrs": "hour",
	"minute": "minute", "minutes": "minute", "m": "minute", "min": "minute", "mins": "minute",
}

func isExtractField(t token) bool {
	_, ok := extractFields[strings.ToLower(t.text)]
	return t.typ == tIdent && ok
}

func (p *parser) caseExpr() (*node, error) {
	t := p.advance()
	n := &node{kind: kCase, pos: t.pos}
	if !p.peek().is("when") {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		n.hasOperand = true
		n.args = append(n.args, x)
	}
	if !p.peek().is("when") {
		return nil, p.errAt(p.peek(), "expected WHEN, found "+describe(p.peek()))
	}
	for p.acceptKw("when") {
		c, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expectKw("then"); err != nil {
			return nil, err
		}
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, c, v)
	}
	if p.acceptKw("else") {
		v, err := p.expr()
		if err != nil {
			return nil, err
		}
		n.hasElse = true
		n.args = append(n.args, v)
	}
	if err := p.expectKw("end"); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) castExpr() (*node, error) {
	t := p.advance()
	p.advance() // (
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if err := p.expectKw("as"); err != nil {
		return nil, err
	}
	typ, err := p.dataType()
	if err != nil {
		return nil, err
	}
	if _, err := p.expectOp(")"); err != nil {
		return nil, err
	}
	return &node{kind: kCast, pos: t.pos, try: strings.EqualFold(t.text, "try_cast"), args: []*node{x}, castTo: typ}, nil
}

// dataType parses a Spark primitive type name with optional parameters.
func (p *parser) dataType() (arrow.DataType, error) {
	t := p.peek()
	if t.typ != tIdent {
		return nil, p.errAt(t, "expected a type name, found "+describe(t))
	}
	p.advance()
	name := strings.ToLower(t.text)
	var params []int
	if p.acceptOp("(") {
		for {
			nt := p.peek()
			v, err := strconv.Atoi(nt.text)
			if nt.typ != tNumber || err != nil {
				return nil, p.errAt(nt, "expected an integer type parameter, found "+describe(nt))
			}
			p.advance()
			params = append(params, v)
			if !p.acceptOp(",") {
				break
			}
		}
		if _, err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	dt, msg := typeFromName(name, params)
	if dt == nil {
		return nil, p.errAt(t, msg)
	}
	return dt, nil
}

func (p *parser) typedLiteral(word string) (*node, error) {
	t := p.advance()
	st := p.advance()
	n := &node{kind: kLiteral, pos: t.pos}
	switch word {
	case "date":
		d, ok := parseDate(st.text)
		if !ok {
			return nil, p.errAt(st, "invalid DATE literal "+strconv.Quote(st.text))
		}
		n.lit = literal{kind: litDate, i: int64(d)}
	case "timestamp", "timestamp_ltz":
		if _, ok := parseDateTimeText(st.text, false); !ok {
			return nil, p.errAt(st, "invalid TIMESTAMP literal "+strconv.Quote(st.text))
		}
		n.lit = literal{kind: litTimestamp, s: st.text}
	case "timestamp_ntz":
		if _, ok := parseDateTimeText(st.text, false); !ok {
			return nil, p.errAt(st, "invalid TIMESTAMP_NTZ literal "+strconv.Quote(st.text))
		}
		n.lit = literal{kind: litTimestampNTZ, s: st.text}
	}
	return n, nil
}

// intervalLiteral reads INTERVAL '1 day 2 hours', INTERVAL 3 DAYS,
// INTERVAL '1-2' YEAR TO MONTH and INTERVAL '1 02:03:04' DAY TO SECOND.
func (p *parser) intervalLiteral() (*node, error) {
	t := p.advance()
	l := literal{kind: litInterval}
	if p.peek().typ == tString && !isIntervalUnit(p.peekAt(1)) {
		st := p.advance()
		parsed, ok := parseIntervalString(st.text)
		if !ok {
			return nil, p.errAt(st, "invalid INTERVAL literal "+strconv.Quote(st.text))
		}
		return &node{kind: kLiteral, pos: t.pos, lit: parsed}, nil
	}
	count := 0
	for {
		vt := p.peek()
		neg := false
		if vt.typ == tOp && (vt.text == "-" || vt.text == "+") {
			neg = vt.text == "-"
			p.advance()
			vt = p.peek()
		}
		if vt.typ != tNumber && vt.typ != tString {
			if count > 0 && !neg {
				break
			}
			return nil, p.errAt(vt, "expected an interval value, found "+describe(vt))
		}
		p.advance()
		ut := p.peek()
		if !isIntervalUnit(ut) {
			return nil, p.errAt(ut, "expected an interval unit, found "+describe(ut))
		}
		p.advance()
		value := strings.TrimSpace(vt.text)
		if neg {
			value = "-" + value
		}
		if p.peek().is("to") {
			p.advance()
			to := p.peek()
			if !isIntervalUnit(to) {
				return nil, p.errAt(to, "expected an interval unit after TO, found "+describe(to))
			}
			p.advance()
			if !addIntervalRange(&l, value, strings.ToLower(ut.text), strings.ToLower(to.text)) {
				return nil, p.errAt(vt, "invalid INTERVAL value "+strconv.Quote(value))
			}
		} else if !addIntervalUnit(&l, value, ut.text) {
			return nil, p.errAt(vt, "invalid INTERVAL value "+strconv.Quote(value))
		}
		count++
		if nt := p.peek(); nt.typ != tNumber && nt.typ != tString && !(nt.typ == tOp && nt.text == "-" && p.peekAt(1).typ == tNumber && isIntervalUnit(p.peekAt(2))) {
			break
		}
	}
	return &node{kind: kLiteral, pos: t.pos, lit: l}, nil
}

func isIntervalUnit(t token) bool {
	if t.typ != tIdent {
		return false
	}
	switch strings.TrimSuffix(strings.ToLower(t.text), "s") {
	case "year", "month", "week", "day", "hour", "minute", "second", "millisecond", "microsecond":
		return true
	}
	return false
}

// addIntervalRange handles the 'Y-M' YEAR TO MONTH and
// 'D H:M:S' DAY|HOUR|MINUTE TO HOUR|MINUTE|SECOND forms.
func addIntervalRange(l *literal, value, from, to string) bool {
	from, to = strings.TrimSuffix(from, "s"), strings.TrimSuffix(to, "s")
	neg := strings.HasPrefix(value, "-")
	value = strings.TrimLeft(value, "+-")
	sign := ""
	if neg {
		sign = "-"
	}
	if from == "year" && to == "month" {
		y, m, ok := strings.Cut(value, "-")
		if !ok {
			return false
		}
		var tmp literal
		if !addIntervalUnit(&tmp, sign+y, "year") || !addIntervalUnit(&tmp, sign+m, "month") {
			return false
		}
		l.months += tmp.months
		return true
	}
	units := []string{"day", "hour", "minute", "second"}
	fi, ti := -1, -1
	for i, u := range units {
		if u == from {
			fi = i
		}
		if u == to {
			ti = i
		}
	}
	if fi < 0 || ti <= fi {
		return false
	}
	var pieces []string
	if fi == 0 {
		d, rest, ok := strings.Cut(value, " ")
		pieces = append(pieces, d)
		if ok {
			pieces = append(pieces, strings.Split(rest, ":")...)
		}
	} else {
		pieces = strings.Split(value, ":")
	}
	if len(pieces) != ti-fi+1 {
		return false
	}
	var tmp literal
	for k, piece := range pieces {
		if !addIntervalUnit(&tmp, sign+piece, units[fi+k]) {
			return false
		}
	}
	l.days += tmp.days
	l.i += tmp.i
	return true
}
