package expr_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

func TestConjuncts(t *testing.T) {
	tests := []struct {
		sql  string
		want []string
	}{
		{"a = 1", []string{"a = 1"}},
		{"a = 1 AND b > 2", []string{"a = 1", "b > 2"}},
		{"a = 1 AND (b > 2 AND c < 3)", []string{"a = 1", "b > 2", "c < 3"}},
		{"a = 1 OR b > 2", []string{"a = 1 OR b > 2"}},
		{"(a = 1 OR b > 2) AND c", []string{"a = 1 OR b > 2", "c"}},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			e, err := expr.Parse(tc.sql)
			require.NoError(t, err)
			var got []string
			for _, c := range expr.Conjuncts(e) {
				again, err := expr.Parse(c.String())
				require.NoError(t, err)
				want, err := expr.Parse(tc.want[len(got)])
				require.NoError(t, err)
				assert.Equal(t, want.String(), again.String())
				got = append(got, c.String())
			}
			assert.Len(t, got, len(tc.want))
		})
	}
}

func TestColumnEquality(t *testing.T) {
	tests := []struct {
		sql         string
		left, right []string
		ok          bool
	}{
		{"t.id = s.id", []string{"t", "id"}, []string{"s", "id"}, true},
		{"id = key", []string{"id"}, []string{"key"}, true},
		{"t.id <=> s.id", nil, nil, false},
		{"t.id = 1", nil, nil, false},
		{"t.id + 1 = s.id", nil, nil, false},
		{"t.id > s.id", nil, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			e, err := expr.Parse(tc.sql)
			require.NoError(t, err)
			l, r, ok := expr.ColumnEquality(e)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.left, l)
			assert.Equal(t, tc.right, r)
		})
	}
}

func TestRenameColumns(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"op = 'DELETE'", "s.op = 'DELETE'"},
		{"`op` = 'op' AND id > 3", "s.op = 'op' AND s.id > 3"},
		{"upper(op) IN ('D', 'X') OR other IS NULL", "upper(s.op) IN ('D', 'X') OR other IS NULL"},
		{"CASE WHEN op = 'd' THEN id ELSE -id END > 0", "CASE WHEN s.op = 'd' THEN s.id ELSE -s.id END > 0"},
		{"addr.city = 'Oslo'", "addr.city = 'Oslo'"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			e, err := expr.Parse(tc.in)
			require.NoError(t, err)
			before := e.String()
			got := expr.RenameColumns(e, func(p []string) []string {
				if len(p) == 1 && (p[0] == "op" || p[0] == "id") {
					return []string{"s", p[0]}
				}
				return p
			})
			want, err := expr.Parse(tc.want)
			require.NoError(t, err)
			assert.Equal(t, want.String(), got.String())
			assert.Equal(t, before, e.String(), "the input expression is unchanged")
		})
	}
}
