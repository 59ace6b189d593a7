package delta

import (
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// TestParallelFilesBatchKeepsFileOrder: files decoded side by side reach
// the consumer as a sequential read hands them over, batch for batch;
// the consumer's error stops the read and every batch is released.
func TestParallelFilesBatchKeepsFileOrder(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl := copyTable(t, mem, nil)
	for range 4 { // more files: append the table's rows again
		snap, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		appendScan(t, tbl, snap, nil)
	}
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	var files []*protocol.Add
	for f, err := range snap.addFiles(ctx) {
		require.NoError(t, err)
		files = append(files, f)
	}
	require.Greater(t, len(files), 4)
	plan, err := snap.planRowScan(nil)
	require.NoError(t, err)
	plan.batchSize = 64

	read := func(workers int, stopAt int) ([]string, error) {
		var out []string
		err := snap.eachFilesBatch(ctx, plan, files, workers, func(i int, rec arrow.RecordBatch) error {
			if i == stopAt {
				return errors.New("stop")
			}
			ids := rec.Column(0).(*array.Int64)
			out = append(out, files[i].Path+":"+ids.ValueStr(0)+".."+ids.ValueStr(ids.Len()-1))
			return nil
		})
		return out, err
	}
	want, err := read(1, -1)
	require.NoError(t, err)
	for _, workers := range []int{2, 3, 8} {
		got, err := read(workers, -1)
		require.NoError(t, err)
		assert.Equal(t, want, got, "workers %d", workers)
		_, err = read(workers, 2)
		assert.EqualError(t, err, "stop")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	err = snap.eachFilesBatch(cctx, plan, files, 3, func(int, arrow.RecordBatch) error { return nil })
	assert.ErrorIs(t, err, context.Canceled)
}
