package dv_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/dv"
)

func TestZ85(t *testing.T) {
	// The test vector from the ZeroMQ Z85 specification (RFC 32).
	helloWorld := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}
	tests := []struct {
		name    string
		raw     []byte
		encoded string
	}{
		{"empty", []byte{}, ""},
		{"spec HelloWorld", helloWorld, "HelloWorld"},
		{"zeros", []byte{0, 0, 0, 0}, "00000"},
		{"max", []byte{0xff, 0xff, 0xff, 0xff}, "%nSc0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dv.Z85Encode(tc.raw)
			require.NoError(t, err)
			assert.Equal(t, tc.encoded, got)
			back, err := dv.Z85Decode(tc.encoded)
			require.NoError(t, err)
			assert.Equal(t, tc.raw, back)
		})
	}
}

func TestZ85Errors(t *testing.T) {
	_, err := dv.Z85Encode([]byte{1, 2, 3})
	require.ErrorIs(t, err, dv.ErrZ85)
	for _, bad := range []string{"abcd", "abcd\"", "ab cd", "abc~e", "\xff0000"} {
		_, err := dv.Z85Decode(bad)
		assert.ErrorIs(t, err, dv.ErrZ85, bad)
	}
}

func FuzzZ85Decode(f *testing.F) {
	f.Add("HelloWorld")
	f.Add("vBn[lx{q8@P<9BNH/isA")
	f.Add("^Bg9^0rr910000000000iXQKl0rr91000005c8Xg##093")
	f.Add("%nSc1")
	f.Add("#0000")
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := dv.Z85Decode(s)
		if err != nil {
			return
		}
		// Every full group has exactly one encoding, so the aligned part
		// re-encodes to the very same characters.
		full := len(raw) / 4 * 4
		again, err := dv.Z85Encode(raw[:full])
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if again != s[:full/4*5] {
			t.Fatalf("%q decodes to %x, which encodes to %q", s, raw, again)
		}
		// A padded tail group marks its missing bytes with '#'.
		if tail := len(raw) - full; tail != 0 {
			missing := 4 - tail
			if len(s) != full/4*5+5 || strings.Count(s[len(s)-5:len(s)-5+missing], "#") != missing {
				t.Fatalf("%q decodes to %d bytes without a padded tail", s, len(raw))
			}
		}
	})
}

func TestZ85PaddedTail(t *testing.T) {
	tests := []struct {
		name    string
		encoded string
		raw     []byte
	}{
		// The last group of an inline DV in delta-kernel-rs's
		// cdf-table-with-dv (version 5): two bytes, 03 00, row 3.
		{"two bytes", "##093", []byte{0x03, 0x00}},
		{"one byte", "###30", []byte{0xff}},
		{"three bytes", "#rr90", []byte{0xff, 0xff, 0xff}}, // "rr90" is 2^24-1 in four digits
		{"after a full group", "HelloWorld##093", []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B, 0x03, 0x00}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dv.Z85Decode(tc.encoded)
			require.NoError(t, err)
			assert.Equal(t, tc.raw, got)
		})
	}
}

func TestZ85RejectsOverflowingGroups(t *testing.T) {
	tests := map[string]string{
		"2^32, not a padded group":    "%nSc1",
		"overflow before the end":     "%nSc1HelloWorld",
		"padding mark not at the end": "##093HelloWorld",
		"padded group with no bytes":  "####0",
		"padded tail too large":       "##%nS", // 3 digits cannot hold 2 bytes this large
		"all marks":                   "#####",
	}
	for name, s := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := dv.Z85Decode(s)
			require.ErrorIs(t, err, dv.ErrZ85)
		})
	}
}
