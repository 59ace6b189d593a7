package delta

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// fileStats adapts one file's statistics and partition values to the
// expr.StatsSource the data-skipping rewrite evaluates. Anything missing,
// unparsable or of an unexpected shape reads as unknown, which can only
// keep a file, never skip it.
type fileStats struct {
	snap  *Snapshot
	file  *protocol.Add
	stats *protocol.Stats
}

func (s *Snapshot) fileStatsSource(f *protocol.Add) (*fileStats, error) {
	st := f.StatsParsed
	if st == nil && exceeds(int64(len(f.Stats)), s.table.opts.Limits.MaxStatsBytes) {
		return nil, &LimitError{File: f.Path, What: "stats", Size: int64(len(f.Stats)), Limit: s.table.opts.Limits.MaxStatsBytes, Option: "MaxStatsBytes"}
	}
	if st == nil && f.Stats != "" {
		var err error
		if st, err = protocol.ParseStats(f.Stats); err != nil {
			// Bad stats only cost pruning; the rows are still read.
			st = nil
		}
	}
	return &fileStats{snap: s, file: f, stats: st}, nil
}

func (fs *fileStats) NumRecords() (int64, bool) {
	if fs.stats == nil || fs.stats.NumRecords == nil {
		return 0, false
	}
	return *fs.stats.NumRecords, true
}

// resolve maps a logical column path to its field and physical path.
func (fs *fileStats) resolve(path []string) (*protocol.StructField, []string, bool) {
	st := fs.snap.schema
	phys := make([]string, 0, len(path))
	var f *protocol.StructField
	for i, name := range path {
		if st == nil {
			return nil, nil, false
		}
		f, _ = st.Field(name)
		if f == nil {
			return nil, nil, false
		}
		phys = append(phys, f.PhysicalName(fs.snap.mapping))
		if i < len(path)-1 {
			st, _ = f.Type.(*protocol.StructType)
		}
	}
	return f, phys, f != nil
}

func (fs *fileStats) partition(path []string) (scalar.Scalar, bool) {
	if len(path) != 1 || !fs.snap.isPartitionColumn(path[0]) {
		return nil, false
	}
	f, _ := fs.snap.schema.Field(path[0])
	sc, err := fs.snap.partitionValue(fs.file, f)
	if err != nil {
		return nil, false
	}
	return sc, true
}

func (fs *fileStats) Min(path []string) (scalar.Scalar, bool) { return fs.bound(path, true) }
func (fs *fileStats) Max(path []string) (scalar.Scalar, bool) { return fs.bound(path, false) }

func (fs *fileStats) bound(path []string, min bool) (scalar.Scalar, bool) {
	if sc, ok := fs.partition(path); ok {
		if !sc.IsValid() {
			return nil, false
		}
		return sc, true
	}
	if fs.stats == nil {
		return nil, false
	}
	f, phys, ok := fs.resolve(path)
	if !ok {
		return nil, false
	}
	m := fs.stats.MaxValues
	if min {
		m = fs.stats.MinValues
	}
	raw, ok := protocol.Lookup(m, phys)
	if !ok {
		return nil, false
	}
	t, err := protocol.ToArrowType(f.Type)
	if err != nil {
		return nil, false
	}
	return statScalar(raw, t)
}

func (fs *fileStats) NullCount(path []string) (int64, bool) {
	if sc, ok := fs.partition(path); ok {
		n, known := fs.NumRecords()
		if sc.IsValid() {
			return 0, true
		}
		return n, known
	}
	if fs.stats == nil {
		return 0, false
	}
	_, phys, ok := fs.resolve(path)
	if !ok {
		return 0, false
	}
	n, ok := fs.stats.NullCountAt(phys)
	if !ok {
		return 0, false
	}
	// With wide bounds only "none" and "all" carry information (spec:
	// Per-file Statistics).
	if fs.stats.TightBounds != nil && !*fs.stats.TightBounds {
		total, known := fs.NumRecords()
		if n != 0 && (!known || n != total) {
			return 0, false
		}
	}
	return n, true
}

// statScalar converts a stats value (as JSON held it, or as checkpoint
// stats_parsed rendered it) to a scalar of the column's Arrow type.
func statScalar(raw any, t arrow.DataType) (scalar.Scalar, bool) {
	str := func() (string, bool) {
		switch v := raw.(type) {
		case string:
			return v, true
		case json.Number:
			return v.String(), true
		}
		return "", false
	}
	s, ok := str()
	if !ok {
		if b, isBool := raw.(bool); isBool {
			if _, wantBool := t.(*arrow.BooleanType); wantBool {
				return scalar.NewBooleanScalar(b), true
			}
		}
		return nil, false
	}
	switch tt := t.(type) {
	case *arrow.Float32Type, *arrow.Float64Type:
		f, ok := parseStatFloat(s)
		if !ok {
			return nil, false
		}
		if _, is32 := tt.(*arrow.Float32Type); is32 {
			return scalar.NewFloat32Scalar(float32(f)), true
		}
		return scalar.NewFloat64Scalar(f), true
	case *arrow.TimestampType:
		us, err := protocol.ParseTimestampMicros(s)
		if err != nil {
			return nil, false
		}
		return scalar.NewTimestampScalar(arrow.Timestamp(us), t), true
	case *arrow.BinaryType, *arrow.StructType, *arrow.ListType, *arrow.MapType:
		return nil, false
	}
	sc, err := protocol.ParsePartitionValue(&s, t)
	if err != nil || !sc.IsValid() {
		return nil, false
	}
	return sc, true
}

func parseStatFloat(s string) (float64, bool) {
	switch strings.ToLower(s) {
	case "nan":
		return math.NaN(), true
	case "infinity", "inf", "+infinity":
		return math.Inf(1), true
	case "-infinity", "-inf":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
