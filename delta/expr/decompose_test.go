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
