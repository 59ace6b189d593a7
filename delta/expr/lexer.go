package expr

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokType uint8

const (
	tEOF tokType = iota
	tIdent
	tQuotedIdent // `backticked`
	tNumber
	tString
	tHexBinary // X'0A1B'
	tOp
)

type token struct {
	typ  tokType
	pos  int
	text string // raw text for numbers/operators; identifier name; unescaped string value
}

func (t token) is(kw string) bool { return t.typ == tIdent && strings.EqualFold(t.text, kw) }

type lexer struct {
	src  string
	pos  int
	toks []token
}

func lex(src string) ([]token, error) {
	lx := &lexer{src: src}
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		lx.toks = append(lx.toks, t)
		if t.typ == tEOF {
			return lx.toks, nil
		}
	}
}

func (lx *lexer) errAt(pos int, msg string) error {
	return &SyntaxError{Text: lx.src, Pos: pos, Msg: msg}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

func (lx *lexer) skipSpaceAndComments() error {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			lx.pos++
		case c == '-' && strings.HasPrefix(lx.src[lx.pos:], "--"):
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.pos++
			}
		case c == '/' && strings.HasPrefix(lx.src[lx.pos:], "/*"):
			end := strings.Index(lx.src[lx.pos+2:], "*/")
			if end < 0 {
				return lx.errAt(lx.pos, "unterminated comment")
			}
			lx.pos += end + 4
		default:
			return nil
		}
	}
	return nil
}

var operators = []string{"<=>", "<>", "!=", "<=", ">=", "==", "||", "=", "<", ">", "+", "-", "*", "/", "%", "&", "|", "^", "~", "!", "(", ")", ",", ".", "[", "]"}

func (lx *lexer) next() (token, error) {
	if err := lx.skipSpaceAndComments(); err != nil {
		return token{}, err
	}
	start := lx.pos
	if lx.pos >= len(lx.src) {
		return token{typ: tEOF, pos: start}, nil
	}
	c := lx.src[lx.pos]
	switch {
	case (c == 'x' || c == 'X') && lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '\'':
		lx.pos++
		s, err := lx.quoted('\'')
		if err != nil {
			return token{}, err
		}
		return token{typ: tHexBinary, pos: start, text: s}, nil
	case isDigit(c) || (c == '.' && lx.pos+1 < len(lx.src) && isDigit(lx.src[lx.pos+1])):
		return lx.number()
	case isIdentStart(c):
		for lx.pos < len(lx.src) && isIdentPart(lx.src[lx.pos]) {
			lx.pos++
		}
		if r, _ := utf8.DecodeRuneInString(lx.src[start:]); r == utf8.RuneError {
			return token{}, lx.errAt(start, "invalid UTF-8")
		}
		return token{typ: tIdent, pos: start, text: lx.src[start:lx.pos]}, nil
	case c == '`':
		lx.pos++
		var b strings.Builder
		for {
			if lx.pos >= len(lx.src) {
				return token{}, lx.errAt(start, "unterminated quoted identifier")
			}
			if lx.src[lx.pos] == '`' {
				if lx.pos+1 < len(lx.src) && lx.src[lx.pos+1] == '`' {
					b.WriteByte('`')
					lx.pos += 2
					continue
				}
				lx.pos++
				break
			}
			b.WriteByte(lx.src[lx.pos])
			lx.pos++
		}
		if b.Len() == 0 {
			return token{}, lx.errAt(start, "empty quoted identifier")
		}
		return token{typ: tQuotedIdent, pos: start, text: b.String()}, nil
	case c == '\'' || c == '"':
		s, err := lx.quoted(c)
		if err != nil {
			return token{}, err
		}
		return token{typ: tString, pos: start, text: s}, nil
	}
	for _, op := range operators {
		if strings.HasPrefix(lx.src[lx.pos:], op) {
			lx.pos += len(op)
			return token{typ: tOp, pos: start, text: op}, nil
		}
	}
	r, _ := utf8.DecodeRuneInString(lx.src[lx.pos:])
	return token{}, lx.errAt(start, "unexpected character "+strconv.QuoteRune(r))
}

