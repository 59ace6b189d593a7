package parquetio

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// statsCollector accumulates one file's statistics batch by batch. Values
// are observed in their logical form, before any relabelling.
type statsCollector struct {
	roots   []*statsNode
	schema  *arrow.Schema
	index   []int // top-level field index of each root
	acc     map[*statsNode]*accumulator
	records int64
}

// accumulator holds the running null count and bounds of one column.
type accumulator struct {
	nulls    int64
	has      bool // a non-null (and, for floats, non-NaN) value was seen
	nan      bool // a NaN was seen
	minI     int64
	maxI     int64
	minF     float64
	maxF     float64
	minD     decimal128.Num
	maxD     decimal128.Num
	minS     string
	maxS     string
	haveStrs bool
}

func newStatsCollector(schema *arrow.Schema, mode ColumnMappingMode, sel *statsSelection) *statsCollector {
	c := &statsCollector{schema: schema, acc: map[*statsNode]*accumulator{}}
	roots := buildStatsTree(schema, mode, sel)
	// Map each root back to its top-level field by physical name.
	for _, r := range roots {
		for i, f := range schema.Fields() {
			if physicalName(f, mode) == r.key {
				c.roots = append(c.roots, r)
				c.index = append(c.index, i)
				break
			}
		}
	}
	var reg func(ns []*statsNode)
	reg = func(ns []*statsNode) {
		for _, n := range ns {
			if n.isStruct {
				reg(n.children)
			} else {
				c.acc[n] = &accumulator{}
			}
		}
	}
	reg(c.roots)
	return c
}

// observe adds one batch.
func (c *statsCollector) observe(rec arrow.RecordBatch, mode ColumnMappingMode) {
	c.records += rec.NumRows()
	for i, r := range c.roots {
		c.observeNode(r, rec.Column(c.index[i]), nil, mode)
	}
}

// observeNode adds arr to node n; parentNull marks rows whose ancestor
// struct is null (nil when none is).
func (c *statsCollector) observeNode(n *statsNode, arr arrow.Array, parentNull []bool, mode ColumnMappingMode) {
	if n.isStruct {
		st := arr.(*array.Struct)
		nulls := parentNull
		if st.NullN() > 0 {
			nulls = make([]bool, st.Len())
			for i := range nulls {
				nulls[i] = (parentNull != nil && parentNull[i]) || st.IsNull(i)
			}
		}
		stType := st.DataType().(*arrow.StructType)
		for _, child := range n.children {
			for fi, f := range stType.Fields() {
				if physicalName(f, mode) == child.key {
					c.observeNode(child, st.Field(fi), nulls, mode)
					break
				}
			}
		}
		return
	}
	a := c.acc[n]
	valid := func(i int) bool { return !(parentNull != nil && parentNull[i]) && arr.IsValid(i) }
	switch n.kind {
	case statNullOnly:
		for i := 0; i < arr.Len(); i++ {
			if !valid(i) {
				a.nulls++
			}
		}
	case statInt, statDate, statTimestamp, statTimestampNTZ:
		get := intGetter(arr)
		for i := 0; i < arr.Len(); i++ {
			if !valid(i) {
				a.nulls++
				continue
			}
			v := get(i)
			if !a.has || v < a.minI {
				a.minI = v
			}
			if !a.has || v > a.maxI {
				a.maxI = v
			}
			a.has = true
		}
	case statFloat:
		get := floatGetter(arr)
		for i := 0; i < arr.Len(); i++ {
			if !valid(i) {
				a.nulls++
				continue
			}
			v := get(i)
			if math.IsNaN(v) {
				a.nan = true
				continue
			}
			if !a.has || v < a.minF {
				a.minF = v
			}
			if !a.has || v > a.maxF {
				a.maxF = v
			}
			a.has = true
		}
	case statDecimal:
		d := arr.(*array.Decimal128)
		for i := 0; i < arr.Len(); i++ {
			if !valid(i) {
				a.nulls++
				continue
			}
			v := d.Value(i)
			if !a.has || v.Less(a.minD) {
				a.minD = v
			}
			if !a.has || v.Greater(a.maxD) {
				a.maxD = v
			}
			a.has = true
		}
	case statString:
		s := arr.(*array.String)
		for i := 0; i < arr.Len(); i++ {
			if !valid(i) {
				a.nulls++
				continue
			}
			v := s.Value(i)
			// Copy only when a bound changes: batch buffers are not ours to keep.
			if !a.has || v < a.minS {
				a.minS = string([]byte(v))
			}
			if !a.has || v > a.maxS {
				a.maxS = string([]byte(v))
			}
			a.has = true
		}
	}
}

func intGetter(arr arrow.Array) func(int) int64 {
	switch a := arr.(type) {
	case *array.Int8:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int16:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int32:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int64:
		return func(i int) int64 { return a.Value(i) }
	case *array.Date32:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Timestamp:
		scale := unitScaler(a.DataType().(*arrow.TimestampType).Unit, arrow.Microsecond)
		return func(i int) int64 {
			v, _ := scale(int64(a.Value(i)))
			return v
		}
	}
	panic("parquetio: no integer getter for " + arr.DataType().String())
}

func floatGetter(arr arrow.Array) func(int) float64 {
	switch a := arr.(type) {
	case *array.Float32:
		return func(i int) float64 { return float64(a.Value(i)) }
	case *array.Float64:
		return a.Value
	}
	panic("parquetio: no float getter for " + arr.DataType().String())
}
