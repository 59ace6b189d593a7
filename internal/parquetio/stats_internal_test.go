package parquetio

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/stretchr/testify/assert"
)

func TestTruncateStrings(t *testing.T) {
	const max = "\U0010FFFF"
	tests := []struct {
		in, min, max string
		maxOK        bool
	}{
		{"abc", "abc", "abc", true},
		{"ab", "ab", "ab", true},
		{"abcd", "abc", "abc\x7f", true},
		{"abc\u00e9", "abc", "abc" + max, true},
		{"abc~", "abc", "abc\x7f", true},
		{"abc\x7f", "abc", "abc" + max, true},
		{"ab😀x", "ab😀", "ab😀\x7f", true},                       // a surrogate pair is never split
		{"abc" + max + "z", "abc", "abc" + max + "\x7f", true}, // U+10FFFF cannot be outbid: kept
		{"abc" + max + max + "z", "abc", "", false},            // runs past twice the prefix
		{"abc" + max, "abc", "abc" + max, true},                // reaching the end keeps the string
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			assert.Equal(t, tc.min, truncateMin(tc.in, 3))
			got, ok := truncateMax(tc.in, 3)
			assert.Equal(t, tc.maxOK, ok)
			assert.Equal(t, tc.max, got)
			if ok {
				assert.LessOrEqual(t, tc.in, got, "max must stay an upper bound")
			}
			assert.LessOrEqual(t, truncateMin(tc.in, 3), tc.in)
		})
	}
}

func TestFloatValue(t *testing.T) {
	tests := []struct {
		v    float64
		is32 bool
		want any
	}{
		{0, false, "0.0"},
		{123, false, "123.0"},
		{-0.25, false, "-0.25"},
		{0.001, false, "0.001"},
		{1e-4, false, "1.0E-4"},
		{1e7, false, "1.0E7"},
		{1.5e300, false, "1.5E300"},
		{-2.5e-10, false, "-2.5E-10"},
		{float64(float32(0.1)), true, "0.1"},
		{float64(float32(3.4028235e38)), true, "3.4028235E38"},
	}
	for _, tc := range tests {
		got := floatValue(tc.v, tc.is32)
		assert.Equal(t, tc.want, string(asNumber(got)), tc.v)
	}
}

func asNumber(v any) []byte {
	switch v := v.(type) {
	case string:
		return []byte(v)
	default:
		return []byte(v.(interface{ String() string }).String())
	}
}

func TestDecimalAndTimeStrings(t *testing.T) {
	tests := []struct {
		unscaled int64
		scale    int32
		want     string
	}{
		{10000, 3, "10.000"}, {-105, 2, "-1.05"}, {0, 10, "0E-10"}, {-1, 10, "-1E-10"}, {15, 9, "1.5E-8"},
		{1, 7, "1E-7"}, {1, 6, "0.000001"}, {0, 0, "0"}, {-7, 0, "-7"}, {12, 1, "1.2"}, {5, -3, "5E+3"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, decimalString(decimal128.FromI64(tc.unscaled), tc.scale), tc.want)
	}
	assert.Equal(t, "1969-12-31T23:59:59.999Z", timestampString(-500, false))
	assert.Equal(t, "1970-01-01T00:00:00.000", timestampString(999, true))
	assert.Equal(t, "1969-12-31", dateString(-1))
}

// FuzzStringTruncation checks the bound invariants on arbitrary strings:
// the truncated min never sorts above the value and the truncated max never
// below it, in UTF-8 byte order.
func FuzzStringTruncation(f *testing.F) {
	for _, s := range []string{"", "abcd", "ab😀x", "abc\U0010FFFF\U0010FFFFz", "\xff\xfe", strings.Repeat("é", 40)} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, prefix int) {
		if prefix < 1 || prefix > 64 {
			return
		}
		if lo := truncateMin(s, prefix); lo > s {
			t.Fatalf("min %q > %q", lo, s)
		}
		if hi, ok := truncateMax(s, prefix); ok && hi < s {
			t.Fatalf("max %q < %q", hi, s)
		}
	})
}
