package delta_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// TestParallelScanMatchesSequential reads corpus tables with deletion
// vectors and column mapping one file at a time and with files decoded in
// parallel: the batches must be the same, in the same order. Under -race
// this also checks the prefetching goroutines.
func TestParallelScanMatchesSequential(t *testing.T) {
	root := testdataDir(t)
	tests := []struct {
		table, filter string
	}{
		{"delta-golden/dv-partitioned-with-checkpoint", ""},
		{"delta-golden/dv-partitioned-with-checkpoint", "col1 > 5 OR part = 1"},
		{"delta-kernel-java/basic-dv-no-checkpoint", ""},
		{"delta-kernel-java/column-mapping-id", ""},
		{"delta-golden/table-with-columnmapping-mode-id", ""},
		{"delta-kernel-java/data-reader-primitives-column-mapping-name", "as_int > 3"},
		{"delta-kernel-rs/with-short-dv", ""},
	}
	for _, tc := range tests {
		t.Run(tc.table+"/"+tc.filter, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			tbl, err := delta.Open(ctx, filepath.Join(root, tc.table, "delta"), &delta.Options{Allocator: mem})
			if err != nil {
				tbl, err = delta.Open(ctx, filepath.Join(root, tc.table), &delta.Options{Allocator: mem})
			}
			require.NoError(t, err)
			defer tbl.Close()
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			var filter expr.Expr
			if tc.filter != "" {
				filter, err = expr.Parse(tc.filter)
				require.NoError(t, err)
			}
			read := func(n int, opts ...func(*delta.ScanOptions)) []string {
				o := &delta.ScanOptions{Filter: filter, Parallelism: n, BatchSize: 3}
				for _, f := range opts {
					f(o)
				}
				return readRows(t, snap, o)
			}
			seq := read(1)
			require.NotEmpty(t, seq)
			assert.Equal(t, seq, read(4))
			assert.Equal(t, seq, read(2))
			// A budget of one byte leaves each file its fixed few batches.
			assert.Equal(t, seq, read(4, func(o *delta.ScanOptions) { o.ReadAheadBytes = 1 }))
			// In any order: the same batches, as a multiset.
			assert.ElementsMatch(t, seq, read(4, func(o *delta.ScanOptions) { o.AnyOrder = true }))
			assert.ElementsMatch(t, seq, read(2, func(o *delta.ScanOptions) { o.AnyOrder = true; o.ReadAheadBytes = 1 }))
		})
	}
}

// TestParallelScanReleasedEarly stops reading after the first batch: the
// prefetching goroutines must stop and release what they decoded ahead.
func TestParallelScanReleasedEarly(t *testing.T) {
	root := testdataDir(t)
	for _, o := range []delta.ScanOptions{{Parallelism: 1}, {Parallelism: 2}, {Parallelism: 8}, {Parallelism: 8, AnyOrder: true}, {Parallelism: 2, ReadAheadBytes: 1}} {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		ctx := context.Background()
		tbl, err := delta.Open(ctx, filepath.Join(root, "delta-golden/dv-partitioned-with-checkpoint", "delta"), &delta.Options{Allocator: mem})
		require.NoError(t, err)
		snap, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		o.BatchSize = 1
		rr, err := snap.Scan(ctx, &o)
		require.NoError(t, err)
		require.True(t, rr.Next())
		assert.Equal(t, int64(1), rr.RecordBatch().NumRows())
		rr.Release()
		require.NoError(t, tbl.Close())
		mem.AssertSize(t, 0)
	}
}

func TestScanNegativeReadAhead(t *testing.T) {
	root := testdataDir(t)
	ctx := context.Background()
	tbl, err := delta.Open(ctx, filepath.Join(root, "delta-golden/dv-partitioned-with-checkpoint", "delta"), nil)
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	_, err = snap.Scan(ctx, &delta.ScanOptions{ReadAheadBytes: -1})
	require.ErrorIs(t, err, delta.ErrInvalidArgument)
	assert.Contains(t, err.Error(), "ReadAheadBytes")
}
