package parquetio

import (
	"encoding/json"
	"math/big"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// rowGroupStats converts the Parquet statistics of one row group into
// Delta's stats shape, so the same data-skipping code can prune row groups
// as it prunes files. Keys are the file's column names (physical names
// under column mapping), nested for structs; columns inside lists and maps,
// INT96 and columns without statistics are left out. Bounds follow the
// add.stats conventions: timestamps floored to milliseconds, strings cut
// to DefaultStringPrefixLength characters with an upper-bound tie-breaker.
func rowGroupStats(rg *metadata.RowGroupMetaData, sc *schema.Schema) FileStats {
	st := FileStats{NumRecords: rg.NumRows(), MinValues: map[string]any{}, MaxValues: map[string]any{}, NullCount: map[string]any{}}
	root := &statsNode{isStruct: true}
	for i := 0; i < sc.NumColumns(); i++ {
		descr := sc.Column(i)
		if descr.MaxRepetitionLevel() > 0 {
			continue
		}
		cc, err := rg.ColumnChunk(i)
		if err != nil {
			continue
		}
		ts, err := cc.Statistics()
		if err != nil || ts == nil {
			continue
		}
		path := descr.ColumnPath()
		node := root
		mins, maxs, nulls := st.MinValues, st.MaxValues, st.NullCount
		for _, part := range path[:len(path)-1] {
			node = childNode(node, part, true)
			mins, maxs, nulls = subMap(mins, part), subMap(maxs, part), subMap(nulls, part)
		}
		leaf := path[len(path)-1]
		childNode(node, leaf, false)
		if ts.HasNullCount() {
			nulls[leaf] = json.Number(strconv.FormatInt(ts.NullCount(), 10))
		}
		if ts.HasMinMax() {
			if lo, hi, ok := deltaBounds(ts, descr); ok {
				mins[leaf], maxs[leaf] = lo, hi
			}
		}
	}
	pruneEmpty(st.MinValues)
	pruneEmpty(st.MaxValues)
	pruneEmpty(st.NullCount)
	st.order = root.children
	tight := true
	st.TightBounds = &tight
	return st
}

func childNode(n *statsNode, key string, isStruct bool) *statsNode {
	for _, c := range n.children {
		if c.key == key {
			return c
		}
	}
	c := &statsNode{key: key, isStruct: isStruct}
	n.children = append(n.children, c)
	return c
}

func subMap(m map[string]any, key string) map[string]any {
	if sub, ok := m[key].(map[string]any); ok {
		return sub
	}
	sub := map[string]any{}
	m[key] = sub
	return sub
}

// pruneEmpty drops struct entries that ended up without any statistics.
func pruneEmpty(m map[string]any) bool {
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok && pruneEmpty(sub) {
			delete(m, k)
		}
	}
	return len(m) == 0
}

// deltaBounds renders a column chunk's min and max in add.stats form.
func deltaBounds(ts metadata.TypedStatistics, descr *schema.Column) (lo, hi any, ok bool) {
	lt := descr.LogicalType()
	if d, isDec := lt.(schema.DecimalLogicalType); isDec {
		minN, maxN, ok := decimalBounds(ts)
		if !ok {
			return nil, nil, false
		}
		return json.Number(decimalString(minN, d.Scale())), json.Number(decimalString(maxN, d.Scale())), true
	}
	switch s := ts.(type) {
	case *metadata.Int32Statistics:
		switch t := lt.(type) {
		case schema.DateLogicalType:
			return dateString(int64(s.Min())), dateString(int64(s.Max())), true
		case schema.IntLogicalType:
			if !t.IsSigned() {
				return nil, nil, false
			}
		case schema.NoLogicalType, nil:
		default:
			return nil, nil, false
		}
		return json.Number(strconv.FormatInt(int64(s.Min()), 10)), json.Number(strconv.FormatInt(int64(s.Max()), 10)), true
	case *metadata.Int64Statistics:
		switch t := lt.(type) {
		case schema.TimestampLogicalType:
			unit := map[schema.TimeUnitType]int64{schema.TimeUnitMillis: 1_000_000, schema.TimeUnitMicros: 1_000, schema.TimeUnitNanos: 1}[t.TimeUnit()]
			if unit == 0 {
				return nil, nil, false
			}
			toMicros := func(v int64) int64 {
				switch {
				case unit > 1_000:
					return v * (unit / 1_000)
				case unit < 1_000:
					q := v / 1_000
					if v%1_000 < 0 {
						q--
					}
					return q
				}
				return v
			}
			ntz := !t.IsAdjustedToUTC()
			return timestampString(toMicros(s.Min()), ntz), timestampString(toMicros(s.Max()), ntz), true
		case schema.IntLogicalType:
			if !t.IsSigned() {
				return nil, nil, false
			}
		case schema.NoLogicalType, nil:
		default:
			return nil, nil, false
		}
		return json.Number(strconv.FormatInt(s.Min(), 10)), json.Number(strconv.FormatInt(s.Max(), 10)), true
	case *metadata.Float32Statistics:
		return floatValue(float64(s.Min()), true), floatValue(float64(s.Max()), true), true
	case *metadata.Float64Statistics:
		return floatValue(s.Min(), false), floatValue(s.Max(), false), true
	case *metadata.ByteArrayStatistics:
		if _, isString := lt.(schema.StringLogicalType); !isString {
			return nil, nil, false
		}
		hiStr, ok := truncateMax(string(s.Max()), DefaultStringPrefixLength)
		if !ok {
			return nil, nil, false
		}
		return truncateMin(string(s.Min()), DefaultStringPrefixLength), hiStr, true
	}
	return nil, nil, false
}

// decimalBounds reads decimal statistics stored in any physical type.
func decimalBounds(ts metadata.TypedStatistics) (lo, hi decimal128.Num, ok bool) {
	switch s := ts.(type) {
	case *metadata.Int32Statistics:
		return decimal128.FromI64(int64(s.Min())), decimal128.FromI64(int64(s.Max())), true
	case *metadata.Int64Statistics:
		return decimal128.FromI64(s.Min()), decimal128.FromI64(s.Max()), true
	case *metadata.FixedLenByteArrayStatistics:
		return bigEndianDecimal(s.Min()), bigEndianDecimal(s.Max()), len(s.Min()) <= 16 && len(s.Max()) <= 16
	case *metadata.ByteArrayStatistics:
		return bigEndianDecimal(s.Min()), bigEndianDecimal(s.Max()), len(s.Min()) <= 16 && len(s.Max()) <= 16
	}
	return lo, hi, false
}

// bigEndianDecimal decodes a big-endian two's-complement unscaled value.
func bigEndianDecimal(b []byte) decimal128.Num {
	if len(b) == 0 || len(b) > 16 {
		return decimal128.Num{}
	}
	v := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return decimal128.FromBigInt(v)
}
