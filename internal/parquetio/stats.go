package parquetio

import (
	"bytes"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// FileStats are the statistics of one data file in the shape of Delta's
// add.stats. Column maps are keyed by physical name and nest for structs;
// values are json.Number for numbers and string for strings, dates,
// timestamps and non-finite floats ("NaN", "Infinity", "-Infinity").
type FileStats struct {
	NumRecords  int64
	MinValues   map[string]any
	MaxValues   map[string]any
	NullCount   map[string]any
	TightBounds *bool

	// order lists the keys of each map level in schema order, so JSON
	// follows the schema as Spark's output does.
	order []*statsNode
}

// finish turns the accumulators into FileStats.
func (c *statsCollector) finish(prefixLen int) FileStats {
	st := FileStats{NumRecords: c.records, order: c.roots}
	st.MinValues, st.MaxValues, st.NullCount = c.maps(c.roots, prefixLen)
	return st
}

func (c *statsCollector) maps(nodes []*statsNode, prefixLen int) (mins, maxs, nulls map[string]any) {
	mins, maxs, nulls = map[string]any{}, map[string]any{}, map[string]any{}
	for _, n := range nodes {
		if n.isStruct {
			cmin, cmax, cnull := c.maps(n.children, prefixLen)
			if len(cmin) > 0 {
				mins[n.key] = cmin
			}
			if len(cmax) > 0 {
				maxs[n.key] = cmax
			}
			if len(cnull) > 0 {
				nulls[n.key] = cnull
			}
			continue
		}
		a := c.acc[n]
		nulls[n.key] = json.Number(strconv.FormatInt(a.nulls, 10))
		lo, hi, ok := a.bounds(n, prefixLen)
		if ok {
			mins[n.key], maxs[n.key] = lo, hi
		}
	}
	return mins, maxs, nulls
}

// bounds renders the min and max of a column as Delta writes them.
func (a *accumulator) bounds(n *statsNode, prefixLen int) (lo, hi any, ok bool) {
	switch n.kind {
	case statInt:
		if !a.has {
			return nil, nil, false
		}
		return json.Number(strconv.FormatInt(a.minI, 10)), json.Number(strconv.FormatInt(a.maxI, 10)), true
	case statFloat:
		switch {
		case !a.has && !a.nan:
			return nil, nil, false
		case !a.has: // only NaNs
			return "NaN", "NaN", true
		}
		lo = floatValue(a.minF, n.float32)
		hi = floatValue(a.maxF, n.float32)
		if a.nan {
			hi = "NaN" // NaN sorts above every number in Spark
		}
		return lo, hi, true
	case statDecimal:
		if !a.has {
			return nil, nil, false
		}
		return json.Number(decimalString(a.minD, n.scale)), json.Number(decimalString(a.maxD, n.scale)), true
	case statDate:
		if !a.has {
			return nil, nil, false
		}
		return dateString(a.minI), dateString(a.maxI), true
	case statTimestamp, statTimestampNTZ:
		if !a.has {
			return nil, nil, false
		}
		ntz := n.kind == statTimestampNTZ
		return timestampString(a.minI, ntz), timestampString(a.maxI, ntz), true
	case statString:
		if !a.has {
			return nil, nil, false
		}
		hiStr, okMax := truncateMax(a.maxS, prefixLen)
		if !okMax {
			return nil, nil, false
		}
		return truncateMin(a.minS, prefixLen), hiStr, true
	}
	return nil, nil, false
}

// floatValue formats a finite float as Java's Double/Float.toString does,
// which is what Spark writes, and non-finite values as Jackson's strings.
func floatValue(v float64, is32 bool) any {
	switch {
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	bits := 64
	if is32 {
		bits = 32
	}
	abs := math.Abs(v)
	if abs == 0 || (abs >= 1e-3 && abs < 1e7) {
		s := strconv.FormatFloat(v, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return json.Number(s)
	}
	s := strconv.FormatFloat(v, 'E', -1, bits) // e.g. 1.5E+07
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return json.Number(mant + "E" + strconv.Itoa(e))
}

// decimalString renders an unscaled decimal as Java's BigDecimal.toString,
// which is what Spark writes: plain ("10.000") unless the adjusted exponent
// is below -6, then scientific ("0E-10", "-1.5E-8").
func decimalString(n decimal128.Num, scale int32) string {
	digits := n.BigInt().String()
	sign := ""
	if strings.HasPrefix(digits, "-") {
		sign, digits = "-", digits[1:]
	}
	adjusted := int64(len(digits)-1) - int64(scale)
	switch {
	case scale == 0:
		return sign + digits
	case scale > 0 && adjusted >= -6:
		if len(digits) <= int(scale) {
			digits = strings.Repeat("0", int(scale)-len(digits)+1) + digits
		}
		point := len(digits) - int(scale)
		return sign + digits[:point] + "." + digits[point:]
	default:
		s := sign + digits[:1]
		if len(digits) > 1 {
			s += "." + digits[1:]
		}
		exp := strconv.FormatInt(adjusted, 10)
		if adjusted > 0 {
			exp = "+" + exp
		}
		return s + "E" + exp
	}
}

var epoch = time.Unix(0, 0).UTC()

func dateString(days int64) string { return epoch.AddDate(0, 0, int(days)).Format(time.DateOnly) }

// timestampString renders microseconds at millisecond precision, floored,
// as Spark's stats do ("2006-01-02T15:04:05.000Z"; no zone for NTZ).
func timestampString(micros int64, ntz bool) string {
	ms := micros / 1000
	if micros%1000 < 0 {
		ms--
	}
	t := time.UnixMilli(ms).UTC()
	if ntz {
		return t.Format("2006-01-02T15:04:05.000")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}

// Tie-breakers appended to a truncated max so it stays an upper bound:
// DEL when the first dropped character is below it, else U+10FFFF.
const (
	asciiMax   = '\u007f'
	unicodeMax = '\U0010FFFF'
)

// truncateMin keeps the first prefixLen UTF-16 code units (as Java counts
// string length) without splitting a surrogate pair: a prefix never sorts
// above the string.
func truncateMin(s string, prefixLen int) string {
	if !utf8.ValidString(s) {
		return truncateMinBytes(s, prefixLen)
	}
	u := utf16.Encode([]rune(s))
	if len(u) <= prefixLen {
		return s
	}
	n := prefixLen
	if n > 0 && utf16.IsSurrogate(rune(u[n-1])) && u[n-1] < 0xDC00 {
		n++ // high surrogate: keep its low half
	}
	return string(utf16.Decode(u[:n]))
}

// truncateMax shortens s to about prefixLen code units plus a tie-breaker
// that sorts above every string with that prefix (in UTF-8 byte order).
// Characters equal to U+10FFFF cannot be outbid and are kept; if that
// runs past twice the prefix, there is no usable bound (ok false).
func truncateMax(s string, prefixLen int) (string, bool) {
	if !utf8.ValidString(s) {
		return truncateMaxBytes(s, prefixLen)
	}
	u := utf16.Encode([]rune(s))
	if len(u) <= prefixLen {
		return s, true
	}
	cur := len(utf16.Encode([]rune(truncateMin(s, prefixLen))))
	for cur <= 2*prefixLen {
		switch {
		case cur >= len(u):
			return s, true
		case cur+1 < len(u) && utf16.DecodeRune(rune(u[cur]), rune(u[cur+1])) == unicodeMax:
			cur += 2
		case u[cur] < asciiMax:
			return string(utf16.Decode(u[:cur])) + string(asciiMax), true
		default:
			return string(utf16.Decode(u[:cur])) + string(unicodeMax), true
		}
	}
	return "", false
}

// Strings that are not valid UTF-8 (Arrow does not enforce it) are cut by
// bytes: a rune-based cut would turn bad bytes into U+FFFD and could break
// the bounds.
func truncateMinBytes(s string, prefixLen int) string {
	if len(s) <= prefixLen {
		return s
	}
	return s[:prefixLen]
}

func truncateMaxBytes(s string, prefixLen int) (string, bool) {
	if len(s) <= prefixLen {
		return s, true
	}
	const tie = string(unicodeMax) // F4 8F BF BF: only bytes >= 0xF4 can reach it
	for cur := prefixLen; cur <= 2*prefixLen; cur++ {
		if cur >= len(s) {
			return s, true
		}
		if s[cur] < 0xF4 {
			return s[:cur] + tie, true
		}
	}
	return "", false
}

// JSON renders the statistics exactly as Delta's add.stats string:
// numRecords, minValues, maxValues, nullCount, then tightBounds if set;
// columns in schema order (sorted when the stats were built by hand).
func (s FileStats) JSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"numRecords":`)
	buf.WriteString(strconv.FormatInt(s.NumRecords, 10))
	for _, part := range []struct {
		key string
		m   map[string]any
	}{{"minValues", s.MinValues}, {"maxValues", s.MaxValues}, {"nullCount", s.NullCount}} {
		if part.m == nil {
			continue
		}
		buf.WriteString(`,"` + part.key + `":`)
		if err := writeStatsMap(&buf, part.m, s.order); err != nil {
			return nil, err
		}
	}
	if s.TightBounds != nil {
		buf.WriteString(`,"tightBounds":` + strconv.FormatBool(*s.TightBounds))
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func writeStatsMap(buf *bytes.Buffer, m map[string]any, order []*statsNode) error {
	keys := make([]string, 0, len(m))
	children := map[string][]*statsNode{}
	for _, n := range order {
		if _, ok := m[n.key]; ok {
			keys = append(keys, n.key)
			children[n.key] = n.children
		}
	}
	if len(keys) != len(m) { // hand-built or partial order: fall back to sorted keys
		keys = keys[:0]
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
	}
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writeJSONString(buf, k); err != nil {
			return err
		}
		buf.WriteByte(':')
		switch v := m[k].(type) {
		case map[string]any:
			if err := writeStatsMap(buf, v, children[k]); err != nil {
				return err
			}
		case string:
			if err := writeJSONString(buf, v); err != nil {
				return err
			}
		default:
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			buf.Write(b)
		}
	}
	buf.WriteByte('}')
	return nil
}

// writeJSONString writes s as a JSON string without HTML escaping.
func writeJSONString(buf *bytes.Buffer, s string) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
	return nil
}
