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
		{`{"a":"x\"y"}`, true},
		{`{"a\nb":"\u00e9\t\\ \/"}`, true},
		{`{"a":"\ud83d\ude00"}`, true},
		{`{"a":"\ud800"}`, false}, // unpaired surrogate: encoding/json decides
		{`{"a":"\x"}`, false},
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
			ok := checkFlatObject(t, []byte(tc.in))
			require.Equal(t, tc.flat, ok)
		})
	}
}

// Whatever scanFlatObject accepts, encoding/json decodes to the same
// members; duplicate keys keep the last value in both.
func FuzzScanFlatObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1,"b":"x\u00e9"}`, `{"a":"\ud83d\ude00","a":null}`, `{"a":[1]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFlatObject(t, data) })
}

// checkFlatObject scans data and, when it is accepted, compares the
// members with encoding/json's (UseNumber); it returns whether data was
// accepted.
func checkFlatObject(t *testing.T, data []byte) bool {
	got := map[string]any{}
	ok := scanFlatObject(data, func(k []byte, v any) { got[string(k)] = v })
	if !ok {
		assert.Empty(t, got, "nothing is reported for a declined value")
		return false
	}
	var want map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&want), "accepted input must be valid JSON")
	assert.Equal(t, want, got)
	return true
}
