package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/conflict"
	"github.com/lakehouse-go/lakehouse/internal/corpustest"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// TestPublicFilesMatchLog checks that Files and Tombstones hand out what the
// log holds, field by field, on corpus tables with deletion vectors,
// checkpoints and row tracking.
func TestPublicFilesMatchLog(t *testing.T) {
	base := corpustest.Dir(t)
	tests := []struct {
		table string
		// wantDV is a deletion vector some live file has, nil for none.
		wantDV *DeletionVector
		// parsedOnly: some files have statistics only in stats_parsed.
		parsedOnly bool
	}{
		{"delta-kernel-rs/table-with-dv-small", &DeletionVector{StorageType: "u", PathOrInlineDv: "vBn[lx{q8@P<9BNH/isA", Offset: ptr(int32(1)), SizeInBytes: 36, Cardinality: 2}, false},
		{"delta-kernel-rs/v1-single-part-struct-stats-only", nil, true},
		{"delta-kernel-rs/v2-checkpoints-parquet-with-sidecars", nil, false},
		{"delta-golden/dv-partitioned-with-checkpoint", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.table, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl, err := Open(ctx, filepath.Join(base, filepath.FromSlash(tc.table), "delta"), &Options{Allocator: mem})
			require.NoError(t, err)
			defer tbl.Close()
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)

			var internal []*protocol.Add
			for a, err := range snap.addFiles(ctx) {
				require.NoError(t, err)
				internal = append(internal, a)
			}
			var public []*AddFile
			for f, err := range snap.Files(ctx) {
				require.NoError(t, err)
				public = append(public, f)
			}
			require.Len(t, public, len(internal))
			require.NotEmpty(t, public)
			var sawDV, sawParsedOnly bool
			for i, a := range internal {
				f := public[i]
				assert.Equal(t, a.Path, f.Path)
				assert.Equal(t, a.Size, f.Size)
				assert.Equal(t, a.ModificationTime, f.ModificationTime.UnixMilli())
				assert.Equal(t, time.UTC, f.ModificationTime.Location())
				assert.Equal(t, a.DataChange, f.DataChange)
				assert.Equal(t, a.PartitionValues, f.PartitionValues)
				if a.Stats == "" && a.StatsParsed != nil {
					want, err := a.StatsParsed.Encode()
					require.NoError(t, err)
					assert.JSONEq(t, want, f.Stats, "stats_parsed re-encoded")
					assert.Contains(t, f.Stats, `"numRecords"`)
					sawParsedOnly = true
				} else {
					assert.Equal(t, a.Stats, f.Stats)
				}
				if a.DeletionVector == nil {
					assert.Nil(t, f.DeletionVector)
					continue
				}
				require.NotNil(t, f.DeletionVector)
				assert.Equal(t, a.DeletionVector.UniqueID(), f.DeletionVector.UniqueID())
				assert.Equal(t, a.DeletionVector.Cardinality, f.DeletionVector.Cardinality)
				if tc.wantDV != nil && *f.DeletionVector.Offset == *tc.wantDV.Offset && f.DeletionVector.PathOrInlineDv == tc.wantDV.PathOrInlineDv {
					assert.Equal(t, tc.wantDV, f.DeletionVector)
					sawDV = true
				}
			}
			assert.Equal(t, tc.wantDV != nil, sawDV, "the expected deletion vector")
			assert.Equal(t, tc.parsedOnly, sawParsedOnly, "files with stats_parsed only")

			var removes int
			for r, err := range snap.Tombstones(ctx) {
				require.NoError(t, err)
				assert.NotEmpty(t, r.Path)
				removes++
			}
			var internalRemoves int
			for _, err := range snap.removeFiles(ctx) {
				require.NoError(t, err)
				internalRemoves++
			}
			assert.Equal(t, internalRemoves, removes)
		})
	}
}

