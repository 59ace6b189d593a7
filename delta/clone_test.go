package delta

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/dv"
)

func TestClone(t *testing.T) {
	cases := []struct {
		name        string
		shallow     bool
		dvs         bool
		partitioned bool
		version     int64 // source version to clone; -1 for the latest
	}{
		{name: "deep", version: -1},
		{name: "deep, partitioned, with deletion vectors", dvs: true, partitioned: true, version: -1},
		{name: "deep, an older version", dvs: true, version: 2},
		{name: "shallow", shallow: true, version: -1},
		{name: "shallow, partitioned, with deletion vectors", shallow: true, dvs: true, partitioned: true, version: -1},
		{name: "shallow, an older version", shallow: true, dvs: true, version: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			props := map[string]string{"delta.enableDeletionVectors": "false"}
			if tc.dvs {
				props["delta.enableDeletionVectors"] = "true"
			}
			src, srcDir := newMaintTable(t, mem, 1000, tc.partitioned, props) // v1
			deleteWhere(t, src, "id % 2 = 1")                                 // v2: file DVs, or rewrites
			deleteWhere(t, src, "id % 3 = 0")                                 // v3
			snap, err := src.Snapshot(ctx)
			if tc.version >= 0 {
				snap, err = src.SnapshotAt(ctx, tc.version)
			}
			require.NoError(t, err)
			stats, err := snap.FileStats(ctx)
			require.NoError(t, err)
			wantRows := snapshotRows(t, snap)
			fileDVs := 0
			for f, err := range snap.Files(ctx) {
				require.NoError(t, err)
				if f.DeletionVector != nil && f.DeletionVector.StorageType != "i" {
					fileDVs++
				}
			}
			if tc.dvs {
				require.Positive(t, fileDVs, "the source has deletion vector files")
			}

			dst := filepath.Join(t.TempDir(), "clone")
			clone, res, err := Clone(ctx, snap, dst, &CloneOptions{Shallow: tc.shallow, Table: &Options{Allocator: mem, AllowedRoots: []string{srcDir}}})
			require.NoError(t, err)
			defer clone.Close()
			assert.Equal(t, int64(0), res.Version)
			assert.Equal(t, "CLONE", res.Operation)
			assert.Equal(t, wantRows, readRows(t, clone))

			copied, copiedBytes := stats.NumFiles, stats.SizeInBytes
			if tc.shallow {
				copied, copiedBytes = 0, 0
			}
			assert.Equal(t, map[string]string{
				"sourceTableSize":  itoa(stats.SizeInBytes),
				"sourceNumOfFiles": itoa(stats.NumFiles),
				"numCopiedFiles":   itoa(copied),
				"copiedFilesSize":  itoa(copiedBytes),
				"numRemovedFiles":  "0",
				"removedFilesSize": "0",
			}, res.Metrics)
			root, ok := src.qualifiedRoot()
			require.True(t, ok)
			ci := commitInfoOf(t, clone, 0)
			assert.Equal(t, map[string]any{
				"source":        "delta.`" + root + "`",
				"sourceVersion": float64(snap.Version()),
				"isShallow":     tc.shallow,
			}, ci["operationParameters"])
			assert.True(t, strings.HasPrefix(root, "file:/") && !strings.HasPrefix(root, "file://"), "Spark's qualified form: %s", root)

			cs, err := clone.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, snap.SchemaString(), cs.SchemaString())
			assert.Equal(t, snap.PartitionColumns(), cs.PartitionColumns())
			assert.Equal(t, snap.Properties(), cs.Properties())
			assert.Equal(t, snap.Protocol(), cs.Protocol())
			assert.NotEqual(t, snap.Metadata().ID, cs.Metadata().ID)

			paths := liveFiles(t, clone)
			onDisk := filesOnDisk(t, dst)
			if tc.shallow {
				assert.True(t, hasPrefixAll(paths, root+"/"), "absolute paths into the source: %v", paths)
				assert.Empty(t, onDisk, "a shallow clone copies nothing")
				for _, p := range paths {
					if strings.Contains(p, "+dv:") {
						assert.True(t, strings.HasSuffix(p, "+dv:"+dv.StorageAbsolute) || strings.HasSuffix(p, "+dv:"+dv.StorageInline), p)
					}
				}
			} else {
				var data []string
				for _, p := range onDisk {
					if !strings.HasPrefix(p, "deletion_vector_") {
						data = append(data, p)
					}
				}
				assert.Len(t, data, int(stats.NumFiles))
				assert.Len(t, onDisk, len(data)+dvFileCount(t, snap), "the deletion vector files are copied too")
				for _, p := range paths {
					assert.False(t, isAbsolutePath(strings.Split(p, "+dv:")[0]), p)
				}
			}
			// The clone is independent of later source changes.
			appendRows(t, src, mem, 5000, 3)
			assert.Equal(t, wantRows, readRows(t, clone))
			_ = srcDir
		})
	}
}

// dvFileCount counts the distinct deletion vector files of a snapshot.
func dvFileCount(t *testing.T, snap *Snapshot) int {
	seen := map[string]bool{}
	for f, err := range snap.addFiles(context.Background()) {
		require.NoError(t, err)
		if p, onDisk, err := dvFilePath(f.DeletionVector); err == nil && onDisk {
			seen[p] = true
		}
	}
	return len(seen)
}

