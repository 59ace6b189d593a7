package expr

import (
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Expr is a parsed or built Spark SQL scalar expression. Values are
// immutable trees; the builder methods return new trees and never modify
// their receiver. String prints Spark SQL that parses back to the same tree.
type Expr interface {
	String() string
	// Gt builds `e > o`; the other comparison builders follow the same shape.
	Gt(o Expr) Expr
	Ge(o Expr) Expr
	Lt(o Expr) Expr
	Le(o Expr) Expr
	Eq(o Expr) Expr
	Ne(o Expr) Expr
	// EqNullSafe builds `e <=> o`.
	EqNullSafe(o Expr) Expr
	Add(o Expr) Expr
	Sub(o Expr) Expr
	Mul(o Expr) Expr
	Div(o Expr) Expr
	Mod(o Expr) Expr
	IsNull() Expr
	IsNotNull() Expr
	In(list ...Expr) Expr
	Between(low, high Expr) Expr
	Like(pattern string) Expr

	tree() *node
}

type kind uint8

const (
	kColumn kind = iota
	kLiteral
	kNeg     // unary minus
	kBitNot  // ~x
	kNot     // NOT x
	kBinary  // arithmetic, comparison, AND/OR
	kIsNull  // x IS [NOT] NULL
	kIsBool  // x IS [NOT] TRUE|FALSE|UNKNOWN
	kBetween // x [NOT] BETWEEN a AND b
	kIn      // x [NOT] IN (…)
	kLike    // x [NOT] LIKE|ILIKE|RLIKE p [ESCAPE c]
	kCase    // CASE [x] WHEN … THEN … [ELSE …] END
	kCast    // CAST / TRY_CAST
	kCall    // function call
)

// node is the single concrete representation of every Expr.
type node struct {
	kind kind
	pos  int    // byte offset in the parsed text; -1 when built in Go
	op   string // operator (lower case) or function name (lower case)
	not  bool   // negated predicate form
	path []string
	lit  literal
	args []*node
	// CASE layout: args = [operand] when1 then1 … [else]
	hasOperand bool
	hasElse    bool
	escape     rune // LIKE ESCAPE character; 0 when absent
	castTo     arrow.DataType
	try        bool // TRY_CAST
}

func (n *node) tree() *node { return n }

type litKind uint8

const (
	litNull litKind = iota
	litBool
	litInt8
	litInt16
	litInt32
	litInt64
	litFloat32
	litFloat64
	litDecimal
	litString
	litBinary
	litDate         // i = days since epoch
	litTimestamp    // s = text resolved in the session zone, or abs=true and i = µs
	litTimestampNTZ // s = text
	litInterval     // months, days, i = µs
)

type literal struct {
	kind   litKind
	b      bool
	i      int64
	f      float64
	s      string
	bin    []byte
	dec    decimal128.Num
	prec   int32
	scale  int32
	abs    bool // timestamp given as an instant (builder), not text
	months int32
	days   int32
	bad    error // builder given an unsupported Go value; reported by Compile
}

// Col references a column; several names form a nested struct path, so
// Col("a", "b") is `a.b`. Names are matched case-insensitively at Compile.
func Col(path ...string) Expr {
	return &node{kind: kColumn, pos: -1, path: append([]string(nil), path...)}
}

// Lit makes a literal from a Go value: nil, bool, signed and unsigned
// integers (int and int32 become INT when they fit, otherwise BIGINT),
// float32, float64, string, []byte, time.Time (a TIMESTAMP instant) and
// *big.Rat is not accepted; use LitDecimal for decimals. Unsupported values
// make Compile fail with ErrType.
func Lit(v any) Expr {
	n := &node{kind: kLiteral, pos: -1}
	switch x := v.(type) {
	case nil:
		n.lit = literal{kind: litNull}
	case bool:
		n.lit = literal{kind: litBool, b: x}
	case int:
		n.lit = intLiteral(int64(x))
	case int8:
		n.lit = literal{kind: litInt8, i: int64(x)}
	case int16:
		n.lit = literal{kind: litInt16, i: int64(x)}
	case int32:
		n.lit = literal{kind: litInt32, i: int64(x)}
	case int64:
		n.lit = literal{kind: litInt64, i: x}
	case uint8:
		n.lit = intLiteral(int64(x))
	case uint16:
		n.lit = intLiteral(int64(x))
	case uint32:
		n.lit = intLiteral(int64(x))
	case uint:
		n.lit = uintLiteral(uint64(x))
	case uint64:
		n.lit = uintLiteral(x)
	case float32:
		n.lit = literal{kind: litFloat32, f: float64(x)}
	case float64:
		n.lit = literal{kind: litFloat64, f: x}
	case string:
		n.lit = literal{kind: litString, s: x}
	case []byte:
		n.lit = literal{kind: litBinary, bin: append([]byte(nil), x...)}
	case time.Time:
		n.lit = literal{kind: litTimestamp, abs: true, i: x.UnixMicro()}
	default:
		n.lit = literal{kind: litNull, bad: fmt.Errorf("unsupported literal Go type %T", v)}
	}
	return n
}

// LitDecimal makes a DECIMAL literal from its text, e.g. "12.50"
// (DECIMAL(4,2)). It returns ErrSyntax for text that is not a decimal.
func LitDecimal(text string) (Expr, error) {
	l, err := decimalLiteral(text)
	if err != nil {
		return nil, &SyntaxError{Text: text, Pos: 0, Msg: err.Error()}
	}
	return &node{kind: kLiteral, pos: -1, lit: l}, nil
}

// LitDate makes a DATE literal.
func LitDate(year int, month time.Month, day int) Expr {
	d := time.Date(year, month, day, 0, 0, 0, 0, time.UTC)
	return &node{kind: kLiteral, pos: -1, lit: literal{kind: litDate, i: d.Unix() / 86400}}
}

func intLiteral(v int64) literal {
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		return literal{kind: litInt32, i: v}
	}
	return literal{kind: litInt64, i: v}
}

