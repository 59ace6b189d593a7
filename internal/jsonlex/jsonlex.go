// Package jsonlex reads JSON tokens in place, for the fast paths that
// decode JSON lines without encoding/json: the CLI's row scanner and
// schema inference, and the Kafka source's flat-object scanner. Each
// function reads one token and says false for anything it does not take,
// so the caller can fall back to a full decoder that explains what is
// wrong.
package jsonlex

import (
	"unicode/utf16"
	"unicode/utf8"
)

// SkipSpace returns the index of the first non-space byte at or after i.
func SkipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// HasLiteral reports whether data[i:] starts with lit.
func HasLiteral(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// ScanString reads the string starting at data[i] == '"' and returns its
// raw contents (escapes not yet decoded). Control characters and invalid
// UTF-8 are declined: the general path decides what they mean.
func ScanString(data []byte, i int) (s []byte, next int, escaped, ok bool) {
	ascii := true
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			s = data[i+1 : j]
			return s, j + 1, escaped, ascii || utf8.Valid(s)
		case c == '\\':
			escaped = true
			j++ // the escaped byte, checked when decoded
		case c < 0x20:
			return nil, 0, false, false
		case c >= 0x80:
			ascii = false
		}
	}
	return nil, 0, false, false
}

// Unescape appends the decoded form of a JSON string's raw contents.
// Invalid escapes and unpaired surrogates are declined.
func Unescape(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(s) {
			return dst, false
		}
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				return dst, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if i+2 >= len(s) || s[i+1] != '\\' || s[i+2] != 'u' {
					return dst, false
				}
				r2, ok := hex4(s, i+3)
				if !ok {
					return dst, false
				}
				if r = utf16.DecodeRune(r, r2); r == utf8.RuneError {
					return dst, false
				}
				i += 6
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

// hex4 reads four hex digits at s[i:].
func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// ScanNumber reads a number in JSON's grammar starting at data[i].
func ScanNumber(data []byte, i int) (int, bool) {
	digits := func(j int) int {
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		return j
	}
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(i)
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

// MaxNesting bounds how deep a nested value may go: deeper values are
// declined (and the general path refuses them with its own limit).
const MaxNesting = 1000

// SkipValue finds the end of the JSON value at data[i] and checks it is
// valid JSON, for a nested value its column builder will decode.
func SkipValue(data []byte, i int) (int, bool) {
	var stack [MaxNesting]byte // the open brackets
	depth := 0
	// want says what may come next: a value, a key, or ',' / close.
	const (
		wantValue = iota
		wantKey
		wantKeyOrClose
		wantValueOrClose
		wantCommaOrClose
	)
	want := wantValue
	for {
		i = SkipSpace(data, i)
		if i >= len(data) {
			return 0, false
		}
		c := data[i]
		switch want {
		case wantCommaOrClose:
			switch {
			case c == ',' && stack[depth-1] == '{':
				want, i = wantKey, i+1
				continue
			case c == ',':
				want, i = wantValue, i+1
				continue
			case (c == '}' && stack[depth-1] == '{') || (c == ']' && stack[depth-1] == '['):
				depth--
				i++
			default:
				return 0, false
			}
		case wantKey, wantKeyOrClose:
			if c == '}' && want == wantKeyOrClose {
				depth--
				i++
				break
			}
			if c != '"' {
				return 0, false
			}
			str, next, escaped, ok := ScanString(data, i)
			if !ok || (escaped && !ValidEscapes(str)) {
				return 0, false
			}
			i = SkipSpace(data, next)
			if i >= len(data) || data[i] != ':' {
				return 0, false
			}
			want, i = wantValue, i+1
			continue
		case wantValue, wantValueOrClose:
			switch {
			case c == ']' && want == wantValueOrClose:
				depth--
				i++
			case c == '{' || c == '[':
				if depth == MaxNesting {
					return 0, false
				}
				stack[depth] = c
				depth++
				want = wantValueOrClose
				if c == '{' {
					want = wantKeyOrClose
				}
				i++
				continue
			case c == '"':
				str, next, escaped, ok := ScanString(data, i)
				if !ok || (escaped && !ValidEscapes(str)) {
					return 0, false
				}
				i = next
			case c == '-' || (c >= '0' && c <= '9'):
				next, ok := ScanNumber(data, i)
				if !ok {
					return 0, false
				}
				i = next
			case HasLiteral(data, i, "true"), HasLiteral(data, i, "null"):
				i += 4
			case HasLiteral(data, i, "false"):
				i += 5
			default:
				return 0, false
			}
		}
		// A value (or a container) ended.
		if depth == 0 {
			return i, true
		}
		want = wantCommaOrClose
	}
}

// ValidEscapes reports whether a raw JSON string's escapes decode.
func ValidEscapes(s []byte) bool {
	var buf [64]byte
	_, ok := Unescape(buf[:0], s)
	return ok
}