// TestPublicActionsAreCopies checks the snapshot accessors: values match
// the log, times are converted, and changing what they return leaves the
// snapshot as it was.
func TestPublicActionsAreCopies(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{
		Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}, Description: "events",
		// Parsed statistics only, in the checkpoint written below.
		Properties: map[string]string{"delta.checkpoint.writeStatsAsJson": "false", "k": "v"},
	})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 10, 2)
	_, err = tbl.Append(ctx, rr, &TxnOptions{AppID: "app", AppVersion: 3})
	rr.Release()
	require.NoError(t, err)

	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	info, ok := snap.CommitInfo()
	require.True(t, ok)
	assert.Equal(t, "WRITE", info.Operation())
	info["operation"] = "changed"
	info, _ = snap.CommitInfo()
	assert.Equal(t, "WRITE", info.Operation(), "CommitInfo hands out a copy")

	// Read the rest from the checkpoint alone: hide the commits it covers.
	_, err = tbl.Checkpoint(ctx, nil)
	require.NoError(t, err)
	for v := 0; v <= 1; v++ {
		require.NoError(t, tbl.store.Delete(ctx, fmt.Sprintf("_delta_log/%020d.json", v)))
	}
	snap, err = tbl.Snapshot(ctx)
	require.NoError(t, err)

	m := snap.Metadata()
	assert.Equal(t, "events", m.Description)
	assert.Equal(t, "parquet", m.Provider)
	assert.Equal(t, []string{"day"}, m.PartitionColumns)
	assert.Equal(t, "v", m.Configuration["k"])
	assert.WithinDuration(t, time.Now(), m.CreatedTime, time.Minute)
	assert.Equal(t, time.UTC, m.CreatedTime.Location())
	m.PartitionColumns[0] = "changed"
	m.Configuration["k"] = "changed"
	assert.Equal(t, []string{"day"}, snap.Metadata().PartitionColumns)
	assert.Equal(t, "v", snap.Metadata().Configuration["k"])

	p := snap.Protocol()
	assert.Equal(t, Protocol{MinReaderVersion: 1, MinWriterVersion: 2}, p)
	assert.True(t, p.SupportsFeature("appendOnly"), "implied by writer version 2")
	assert.False(t, p.SupportsFeature("changeDataFeed"), "needs writer version 4")

	txns := snap.Txns()
	require.Contains(t, txns, "app")
	assert.Equal(t, "app", txns["app"].AppID)
	assert.Equal(t, int64(3), txns["app"].Version)
	assert.WithinDuration(t, time.Now(), txns["app"].LastUpdated, time.Minute)

	var n int
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		n++
		var st struct {
			NumRecords int64 `json:"numRecords"`
		}
		require.NoError(t, json.Unmarshal([]byte(f.Stats), &st), "stats re-encoded from stats_parsed: %q", f.Stats)
		assert.Equal(t, int64(5), st.NumRecords)
		f.PartitionValues["day"] = ptr("changed")
	}
	assert.Equal(t, 2, n)
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		assert.NotEqual(t, "changed", *f.PartitionValues["day"], "Files hands out copies")
	}
}

func TestConflictKindCoversEveryRule(t *testing.T) {
	seen := map[ConflictKind]bool{}
	for k := conflict.ProtocolChanged; k <= conflict.ConcurrentDomainMetadata; k++ {
		pub := newConflictKind(k)
		require.NotZero(t, pub, "conflict rule %s has no public kind", k)
		assert.False(t, seen[pub], "two rules map to %s", pub)
		seen[pub] = true
		assert.Equal(t, k.String(), pub.String())
	}
	assert.Len(t, seen, len(conflictKinds))
	assert.Equal(t, "ConflictKind(99)", ConflictKind(99).String())
}

func TestIsolation(t *testing.T) {
	tests := []struct {
		level    Isolation
		internal conflict.Isolation
		name     string
	}{
		{WriteSerializable, conflict.WriteSerializable, "WriteSerializable"},
		{Serializable, conflict.Serializable, "Serializable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.internal, tc.level.internal())
			assert.Equal(t, tc.name, tc.level.String())
		})
	}
	var zero TxnOptions
	assert.Equal(t, WriteSerializable, zero.Isolation, "the zero value is Delta's default")
}

func TestUnsupportedFeatureErrors(t *testing.T) {
	tests := []struct {
		proto protocol.Protocol
		read  error
		write error
	}{
		{protocol.Protocol{MinReaderVersion: 1, MinWriterVersion: 2}, nil, nil},
		{protocol.Protocol{MinReaderVersion: 4, MinWriterVersion: 7}, &UnsupportedFeatureError{Feature: "readerVersion=4"}, &UnsupportedFeatureError{Feature: "readerVersion=4"}},
		{protocol.Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"catalogManaged"}}, &UnsupportedFeatureError{Feature: "catalogManaged"}, &UnsupportedFeatureError{Feature: "catalogManaged"}},
		{protocol.Protocol{MinReaderVersion: 1, MinWriterVersion: 8}, nil, &UnsupportedFeatureError{Feature: "writerVersion=8", Writer: true}},
		{protocol.Protocol{MinReaderVersion: 1, MinWriterVersion: 7, WriterFeatures: []string{"rowTracking"}}, nil, &UnsupportedFeatureError{Feature: "rowTracking", Writer: true}},
		{protocol.Protocol{MinReaderVersion: 2, MinWriterVersion: 6}, nil, nil},
		{protocol.Protocol{MinReaderVersion: 1, MinWriterVersion: 7, WriterFeatures: []string{"futureFeature"}}, nil, &UnsupportedFeatureError{Feature: "futureFeature", Writer: true}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%+v", tc.proto), func(t *testing.T) {
			assert.Equal(t, tc.read, checkReadSupported(&tc.proto))
			werr := checkWriteSupported(&tc.proto)
			assert.Equal(t, tc.write, werr)
			if werr != nil {
				assert.ErrorIs(t, werr, ErrUnsupportedFeature)
				assert.Regexp(t, `^delta: unsupported table feature "`, werr.Error())
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
