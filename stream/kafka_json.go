package stream

import (
	"encoding/json"

	"github.com/lakehouse-go/lakehouse/internal/jsonlex"
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
// without calling fn, for anything else — nested values, escapes jsonlex
// declines, invalid JSON — which the caller then decodes the general
// way. It exists because decoding into a map costs more than the rest of
// the Kafka source together.
func scanFlatObject(data []byte, fn func(key []byte, val any)) bool {
	var buf [16]flatPair
	pairs := buf[:0]
	i := jsonlex.SkipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = jsonlex.SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		i++
	} else {
		for {
			if i >= len(data) || data[i] != '"' {
				return false
			}
			key, next, ok := scanText(data, i)
			if !ok {
				return false
			}
			i = jsonlex.SkipSpace(data, next)
			if i >= len(data) || data[i] != ':' {
				return false
			}
			i = jsonlex.SkipSpace(data, i+1)
			if i >= len(data) {
				return false
			}
			var val any
			switch c := data[i]; {
			case c == '"':
				s, next, ok := scanText(data, i)
				if !ok {
					return false
				}
				val, i = string(s), next
			case c == '-' || (c >= '0' && c <= '9'):
				next, ok := jsonlex.ScanNumber(data, i)
				if !ok {
					return false
				}
				val, i = json.Number(data[i:next]), next
			case jsonlex.HasLiteral(data, i, "true"):
				val, i = true, i+4
			case jsonlex.HasLiteral(data, i, "false"):
				val, i = false, i+5
			case jsonlex.HasLiteral(data, i, "null"):
				val, i = nil, i+4
			default:
				return false // nested or invalid
			}
			pairs = append(pairs, flatPair{key, val})
			i = jsonlex.SkipSpace(data, i)
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
			i = jsonlex.SkipSpace(data, i+1)
		}
	}
	if jsonlex.SkipSpace(data, i) != len(data) {
		return false
	}
	for _, p := range pairs {
		fn(p.key, p.val)
	}
	return true
}

// scanText reads the string at data[i] == '"' and decodes its escapes;
// ok is false for what jsonlex declines, which encoding/json then decides.
func scanText(data []byte, i int) (text []byte, next int, ok bool) {
	s, next, escaped, ok := jsonlex.ScanString(data, i)
	if !ok || !escaped {
		return s, next, ok
	}
	text, ok = jsonlex.Unescape(nil, s)
	return text, next, ok
}
