package delta

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/checkpoint"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

func logFileNames(t *testing.T, tbl *Table) []string {
	var names []string
	for fi, err := range tbl.store.List(context.Background(), "_delta_log/") {
		require.NoError(t, err)
		names = append(names, strings.TrimPrefix(fi.Path, "_delta_log/"))
	}
	return names
}

func TestCheckpointKinds(t *testing.T) {
	tests := []struct {
		name     string
		props    map[string]string
		perPart  int64
		wantKind string
		wantFile string
	}{
		{name: "classic", wantKind: "classic", wantFile: "00000000000000000005.checkpoint.parquet"},
		{name: "multi-part", perPart: 4, wantKind: "multi-part", wantFile: "00000000000000000005.checkpoint.0000000001.0000000003.parquet"},
		{name: "v2", props: map[string]string{"delta.checkpointPolicy": "v2"}, perPart: 5, wantKind: "v2", wantFile: "_sidecars/"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			props := map[string]string{"delta.checkpointInterval": "1000"}
			for k, v := range tc.props {
				props[k] = v
			}
			tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}, Properties: props})
			require.NoError(t, err)
			defer tbl.Close()
			for i := 0; i < 4; i++ {
				rr := eventsReader(t, mem, i*10, 10, 2)
				_, err := tbl.Append(ctx, rr, &TxnOptions{AppID: "app", AppVersion: int64(i + 1)})
				rr.Release()
				require.NoError(t, err)
			}
			rr := eventsReader(t, mem, 100, 4, 1)
			_, err = tbl.Overwrite(ctx, rr, &TxnOptions{PartitionOverwrite: true}) // leaves tombstones for d0
			rr.Release()
			require.NoError(t, err)
			before := readRows(t, tbl)

			info, err := tbl.Checkpoint(ctx, &CheckpointOptions{ActionsPerPart: tc.perPart})
			require.NoError(t, err)
			assert.Equal(t, int64(5), info.Version)
			assert.Equal(t, tc.wantKind, info.Kind)
			names := strings.Join(logFileNames(t, tbl), "\n")
			assert.Contains(t, names, tc.wantFile)
			lcData, err := tbl.store.Get(ctx, "_delta_log/_last_checkpoint")
			require.NoError(t, err)
			lc, err := checkpoint.ParseLastCheckpoint(lcData)
			require.NoError(t, err)
			assert.Equal(t, int64(5), lc.Version)

			// Reading from the checkpoint alone gives the same table: hide
			// the commits it covers.
			for v := 0; v <= 5; v++ {
				require.NoError(t, tbl.store.Delete(ctx, fmt.Sprintf("_delta_log/%020d.json", v)))
			}
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(5), snap.Version())
			assert.Equal(t, before, snapshotRows(t, snap))
			v, ok := snap.TxnVersion("app")
			assert.True(t, ok)
			assert.Equal(t, int64(4), v)
			var tombstones int
			for _, err := range snap.Tombstones(ctx) {
				require.NoError(t, err)
				tombstones++
			}
			assert.Equal(t, 4, tombstones, "d0 files of the four appends")
			// Parsed stats and partition values are there for every add.
			for f, err := range snap.addFiles(ctx) {
				require.NoError(t, err)
				n, ok := fileNumRecords(f)
				assert.True(t, ok, f.Path)
				assert.Positive(t, n)
			}
			// And the table keeps working on top of the checkpoint.
			rr = eventsReader(t, mem, 300, 2, 2)
			_, err = tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
		})
	}
}

func TestCheckpointStatsParsedColumns(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	// Without the JSON copy, readers must use stats_parsed.
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"},
		Properties: map[string]string{"delta.checkpoint.writeStatsAsJson": "false"}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 10, 1)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	_, err = tbl.Checkpoint(ctx, nil)
	require.NoError(t, err)
	r, err := tbl.store.Open(ctx, "_delta_log/00000000000000000001.checkpoint.parquet")
	require.NoError(t, err)
	defer r.Close()
	var adds []*protocol.Add
	require.NoError(t, checkpoint.ReadParquet(ctx, r, []string{"add"}, mem, func(actions []protocol.Action) error {
		for _, a := range actions {
			if a.Add != nil {
				adds = append(adds, a.Add)
			}
		}
		return nil
	}))
	require.Len(t, adds, 1)
	a := adds[0]
	assert.Equal(t, "d0", *a.PartitionValues["day"])
	assert.Empty(t, a.Stats)
	require.NotNil(t, a.StatsParsed)
	assert.Equal(t, int64(10), *a.StatsParsed.NumRecords)
	assert.Equal(t, "name-0", a.StatsParsed.MinValues["name"])
	assert.EqualValues(t, "9", fmt.Sprint(a.StatsParsed.MaxValues["id"]))
	n, ok := a.StatsParsed.NullCountAt([]string{"name"})
	assert.True(t, ok)
	assert.Equal(t, int64(1), n)
}

func TestAutomaticCheckpointAndLogCleanup(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, Properties: map[string]string{
		"delta.checkpointInterval": "3", "delta.logRetentionDuration": "interval 0 seconds",
	}})
	require.NoError(t, err)
	defer tbl.Close()
	for i := 0; i < 7; i++ {
		rr := eventsReader(t, mem, i*3, 3, 1)
		res, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
		require.NoError(t, res.CheckpointErr)
		time.Sleep(2 * time.Millisecond) // distinct modification times
	}
	names := logFileNames(t, tbl)
	assert.Contains(t, names, "00000000000000000006.checkpoint.parquet")
	// Everything before the version-6 checkpoint expired (retention 0).
	assert.NotContains(t, names, "00000000000000000000.json")
	assert.NotContains(t, names, "00000000000000000003.checkpoint.parquet")
	assert.Contains(t, names, "00000000000000000006.json")
	assert.Contains(t, names, "00000000000000000007.json")
	assert.Equal(t, expectedRows(t, [3]int{0, 21, 1}), readRows(t, tbl))
	_, err = tbl.SnapshotAt(ctx, 2)
	require.ErrorIs(t, err, ErrVersionNotFound)
}
