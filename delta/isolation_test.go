package delta

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// TestCommitInfoIsolationLevel: commitInfo.isolationLevel is the level the
// commit's conflict check ran at: WriteSerializable by default (blind
// appends included), the level asked for otherwise.
func TestCommitInfoIsolationLevel(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, tbl *Table) *CommitResult
		want string
	}{
		{"default blind append", func(t *testing.T, tbl *Table) *CommitResult {
			return appendRows(t, tbl, newCheckedAllocator(t), 100, 2)
		}, "WriteSerializable"},
		{"serializable append", func(t *testing.T, tbl *Table) *CommitResult {
			mem := newCheckedAllocator(t)
			rr := eventsReader(t, mem, 100, 2, 1)
			defer rr.Release()
			res, err := tbl.Append(ctx, rr, &TxnOptions{Isolation: Serializable})
			require.NoError(t, err)
			return res
		}, "Serializable"},
		{"default overwrite", func(t *testing.T, tbl *Table) *CommitResult {
			mem := newCheckedAllocator(t)
			rr := eventsReader(t, mem, 100, 2, 1)
			defer rr.Release()
			res, err := tbl.Overwrite(ctx, rr, nil)
			require.NoError(t, err)
			return res
		}, "WriteSerializable"},
		{"default delete", func(t *testing.T, tbl *Table) *CommitResult {
			return deleteWhere(t, tbl, "id = 1")
		}, "WriteSerializable"},
		{"serializable delete", func(t *testing.T, tbl *Table) *CommitResult {
			e, err := expr.Parse("id = 2")
			require.NoError(t, err)
			res, err := tbl.Delete(ctx, e, &DMLOptions{Isolation: Serializable})
			require.NoError(t, err)
			return res
		}, "Serializable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl, _ := newMaintTable(t, newCheckedAllocator(t), 4, false, nil)
			res := tc.run(t, tbl)
			info := commitInfoOf(t, tbl, res.Version)
			assert.Equal(t, tc.want, info["isolationLevel"])
		})
	}
}
