package delta

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVersionAsOfBisectsInCommitTimestamps: on a table with in-commit
// timestamps a time-travel lookup reads only the commits its bisection
// compares (about log2 of the commit count), and finds the same version a
// lookup over every commit's time finds.
func TestVersionAsOfBisectsInCommitTimestamps(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, _ := newMaintTable(t, mem, 0, false, map[string]string{"delta.enableInCommitTimestamps": "true", "delta.checkpointInterval": "1000"})
	const n = 64
	for i := range n {
		appendRows(t, tbl, mem, i, 1)
	}
	latest, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	all, err := tbl.commitTimes(ctx, latest)
	require.NoError(t, err)
	require.Len(t, all, n+1)

	rec := &recordingStore{Store: tbl.store}
	tbl.store = rec
	for _, v := range []int{0, 1, 17, 40, n} {
		for _, ts := range []time.Time{all[v].ts, all[v].ts.Add(time.Microsecond)} {
			rec.paths = nil
			got, err := tbl.versionAsOf(ctx, latest, ts)
			require.NoError(t, err)
			want, err := versionAt(all, ictLookupOf(latest), ts)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			reads := 0
			for _, p := range rec.paths {
				if strings.HasSuffix(p, ".json") {
					reads++
				}
			}
			assert.LessOrEqual(t, reads, 8, "commits read to find %s", ts)
		}
	}
	_, err = tbl.versionAsOf(ctx, latest, all[0].ts.Add(-time.Hour))
	require.ErrorIs(t, err, ErrVersionNotFound)
}
