package dv_test

import (
	"bytes"
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
	f.Fuzz(func(t *testing.T, s string) {
		raw, err := dv.Z85Decode(s)
		if err != nil {
			return
		}
		again, err := dv.Z85Encode(raw)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		// Overflowing groups wrap, so compare bytes, not strings.
		back, err := dv.Z85Decode(again)
		if err != nil || !bytes.Equal(back, raw) {
			t.Fatalf("round trip %q -> %x -> %q -> %x (%v)", s, raw, again, back, err)
		}
	})
}

func TestZ85DecodeWrapsLikeDelta(t *testing.T) {
	// "%nSc1" is 2^32: Delta's codec keeps the low 32 bits.
	got, err := dv.Z85Decode("%nSc1")
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0, 0, 0}, got)
}
