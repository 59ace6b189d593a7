package stream

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanFlatObject must agree with encoding/json (UseNumber) on every flat
// object it accepts, and decline everything else.
func TestScanFlatObject(t *testing.T) {
	cases := []struct {
		in   string
		flat bool
	}{
		{`{}`, true},
		{` { "a" : 1 , "b":"x","c":true,"d":false,"e":null } `, true},
		{`{"n":-0.5e+10,"m":0,"u":"héllo"}`, true},
		{`{"a":{"b":1}}`, false},
		{`{"a":[1]}`, false},
		{`{"a":"x\"y"}`, false},
		{`{"a":01}`, false},
		{`{"a":1.}`, false},
		{`{"a":1,}`, false},
		{`{"a":1} x`, false},
		{`{"a":tru}`, false},
		{`[1]`, false},
		{`"s"`, false},
		{``, false},
		{"{\"a\":\"\xff\"}", false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got := map[string]any{}
			ok := scanFlatObject([]byte(tc.in), func(k []byte, v any) { got[string(k)] = v })
			require.Equal(t, tc.flat, ok)
			if !ok {
				assert.Empty(t, got, "nothing is reported for a declined value")
				return
			}
			var want map[string]any
			dec := json.NewDecoder(bytes.NewReader([]byte(tc.in)))
			dec.UseNumber()
			require.NoError(t, dec.Decode(&want))
			assert.Equal(t, want, got)
		})
	}
}