func TestCloneOfClone(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	src, srcDir := newMaintTable(t, mem, 1000, true, map[string]string{"delta.enableDeletionVectors": "true"})
	deleteWhere(t, src, "id % 2 = 1")
	want := readRows(t, src)
	snap, err := src.Snapshot(ctx)
	require.NoError(t, err)
	// The clones read the source's files: its root must be allowed.
	allowSrc := &Options{Allocator: mem, AllowedRoots: []string{srcDir}}
	shallow, _, err := Clone(ctx, snap, filepath.Join(t.TempDir(), "shallow"), &CloneOptions{Shallow: true, Table: allowSrc})
	require.NoError(t, err)
	defer shallow.Close()
	ss, err := shallow.Snapshot(ctx)
	require.NoError(t, err)

	for _, shallowAgain := range []bool{true, false} {
		dst := filepath.Join(t.TempDir(), "clone")
		c, _, err := Clone(ctx, ss, dst, &CloneOptions{Shallow: shallowAgain, Table: allowSrc})
		require.NoError(t, err)
		assert.Equal(t, want, readRows(t, c))
		if shallowAgain {
			assert.Equal(t, liveFiles(t, shallow), liveFiles(t, c), "the absolute paths carry over")
		} else {
			// Copied under their partition directories; vectors become
			// files of the clone.
			for _, p := range liveFiles(t, c) {
				assert.True(t, strings.HasPrefix(p, "day=d"), p)
				assert.False(t, strings.Contains(p, "+dv:"+dv.StorageAbsolute), p)
			}
			assert.FileExists(t, filepath.Join(dst, "day=d0", filepath.Base(strings.Split(liveFiles(t, c)[0], "+")[0])))
		}
		require.NoError(t, c.Close())
	}
}

func TestCloneInMemory(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	src, err := Create(ctx, "mem://src", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer src.Close()
	appendRows(t, src, mem, 0, 20)
	snap, err := src.Snapshot(ctx)
	require.NoError(t, err)

	_, _, err = Clone(ctx, snap, t.TempDir(), &CloneOptions{Shallow: true})
	require.ErrorIs(t, err, ErrInvalidArgument, "no other handle can reach a mem:// table's files")

	c, res, err := Clone(ctx, snap, "mem://copy", &CloneOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, "1", res.Metrics["numCopiedFiles"])
	assert.Equal(t, readRows(t, src), readRows(t, c))
	assert.Equal(t, "delta.`mem://src`", commitInfoOf(t, c, 0)["operationParameters"].(map[string]any)["source"])
}

func TestCloneFailureLeavesNoTable(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	src, srcDir := newMaintTable(t, mem, 10, true, nil)
	snap, err := src.Snapshot(ctx)
	require.NoError(t, err)

	t.Run("target is a table", func(t *testing.T) {
		dst := t.TempDir()
		existing, err := Create(ctx, dst, eventsSchema, nil)
		require.NoError(t, err)
		defer existing.Close()
		before := logFilesOf(t, existing)
		_, _, err = Clone(ctx, snap, dst, nil)
		require.ErrorIs(t, err, ErrTableExists)
		assert.Equal(t, before, logFilesOf(t, existing))
		assert.Empty(t, filesOnDisk(t, dst))
	})
	t.Run("target is the source", func(t *testing.T) {
		_, _, err := Clone(ctx, snap, srcDir, nil)
		require.ErrorIs(t, err, ErrInvalidArgument)
	})
	t.Run("a source file is missing", func(t *testing.T) {
		files := filesOnDisk(t, srcDir)
		require.Len(t, files, 2)
		gone := filepath.Join(srcDir, filepath.FromSlash(files[1]))
		data, err := os.ReadFile(gone)
		require.NoError(t, err)
		require.NoError(t, os.Remove(gone))
		defer func() { require.NoError(t, os.WriteFile(gone, data, 0o644)) }()
		dst := filepath.Join(t.TempDir(), "clone")
		_, _, err = Clone(ctx, snap, dst, nil)
		require.Error(t, err)
		assert.Contains(t, err.Error(), files[1])
		assert.NoDirExists(t, filepath.Join(dst, "_delta_log"))
		assert.Empty(t, filesOnDisk(t, dst), "copied files are deleted")
	})
	t.Run("cancelled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		dst := filepath.Join(t.TempDir(), "clone")
		_, _, err := Clone(cctx, snap, dst, nil)
		require.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, filesOnDisk(t, dst))
	})
}

func TestClonePropertyOverrides(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	src, _ := newMaintTable(t, mem, 10, false, nil)
	snap, err := src.Snapshot(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 2, snap.Protocol().MinWriterVersion)

	c, _, err := Clone(ctx, snap, "mem://", &CloneOptions{Properties: map[string]string{"delta.enableChangeDataFeed": "true", "owner": "qa"}})
	require.NoError(t, err)
	defer c.Close()
	cs, err := c.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"delta.enableChangeDataFeed": "true", "owner": "qa"}, cs.Properties())
	assert.EqualValues(t, 4, cs.Protocol().MinWriterVersion, "change data feed needs writer version 4")

	_, _, err = Clone(ctx, snap, "mem://", &CloneOptions{Properties: map[string]string{"delta.columnMapping.mode": "name"}})
	require.ErrorIs(t, err, ErrInvalidArgument)
}