// quoted reads a Spark string literal body with backslash escapes.
func (lx *lexer) quoted(q byte) (string, error) {
	start := lx.pos
	lx.pos++ // opening quote
	var b strings.Builder
	for {
		if lx.pos >= len(lx.src) {
			return "", lx.errAt(start, "unterminated string literal")
		}
		c := lx.src[lx.pos]
		if c == q {
			lx.pos++
			return b.String(), nil
		}
		if c != '\\' {
			b.WriteByte(c)
			lx.pos++
			continue
		}
		if lx.pos+1 >= len(lx.src) {
			return "", lx.errAt(start, "unterminated string literal")
		}
		e := lx.src[lx.pos+1]
		lx.pos += 2
		switch e {
		case '0':
			// Spark reads \NNN as an octal escape when three octal digits follow the backslash.
			if lx.pos+1 < len(lx.src) && isOctal(lx.src[lx.pos]) && isOctal(lx.src[lx.pos+1]) {
				v := (int(e-'0') << 6) | (int(lx.src[lx.pos]-'0') << 3) | int(lx.src[lx.pos+1]-'0')
				b.WriteRune(rune(v))
				lx.pos += 2
			} else {
				b.WriteByte(0)
			}
		case '1', '2', '3':
			if lx.pos+1 < len(lx.src) && isOctal(lx.src[lx.pos]) && isOctal(lx.src[lx.pos+1]) {
				v := (int(e-'0') << 6) | (int(lx.src[lx.pos]-'0') << 3) | int(lx.src[lx.pos+1]-'0')
				b.WriteRune(rune(v))
				lx.pos += 2
			} else {
				b.WriteByte(e)
			}
		case 'b':
			b.WriteByte('\b')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'Z':
			b.WriteByte(0x1a)
		case '%', '_':
			// kept escaped so LIKE patterns see the escape (Spark does the same)
			b.WriteByte('\\')
			b.WriteByte(e)
		case 'u':
			if lx.pos+4 > len(lx.src) {
				return "", lx.errAt(lx.pos-2, "invalid \\u escape")
			}
			v, err := strconv.ParseUint(lx.src[lx.pos:lx.pos+4], 16, 32)
			if err != nil {
				return "", lx.errAt(lx.pos-2, "invalid \\u escape")
			}
			b.WriteRune(rune(v))
			lx.pos += 4
		default:
			b.WriteByte(e)
		}
	}
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// number scans a numeric literal with an optional Spark type suffix
// (L, S, Y, D, F, BD); the token text keeps the suffix.
func (lx *lexer) number() (token, error) {
	start := lx.pos
	for lx.pos < len(lx.src) && isDigit(lx.src[lx.pos]) {
		lx.pos++
	}
	if lx.pos < len(lx.src) && lx.src[lx.pos] == '.' {
		lx.pos++
		for lx.pos < len(lx.src) && isDigit(lx.src[lx.pos]) {
			lx.pos++
		}
	}
	if lx.pos < len(lx.src) && (lx.src[lx.pos] == 'e' || lx.src[lx.pos] == 'E') {
		p := lx.pos + 1
		if p < len(lx.src) && (lx.src[p] == '+' || lx.src[p] == '-') {
			p++
		}
		if p < len(lx.src) && isDigit(lx.src[p]) {
			for p < len(lx.src) && isDigit(lx.src[p]) {
				p++
			}
			lx.pos = p
		}
	}
	rest := lx.src[lx.pos:]
	switch {
	case len(rest) >= 2 && strings.EqualFold(rest[:2], "BD") && (len(rest) == 2 || !isIdentPart(rest[2])):
		lx.pos += 2
	case len(rest) >= 1 && strings.ContainsRune("lLsSyYdDfF", rune(rest[0])) && (len(rest) == 1 || !isIdentPart(rest[1])):
		lx.pos++
	}
	if lx.pos < len(lx.src) && isIdentPart(lx.src[lx.pos]) {
		return token{}, lx.errAt(start, "invalid number "+strconv.Quote(lx.src[start:lx.pos+1]))
	}
	return token{typ: tNumber, pos: start, text: lx.src[start:lx.pos]}, nil
}
