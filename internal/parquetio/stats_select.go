package parquetio

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// DefaultNumIndexedCols is Delta's delta.dataSkippingNumIndexedCols default.
const DefaultNumIndexedCols = 32

// DefaultStringPrefixLength is how many characters of a string Delta keeps
// in min/max statistics.
const DefaultStringPrefixLength = 32

// statKind says which statistics a column gets.
type statKind int

const (
	statNullOnly     statKind = iota // booleans, binaries, arrays, maps: nullCount only
	statInt                          // byte, short, int, long
	statFloat                        // float, double
	statDecimal                      // decimal(p, s)
	statDate                         // date
	statTimestamp                    // timestamp (UTC)
	statTimestampNTZ                 // timestamp_ntz
	statString                       // string
)

// statsNode mirrors the data schema for the columns that get statistics.
type statsNode struct {
	key      string // physical name: the key in the stats maps
	kind     statKind
	float32  bool  // float column: format as float, not double
	scale    int32 // decimal scale
	children []*statsNode
	isStruct bool
}

// statsSelection decides which columns get statistics: the first
// numIndexed leaf columns (structs flattened, arrays and maps count as
// one), or, when columns is non-nil, the listed dotted logical paths and
// everything under them (delta.dataSkippingStatsColumns).
type statsSelection struct {
	numIndexed int // < 0: all
	columns    map[string]bool
	seen       int
}

func buildStatsTree(s *arrow.Schema, mode ColumnMappingMode, sel *statsSelection) []*statsNode {
	return sel.fields(s.Fields(), "", false, mode)
}

func (sel *statsSelection) fields(fs []arrow.Field, prefix string, forced bool, mode ColumnMappingMode) []*statsNode {
	var out []*statsNode
	for _, f := range fs {
		path := f.Name
		if prefix != "" {
			path = prefix + "." + f.Name
		}
		if v, _ := metaValue(f.Metadata, "delta.type"); v == "variant" {
			// A variant is one value to Delta: a null count, no min/max.
			if sel.take(path, forced) {
				out = append(out, &statsNode{key: physicalName(f, mode), kind: statNullOnly})
			}
			continue
		}
		if st, ok := f.Type.(*arrow.StructType); ok {
			in := forced || sel.columns[strings.ToLower(path)]
			children := sel.fields(st.Fields(), path, in, mode)
			if len(children) > 0 {
				out = append(out, &statsNode{key: physicalName(f, mode), isStruct: true, children: children})
			}
			continue
		}
		if !sel.take(path, forced) {
			continue
		}
		out = append(out, leafNode(f, mode))
	}
	return out
}

// take reports whether the leaf at path gets statistics.
func (sel *statsSelection) take(path string, forced bool) bool {
	if sel.columns != nil {
		return forced || sel.columns[strings.ToLower(path)]
	}
	sel.seen++
	return sel.numIndexed < 0 || sel.seen <= sel.numIndexed
}

func leafNode(f arrow.Field, mode ColumnMappingMode) *statsNode {
	n := &statsNode{key: physicalName(f, mode)}
	switch t := f.Type.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		n.kind = statInt
	case *arrow.Float32Type:
		n.kind, n.float32 = statFloat, true
	case *arrow.Float64Type:
		n.kind = statFloat
	case *arrow.Decimal128Type:
		n.kind, n.scale = statDecimal, t.Scale
	case *arrow.Date32Type:
		n.kind = statDate
	case *arrow.TimestampType:
		n.kind = statTimestamp
		if t.TimeZone == "" {
			n.kind = statTimestampNTZ
		}
	case *arrow.StringType:
		n.kind = statString
	default:
		n.kind = statNullOnly
	}
	return n
}
