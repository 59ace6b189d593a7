package delta

import (
	"encoding/json"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// statsPrefixLength is how many characters of a string Spark keeps in
// minValues/maxValues.
const statsPrefixLength = 32

// statsCollector accumulates the add.stats of one data file: numRecords,
// and nullCount / minValues / maxValues for the indexed leaf columns (the
// first delta.dataSkippingNumIndexedCols leaves, default 32, or exactly
// delta.dataSkippingStatsColumns), keyed by physical name.
type statsCollector struct {
	rows   int64
	leaves []*leafStats
}

type leafStats struct {
	path    []int    // field indexes from the top-level column down
	keys    []string // physical names along the path
	typ     arrow.DataType
	nulls   int64
	min     any
	max     any
	noRange bool // a value made min/max unusable (NaN, over-long max string)
}

func newStatsCollector(s *arrow.Schema, mode protocol.ColumnMappingMode, cfg protocol.Config) *statsCollector {
	c := &statsCollector{}
	limit := cfg.Int(protocol.PropDataSkippingNumIndexedCols, 32)
	var only map[string]bool
	if cols := strings.TrimSpace(cfg[protocol.PropDataSkippingStatsColumns]); cols != "" {
		only = map[string]bool{}
		for _, p := range strings.Split(cols, ",") {
			only[strings.ToLower(strings.Trim(strings.TrimSpace(p), "`"))] = true
		}
	}
	var walk func(fields []arrow.Field, idx []int, keys []string, names []string)
	walk = func(fields []arrow.Field, idx []int, keys []string, names []string) {
		for i, f := range fields {
			name := f.Name
			key := name
			if mode != protocol.ColumnMappingNone {
				if p, ok := f.Metadata.GetValue(protocol.MetaPhysicalName); ok && p != "" {
					key = p
				}
			}
			path := append(append([]int(nil), idx...), i)
			ks := append(append([]string(nil), keys...), key)
			ns := append(append([]string(nil), names...), name)
			if st, ok := f.Type.(*arrow.StructType); ok {
				walk(st.Fields(), path, ks, ns)
				continue
			}
			if f.Type.ID() == arrow.LIST || f.Type.ID() == arrow.MAP || f.Type.ID() == arrow.LARGE_LIST {
				continue // Delta keeps no statistics for arrays and maps
			}
			if only != nil {
				if !only[strings.ToLower(strings.Join(ns, "."))] && !only[strings.ToLower(ns[0])] {
					continue
				}
			} else if limit >= 0 && int64(len(c.leaves)) >= limit {
				return
			}
			c.leaves = append(c.leaves, &leafStats{path: path, keys: ks, typ: f.Type})
		}
	}
	walk(s.Fields(), nil, nil, nil)
	return c
}

func (c *statsCollector) add(rec arrow.RecordBatch) {
	c.rows += rec.NumRows()
	for _, l := range c.leaves {
		col := rec.Column(l.path[0])
		for _, i := range l.path[1:] {
			// A null parent struct makes its children null for Delta's
			// nullCount; Arrow children may hold garbage there, so the
			// parent's validity is folded in below.
			col = col.(*array.Struct).Field(i)
		}
		l.addArray(col, rec, l.path)
	}
}

// isNullAt reports whether the leaf or any ancestor struct is null.
func isNullAt(rec arrow.RecordBatch, path []int, i int) bool {
	var col arrow.Array = rec.Column(path[0])
	if col.IsNull(i) {
		return true
	}
	for _, p := range path[1:] {
		col = col.(*array.Struct).Field(p)
		if col.IsNull(i) {
			return true
		}
	}
	return false
}

func (l *leafStats) addArray(col arrow.Array, rec arrow.RecordBatch, path []int) {
	n := col.Len()
	nested := len(path) > 1
	for i := 0; i < n; i++ {
		if (nested && isNullAt(rec, path, i)) || (!nested && col.IsNull(i)) {
			l.nulls++
			continue
		}
		if l.noRange {
			continue
		}
		l.observe(col, i)
	}
}

func (l *leafStats) observe(col arrow.Array, i int) {
	var v any
	switch c := col.(type) {
	case *array.Int8:
		v = int64(c.Value(i))
	case *array.Int16:
		v = int64(c.Value(i))
	case *array.Int32:
		v = int64(c.Value(i))
	case *array.Int64:
		v = c.Value(i)
	case *array.Float32:
		f := float64(c.Value(i))
		if math.IsNaN(f) {
			l.noRange = true
			return
		}
		v = f
	case *array.Float64:
		f := c.Value(i)
		if math.IsNaN(f) {
			l.noRange = true
			return
		}
		v = f
	case *array.String:
		v = c.Value(i)
	case *array.Date32:
		v = int64(c.Value(i))
	case *array.Timestamp:
		v = int64(c.Value(i))
	case *array.Decimal128:
		dt := c.DataType().(*arrow.Decimal128Type)
		v = c.Value(i).ToFloat64(dt.Scale)
		if l.min == nil || v.(float64) < l.min.(decimalStat).f {
			l.min = decimalStat{f: v.(float64), s: c.Value(i).ToString(dt.Scale)}
		}
		if l.max == nil || v.(float64) > l.max.(decimalStat).f {
			l.max = decimalStat{f: v.(float64), s: c.Value(i).ToString(dt.Scale)}
		}
		return
	default:
		return // booleans, binary: nullCount only, as Spark
	}
	if l.min == nil || less(v, l.min) {
		l.min = v
	}
	if l.max == nil || less(l.max, v) {
		l.max = v
	}
}

type decimalStat struct {
	f float64
	s string
}

func less(a, b any) bool {
	switch x := a.(type) {
	case int64:
		return x < b.(int64)
	case float64:
		return x < b.(float64)
	case string:
		return x < b.(string)
	}
	return false
}

// json renders the statistics in Delta's add.stats format.
func (c *statsCollector) json() (string, error) {
	out := map[string]any{"numRecords": c.rows}
	mins, maxs, nulls := map[string]any{}, map[string]any{}, map[string]any{}
	for _, l := range c.leaves {
		setPath(nulls, l.keys, l.nulls)
		if l.noRange || l.min == nil {
			continue
		}
		if v, ok := l.render(l.min, false); ok {
			setPath(mins, l.keys, v)
		}
		if v, ok := l.render(l.max, true); ok {
			setPath(maxs, l.keys, v)
		}
	}
	if len(c.leaves) > 0 {
		out["minValues"], out["maxValues"], out["nullCount"] = mins, maxs, nulls
	}
	b, err := json.Marshal(out)
	return string(b), err
}

func (l *leafStats) render(v any, isMax bool) (any, bool) {
	switch t := l.typ.(type) {
	case *arrow.Date32Type:
		return arrow.Date32(v.(int64)).FormattedString(), true
	case *arrow.TimestampType:
		us := v.(int64)
		switch t.Unit {
		case arrow.Second:
			us *= 1e6
		case arrow.Millisecond:
			us *= 1e3
		case arrow.Nanosecond:
			if isMax && us%1000 != 0 {
				us = us/1000 + 1
			} else {
				us /= 1000
			}
		}
		// Statistics hold milliseconds: round the max up so it stays an
		// upper bound.
		ms := us / 1000
		if us%1000 < 0 {
			ms--
		}
		if isMax && us%1000 != 0 {
			ms++
		}
		ts := time.UnixMilli(ms).UTC()
		if t.TimeZone == "" {
			return ts.Format("2006-01-02T15:04:05.000"), true
		}
		return ts.Format("2006-01-02T15:04:05.000Z"), true
	case *arrow.Decimal128Type:
		return json.Number(v.(decimalStat).s), true
	case *arrow.StringType:
		s := v.(string)
		if utf8.RuneCountInString(s) <= statsPrefixLength {
			return s, true
		}
		if isMax {
			return nil, false // a truncated prefix is not an upper bound
		}
		return truncateRunes(s, statsPrefixLength), true
	}
	return v, true
}

func truncateRunes(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

func setPath(m map[string]any, keys []string, v any) {
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}
