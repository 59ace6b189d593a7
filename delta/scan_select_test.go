package delta

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// TestSelectedRowsMatchWholeGroups scans with the other columns read for
// the matching rows only (scan_select.go) and with whole row groups
// decoded then filtered, and compares both with the brute force, over
// tables with nulls, deletion vectors and column mapping, through the
// dictionary path and the plain one; sparse filters must take the
// selective path where no row is deleted.
func TestSelectedRowsMatchWholeGroups(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tables := dictTableKinds
	filters := []struct {
		filter string
		cols   []string
		sparse bool // at most one row in eight of each group matches
	}{
		{"v > 0.95", nil, true},
		{"id % 50 = 7", nil, true},
		{"id % 50 = 7", []string{"Label", "tag"}, true},
		{"v > 0.9 AND id < 400", []string{"tag", "v"}, true},
		{"tag = X'61' AND v > 0.95", nil, true},
		{"label = 'k031'", nil, true},
		{"label = 'k031' AND v > 0.5", []string{"id", "tag"}, true},
		{"Label IN ('k010', 'k071') AND v < 0.3", nil, true},
		{"label IS NULL AND v > 0.5", []string{"id"}, true},
		{"v > 0.2", nil, false},
		{"label <> 'a00'", []string{"id", "v"}, false},
		{"id % 50 = 7 AND p = 'y'", nil, true},
	}
	for _, tb := range tables {
		snap := dictTable(t, mem, tb.props, tb.dv)
		var selected int64
		for _, tc := range filters {
			t.Run(fmt.Sprintf("%s/%s/%v", tb.name, tc.filter, tc.cols), func(t *testing.T) {
				e, err := expr.Parse(tc.filter)
				require.NoError(t, err)
				on, plan := scanRows(t, snap, &ScanOptions{Filter: e, Columns: tc.cols, BatchSize: 16})
				off, offPlan := scanRows(t, snap, &ScanOptions{Filter: e, Columns: tc.cols, BatchSize: 16, noSelect: true})
				assert.Equal(t, off, on)
				assert.Equal(t, bruteForce(t, snap, mem, tc.filter, tc.cols), on)
				assert.Zero(t, offPlan.groups.selected.Load())
				n := plan.groups.selected.Load()
				selected += n
				if tb.dv || !tc.sparse {
					assert.Zero(t, n, "whole groups: deleted rows, or too many matches")
				}
			})
		}
		if !tb.dv {
			assert.Positive(t, selected, "%s: sparse filters read the other columns row by row", tb.name)
		}
	}
}

// manyLabelsTable writes 2,000 rows in row groups of 500 whose labels
// take 100 values, so an equality on one label keeps about one row in a
// hundred: the dictionary path then reads only the label column whole.
func manyLabelsTable(t *testing.T, mem memory.Allocator, props map[string]string) *Snapshot {
	t.Helper()
	old := dataRowGroupRows
	dataRowGroupRows = 500
	t.Cleanup(func() { dataRowGroupRows = old })
	ctx := context.Background()
	tbl, err := Create(ctx, t.TempDir(), dictSchema, &CreateOptions{PartitionBy: []string{"p"}, Properties: props, Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	rnd := rand.New(rand.NewPCG(9, 2))
	b := array.NewRecordBuilder(mem, dictSchema)
	defer b.Release()
	for i := 0; i < 2000; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if vb := b.Field(1).(*array.Float64Builder); rnd.IntN(20) == 0 {
			vb.AppendNull()
		} else {
			vb.Append(rnd.Float64())
		}
		if lb := b.Field(2).(*array.StringBuilder); rnd.IntN(50) == 0 {
			lb.AppendNull()
		} else {
			lb.Append(fmt.Sprintf("l%03d", rnd.IntN(100)))
		}
		b.Field(3).(*array.BinaryBuilder).Append([]byte{byte(i)})
		b.Field(4).(*array.StringBuilder).Append([]string{"x", "y"}[i/1000])
	}
	rec := b.NewRecordBatch()
	rr, err := array.NewRecordReader(dictSchema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	rec.Release()
	require.NoError(t, err)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	t.Cleanup(func() { tbl.Close() })
	return snap
}

// The dictionary path with few candidates decodes the label column whole
// and every other column for the candidate rows only; rows must equal
// the whole-group path's and the brute force's.
func TestDictionaryCandidatesReadRowByRow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for _, props := range []map[string]string{nil, {"delta.columnMapping.mode": "name"}} {
		snap := manyLabelsTable(t, mem, props)
		var selected int64
		for _, tc := range []struct {
			filter string
			cols   []string
		}{
			{"label = 'l007'", nil},
			{"label = 'l007' AND v > 0.5", nil},
			{"Label IN ('l001', 'l002') AND v < 0.5", []string{"id", "tag"}},
			{"label = 'l042' AND p = 'y'", []string{"v"}},
			{"label = 'l013' AND (v IS NULL OR id % 3 = 0)", nil},
			{"label = 'nope' AND v > 0", nil},
		} {
			t.Run(fmt.Sprintf("%v/%s", props, tc.filter), func(t *testing.T) {
				e, err := expr.Parse(tc.filter)
				require.NoError(t, err)
				on, plan := scanRows(t, snap, &ScanOptions{Filter: e, Columns: tc.cols, BatchSize: 64})
				off, _ := scanRows(t, snap, &ScanOptions{Filter: e, Columns: tc.cols, BatchSize: 64, noSelect: true})
				assert.Equal(t, off, on)
				assert.Equal(t, bruteForce(t, snap, mem, tc.filter, tc.cols), on)
				selected += plan.groups.selected.Load()
			})
		}
		assert.Positive(t, selected, "the candidates were read row by row")
	}
}
