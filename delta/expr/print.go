package expr

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// String prints the expression as Spark SQL that Parse reads back to an
// equivalent tree. Parentheses appear only where precedence needs them.
func (n *node) String() string {
	var b strings.Builder
	n.print(&b)
	return b.String()
}

// Print precedence levels, loosest first.
const (
	pOr = iota + 1
	pAnd
	pNot
	pPredicate
	pComparison
	pBitOr
	pBitXor
	pBitAnd
	pAdditive
	pMultiplicative
	pUnary
	pPrimary
)

func (n *node) level() int {
	switch n.kind {
	case kBinary:
		switch n.op {
		case "or":
			return pOr
		case "and":
			return pAnd
		case "=", "!=", "<", "<=", ">", ">=", "<=>":
			return pComparison
		case "|":
			return pBitOr
		case "^":
			return pBitXor
		case "&":
			return pBitAnd
		case "+", "-", "||":
			return pAdditive
		default:
			return pMultiplicative
		}
	case kNot:
		return pNot
	case kIsNull, kIsBool, kBetween, kIn, kLike:
		return pPredicate
	case kNeg, kBitNot:
		return pUnary
	}
	return pPrimary
}

func (n *node) printAt(b *strings.Builder, min int) {
	if n.level() < min {
		b.WriteByte('(')
		n.print(b)
		b.WriteByte(')')
		return
	}
	n.print(b)
}

func (n *node) print(b *strings.Builder) {
	switch n.kind {
	case kColumn:
		for i, p := range n.path {
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(quoteIdent(p))
		}
	case kLiteral:
		printLiteral(b, n.lit)
	case kNeg, kBitNot:
		op := "-"
		if n.kind == kBitNot {
			op = "~"
		}
		b.WriteString(op)
		inner := n.args[0].String()
		if n.args[0].level() < pUnary || n.args[0].kind == kLiteral || strings.HasPrefix(inner, "-") || strings.HasPrefix(inner, "~") {
			b.WriteString("(" + inner + ")")
		} else {
			b.WriteString(inner)
		}
	case kNot:
		b.WriteString("NOT ")
		n.args[0].printAt(b, pNot)
	case kBinary:
		lvl := n.level()
		n.args[0].printAt(b, lvl)
		op := n.op
		switch op {
		case "and", "or", "div":
			op = strings.ToUpper(op)
		}
		b.WriteString(" " + op + " ")
		n.args[1].printAt(b, lvl+1)
	case kIsNull:
		n.args[0].printAt(b, pComparison)
		if n.not {
			b.WriteString(" IS NOT NULL")
		} else {
			b.WriteString(" IS NULL")
		}
	case kIsBool:
		n.args[0].printAt(b, pComparison)
		b.WriteString(" IS ")
		if n.not {
			b.WriteString("NOT ")
		}
		b.WriteString(strings.ToUpper(n.op))
	case kBetween:
		n.args[0].printAt(b, pComparison)
		b.WriteString(notWord(n.not) + " BETWEEN ")
		n.args[1].printAt(b, pComparison)
		b.WriteString(" AND ")
		n.args[2].printAt(b, pComparison)
	case kIn:
		n.args[0].printAt(b, pComparison)
		b.WriteString(notWord(n.not) + " IN (")
		for i, a := range n.args[1:] {
			if i > 0 {
				b.WriteString(", ")
			}
			a.print(b)
		}
		b.WriteByte(')')
	case kLike:
		n.args[0].printAt(b, pComparison)
		b.WriteString(notWord(n.not) + " " + strings.ToUpper(n.op) + " ")
		n.args[1].printAt(b, pComparison)
		if n.escape != 0 {
			b.WriteString(" ESCAPE " + quoteString(string(n.escape)))
		}
	case kCase:
		b.WriteString("CASE")
		args := n.args
		if n.hasOperand {
			b.WriteByte(' ')
			args[0].print(b)
			args = args[1:]
		}
		var elseArm *node
		if n.hasElse {
			elseArm = args[len(args)-1]
			args = args[:len(args)-1]
		}
		for i := 0; i+1 < len(args); i += 2 {
			b.WriteString(" WHEN ")
			args[i].print(b)
			b.WriteString(" THEN ")
			args[i+1].print(b)
		}
		if elseArm != nil {
			b.WriteString(" ELSE ")
			elseArm.print(b)
		}
		b.WriteString(" END")
	case kCast:
		if n.try {
			b.WriteString("TRY_CAST(")
		} else {
			b.WriteString("CAST(")
		}
		n.args[0].print(b)
		b.WriteString(" AS " + sparkTypeName(n.castTo) + ")")
	case kCall:
		b.WriteString(n.op + "(")
		for i, a := range n.args {
			if i > 0 {
				b.WriteString(", ")
			}
			a.print(b)
		}
		b.WriteByte(')')
	}
}