func uintLiteral(v uint64) literal {
	if v <= math.MaxInt64 {
		return intLiteral(int64(v))
	}
	l, _ := decimalLiteral(new(big.Int).SetUint64(v).String())
	return l
}

// And joins predicates with AND; no argument means TRUE.
func And(es ...Expr) Expr { return chain("and", true, es) }

// Or joins predicates with OR; no argument means FALSE.
func Or(es ...Expr) Expr { return chain("or", false, es) }

func chain(op string, empty bool, es []Expr) Expr {
	if len(es) == 0 {
		return Lit(empty)
	}
	acc := es[0].tree()
	for _, e := range es[1:] {
		acc = binary(op, acc, e.tree())
	}
	return acc
}

// Not negates a predicate.
func Not(e Expr) Expr { return &node{kind: kNot, pos: -1, args: []*node{e.tree()}} }

// IsNull builds `e IS NULL`.
func IsNull(e Expr) Expr { return e.IsNull() }

// IsNotNull builds `e IS NOT NULL`.
func IsNotNull(e Expr) Expr { return e.IsNotNull() }

// In builds `e IN (list…)`.
func In(e Expr, list ...Expr) Expr { return e.In(list...) }

// NotIn builds `e NOT IN (list…)`.
func NotIn(e Expr, list ...Expr) Expr {
	n := e.In(list...).tree()
	n.not = true
	return n
}

// Call builds a function call, e.g. Call("lower", Col("name")).
func Call(name string, args ...Expr) Expr {
	n := &node{kind: kCall, pos: -1, op: lowerASCII(name)}
	for _, a := range args {
		n.args = append(n.args, a.tree())
	}
	return n
}

// Cast builds CAST(e AS t) for the Arrow type t (see ParseType for the
// Spark type names that map to Arrow).
func Cast(e Expr, t arrow.DataType) Expr {
	return &node{kind: kCast, pos: -1, args: []*node{e.tree()}, castTo: t}
}

// If builds `CASE WHEN cond THEN a ELSE b END`.
func If(cond, a, b Expr) Expr {
	return &node{kind: kCase, pos: -1, hasElse: true, args: []*node{cond.tree(), a.tree(), b.tree()}}
}

func binary(op string, l, r *node) *node {
	return &node{kind: kBinary, pos: -1, op: op, args: []*node{l, r}}
}

func (n *node) Gt(o Expr) Expr         { return binary(">", n, o.tree()) }
func (n *node) Ge(o Expr) Expr         { return binary(">=", n, o.tree()) }
func (n *node) Lt(o Expr) Expr         { return binary("<", n, o.tree()) }
func (n *node) Le(o Expr) Expr         { return binary("<=", n, o.tree()) }
func (n *node) Eq(o Expr) Expr         { return binary("=", n, o.tree()) }
func (n *node) Ne(o Expr) Expr         { return binary("!=", n, o.tree()) }
func (n *node) EqNullSafe(o Expr) Expr { return binary("<=>", n, o.tree()) }
func (n *node) Add(o Expr) Expr        { return binary("+", n, o.tree()) }
func (n *node) Sub(o Expr) Expr        { return binary("-", n, o.tree()) }
func (n *node) Mul(o Expr) Expr        { return binary("*", n, o.tree()) }
func (n *node) Div(o Expr) Expr        { return binary("/", n, o.tree()) }
func (n *node) Mod(o Expr) Expr        { return binary("%", n, o.tree()) }
func (n *node) IsNull() Expr           { return &node{kind: kIsNull, pos: -1, args: []*node{n}} }
func (n *node) IsNotNull() Expr        { return &node{kind: kIsNull, pos: -1, not: true, args: []*node{n}} }

func (n *node) In(list ...Expr) Expr {
	m := &node{kind: kIn, pos: -1, args: []*node{n}}
	for _, e := range list {
		m.args = append(m.args, e.tree())
	}
	return m
}

func (n *node) Between(low, high Expr) Expr {
	return &node{kind: kBetween, pos: -1, args: []*node{n, low.tree(), high.tree()}}
}

func (n *node) Like(pattern string) Expr {
	return &node{kind: kLike, pos: -1, op: "like", args: []*node{n, Lit(pattern).tree()}}
}

// Columns lists the column paths referenced by e, as written (before
// case-insensitive resolution), in first-appearance order without duplicates.
func Columns(e Expr) [][]string {
	var out [][]string
	seen := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		if n.kind == kColumn {
			k := fmt.Sprintf("%q", n.path)
			if !seen[k] {
				seen[k] = true
				out = append(out, append([]string(nil), n.path...))
			}
		}
		for _, a := range n.args {
			walk(a)
		}
	}
	walk(e.tree())
	return out
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
