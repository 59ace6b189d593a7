package delta

import (
	"fmt"
	"testing"

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
	tables := []struct {
		name  string
		props map[string]string
		dv    bool
	}{
		{"plain", nil, false},
		{"deletion vectors", map[string]string{"delta.enableDeletionVectors": "true"}, true},
		{"column mapping", map[string]string{"delta.columnMapping.mode": "name"}, false},
	}
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