func notWord(not bool) string {
	if not {
		return " NOT"
	}
	return ""
}

func printLiteral(b *strings.Builder, l literal) {
	switch l.kind {
	case litNull:
		b.WriteString("NULL")
	case litBool:
		if l.b {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case litInt8:
		b.WriteString(strconv.FormatInt(l.i, 10) + "Y")
	case litInt16:
		b.WriteString(strconv.FormatInt(l.i, 10) + "S")
	case litInt32:
		b.WriteString(strconv.FormatInt(l.i, 10))
	case litInt64:
		b.WriteString(strconv.FormatInt(l.i, 10) + "L")
	case litFloat32, litFloat64:
		bits, suffix, typ := 64, "D", "DOUBLE"
		if l.kind == litFloat32 {
			bits, suffix, typ = 32, "F", "FLOAT"
		}
		switch {
		case math.IsNaN(l.f):
			b.WriteString("CAST('NaN' AS " + typ + ")")
		case math.IsInf(l.f, 1):
			b.WriteString("CAST('Infinity' AS " + typ + ")")
		case math.IsInf(l.f, -1):
			b.WriteString("CAST('-Infinity' AS " + typ + ")")
		default:
			b.WriteString(strconv.FormatFloat(l.f, 'g', -1, bits) + suffix)
		}
	case litDecimal:
		text := decimalText(l.dec, l.scale)
		natural, err := decimalLiteral(text)
		if err == nil && natural.prec == l.prec && natural.scale == l.scale {
			b.WriteString(text + "BD")
		} else {
			fmt.Fprintf(b, "CAST(%sBD AS DECIMAL(%d,%d))", text, l.prec, l.scale)
		}
	case litString:
		b.WriteString(quoteString(l.s))
	case litBinary:
		b.WriteString("X'" + strings.ToUpper(hex.EncodeToString(l.bin)) + "'")
	case litDate:
		b.WriteString("DATE '" + civilDate(int32(l.i)) + "'")
	case litTimestamp:
		text := l.s
		if l.abs {
			text = civilDate(int32(floorDiv(l.i, microsPerDay))) + formatClock(l.i) + "Z"
		}
		b.WriteString("TIMESTAMP " + quoteString(text))
	case litTimestampNTZ:
		b.WriteString("TIMESTAMP_NTZ " + quoteString(l.s))
	case litInterval:
		b.WriteString("INTERVAL '" + intervalText(l) + "'")
	}
}

// civilDate prints days since the epoch as [-]yyyy-mm-dd, wider years kept.
func civilDate(days int32) string {
	t := time.Unix(int64(days)*86400, 0).UTC()
	y := t.Year()
	sign := ""
	if y < 0 {
		sign, y = "-", -y
	}
	return fmt.Sprintf("%s%04d-%02d-%02d", sign, y, int(t.Month()), t.Day())
}

// formatClock prints the time of day of µs since the epoch (UTC) as
// " hh:mm:ss[.ffffff]".
func formatClock(us int64) string {
	r := us - floorDiv(us, microsPerDay)*microsPerDay
	sec := r / microsPerSecond
	s := fmt.Sprintf(" %02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	if f := r % microsPerSecond; f != 0 {
		s += fmt.Sprintf(".%06d", f)
	}
	return s
}

func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// keywords that must be backticked when used as column names.
var quotedWords = map[string]bool{
	"null": true, "true": true, "false": true, "case": true, "cast": true, "try_cast": true,
	"date": true, "timestamp": true, "timestamp_ntz": true, "timestamp_ltz": true, "interval": true,
	"unknown": true, "as": true,
}

func quoteIdent(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		if !(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && isDigit(c))) {
			plain = false
		}
	}
	low := lowerASCII(s)
	if plain && !reservedPrimary[low] && !quotedWords[low] {
		return s
	}
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}
