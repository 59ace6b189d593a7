package expr

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

var stringType = arrow.BinaryTypes.String

func (c *compiler) expectString(n *node, i int, args []*cnode) error {
	return c.expect(n, i, args, stringType)
}

func buildCaseMap(f func(string) string) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		if err := c.expectString(n, 0, args); err != nil {
			return nil, err
		}
		return c.mapRows(n, args, stringType, false, func(xs []cell) (cell, rowStatus) {
			return cell{k: cStr, s: f(xs[0].s)}, rowOK
		}), nil
	}
}

// buildTrim removes spaces (only U+0020, as Spark does) or, for btrim with
// a second argument, any of the given characters.
func buildTrim(left, right bool) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		for i := range args {
			if err := c.expectString(n, i, args); err != nil {
				return nil, err
			}
		}
		return c.mapRows(n, args, stringType, false, func(xs []cell) (cell, rowStatus) {
			cut := " "
			if len(xs) > 1 {
				cut = xs[1].s
			}
			s := xs[0].s
			if left {
				s = strings.TrimLeft(s, cut)
			}
			if right {
				s = strings.TrimRight(s, cut)
			}
			return cell{k: cStr, s: s}, rowOK
		}), nil
	}
}

func buildLength(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if args[0].typ.ID() != arrow.BINARY {
		if err := c.expectString(n, 0, args); err != nil {
			return nil, err
		}
	}
	return c.mapRows(n, args, arrow.PrimitiveTypes.Int32, false, func(xs []cell) (cell, rowStatus) {
		if xs[0].k == cBin {
			return cell{k: cInt, i: int64(len(xs[0].s))}, rowOK
		}
		return cell{k: cInt, i: int64(utf8.RuneCountInString(xs[0].s))}, rowOK
	}), nil
}

func buildStringTest(f func(string, string) bool) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		for i := range args {
			if err := c.expectString(n, i, args); err != nil {
				return nil, err
			}
		}
		return c.mapRows(n, args, boolType, false, func(xs []cell) (cell, rowStatus) {
			return cell{k: cBool, b: f(xs[0].s, xs[1].s)}, rowOK
		}), nil
	}
}

// sqlSubstring is Spark's UTF8String.substringSQL: 1-based, 0 acts as 1,
// negative positions count from the end.
func sqlSubstring(s string, pos, length int64) string {
	rs := []rune(s)
	n := int64(len(rs))
	var start int64
	switch {
	case pos > 0:
		start = pos - 1
	case pos < 0:
		start = n + pos
	}
	end := start + length
	if length > 0 && end < start { // overflow
		end = math.MaxInt64
	}
	start = max(start, 0)
	if start >= end || start >= n {
		return ""
	}
	end = min(end, n)
	return string(rs[start:end])
}

func buildSubstring(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if err := c.expectString(n, 0, args); err != nil {
		return nil, err
	}
	for i := 1; i < len(args); i++ {
		if err := c.expect(n, i, args, arrow.PrimitiveTypes.Int32); err != nil {
			return nil, err
		}
	}
	return c.mapRows(n, args, stringType, false, func(xs []cell) (cell, rowStatus) {
		length := int64(math.MaxInt32)
		if len(xs) > 2 {
			length = xs[2].i
		}
		return cell{k: cStr, s: sqlSubstring(xs[0].s, xs[1].i, length)}, rowOK
	}), nil
}

func buildConcat(c *compiler, n *node, args []*cnode) (*cnode, error) {
	for i := range args {
		if err := c.expectString(n, i, args); err != nil {
			return nil, err
		}
	}
	if len(args) == 0 {
		return constNode(scalar.NewStringScalar(""), n), nil
	}
	return c.mapRows(n, args, stringType, false, func(xs []cell) (cell, rowStatus) {
		var b strings.Builder
		for _, x := range xs {
			b.WriteString(x.s)
		}
		return cell{k: cStr, s: b.String()}, rowOK
	}), nil
}

// buildConcatWS joins the non-NULL arguments; a NULL separator gives NULL.
func buildConcatWS(c *compiler, n *node, args []*cnode) (*cnode, error) {
	for i := range args {
		if err := c.expectString(n, i, args); err != nil {
			return nil, err
		}
	}
	return c.mapRows(n, args, stringType, true, func(xs []cell) (cell, rowStatus) {
		if xs[0].k == cNull {
			return cell{}, rowNull
		}
		var parts []string
		for _, x := range xs[1:] {
			if x.k != cNull {
				parts = append(parts, x.s)
			}
		}
		return cell{k: cStr, s: strings.Join(parts, xs[0].s)}, rowOK
	}), nil
}

