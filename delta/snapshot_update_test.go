package delta

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func snapshotFilePaths(t *testing.T, s *Snapshot) []string {
	t.Helper()
	var out []string
	for f, err := range s.Files(context.Background()) {
		require.NoError(t, err)
		dv := ""
		if f.DeletionVector != nil {
			dv = "#" + f.DeletionVector.PathOrInlineDv
		}
		out = append(out, f.Path+dv)
	}
	sort.Strings(out)
	return out
}

// TestSnapshotReadsOnlyNewCommits: a handle that loaded the latest
// snapshot reads only the commits written since when asked again, and the
// snapshot it builds equals a fresh load — through appends, a DELETE with
// deletion vectors, a property change, an idempotent write's txn and a
// domain; a new checkpoint makes it load afresh.
func TestSnapshotReadsOnlyNewCommits(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	writer, dir := newMaintTable(t, mem, 10, false, map[string]string{"delta.enableDeletionVectors": "true", "delta.checkpointInterval": "1000"})
	reader, err := Open(ctx, dir, &Options{Allocator: mem, NoSync: true})
	require.NoError(t, err)
	defer reader.Close()
	rec := &recordingStore{Store: reader.store}
	reader.store = rec
	first, err := reader.Snapshot(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), first.Version())

	commitReads := func() []string {
		var out []string
		for _, p := range rec.paths {
			if strings.HasSuffix(p, ".json") {
				out = append(out, p[len("_delta_log/"):])
			}
		}
		rec.paths = nil
		return out
	}
	commitReads()
	same, err := reader.Snapshot(ctx)
	require.NoError(t, err)
	assert.Same(t, first, same, "nothing new: the same snapshot")
	assert.Empty(t, commitReads())

	steps := []func(){
		func() { appendRows(t, writer, mem, 100, 3) },
		func() { deleteWhere(t, writer, "id < 4") },
		func() {
			_, err := writer.SetProperties(ctx, map[string]string{"delta.appendOnly": "false", "lakehouse.test": "x"}, nil)
			require.NoError(t, err)
		},
		func() {
			rr := eventsReader(t, mem, 200, 2, 1)
			defer rr.Release()
			_, err := writer.Append(ctx, rr, &TxnOptions{AppID: "app", AppVersion: 7})
			require.NoError(t, err)
			x, err := writer.Begin(ctx, nil)
			require.NoError(t, err)
			require.NoError(t, x.SetDomainMetadata("com.example.d", "1"))
			_, err = x.Commit(ctx)
			require.NoError(t, err)
		},
	}
	version := int64(1)
	for i, step := range steps {
		step()
		latest, err := writer.Snapshot(ctx)
		require.NoError(t, err)
		got, err := reader.Snapshot(ctx)
		require.NoError(t, err)
		reads := commitReads()
		var want []string
		for v := version + 1; v <= latest.Version(); v++ {
			want = append(want, commitName(v))
		}
		assert.ElementsMatch(t, want, reads, "step %d reads only the new commits", i)
		version = latest.Version()

		fresh, err := Open(ctx, dir, &Options{Allocator: mem, NoSync: true})
		require.NoError(t, err)
		full, err := fresh.Snapshot(ctx)
		require.NoError(t, err)
		assert.Equal(t, full.Version(), got.Version())
		assert.Equal(t, snapshotFilePaths(t, full), snapshotFilePaths(t, got), "step %d", i)
		assert.Equal(t, full.Protocol(), got.Protocol())
		assert.Equal(t, full.Properties(), got.Properties())
		assert.Equal(t, full.Txns(), got.Txns())
		assert.Equal(t, full.DomainMetadata(), got.DomainMetadata())
		fullInfo, _ := full.CommitInfo()
		gotInfo, _ := got.CommitInfo()
		assert.Equal(t, fullInfo, gotInfo)
		assert.Equal(t, snapshotRows(t, full), snapshotRows(t, got))
		require.NoError(t, fresh.Close())
	}

	// A checkpoint starts a new segment: loaded afresh, from it.
	_, err = writer.Checkpoint(ctx, nil)
	require.NoError(t, err)
	appendRows(t, writer, mem, 300, 1)
	got, err := reader.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, version, got.CheckpointVersion())
	assert.Equal(t, []string{commitName(version + 1)}, commitReads())
	assert.Len(t, snapshotRows(t, got), 10-4+3+2+1)
}

func commitName(v int64) string { return fmt.Sprintf("%020d.json", v) }
