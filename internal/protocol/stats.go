package protocol

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Stats are per-file statistics as stored in an add action's `stats` JSON
// (or a checkpoint's stats_parsed). Column values mirror the data schema
// by physical name: nested structs are nested maps; leaf values are
// json.Number, string or bool as the JSON held them.
type Stats struct {
	NumRecords  *int64         `json:"numRecords,omitempty"`
	TightBounds *bool          `json:"tightBounds,omitempty"`
	MinValues   map[string]any `json:"minValues,omitempty"`
	MaxValues   map[string]any `json:"maxValues,omitempty"`
	NullCount   map[string]any `json:"nullCount,omitempty"`
}

// ParseStats decodes a stats JSON string. An empty string gives nil stats.
func ParseStats(s string) (*Stats, error) {
	if s == "" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var st Stats
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%w: stats: %v", ErrMalformed, err)
	}
	return &st, nil
}

// Lookup finds the value at a (physical) column path in one of the stats
// maps. A missing entry, or a path that runs into a non-map, gives false.
func Lookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		cur, ok = mm[p]
		if !ok {
			return nil, false
		}
	}
	if _, isMap := cur.(map[string]any); isMap {
		return nil, false
	}
	return cur, cur != nil
}

// NullCountAt returns the null count at a column path.
func (s *Stats) NullCountAt(path []string) (int64, bool) {
	if s == nil {
		return 0, false
	}
	v, ok := Lookup(s.NullCount, path)
	if !ok {
		return 0, false
	}
	return jsonInt(v)
}

// MarshalJSON-compatible encoding is the default struct encoding; Encode
// returns the compact form Spark writes.
func (s *Stats) Encode() (string, error) {
	b, err := marshalJSON(s)
	if err != nil {
		return "", fmt.Errorf("protocol: encode stats: %w", err)
	}
	return string(b), nil
}

// StatsNumRecords extracts the top-level numRecords of a stats JSON string
// without decoding the rest: listing a million files must not parse a
// million min/max maps.
func StatsNumRecords(s string) (int64, bool) {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		case '"':
			j := i + 1
			for j < len(s) && s[j] != '"' {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return 0, false
			}
			key := s[i+1 : j]
			i = j
			if depth != 1 || key != "numRecords" {
				continue
			}
			k := j + 1
			for k < len(s) && (s[k] == ' ' || s[k] == ':' || s[k] == '\t' || s[k] == '\n' || s[k] == '\r') {
				k++
			}
			e := k
			for e < len(s) && (s[e] == '-' || (s[e] >= '0' && s[e] <= '9')) {
				e++
			}
			n, err := strconv.ParseInt(s[k:e], 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