// regexSource yields the regular expression for a row: the constant one
// compiled at Compile time, or a per-evaluation cache for varying patterns.
type regexSource struct {
	fixed *regexp.Regexp
}

func (c *compiler) regexArg(n *node, a *cnode) (regexSource, error) {
	if a.konst != nil && a.konst.IsValid() {
		re, err := regexp.Compile(string(a.konst.(*scalar.String).Data()))
		if err != nil {
			return regexSource{}, compileErr(n, ErrType, "invalid regular expression in %s: %v", n.op, err)
		}
		return regexSource{fixed: re}, nil
	}
	return regexSource{}, nil
}

// lookup returns a function resolving patterns, and one reporting the
// first invalid pattern seen.
func (rs regexSource) lookup() (func(string) *regexp.Regexp, func() error) {
	if rs.fixed != nil {
		return func(string) *regexp.Regexp { return rs.fixed }, func() error { return nil }
	}
	cache := map[string]*regexp.Regexp{}
	var failure error
	return func(p string) *regexp.Regexp {
			if re, ok := cache[p]; ok {
				return re
			}
			re, err := regexp.Compile(p)
			if err != nil && failure == nil {
				failure = fmt.Errorf("%w: invalid regular expression %q: %v", ErrType, p, err)
			}
			cache[p] = re
			return re
		}, func() error {
			return failure
		}
}

func buildRegexpExtract(c *compiler, n *node, args []*cnode) (*cnode, error) {
	for i := 0; i < 2; i++ {
		if err := c.expectString(n, i, args); err != nil {
			return nil, err
		}
	}
	if len(args) == 2 {
		args = append(args, constNode(scalar.NewInt32Scalar(1), n))
	}
	if err := c.expect(n, 2, args, arrow.PrimitiveTypes.Int32); err != nil {
		return nil, err
	}
	src, err := c.regexArg(n, args[1])
	if err != nil {
		return nil, err
	}
	return c.mapRowsWith(n, args, stringType, false, func() (rowFunc, func() error) {
		get, regexFailure := src.lookup()
		var groupFailure error
		return func(xs []cell) (cell, rowStatus) {
				re := get(xs[1].s)
				if re == nil {
					return cell{}, rowNull
				}
				g := int(xs[2].i)
				if g < 0 || g > re.NumSubexp() {
					groupFailure = fmt.Errorf("%w: regexp_extract group %d does not exist in %q", ErrType, g, xs[1].s)
					return cell{}, rowNull
				}
				m := re.FindStringSubmatchIndex(xs[0].s)
				if m == nil || m[2*g] < 0 {
					return cell{k: cStr, s: ""}, rowOK
				}
				return cell{k: cStr, s: xs[0].s[m[2*g]:m[2*g+1]]}, rowOK
			}, func() error {
				if err := regexFailure(); err != nil {
					return err
				}
				return groupFailure
			}
	}), nil
}

// javaReplacement converts Java's $n / ${name} / \$ replacement syntax to Go's.
func javaReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		switch {
		case r[i] == '\\' && i+1 < len(r):
			i++
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case r[i] == '$' && i+1 < len(r) && isDigit(r[i+1]):
			j := i + 1
			for j < len(r) && isDigit(r[j]) {
				j++
			}
			b.WriteString("${" + r[i+1:j] + "}")
			i = j - 1
		case r[i] == '$' && i+1 < len(r) && r[i+1] == '{':
			b.WriteByte('$') // ${name} means the same in both
		case r[i] == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(r[i])
		}
	}
	return b.String()
}

func buildRegexpReplace(c *compiler, n *node, args []*cnode) (*cnode, error) {
	for i := range args {
		if err := c.expectString(n, i, args); err != nil {
			return nil, err
		}
	}
	src, err := c.regexArg(n, args[1])
	if err != nil {
		return nil, err
	}
	return c.mapRowsWith(n, args, stringType, false, func() (rowFunc, func() error) {
		get, failure := src.lookup()
		return func(xs []cell) (cell, rowStatus) {
			re := get(xs[1].s)
			if re == nil {
				return cell{}, rowNull
			}
			return cell{k: cStr, s: re.ReplaceAllString(xs[0].s, javaReplacement(xs[2].s))}, rowOK
		}, failure
	}), nil
}
