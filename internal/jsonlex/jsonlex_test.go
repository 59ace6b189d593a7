package jsonlex_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/jsonlex"
)

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind string // string, number, value
		end  int    // -1: declined
		text string // decoded string
	}{
		{`"abc" x`, "string", 5, "abc"},
		{`"a\"b\u00e9\ud83d\ude00"`, "string", 24, "a\"bé😀"},
		{`"a\ud800"`, "string", -1, ""},
		{"\"a\x01\"", "string", -1, ""},
		{`"abc`, "string", -1, ""},
		{`-0.5e+10,`, "number", 8, ""},
		{`01`, "number", 1, ""},
		{`1.`, "number", -1, ""},
		{`-`, "number", -1, ""},
		{`{"a":[1,{"b":null}],"c":"\n"} tail`, "value", 29, ""},
		{`[1,]`, "value", -1, ""},
		{`{"a" 1}`, "value", -1, ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			data := []byte(tc.in)
			switch tc.kind {
			case "string":
				s, next, escaped, ok := jsonlex.ScanString(data, 0)
				if ok && escaped {
					s, ok = jsonlex.Unescape(nil, s)
				}
				if tc.end < 0 {
					require.False(t, ok)
					return
				}
				require.True(t, ok)
				assert.Equal(t, tc.end, next)
				assert.Equal(t, tc.text, string(s))
			case "number":
				next, ok := jsonlex.ScanNumber(data, 0)
				require.Equal(t, tc.end >= 0, ok)
				if ok {
					assert.Equal(t, tc.end, next)
				}
			case "value":
				next, ok := jsonlex.SkipValue(data, 0)
				require.Equal(t, tc.end >= 0, ok)
				if ok {
					assert.Equal(t, tc.end, next)
				}
			}
		})
	}
}

// What the lexer accepts, encoding/json accepts too, with the same
// meaning: a value SkipValue takes is valid JSON, and a string ScanString
// and Unescape take decodes to the same text.
func FuzzLexerAgreesWithEncodingJSON(f *testing.F) {
	for _, s := range []string{`"a\u00e9\n"`, `{"a":[1,2.5e3,"x"]}`, `-0`, `"\ud83d\ude00"`, `[{}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if end, ok := jsonlex.SkipValue(data, 0); ok {
			require.True(t, json.Valid(data[:end]), "SkipValue took %q", data[:end])
		}
		if end, ok := jsonlex.ScanNumber(data, 0); ok {
			require.True(t, json.Valid(data[:end]), "ScanNumber took %q", data[:end])
		}
		if len(data) > 0 && data[0] == '"' {
			s, end, escaped, ok := jsonlex.ScanString(data, 0)
			if ok && escaped {
				s, ok = jsonlex.Unescape(nil, s)
			}
			if ok {
				var want string
				require.NoError(t, json.Unmarshal(data[:end], &want))
				assert.Equal(t, want, string(s))
			}
		}
	})
}
