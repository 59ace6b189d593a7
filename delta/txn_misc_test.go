package delta

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMetadataChangeConflictsWithWriters(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	x, err := tbl.Begin(ctx, nil)
	require.NoError(t, err)
	defer x.Rollback()
	rr := eventsReader(t, mem, 0, 5, 1)
	require.NoError(t, x.Write(ctx, rr))
	rr.Release()
	_, err = tbl.SetProperties(ctx, map[string]string{"delta.appendOnly": "true"}, nil)
	require.NoError(t, err)
	_, err = x.Commit(ctx)
	var ce *ConflictError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, ConflictMetadataChanged, ce.Kind)
	assert.Empty(t, readRows(t, tbl))
	assertNoDataFiles(t, tbl)
}

func TestAddConstraintConflictsWithConcurrentAppend(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	// An append that committed after the constraint was validated would
	// slip unchecked rows in; the constraint must lose instead.
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	x, err := tbl.beginAt(ctx, snap, (&TxnOptions{}).withDefaults())
	require.NoError(t, err)
	x.readWholeTable, x.opts.Isolation = true, Serializable
	rr := eventsReader(t, mem, 0, 5, 1)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	_, err = x.Commit(ctx)
	require.ErrorIs(t, err, ErrConflict)
}

func TestTransactionLifecycle(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	x, err := tbl.Begin(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(0), x.ReadVersion())
	rr := eventsReader(t, mem, 0, 5, 1)
	require.NoError(t, x.Write(ctx, rr))
	rr.Release()
	require.NoError(t, x.Rollback())
	assertNoDataFiles(t, tbl)
	_, err = x.Commit(ctx)
	require.ErrorIs(t, err, ErrTxnDone)
	rr = eventsReader(t, mem, 0, 5, 1)
	require.ErrorIs(t, x.Write(ctx, rr), ErrTxnDone)
	rr.Release()
	require.NoError(t, x.Rollback(), "rollback twice is a no-op")

	_, err = tbl.Begin(ctx, &TxnOptions{ReplaceWhere: "day = 'x'"})
	require.ErrorIs(t, err, ErrInvalidArgument, "ReplaceWhere needs Overwrite")
	_, err = tbl.Begin(ctx, &TxnOptions{Compression: "lz5"})
	require.ErrorIs(t, err, ErrInvalidArgument)

	// zstd files are named as Spark names them.
	rr = eventsReader(t, mem, 0, 5, 1)
	res, err := tbl.Append(ctx, rr, &TxnOptions{Compression: "zstd"})
	rr.Release()
	require.NoError(t, err)
	assert.Contains(t, commitLines(t, tbl, res.Version)[1], `-c000.zstd.parquet"`)
	assert.Equal(t, expectedRows(t, [3]int{0, 5, 1}), readRows(t, tbl))

	// snappy-fast files are snappy files, named as such.
	rr = eventsReader(t, mem, 5, 5, 1)
	res, err = tbl.Append(ctx, rr, &TxnOptions{Compression: "snappy-fast"})
	rr.Release()
	require.NoError(t, err)
	assert.Contains(t, commitLines(t, tbl, res.Version)[1], `-c000.snappy.parquet"`)
	assert.Equal(t, expectedRows(t, [3]int{0, 10, 1}), readRows(t, tbl))
}
