package expr

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// likeRegexp translates a SQL LIKE pattern to an anchored, dot-all regular
// expression, rejecting the escape sequences Spark rejects.
func likeRegexp(pattern string, escape rune) (string, error) {
	var b strings.Builder
	b.WriteString("(?s)^")
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == escape:
			if i+1 >= len(rs) {
				return "", fmt.Errorf("the escape character is not allowed to end the pattern %q", pattern)
			}
			next := rs[i+1]
			if next != '_' && next != '%' && next != escape {
				return "", fmt.Errorf("the escape character is not allowed to precede %q in pattern %q", next, pattern)
			}
			b.WriteString(regexp.QuoteMeta(string(next)))
			i++
		case c == '_':
			b.WriteByte('.')
		case c == '%':
			b.WriteString(".*")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteByte('$')
	return b.String(), nil
}

// likeMatcher returns a fast matcher for common pattern shapes.
func likeMatcher(pattern string, escape rune) (func(string) bool, error) {
	re, err := likeRegexp(pattern, escape)
	if err != nil {
		return nil, err
	}
	if !strings.ContainsRune(pattern, escape) && !strings.ContainsRune(pattern, '_') {
		inner := strings.Trim(pattern, "%")
		if !strings.Contains(inner, "%") {
			lead, trail := strings.HasPrefix(pattern, "%"), strings.HasSuffix(pattern, "%") && len(pattern) > len(inner)
			if lead && pattern == "%" {
				return func(string) bool { return true }, nil
			}
			switch {
			case lead && trail:
				return func(s string) bool { return strings.Contains(s, inner) }, nil
			case lead:
				return func(s string) bool { return strings.HasSuffix(s, inner) }, nil
			case trail:
				return func(s string) bool { return strings.HasPrefix(s, inner) }, nil
			default:
				return func(s string) bool { return s == inner }, nil
			}
		}
	}
	rx, err := regexp.Compile(re)
	if err != nil {
		return nil, err
	}
	return rx.MatchString, nil
}

func (c *compiler) like(n *node) (*cnode, error) {
	x, err := c.compile(n.args[0])
	if err != nil {
		return nil, err
	}
	p, err := c.compile(n.args[1])
	if err != nil {
		return nil, err
	}
	for _, side := range []**cnode{&x, &p} {
		if !isString((*side).typ) {
			if !isAtomic((*side).typ) && !isNull((*side).typ) {
				return nil, compileErr(n, ErrType, "%s needs STRING operands, not %s", strings.ToUpper(n.op), sparkTypeName((*side).typ))
			}
			if *side, err = c.coerce(*side, arrow.BinaryTypes.String); err != nil {
				return nil, err
			}
		}
	}
	escape := n.escape
	if escape == 0 {
		escape = '\\'
	}
	op := n.op
	compilePattern := func(pat string) (func(string) bool, error) {
		switch op {
		case "rlike":
			rx, err := regexp.Compile(pat)
			if err != nil {
				return nil, fmt.Errorf("%w: invalid regular expression %q: %v", ErrType, pat, err)
			}
			return rx.MatchString, nil
		case "ilike":
			m, err := likeMatcher(strings.ToLower(pat), escape)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", ErrType, err)
			}
			return func(s string) bool { return m(strings.ToLower(s)) }, nil
		}
		m, err := likeMatcher(pat, escape)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrType, err)
		}
		return m, nil
	}
	var fixed func(string) bool
	if p.konst != nil && p.konst.IsValid() {
		fixed, err = compilePattern(string(p.konst.(*scalar.String).Data()))
		if err != nil {
			return nil, &CompileError{Pos: n.pos, Msg: err.Error(), Kind: ErrType}
		}
	}
	cn := &cnode{typ: boolType, src: n, eval: func(ec *evalCtx) (value, error) {
		xa, pa, err := ec.evalPair(x, p)
		if err != nil {
			return value{}, err
		}
		defer xa.Release()
		defer pa.Release()
		xs, ps := xa.(*array.String), pa.(*array.String)
		b := array.NewBooleanBuilder(ec.mem)
		defer b.Release()
		b.Reserve(xs.Len())
		cache := map[string]func(string) bool{}
		for i := 0; i < xs.Len(); i++ {
			if xs.IsNull(i) || ps.IsNull(i) {
				b.UnsafeAppendBoolToBitmap(false)
				continue
			}
			m := fixed
			if m == nil {
				pat := ps.Value(i)
				if m = cache[pat]; m == nil {
					if m, err = compilePattern(pat); err != nil {
						return value{}, err
					}
					cache[pat] = m
				}
			}
			b.UnsafeAppend(m(xs.Value(i)))
		}
		return value{arr: b.NewArray()}, nil
	}}
	var out *cnode = c.fold(cn, x, p)
	if n.not {
		out = c.fold(c.negateBool(n, out), out)
	}
	return out, nil
}
