package expr_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

func TestValueWise(t *testing.T) {
	tests := []struct {
		sql  string
		want bool
	}{
		{"label = 'a'", true},
		{"label IN ('a', 'b', NULL)", true},
		{"NOT (label <> 'a' OR label IS NULL)", true},
		{"label BETWEEN 'a' AND 'c'", true},
		{"label LIKE 'a%'", true},
		{"label <=> NULL", true},
		{"label = X'00'", true},
		{"label = 'a' AND value > 0.5", false}, // two columns
		{"label = 1", false},                   // a number: implicit casts can fail
		{"upper(label) = 'A'", false},          // functions are not checked
		{"CAST(label AS INT) = 1", false},
		{"label || 'x' = 'ax'", false},
		{"'a' = 'a'", false}, // no column
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			e, err := expr.Parse(tc.sql)
			require.NoError(t, err)
			assert.Equal(t, tc.want, expr.ValueWise(e))
		})
	}
}
