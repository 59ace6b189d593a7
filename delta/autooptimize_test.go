package delta

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// TestOptimizedWriteOneFilePerPartition writes many small batches that
// each touch every partition: an optimized write leaves one file per
// partition, with the same rows as were written.
func TestOptimizedWriteOneFilePerPartition(t *testing.T) {
	cases := []struct {
		name   string
		props  map[string]string
		option bool
	}{
		{name: "table property", props: map[string]string{PropOptimizeWrite: "true"}},
		{name: "write option", option: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			tbl, _ := newMaintTable(t, mem, 0, true, tc.props)
			const batches, rows, days = 200, 10, 4
			recs := make([]arrow.RecordBatch, batches)
			for i := range recs {
				recs[i] = eventsBatch(mem, i*rows, rows, days)
			}
			rr, err := array.NewRecordReader(eventsSchema, recs)
			require.NoError(t, err)
			for _, r := range recs {
				r.Release()
			}
			defer rr.Release()
			res, err := tbl.Append(context.Background(), rr, &TxnOptions{OptimizeWrite: tc.option})
			require.NoError(t, err)
			assert.Equal(t, "4", res.Metrics["numFiles"])
			perPartition := map[string]int{}
			snap, err := tbl.Snapshot(context.Background())
			require.NoError(t, err)
			for f, err := range snap.Files(context.Background()) {
				require.NoError(t, err)
				perPartition[*f.PartitionValues["day"]]++
			}
			assert.Equal(t, map[string]int{"d0": 1, "d1": 1, "d2": 1, "d3": 1}, perPartition)
			assert.Equal(t, expectedRows(t, [3]int{0, batches * rows, days}), readRows(t, tbl))
		})
	}
}

// TestOptimizeWriteTargetSize: an optimized write fills files to Spark's
// optimizeWrite.binSize unless the table or the write names a size.
func TestOptimizeWriteTargetSize(t *testing.T) {
	cases := []struct {
		name  string
		props map[string]string
		opts  TxnOptions
		want  int64
	}{
		{name: "plain write", want: defaultTargetFileSize},
		{name: "optimized by property", props: map[string]string{PropOptimizeWrite: "true"}, want: OptimizeWriteBinSize},
		{name: "optimized by option", opts: TxnOptions{OptimizeWrite: true}, want: OptimizeWriteBinSize},
		{name: "property false", props: map[string]string{PropOptimizeWrite: "false"}, want: defaultTargetFileSize},
		{name: "table size wins", props: map[string]string{PropOptimizeWrite: "true", protocol.PropTargetFileSize: "1000"}, want: 1000},
		{name: "write size wins", opts: TxnOptions{OptimizeWrite: true, TargetFileSize: 77}, want: 77},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			tbl, _ := newMaintTable(t, mem, 0, false, tc.props)
			x, err := tbl.Begin(context.Background(), &tc.opts)
			require.NoError(t, err)
			defer func() { _ = x.Rollback() }()
			w, err := x.newDataWriter()
			require.NoError(t, err)
			assert.Equal(t, tc.want, w.targetSize)
		})
	}
}

// TestOptimizedWriteBoundsMemory: with a tiny memory budget the open
// partition files flush their row groups early; each partition still
// gets one file, now of several row groups, and the rows are intact.
func TestOptimizedWriteBoundsMemory(t *testing.T) {
	defer func(old int64) { writeMemory = old }(writeMemory)
	writeMemory = 1
	mem := newCheckedAllocator(t)
	tbl, dir := newMaintTable(t, mem, 0, true, map[string]string{PropOptimizeWrite: "true"})
	const batches, rows, days = 50, 40, 3
	recs := make([]arrow.RecordBatch, batches)
	for i := range recs {
		recs[i] = eventsBatch(mem, i*rows, rows, days)
	}
	rr, err := array.NewRecordReader(eventsSchema, recs)
	require.NoError(t, err)
	for _, r := range recs {
		r.Release()
	}
	defer rr.Release()
	_, err = tbl.Append(context.Background(), rr, nil)
	require.NoError(t, err)
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	n := 0
	for f, err := range snap.Files(context.Background()) {
		require.NoError(t, err)
		n++
		pf, err := file.OpenParquetFile(filepath.Join(dir, filepath.FromSlash(f.Path)), false)
		require.NoError(t, err)
		assert.Greater(t, pf.NumRowGroups(), 1, f.Path)
		require.NoError(t, pf.Close())
	}
	assert.Equal(t, days, n)
	assert.Equal(t, expectedRows(t, [3]int{0, batches * rows, days}), readRows(t, tbl))
}
