package optimize

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Z-order and clustering columns may be fields nested in structs ("a.b"),
// as Spark allows for liquid clustering: the path is resolved against the
// schema once (resolveColumnPath) and against each scanned batch
// (orderColumn), where a row is null for ordering when the field or any
// struct above it is null.

// resolveColumnPath finds the column a possibly dotted name denotes: a
// top-level column of that exact name first (names may hold dots), else
// the path through struct fields, matched case-insensitively. It returns
// the path in the schema's spelling and the leaf field.
func resolveColumnPath(schema *arrow.Schema, name string) ([]string, arrow.Field, bool) {
	for _, f := range schema.Fields() {
		if strings.EqualFold(f.Name, name) {
			return []string{f.Name}, f, true
		}
	}
	parts := strings.Split(name, ".")
	fields := schema.Fields()
	var path []string
	for i, p := range parts {
		var match *arrow.Field
		for k := range fields {
			if strings.EqualFold(fields[k].Name, p) {
				match = &fields[k]
				break
			}
		}
		if match == nil {
			return nil, arrow.Field{}, false
		}
		path = append(path, match.Name)
		if i == len(parts)-1 {
			return path, *match, true
		}
		st, ok := match.Type.(*arrow.StructType)
		if !ok {
			return nil, arrow.Field{}, false
		}
		fields = st.Fields()
	}
	return nil, arrow.Field{}, false
}

// orderColumn is one ordering column of a batch: the leaf array and the
// struct arrays above it.
type orderColumn struct {
	leaf    arrow.Array
	parents []arrow.Array
}

// valid reports whether row i has a value: the leaf and every struct
// above it are non-null.
func (c orderColumn) valid(i int) bool {
	for _, p := range c.parents {
		if p.IsNull(i) {
			return false
		}
	}
	return c.leaf.IsValid(i)
}

// pickColumn finds the column at path in rec.
func pickColumn(rec arrow.RecordBatch, path []string) (orderColumn, error) {
	var c orderColumn
	idx := -1
	for i, f := range rec.Schema().Fields() {
		if strings.EqualFold(f.Name, path[0]) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return c, fmt.Errorf("optimize: scan output lacks column %q", strings.Join(path, "."))
	}
	cur := rec.Column(idx)
	for _, p := range path[1:] {
		st, ok := cur.(*array.Struct)
		if !ok {
			return c, fmt.Errorf("optimize: column %q: %s is not a struct", strings.Join(path, "."), cur.DataType())
		}
		fi := -1
		for k, f := range st.DataType().(*arrow.StructType).Fields() {
			if strings.EqualFold(f.Name, p) {
				fi = k
				break
			}
		}
		if fi < 0 {
			return c, fmt.Errorf("optimize: scan output lacks column %q", strings.Join(path, "."))
		}
		c.parents = append(c.parents, cur)
		cur = st.Field(fi)
	}
	c.leaf = cur
	return c, nil
}

// hasStatsFor checks that ordering by col can help: files keep
// statistics for it. Spark refuses such a Z-order
// (DELTA_ZORDERING_ON_COLUMN_WITHOUT_STATS) and OPTIMIZE of a clustered
// table whose clustering column lost its statistics (a lowered
// delta.dataSkippingNumIndexedCols); the latter error also matches
// delta.ErrClusteringColumnMissingStats.
func hasStatsFor(snap *delta.Snapshot, clause, name, col string) error {
	if snap.HasStats(col) {
		return nil
	}
	if clause == "CLUSTER BY" {
		return fmt.Errorf("%w: %q is past delta.dataSkippingNumIndexedCols or not in delta.dataSkippingStatsColumns; collect statistics for it (raise or list it) before clustering",
			errClusterNoStats{}, col)
	}
	return invalidf("%s %q: data files keep no statistics for %q (it is past delta.dataSkippingNumIndexedCols or not in delta.dataSkippingStatsColumns), so ordering by it cannot skip files; collect statistics for it first", clause, name, col)
}

// errClusterNoStats is the error of a clustering run whose clustering
// column lost its statistics: an option error, and the same mistake
// delta reports at CLUSTER BY.
type errClusterNoStats struct{}

func (errClusterNoStats) Error() string { return "optimize: clustering columns must have statistics" }

func (errClusterNoStats) Is(target error) bool {
	return target == ErrInvalidOptions || target == delta.ErrClusteringColumnMissingStats || target == delta.ErrInvalidArgument
}
