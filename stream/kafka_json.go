package stream

import (
	"encoding/json"
	"unicode/utf8"
)

// flatPair is one member of a flat JSON object.
type flatPair struct {
	key []byte
	val any
}

// scanFlatObject reads data as one JSON object whose values are all
// scalars (strings, numbers, booleans, null) and calls fn for each member
// in order, with values as encoding/json with UseNumber gives them. It
// calls fn only once the whole object has been read, and returns false,
// without calling fn, for anything else — nested values, escapes it does
// not handle, invalid JSON — which the caller then decodes the general
// way. It exists because decoding into a map costs more than the rest of
// the Kafka source together.
func scanFlatObject(data []byte, fn func(key []byte, val any)) bool {
	var buf [16]flatPair
	pairs := buf[:0]
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		i++
	} else {
		for {
			if i >= len(data) || data[i] != '"' {
				return false
			}
			key, next, ok := scanString(data, i)
			if !ok {
				return false
			}
			i = skipSpace(data, next)
			if i >= len(data) || data[i] != ':' {
				return false
			}
			i = skipSpace(data, i+1)
			if i >= len(data) {
				return false
			}
			var val any
			switch c := data[i]; {
			case c == '"':
				s, next, ok := scanString(data, i)
				if !ok {
					return false
				}
				val, i = string(s), next
			case c == '-' || (c >= '0' && c <= '9'):
				next, ok := scanNumber(data, i)
				if !ok {
					return false
				}
				val, i = json.Number(data[i:next]), next
			case hasLiteral(data, i, "true"):
				val, i = true, i+4
			case hasLiteral(data, i, "false"):
				val, i = false, i+5
			case hasLiteral(data, i, "null"):
				val, i = nil, i+4
			default:
				return false // nested or invalid
			}
			pairs = append(pairs, flatPair{key, val})
			i = skipSpace(data, i)
			if i >= len(data) {
				return false
			}
			if data[i] == '}' {
				i++
				break
			}
			if data[i] != ',' {
				return false
			}
			i = skipSpace(data, i+1)
		}
	}
	if skipSpace(data, i) != len(data) {
		return false
	}
	for _, p := range pairs {
		fn(p.key, p.val)
	}
	return true
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

func hasLiteral(data []byte, i int, lit string) bool {
	return len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit
}

// scanString reads the string starting at data[i] == '"'; strings with
// escapes, control characters or invalid UTF-8 are left to encoding/json.
func scanString(data []byte, i int) ([]byte, int, bool) {
	for j := i + 1; j < len(data); j++ {
		switch c := data[j]; {
		case c == '"':
			s := data[i+1 : j]
			return s, j + 1, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, 0, false
		}
	}
	return nil, 0, false
}

// scanNumber reads a number in JSON's grammar starting at data[i].
func scanNumber(data []byte, i int) (int, bool) {
	digits := func(j int) int {
		for j < len(data) && data[j] >= '0' && data[j] <= '9' {
			j++
		}
		return j
	}
	if data[i] == '-' {
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
