package expr

import (
	"errors"
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePrint(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"amount > 0", "amount > 0"},
		{"transaction_date IS NOT NULL", "transaction_date IS NOT NULL"},
		{"amount BETWEEN 0 AND 1000000", "amount BETWEEN 0 AND 1000000"},
		{"date >= '2020-01-01'", "`date` >= '2020-01-01'"},
		{"a = 1 AND b = 2 OR c = 3", "a = 1 AND b = 2 OR c = 3"},
		{"a = 1 AND (b = 2 OR c = 3)", "a = 1 AND (b = 2 OR c = 3)"},
		{"NOT a = 1", "NOT a = 1"},
		{"!(a)", "NOT a"},
		{"1 + 2 * 3", "1 + 2 * 3"},
		{"(1 + 2) * 3", "(1 + 2) * 3"},
		{"a - (b - c)", "a - (b - c)"},
		{"a - b - c", "a - b - c"},
		{"-a * b", "-a * b"},
		{"-(a * b)", "-(a * b)"},
		{"- -5", "-(-5)"},
		{"- 5", "-5"},
		{"-(5)", "-(5)"},
		{"a <> b", "a != b"},
		{"a == b", "a = b"},
		{"a <=> NULL", "a <=> NULL"},
		{"a IS DISTINCT FROM b", "NOT a <=> b"},
		{"a IS NOT DISTINCT FROM b", "a <=> b"},
		{"x NOT IN (1, 2, NULL)", "x NOT IN (1, 2, NULL)"},
		{"name LIKE 'a\\_%' ESCAPE '\\\\'", "name LIKE 'a\\\\_%' ESCAPE '\\\\'"},
		{"name not like 'a!%' escape '!'", "name NOT LIKE 'a!%' ESCAPE '!'"},
		{"s RLIKE '^a.*'", "s RLIKE '^a.*'"},
		{"s REGEXP 'x'", "s RLIKE 'x'"},
		{"`a.b`.c > 1", "`a.b`.c > 1"},
		{"`a``b` = 1", "`a``b` = 1"},
		{"a.b.c = 1", "a.b.c = 1"},
		{"1L + 2S + 3Y", "1L + 2S + 3Y"},
		{"1.5", "1.5BD"},
		{"1.5e3", "1500D"},
		{"1.5D + 2F", "1.5D + 2F"},
		{"12345678901", "12345678901L"},
		{"123456789012345678901234567890", "123456789012345678901234567890BD"},
		{"-9223372036854775808L", "-9223372036854775808L"},
		{`'it\'s' "dq" 'x'`, `'it\'sdqx'`},
		{`'tab\there'`, `'tab\there'`},
		{"DATE '2020-1-2'", "DATE '2020-01-02'"},
		{"TIMESTAMP '2020-01-02 03:04:05.6'", "TIMESTAMP '2020-01-02 03:04:05.6'"},
		{"TIMESTAMP_NTZ '2020-01-02'", "TIMESTAMP_NTZ '2020-01-02'"},
		{"INTERVAL 1 DAY", "INTERVAL '1 days'"},
		{"INTERVAL '1-2' YEAR TO MONTH", "INTERVAL '14 months'"},
		{"INTERVAL '1 02:00:00' DAY TO SECOND", "INTERVAL '1 days 7200000000 microseconds'"},
		{"INTERVAL 1 DAY 2 HOURS", "INTERVAL '1 days 7200000000 microseconds'"},
		{"X'0aFF'", "X'0AFF'"},
		{"CASE WHEN a > 0 THEN 'p' WHEN a < 0 THEN 'n' ELSE 'z' END", "CASE WHEN a > 0 THEN 'p' WHEN a < 0 THEN 'n' ELSE 'z' END"},
		{"case a when 1 then 2 end", "CASE a WHEN 1 THEN 2 END"},
		{"cast(a as decimal(10, 2))", "CAST(a AS DECIMAL(10,2))"},
		{"try_cast(a as varchar(3))", "TRY_CAST(a AS STRING)"},
		{"COALESCE(a, 0)", "coalesce(a, 0)"},
		{"a IS TRUE", "a IS TRUE"},
		{"a || b", "a || b"},
		{"7 DIV 2", "7 DIV 2"},
		{"(a = b) IS NULL", "a = b IS NULL"},
		{"a = b = c", "a = b = c"},
		{"a = (b = c)", "a = (b = c)"},
		{"current_date()", "current_date()"},
		{"substring(s FROM 2 FOR 3)", "substring(s, 2, 3)"},
		{"SUBSTRING(s FROM 2)", "substring(s, 2)"},
		{"EXTRACT(YEAR FROM ts) = 2020", "year(ts) = 2020"},
		{"extract(dow from d)", "dayofweek(d)"},
		{"a /* c */ = -- x\n 1", "a = 1"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			e, err := Parse(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, e.String())
			again, err := Parse(e.String())
			require.NoError(t, err)
			assert.Equal(t, tc.want, again.String())
		})
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in  string
		pos int
	}{
		{"a >", 3},
		{"a > > 1", 4},
		{"(a", 2},
		{"'abc", 0},
		{"a IN 1", 5},
		{"DATE '2020-13-01'", 5},
		{"CAST(a AS foo)", 10},
		{"a b", 2},
		{"1 +* 2", 3},
		{"`", 0},
		{"a NOT", 2},
		{"CASE END", 5},
		{"99999999999999999999999999999999999999999", 0},
		{"1x", 0},
		{"a LIKE 'x' ESCAPE 'ab'", 18},
		{"INTERVAL 1 fortnight", 11},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrSyntax))
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.pos, se.Pos, se.Error())
		})
	}
}

