package mlflow

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []comparison
	}{
		{"empty", "  ", nil},
		{"issue example", "metrics.rmse < 1 and params.max_depth = '6'", []comparison{
			{Entity: entityMetric, Key: "rmse", Op: "<", Num: 1, Str: "1", IsNum: true},
			{Entity: entityParam, Key: "max_depth", Op: "=", Str: "6"},
		}},
		{"aliases and spacing", "metric.acc>=0.9 AND parameter.lr!='0.1'", []comparison{
			{Entity: entityMetric, Key: "acc", Op: ">=", Num: 0.9, Str: "0.9", IsNum: true},
			{Entity: entityParam, Key: "lr", Op: "!=", Str: "0.1"},
		}},
		{"dotted tag key", "tags.mlflow.runName = 'bold-cow-1'", []comparison{
			{Entity: entityTag, Key: "mlflow.runName", Op: "=", Str: "bold-cow-1"},
		}},
		{"backtick and double quoted keys", "tags.`my key` = \"v\" and params.\"a b\" LIKE '%x'", []comparison{
			{Entity: entityTag, Key: "my key", Op: "=", Str: "v"},
			{Entity: entityParam, Key: "a b", Op: "LIKE", Str: "%x"},
		}},
		{"bare attribute", "status = 'FINISHED'", []comparison{{Entity: entityAttribute, Key: "status", Op: "=", Str: "FINISHED"}}},
		{"IN list", "attributes.run_id IN ('a1', 'b2')", []comparison{{Entity: entityAttribute, Key: "run_id", Op: "IN", List: []string{"a1", "b2"}}}},
		{"NOT IN", "run.run_id not in ('a1')", []comparison{{Entity: entityAttribute, Key: "run_id", Op: "NOT IN", List: []string{"a1"}}}},
		{"IS NULL", "params.x IS NULL and tags.y is not null", []comparison{
			{Entity: entityParam, Key: "x", Op: "IS NULL"},
			{Entity: entityTag, Key: "y", Op: "IS NOT NULL"},
		}},
		{"negative exponent", "metrics.loss <= -1.5e-3", []comparison{{Entity: entityMetric, Key: "loss", Op: "<=", Num: -1.5e-3, Str: "-1.5e-3", IsNum: true}}},
		{"escaped quote", "tags.t = 'it''s'", []comparison{{Entity: entityTag, Key: "t", Op: "=", Str: "it's"}}},
		{"ILIKE", "attributes.run_name ILIKE 'Bold%'", []comparison{{Entity: entityAttribute, Key: "run_name", Op: "ILIKE", Str: "Bold%"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFilter(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseFilterErrors(t *testing.T) {
	for _, in := range []string{
		"metrics.rmse", "metrics.rmse <", "metrics.rmse < 1 or metrics.x > 2", "foo.bar = 'x'",
		"params.x = 'unterminated", "tags.x IN 'a'", "tags.x IN ('a'", "metrics.x ! 1", "metrics. = 1",
		"params.x = y", "metrics.x = 1 and", "= 'x'", "tags.x IS maybe",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := parseFilter(in)
			require.ErrorIs(t, err, ErrInvalidParameter)
		})
	}
}

func TestValidateRunFilter(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"metrics.rmse < 1", true},
		{"metrics.rmse < '1'", false},
		{"metrics.rmse LIKE '1'", false},
		{"params.p > '1'", false},
		{"params.p = 1", false},
		{"attributes.start_time > 5", true},
		{"attributes.start_time > '5'", false},
		{"attributes.run_id IN ('a')", true},
		{"attributes.run_name IN ('a')", false},
		{"attributes.nope = 'x'", false},
		{"datasets.name = 'x'", false},
		{"created > 5", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			cs, err := parseFilter(tc.in)
			require.NoError(t, err)
			err = validateRunFilter(cs)
			if tc.ok {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, ErrInvalidParameter)
			}
		})
	}
}

func TestParseOrderBy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want orderBy
		err  bool
	}{
		{in: "metrics.rmse", want: orderBy{Entity: entityMetric, Key: "rmse", Asc: true}},
		{in: "metrics.rmse DESC", want: orderBy{Entity: entityMetric, Key: "rmse"}},
		{in: "attributes.start_time asc", want: orderBy{Entity: entityAttribute, Key: "start_time", Asc: true}},
		{in: "tags.`a b` DESC", want: orderBy{Entity: entityTag, Key: "a b"}},
		{in: "metrics.rmse sideways", err: true},
		{in: "metrics.rmse DESC extra", err: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseOrderBy(tc.in)
			if tc.err {
				require.ErrorIs(t, err, ErrInvalidParameter)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLikeMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		fold, want bool
	}{
		{"%", "", false, true},
		{"a%", "abc", false, true},
		{"%c", "abc", false, true},
		{"a_c", "abc", false, true},
		{"a_c", "abbc", false, false},
		{"%b%", "abc", false, true},
		{"A%", "abc", false, false},
		{"A%", "abc", true, true},
		{"%a%a%", "banana", false, true},
		{"x", "", false, false},
	} {
		assert.Equal(t, tc.want, likeMatch(tc.pattern, tc.s, tc.fold), "%q LIKE %q", tc.s, tc.pattern)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{
		"metrics.rmse < 1 and params.max_depth = '6'", "tags.`a b` LIKE '%x'", "attributes.run_id IN ('a', 'b')",
		"params.x IS NOT NULL", "tags.t = 'it''s'", "metrics.x >= -1e9", "run_name ILIKE \"A%\"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := parseFilter(s)
		if err != nil {
			if !errorsIsInvalid(err) {
				t.Fatalf("parse error is not INVALID_PARAMETER_VALUE: %v", err)
			}
			return
		}
		for _, c := range cs {
			if c.Key == "" || c.Op == "" {
				t.Fatalf("incomplete clause %+v from %q", c, s)
			}
		}
		// Validation and evaluation must not panic on anything that parses.
		if validateRunFilter(cs) == nil {
			r := &Run{Data: RunData{Metrics: map[string]Metric{"rmse": {Value: 1}}, Params: map[string]string{"x": "y"}, Tags: map[string]string{}}}
			_, _ = matchRun(r, cs)
		}
		_, _ = parseOrderBy(s)
	})
}

func errorsIsInvalid(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Code == CodeInvalidParameterValue
}
