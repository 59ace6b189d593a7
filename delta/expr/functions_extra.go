package expr

import (
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// castFunctions are Spark's type-named conversion functions: int(x) is
// CAST(x AS INT), date(x) is CAST(x AS DATE), and so on.
var castFunctions = map[string]string{
	"boolean": "BOOLEAN", "tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INT", "bigint": "BIGINT",
	"float": "FLOAT", "double": "DOUBLE", "decimal": "DECIMAL", "string": "STRING", "binary": "BINARY",
	"date": "DATE", "timestamp": "TIMESTAMP",
}

func buildCastFunction(typeName string) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		to, err := ParseType(typeName)
		if err != nil {
			return nil, err
		}
		if !canCast(args[0].typ, to) {
			return nil, compileErr(n, ErrType, "cannot cast %s to %s", sparkTypeName(args[0].typ), sparkTypeName(to))
		}
		mode := castLegacy
		if c.opts.ANSI {
			mode = castANSI
		}
		return c.castNode(args[0], to, mode, n)
	}
}

// buildIsNullFunction is isnull(x) / isnotnull(x).
func buildIsNullFunction(wantNull bool) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		cond := c.fold(notNullCond(args[0]), args[0])
		if !wantNull {
			return cond, nil
		}
		return c.fold(c.negateBool(n, cond), cond), nil
	}
}

// buildNullIf is nullif(a, b): NULL when a = b, else a.
func buildNullIf(c *compiler, n *node, args []*cnode) (*cnode, error) {
	eq, err := c.comparison(n, "=", n.args[0], n.args[1])
	if err != nil {
		return nil, err
	}
	null := constNode(scalar.MakeNullScalar(args[0].typ), n)
	return c.choose(n, []*cnode{eq}, []*cnode{null, args[0]})
}

// buildNvl2 is nvl2(x, a, b): a when x is not NULL, else b.
func buildNvl2(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return c.choose(n, []*cnode{c.fold(notNullCond(args[0]), args[0])}, args[1:])
}

func buildQuarterOrWeekday(part string) func(c *compiler, n *node, args []*cnode) (*cnode, error) {
	return func(c *compiler, n *node, args []*cnode) (*cnode, error) {
		if err := c.expect(n, 0, args, dateType); err != nil {
			return nil, err
		}
		return c.mapRows(n, args, arrow.PrimitiveTypes.Int32, false, func(xs []cell) (cell, rowStatus) {
			t := time.Unix(xs[0].i*86400, 0).UTC()
			var v int
			switch part {
			case "quarter":
				v = (int(t.Month())-1)/3 + 1
			case "dayofweek": // 1 = Sunday … 7 = Saturday
				v = int(t.Weekday()) + 1
			case "dayofyear":
				v = t.YearDay()
			}
			return cell{k: cInt, i: int64(v)}, rowOK
		}), nil
	}
}

// buildAddMonths is add_months(date, n): the day of month is clamped to
// the length of the target month.
func buildAddMonths(c *compiler, n *node, args []*cnode) (*cnode, error) {
	if err := c.expect(n, 0, args, dateType); err != nil {
		return nil, err
	}
	if err := c.expect(n, 1, args, arrow.PrimitiveTypes.Int32); err != nil {
		return nil, err
	}
	return c.mapRows(n, args, dateType, false, func(xs []cell) (cell, rowStatus) {
		y, m, d := time.Unix(xs[0].i*86400, 0).UTC().Date()
		t := addMonthsClamped(y, m, d, int(xs[1].i))
		return cell{k: cDate, i: int64(daysFromCivil(t.Year(), int(t.Month()), t.Day()))}, rowOK
	}), nil
}

func extraFunctions(name string) (funcSpec, bool) {
	name = strings.ToLower(name)
	if t, ok := castFunctions[name]; ok {
		return funcSpec{1, 1, buildCastFunction(t)}, true
	}
	switch name {
	case "isnull":
		return funcSpec{1, 1, buildIsNullFunction(true)}, true
	case "isnotnull":
		return funcSpec{1, 1, buildIsNullFunction(false)}, true
	case "nullif":
		return funcSpec{2, 2, buildNullIf}, true
	case "nvl2":
		return funcSpec{3, 3, buildNvl2}, true
	case "quarter", "dayofweek", "dayofyear":
		return funcSpec{1, 1, buildQuarterOrWeekday(name)}, true
	case "add_months":
		return funcSpec{2, 2, buildAddMonths}, true
	}
	return funcSpec{}, false
}
