package delta

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMergeIdempotentByAppID: a MERGE carrying an (AppID, AppVersion)
// the table already recorded reads and writes nothing; a higher version
// applies.
func TestMergeIdempotentByAppID(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 5, 1)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	del := func(version int64, ids ...int64) *CommitResult {
		src := sourceOf(t, mem, ids, make([]float64, len(ids)))
		defer src.Release()
		res, err := tbl.Merge(ctx, src, mustParse(t, "target.id = source.id"), &MergeOptions{
			WhenMatched: []WhenMatched{{Delete: true}}, AppID: "cdc", AppVersion: version,
		})
		require.NoError(t, err)
		return res
	}
	first := del(7, 1)
	require.False(t, first.Skipped)
	again := del(7, 2)
	assert.True(t, again.Skipped, "version 7 was applied")
	assert.Equal(t, first.Version, again.Version)
	older := del(6, 3)
	assert.True(t, older.Skipped)
	next := del(8, 4)
	assert.False(t, next.Skipped)
	assert.Equal(t, expectedRows(t, [3]int{0, 1, 1}, [3]int{2, 2, 1}, [3]int{5, 0, 1}), readRows(t, tbl))
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	v, ok := snap.TxnVersion("cdc")
	require.True(t, ok)
	assert.Equal(t, int64(8), v)
}
