package main

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/lakehouse-go/lakehouse/delta"
)

// tableIDs reads the bronze table's ids (sorted) and counts rescued rows.
func tableIDs(t *testing.T, url string) ([]int64, int) {
	t.Helper()
	ctx := context.Background()
	tbl, err := delta.Open(ctx, url, nil)
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"id", "_rescued_data"}})
	require.NoError(t, err)
	defer rr.Release()
	var ids []int64
	rescued := 0
	for rr.Next() {
		rec := rr.RecordBatch()
		id, res := rec.Column(0).(*array.Int64), rec.Column(1)
		for i := range int(rec.NumRows()) {
			ids = append(ids, id.Value(i))
			if res.IsValid(i) {
				rescued++
			}
		}
	}
	require.NoError(t, rr.Err())
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, rescued
}

func TestRun(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// runs calls run one or more times; it returns the ids produced.
		runs func(t *testing.T, c config) (int, []string)
	}{
		{"no brokers: the built-in fake", func(t *testing.T, c config) (int, []string) {
			var out strings.Builder
			require.NoError(t, run(ctx, c, &out))
			return c.events, []string{out.String()}
		}},
		{"an external broker, restarted with more events", func(t *testing.T, c config) (int, []string) {
			fake, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, c.topic))
			require.NoError(t, err)
			defer fake.Close()
			c.brokers = strings.Join(fake.ListenAddrs(), ",")
			var outs []string
			for i := range 2 {
				require.NoError(t, produceDemo(ctx, fake.ListenAddrs(), c.topic, i*c.events, c.events))
				var out strings.Builder
				require.NoError(t, run(ctx, c, &out))
				outs = append(outs, out.String())
			}
			return 2 * c.events, outs
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			c := config{topic: "events", table: filepath.Join(dir, "bronze"), events: 3000, maxOffsets: 1000}
			n, outs := tc.runs(t, c)
			for _, out := range outs {
				assert.Contains(t, out, "batch ")
				assert.Contains(t, out, "bronze table "+c.table)
			}
			assert.Contains(t, outs[0], "batch 0: 1000 events")
			assert.Contains(t, outs[0], "batch 2: 1000 events")
			ids, rescued := tableIDs(t, c.table)
			want := make([]int64, n)
			for i := range want {
				want[i] = int64(i)
			}
			assert.Equal(t, want, ids, "every event exactly once")
			assert.Equal(t, n/1000, rescued, "every thousandth event has an amount that is not a number")
		})
	}
}
