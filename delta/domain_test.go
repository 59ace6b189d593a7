package delta

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDomainMetadataLifecycle: a domain set with data commits atomically
// with it, upgrades a plain table's protocol to the domainMetadata feature,
// replaces on the next set, and disappears on removal; the log carries
// the spec's domainMetadata actions.
func TestDomainMetadataLifecycle(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, dir := newMaintTable(t, mem, 4, false, nil)
	before, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	require.False(t, before.Protocol().SupportsFeature("domainMetadata"))

	commit := func(change func(x *Transaction) error) *CommitResult {
		x, err := tbl.Begin(ctx, nil)
		require.NoError(t, err)
		defer x.Rollback()
		require.NoError(t, change(x))
		res, err := x.Commit(ctx)
		require.NoError(t, err)
		return res
	}
	res := commit(func(x *Transaction) error {
		rr := eventsReader(t, mem, 100, 2, 1)
		defer rr.Release()
		if err := x.Write(ctx, rr); err != nil {
			return err
		}
		return x.SetDomainMetadata("com.example.ingest", `{"watermark":"2026-12-04"}`)
	})
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]DomainMetadata{"com.example.ingest": {Domain: "com.example.ingest", Configuration: `{"watermark":"2026-12-04"}`}}, snap.DomainMetadata())
	assert.True(t, snap.Protocol().SupportsFeature("domainMetadata"))
	assert.Len(t, readRows(t, tbl), 6)
	raw, err := os.ReadFile(filepath.Join(dir, "_delta_log", "00000000000000000002.json"))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `{"domainMetadata":{"domain":"com.example.ingest","configuration":"{\"watermark\":\"2026-12-04\"}","removed":false}}`)
	assert.NotContains(t, string(raw), `"metaData"`, "the feature request is a protocol change, not a metadata change")
	assert.Equal(t, int64(2), res.Version)

	commit(func(x *Transaction) error {
		return x.SetDomainMetadata("com.example.ingest", `{"watermark":"2026-12-05"}`)
	})
	snap, err = tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, `{"watermark":"2026-12-05"}`, snap.DomainMetadata()["com.example.ingest"].Configuration)

	commit(func(x *Transaction) error { return x.RemoveDomainMetadata("com.example.ingest") })
	snap, err = tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Empty(t, snap.DomainMetadata())
	assert.Len(t, readRows(t, tbl), 6)
}

// TestDomainMetadataRefused: bad requests fail at the call with
// ErrInvalidArgument and commit nothing.
func TestDomainMetadataRefused(t *testing.T) {
	ctx := context.Background()
	tbl, _ := newMaintTable(t, newCheckedAllocator(t), 2, false, nil)
	for _, tc := range []struct {
		name string
		run  func(x *Transaction) error
		want string
	}{
		{"empty name", func(x *Transaction) error { return x.SetDomainMetadata("", "{}") }, "empty domain name"},
		{"system domain", func(x *Transaction) error { return x.SetDomainMetadata("delta.clustering", "{}") }, "system-controlled"},
		{"system domain in upper case", func(x *Transaction) error { return x.SetDomainMetadata("DELTA.rowTracking", "{}") }, "system-controlled"},
		{"removing a missing domain", func(x *Transaction) error { return x.RemoveDomainMetadata("com.example.none") }, "does not exist"},
		{"twice in one transaction", func(x *Transaction) error {
			if err := x.SetDomainMetadata("com.example.a", "1"); err != nil {
				return err
			}
			return x.SetDomainMetadata("com.example.a", "2")
		}, "already changed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := tbl.Begin(ctx, nil)
			require.NoError(t, err)
			defer x.Rollback()
			err = tc.run(x)
			require.ErrorIs(t, err, ErrInvalidArgument)
			assert.Contains(t, err.Error(), tc.want)
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(1), snap.Version())
		})
	}
	x, err := tbl.Begin(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, x.Rollback())
	assert.ErrorIs(t, x.SetDomainMetadata("com.example.a", "1"), ErrTxnDone)
}

// TestDomainMetadataConflict: two transactions that change the same domain
// conflict; changing different domains does not.
func TestDomainMetadataConflict(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		first, other string
		conflict     bool
	}{
		{"same domain", "com.example.a", "com.example.a", true},
		{"different domains", "com.example.a", "com.example.b", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tbl, _ := newMaintTable(t, newCheckedAllocator(t), 2, false, map[string]string{"delta.feature.domainMetadata": "supported"})
			x1, err := tbl.Begin(ctx, nil)
			require.NoError(t, err)
			defer x1.Rollback()
			x2, err := tbl.Begin(ctx, nil)
			require.NoError(t, err)
			defer x2.Rollback()
			require.NoError(t, x1.SetDomainMetadata(tc.first, "1"))
			require.NoError(t, x2.SetDomainMetadata(tc.other, "2"))
			_, err = x1.Commit(ctx)
			require.NoError(t, err)
			_, err = x2.Commit(ctx)
			if !tc.conflict {
				require.NoError(t, err)
				snap, err := tbl.Snapshot(ctx)
				require.NoError(t, err)
				assert.Len(t, snap.DomainMetadata(), 2)
				return
			}
			var ce *ConflictError
			require.True(t, errors.As(err, &ce), "got %v", err)
			assert.Equal(t, ConflictConcurrentDomain, ce.Kind)
		})
	}
}
