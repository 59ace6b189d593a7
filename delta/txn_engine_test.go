package delta

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A compaction: read every file, write the rows back as one file, remove
// the old ones with dataChange=false. A concurrent blind append survives;
// a concurrent overwrite of the same files makes the compaction lose.
func TestCompactionWithRemoveFiles(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, Properties: map[string]string{"delta.appendOnly": "true"}})
	require.NoError(t, err)
	defer tbl.Close()
	for i := 0; i < 3; i++ {
		rr := eventsReader(t, mem, i*10, 10, 1)
		_, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
	}
	compact := func() (*Transaction, error) {
		x, err := tbl.Begin(ctx, &TxnOptions{NoDataChange: true})
		if err != nil {
			return nil, err
		}
		var files []*AddFile
		for f, err := range x.Snapshot().Files(ctx) {
			require.NoError(t, err)
			files = append(files, f)
		}
		require.NoError(t, x.RemoveFiles(files, false))
		rr, err := x.Snapshot().Scan(ctx, nil)
		require.NoError(t, err)
		defer rr.Release()
		require.NoError(t, x.Write(ctx, rr))
		require.NoError(t, x.SetOperation("OPTIMIZE", map[string]string{"predicate": "[]", "zOrderBy": "[]"}))
		return x, nil
	}

	x, err := compact()
	require.NoError(t, err)
	rr := eventsReader(t, mem, 100, 5, 1)
	_, err = tbl.Append(ctx, rr, nil) // concurrent blind append
	rr.Release()
	require.NoError(t, err)
	res, err := x.Commit(ctx) // append-only allows it: no data removed
	require.NoError(t, err)
	assert.Equal(t, "OPTIMIZE", res.Operation)
	assert.Equal(t, "3", res.Metrics["numRemovedFiles"])
	assert.Equal(t, "1", res.Metrics["numAddedFiles"])
	assert.Equal(t, expectedRows(t, [3]int{0, 30, 1}, [3]int{100, 5, 1}), readRows(t, tbl))
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	n := 0
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		n++
		if f.Path != "" && !f.DataChange {
			n += 100 // the compacted file
		}
	}
	assert.Equal(t, 102, n, "one compacted file plus the concurrent append")

	// Two compactions of the same files: the second loses.
	a, err := compact()
	require.NoError(t, err)
	defer a.Rollback()
	b, err := compact()
	require.NoError(t, err)
	defer b.Rollback()
	_, err = a.Commit(ctx)
	require.NoError(t, err)
	_, err = b.Commit(ctx)
	var ce *ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, ConflictConcurrentDeleteDelete, ce.Kind)
	assert.Equal(t, expectedRows(t, [3]int{0, 30, 1}, [3]int{100, 5, 1}), readRows(t, tbl))
}
