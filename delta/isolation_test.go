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

// TestTablePropertyIsolationLevel: delta.isolationLevel=Serializable on the
// table makes a default transaction Serializable, so an overwrite that a
// concurrent blind append would not disturb at WriteSerializable conflicts
// with it, and commitInfo says which level ran.
func TestTablePropertyIsolationLevel(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		props    map[string]string
		conflict bool
		level    string
	}{
		{"no property", nil, false, "WriteSerializable"},
		{"WriteSerializable", map[string]string{"delta.isolationLevel": "WriteSerializable"}, false, "WriteSerializable"},
		{"Serializable", map[string]string{"delta.isolationLevel": "Serializable"}, true, "Serializable"},
		{"serializable in lower case", map[string]string{"delta.isolationLevel": "serializable"}, true, "Serializable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Properties: tc.props, Table: &Options{Allocator: mem}})
			require.NoError(t, err)
			defer tbl.Close()
			x, err := tbl.Begin(ctx, &TxnOptions{Mode: Overwrite})
			require.NoError(t, err)
			defer x.Rollback()
			rr := eventsReader(t, mem, 0, 5, 1)
			_, err = tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
			res, err := x.Commit(ctx)
			if tc.conflict {
				var ce *ConflictError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, ConflictConcurrentAppend, ce.Kind)
				res = appendRows(t, tbl, mem, 10, 1) // a default blind append
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.level, commitInfoOf(t, tbl, res.Version)["isolationLevel"])
		})
	}
}