func TestBuilder(t *testing.T) {
	cases := []struct {
		e    Expr
		want string
	}{
		{Col("amount").Gt(Lit(0)), "amount > 0"},
		{And(Col("amount").Gt(Lit(0)), IsNotNull(Col("transaction_date"))), "amount > 0 AND transaction_date IS NOT NULL"},
		{Or(Col("a").Eq(Lit("x")), Not(Col("b", "c").Le(Lit(2.5)))), "a = 'x' OR NOT b.c <= 2.5D"},
		{In(Col("k"), Lit(1), Lit(int64(2)), Lit(nil)), "k IN (1, 2L, NULL)"},
		{Col("a").Add(Lit(1)).Mul(Lit(2)), "(a + 1) * 2"},
		{Col("a").Between(Lit(1), Lit(2)), "a BETWEEN 1 AND 2"},
		{Col("s").Like("ab%"), "s LIKE 'ab%'"},
		{Col("date").Ge(LitDate(2020, 1, 2)), "`date` >= DATE '2020-01-02'"},
		{Call("lower", Col("s")).Eq(Lit("x")), "lower(s) = 'x'"},
		{And(), "TRUE"},
		{Or(), "FALSE"},
		{NotIn(Col("a"), Lit(1)), "a NOT IN (1)"},
		{Col("a").EqNullSafe(Lit(nil)), "a <=> NULL"},
	}
	for _, tc := range cases {
		t.Run(tc.want, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.e.String())
			again, err := Parse(tc.e.String())
			require.NoError(t, err)
			assert.Equal(t, tc.want, again.String())
		})
	}
}

func TestColumns(t *testing.T) {
	e, err := Parse("a > 1 AND B.c IS NULL OR lower(a) = `x y`")
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"a"}, {"B", "c"}, {"x y"}}, Columns(e))
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"amount > 0 AND transaction_date IS NOT NULL",
		"amount BETWEEN 0 AND 1000000",
		"date >= '2020-01-01'",
		"a NOT IN (1, NULL) OR b LIKE 'x\\%' ESCAPE '\\\\'",
		"CASE WHEN a THEN 1 ELSE -2.5e3 END",
		"CAST(x AS DECIMAL(10,2)) + 1.25BD",
		"INTERVAL '1-2' YEAR TO MONTH",
		"TIMESTAMP '2020-01-01 00:00:00+05:30'",
		"`a``b`.c <=> X'00'",
		"- -1 * ~2 DIV 3 % 4 | 5 & 6 ^ 7",
		"coalesce(a, b, 'c') || 'd'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrSyntax) {
				t.Fatalf("error %v is not ErrSyntax", err)
			}
			return
		}
		printed := e.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("reparse of %q (from %q) failed: %v", printed, s, err)
		}
		if again.String() != printed {
			t.Fatalf("print not stable:\n in: %q\n 1st: %q\n 2nd: %q", s, printed, again.String())
		}
		// Printing loses nothing the parser keeps: the reparsed tree is
		// the tree.
		if !reflect.DeepEqual(withoutPos(e.(*node)), withoutPos(again.(*node))) {
			t.Fatalf("Parse(String()) differs from Parse for %q (printed %q):\n%#v\n%#v", s, printed, e, again)
		}
	})
}

// withoutPos copies a tree without source positions (and with NaN
// literals made comparable), so trees parsed from different spellings of
// one expression compare equal with reflect.DeepEqual.
func withoutPos(n *node) *node {
	if n == nil {
		return nil
	}
	c := *n
	c.pos = -1
	if math.IsNaN(c.lit.f) {
		c.lit.f = 0
		c.lit.s += "NaN"
	}
	c.args = nil
	for _, a := range n.args {
		c.args = append(c.args, withoutPos(a))
	}
	return &c
}
