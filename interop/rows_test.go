package interop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeRow(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"keys sorted", `{"b":1,"a":"x"}`, `{"a":"x","b":1}`},
		{"float trailing zero", `{"f":1.0}`, `{"f":1}`},
		{"float exponent forms agree", `{"f":1e+21}`, `{"f":1e+21}`},
		{"float exponent without sign", `{"f":1e21}`, `{"f":1e+21}`},
		{"negative zero kept", `{"f":-0.0}`, `{"f":-0}`},
		{"big integer kept exactly", `{"i":9223372036854775807}`, `{"i":9223372036854775807}`},
		{"special floats are strings", `{"f":"NaN","g":"-Infinity"}`, `{"f":"NaN","g":"-Infinity"}`},
		{"nested struct keys sorted", `{"s":{"z":1,"a":[{"y":2.50,"x":null}]}}`, `{"s":{"a":[{"x":null,"y":2.5}],"z":1}}`},
		{"html characters not escaped", `{"s":"<&>"}`, `{"s":"<&>"}`},
		{"unicode kept", `{"s":"ünï\u20ac"}`, `{"s":"ünï€"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizeRow(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestNormalizeRowRejects(t *testing.T) {
	for _, in := range []string{`[1,2]`, `{"a":1} {"b":2}`, `{"a":`, `42`} {
		_, err := NormalizeRow(in)
		assert.ErrorIs(t, err, ErrBadRow, in)
	}
}

func TestCompareRows(t *testing.T) {
	exp, err := NormalizeRows([]string{`{"id":2}`, `{"id":1}`, ``})
	require.NoError(t, err)
	same, err := NormalizeRows([]string{`{"id":1}`, `{"id":2}`})
	require.NoError(t, err)
	assert.Nil(t, CompareRows(exp, same))

	short, err := NormalizeRows([]string{`{"id":1}`})
	require.NoError(t, err)
	d := CompareRows(exp, short)
	require.NotNil(t, d)
	assert.Equal(t, `{"id":2}`, d.Missing)
	assert.Equal(t, "", d.Unexpected)
	assert.Equal(t, `2 rows expected, 1 read; first differing row: expected {"id":2}, got none`, d.String())

	other, err := NormalizeRows([]string{`{"id":0}`, `{"id":1}`, `{"id":2}`, `{"id":3}`})
	require.NoError(t, err)
	d = CompareRows(exp, other)
	require.NotNil(t, d)
	assert.Equal(t, "", d.Missing)
	assert.Equal(t, `{"id":0}`, d.Unexpected)

	dup, err := NormalizeRows([]string{`{"id":1}`, `{"id":1}`, `{"id":2}`})
	require.NoError(t, err)
	d = CompareRows(exp, dup)
	require.NotNil(t, d, "a duplicated row is a difference")
	assert.Equal(t, `{"id":1}`, d.Unexpected)
}

func FuzzNormalizeRow(f *testing.F) {
	for _, s := range []string{`{"a":1.0}`, `{"b":[{"k":"x","v":null}]}`, `{"c":1e400}`, `{}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := NormalizeRow(in)
		if err != nil {
			return
		}
		again, err := NormalizeRow(out)
		require.NoError(t, err)
		assert.Equal(t, out, again, "normalisation must be idempotent")
	})
}
