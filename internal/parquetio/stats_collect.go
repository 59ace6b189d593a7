package parquetio

import (
	"strings"

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
	nulls int64
	has   bool // a non-null (and, for floats, non-NaN) value was seen
	nan   bool // a NaN was seen
	minI  int64
	maxI  int64
	minF  float64
	maxF  float64
	minD  decimal128.Num
	maxD  decimal128.Num
	minS  string
	maxS  string
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

// merge adds the rows o observed; o was built for the same schema and
// selection, so its tree has the same shape.
func (c *statsCollector) merge(o *statsCollector) {
	if o == nil {
		return
	}
	c.records += o.records
	var walk func(a, b []*statsNode)
	walk = func(a, b []*statsNode) {
		for i, n := range a {
			if n.isStruct {
				walk(n.children, b[i].children)
				continue
			}
			c.acc[n].merge(o.acc[b[i]])
		}
	}
	walk(c.roots, o.roots)
}

// merge adds what b accumulated.
func (a *accumulator) merge(b *accumulator) {
	a.nulls += b.nulls
	a.nan = a.nan || b.nan
	if !b.has {
		return
	}
	if !a.has {
		a.has = true
		a.minI, a.maxI, a.minF, a.maxF, a.minD, a.maxD, a.minS, a.maxS = b.minI, b.maxI, b.minF, b.maxF, b.minD, b.maxD, b.minS, b.maxS
		return
	}
	a.minI, a.maxI = min(a.minI, b.minI), max(a.maxI, b.maxI)
	// As scanFloats compares: the first of -0 and 0 seen stays.
	if b.minF < a.minF {
		a.minF = b.minF
	}
	if b.maxF > a.maxF {
		a.maxF = b.maxF
	}
	if b.minD.Less(a.minD) {
		a.minD = b.minD
	}
	if b.maxD.Greater(a.maxD) {
		a.maxD = b.maxD
	}
	a.minS, a.maxS = min(a.minS, b.minS), max(a.maxS, b.maxS)
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
	// isNull is nil when no row is null, so the common case runs a plain
	// loop over the values.
	var isNull func(int) bool
	switch {
	case parentNull != nil && arr.NullN() > 0:
		isNull = func(i int) bool { return parentNull[i] || arr.IsNull(i) }
	case parentNull != nil:
		isNull = func(i int) bool { return parentNull[i] }
	case arr.NullN() > 0:
		isNull = arr.IsNull
	}
	switch n.kind {
	case statNullOnly:
		if isNull != nil {
			for i := 0; i < arr.Len(); i++ {
				if isNull(i) {
					a.nulls++
				}
			}
		}
	case statInt, statDate, statTimestamp, statTimestampNTZ:
		switch v := arr.(type) {
		case *array.Int8:
			scanInts(a, v.Int8Values(), isNull)
		case *array.Int16:
			scanInts(a, v.Int16Values(), isNull)
		case *array.Int32:
			scanInts(a, v.Int32Values(), isNull)
		case *array.Int64:
			scanInts(a, v.Int64Values(), isNull)
		case *array.Date32:
			scanInts(a, v.Date32Values(), isNull)
		case *array.Timestamp:
			if v.DataType().(*arrow.TimestampType).Unit == arrow.Microsecond {
				scanInts(a, v.TimestampValues(), isNull)
				break
			}
			scale := unitScaler(v.DataType().(*arrow.TimestampType).Unit, arrow.Microsecond)
			micros := make([]int64, v.Len())
			for i, t := range v.TimestampValues() {
				micros[i], _ = scale(int64(t))
			}
			scanInts(a, micros, isNull)
		}
	case statFloat:
		switch v := arr.(type) {
		case *array.Float32:
			scanFloats(a, v.Float32Values(), isNull)
		case *array.Float64:
			scanFloats(a, v.Float64Values(), isNull)
		}
	case statDecimal:
		d := arr.(*array.Decimal128)
		for i := 0; i < arr.Len(); i++ {
			if isNull != nil && isNull(i) {
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
			if isNull != nil && isNull(i) {
				a.nulls++
				continue
			}
			v := s.Value(i)
			// Copy only when a bound changes: batch buffers are not ours to keep.
			if !a.has || v < a.minS {
				a.minS = strings.Clone(v)
			}
			if !a.has || v > a.maxS {
				a.maxS = strings.Clone(v)
			}
			a.has = true
		}
	}
}

func scanInts[T ~int8 | ~int16 | ~int32 | ~int64](a *accumulator, vals []T, isNull func(int) bool) {
	lo, hi, has := a.minI, a.maxI, a.has
	for i, t := range vals {
		if isNull != nil && isNull(i) {
			a.nulls++
			continue
		}
		v := int64(t)
		if !has {
			lo, hi, has = v, v, true
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	a.minI, a.maxI, a.has = lo, hi, has
}

func scanFloats[T ~float32 | ~float64](a *accumulator, vals []T, isNull func(int) bool) {
	lo, hi, has := a.minF, a.maxF, a.has
	for i, t := range vals {
		if isNull != nil && isNull(i) {
			a.nulls++
			continue
		}
		v := float64(t)
		if v != v { // NaN
			a.nan = true
			continue
		}
		if !has {
			lo, hi, has = v, v, true
			continue
		}
		if v < lo {
			lo = v
		}
		if v > hi {
			hi = v
		}
	}
	a.minF, a.maxF, a.has = lo, hi, has
}

// StatsCollector computes a file's Delta statistics from its rows without
// writing anything: what a writer with the same options would record,
// for recomputing the statistics of files already written (ANALYZE).
type StatsCollector struct {
	cfg *writeConfig
	c   *statsCollector
}

// NewStatsCollector returns a collector for batches of schema (the
// file's logical columns) under opts' statistics settings (column
// mapping, NumIndexedCols, StatsColumns, StringPrefixLength).
func NewStatsCollector(schema *arrow.Schema, opts *WriteOptions) (*StatsCollector, error) {
	cfg, err := newWriteConfig(schema, opts)
	if err != nil {
		return nil, err
	}
	return &StatsCollector{cfg: cfg, c: newStatsCollector(cfg.logical, cfg.opts.ColumnMapping, cfg.selection())}, nil
}

// Observe adds a batch of the file's rows.
func (s *StatsCollector) Observe(rec arrow.RecordBatch) error {
	if err := checkBatchSchema(s.cfg.logical, rec.Schema()); err != nil {
		return err
	}
	s.c.observe(rec, s.cfg.opts.ColumnMapping)
	return nil
}

// Finish returns the statistics of every row observed.
func (s *StatsCollector) Finish() FileStats { return s.c.finish(s.cfg.prefixLen) }
