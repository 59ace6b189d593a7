package stream

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// TestQualifyDeleteWhen: only references to the stream's columns gain the
// source alias; string literals and other names stay as written.
func TestQualifyDeleteWhen(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "op", Type: arrow.BinaryTypes.String},
		{Name: "addr", Type: arrow.StructOf(arrow.Field{Name: "city", Type: arrow.BinaryTypes.String})},
	}, nil)
	for _, tc := range []struct{ in, want string }{
		{"op = 'op'", "src.op = 'op'"},
		{"`op` IN ('D', 'X') AND addr.city = 'Oslo'", "src.op IN ('D', 'X') AND src.addr.city = 'Oslo'"},
		{"t.op = 'D'", "t.op = 'D'"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			e, err := expr.Parse(tc.in)
			require.NoError(t, err)
			want, err := expr.Parse(tc.want)
			require.NoError(t, err)
			assert.Equal(t, want.String(), qualify(e, schema, "src").String())
		})
	}
}

func TestSameOffset(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"", "", true},
		{"", "{}", false},
		{`{"v":1,"f":"x"}`, "{ \"v\": 1,\n \"f\": \"x\" }", true},
		{`{"v":1}`, `{"v":2}`, false},
		{`not json`, `not json`, true},
	} {
		assert.Equal(t, tc.want, SameOffset(Offset(tc.a), Offset(tc.b)), "%q vs %q", tc.a, tc.b)
	}
}
