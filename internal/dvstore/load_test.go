package dvstore_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/corpustest"
	"github.com/lakehouse-go/lakehouse/internal/dv"
	"github.com/lakehouse-go/lakehouse/internal/dvstore"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// testdataDir returns the shared conformance corpus, skipping when absent
// (and failing in CI, where it must be present).
func testdataDir(t testing.TB) string {
	t.Helper()
	return corpustest.Dir(t)
}

func TestLoadTableWithDVSmall(t *testing.T) {
	root := filepath.Join(testdataDir(t), "delta-kernel-rs", "table-with-dv-small", "delta")
	d := dv.Descriptor{StorageType: "u", PathOrInlineDv: "vBn[lx{q8@P<9BNH/isA", Offset: i32(1), SizeInBytes: 36, Cardinality: 2}
	bm, err := dvstore.Load(context.Background(), dirStore{root}, root, d)
	require.NoError(t, err)
	assert.Equal(t, []uint64{0, 9}, bm.ToArray())

	// The same file via an absolute "p" path under the table root.
	abs, err := d.AbsolutePath("file://" + root)
	require.NoError(t, err)
	p := dv.Descriptor{StorageType: "p", PathOrInlineDv: abs, Offset: i32(1), SizeInBytes: 36, Cardinality: 2}
	bm, err = dvstore.Load(context.Background(), dirStore{root}, root, p)
	require.NoError(t, err)
	assert.Equal(t, []uint64{0, 9}, bm.ToArray())
}

func TestLoadErrors(t *testing.T) {
	root := filepath.Join(testdataDir(t), "delta-kernel-rs", "table-with-dv-small", "delta")
	store := dirStore{root}
	good := dv.Descriptor{StorageType: "u", PathOrInlineDv: "vBn[lx{q8@P<9BNH/isA", Offset: i32(1), SizeInBytes: 36, Cardinality: 2}
	tests := []struct {
		name   string
		mutate func(*dv.Descriptor)
		want   error
	}{
		{"wrong cardinality", func(d *dv.Descriptor) { d.Cardinality = 3 }, dv.ErrCorrupt},
		{"wrong size", func(d *dv.Descriptor) { d.SizeInBytes = 35 }, dv.ErrCorrupt},
		{"wrong offset", func(d *dv.Descriptor) { d.Offset = i32(0) }, dv.ErrCorrupt},
		{"past end", func(d *dv.Descriptor) { d.Offset = i32(1000) }, dv.ErrCorrupt},
		{"missing file", func(d *dv.Descriptor) { d.PathOrInlineDv = "ab" + d.PathOrInlineDv }, os.ErrNotExist},
		{"absolute outside root", func(d *dv.Descriptor) {
			d.StorageType, d.PathOrInlineDv = "p", "s3://elsewhere/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin"
		}, dv.ErrDescriptor},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := good
			tc.mutate(&d)
			_, err := dvstore.Load(context.Background(), store, root, d)
			require.ErrorIs(t, err, tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "dv"), err.Error())
		})
	}
}

func TestRelativeAbsolutePaths(t *testing.T) {
	tests := []struct {
		root, target, want string
	}{
		{"/tmp/t", "file:/tmp/t/a/x.bin", "a/x.bin"},
		{"file:///tmp/t/", "file:///tmp/t/x.bin", "x.bin"},
		{"file://localhost/tmp/t", "/tmp/t/x%20y.bin", "x y.bin"},
		{"s3://bucket/t", "s3://bucket/t/dv/x.bin", "dv/x.bin"},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			// Load resolves the path before opening; an empty dir store then
			// reports the path it tried through the not-exist error.
			d := dv.Descriptor{StorageType: "p", PathOrInlineDv: tc.target, Offset: i32(1), SizeInBytes: 1}
			dir := t.TempDir()
			full := filepath.Join(dir, filepath.FromSlash(tc.want))
			require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
			var buf bytes.Buffer
			descs, err := dv.WriteFile(&buf, "", uuid.New(), []*roaring64.Bitmap{roaring64.BitmapOf(5)})
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(full, buf.Bytes(), 0o644))
			d.SizeInBytes, d.Cardinality = descs[0].SizeInBytes, 1
			bm, err := dvstore.Load(context.Background(), dirStore{dir}, tc.root, d)
			require.NoError(t, err)
			assert.Equal(t, []uint64{5}, bm.ToArray())
		})
	}
	for _, outside := range []string{"/tmp/tt/x.bin", "s3://bucket/t/x.bin", "s3://other/tmp/t/x.bin", "/tmp/t/../u/x.bin"} {
		_, err := dvstore.Load(context.Background(), dirStore{t.TempDir()}, "/tmp/t",
			dv.Descriptor{StorageType: "p", PathOrInlineDv: outside, SizeInBytes: 1})
		assert.ErrorIs(t, err, dv.ErrDescriptor, outside)
	}
}

// TestLoadCorpus loads every deletion vector referenced by any commit in the
// corpus whose file is present, checking size, checksum and cardinality.
func TestLoadCorpus(t *testing.T) {
	base := testdataDir(t)
	logs, err := filepath.Glob(filepath.Join(base, "*", "*", "delta", "_delta_log", "*.json"))
	require.NoError(t, err)
	seen := map[string]bool{}
	var loaded, inline int
	for _, logFile := range logs {
		root := filepath.Dir(filepath.Dir(logFile))
		f, err := os.Open(logFile)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var action map[string]struct {
				DeletionVector *dv.Descriptor `json:"deletionVector"`
			}
			if json.Unmarshal(sc.Bytes(), &action) != nil {
				continue
			}
			for _, a := range action {
				d := a.DeletionVector
				if d == nil || seen[root+d.UniqueID()] {
					continue
				}
				seen[root+d.UniqueID()] = true
				if !d.IsInline() {
					rel, err := d.RelativePath()
					require.NoError(t, err)
					if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
						continue // log-only table
					}
				} else {
					inline++
				}
				bm, err := dvstore.Load(context.Background(), dirStore{root}, root, *d)
				require.NoError(t, err, "%s %s", logFile, d.UniqueID())
				assert.Equal(t, uint64(d.Cardinality), bm.GetCardinality())
				loaded++
			}
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
	if loaded == 0 {
		t.Fatal("no deletion vectors found in the corpus")
	}
	assert.Positive(t, inline, "the corpus has inline DVs (cdf-table-with-dv)")
	t.Logf("loaded %d deletion vectors (%d inline)", loaded, inline)
}

// TestLoadInline checks that Load decodes inline DVs from the descriptor
// alone: the store is empty and the table root unused.
func TestLoadInline(t *testing.T) {
	tests := []struct {
		name string
		d    dv.Descriptor
		want []uint64
	}{
		{"two rows", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000315c8Xg000f5", SizeInBytes: 36, Cardinality: 2}, []uint64{0, 5}},
		{"protocol rows", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", SizeInBytes: 44, Cardinality: 6}, []uint64{3, 4, 7, 11, 18, 29}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bm, err := dvstore.Load(context.Background(), dirStore{t.TempDir()}, "/unused", tc.d)
			require.NoError(t, err)
			assert.Equal(t, tc.want, bm.ToArray())
		})
	}
	bad := dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000315c8Xg000f5", SizeInBytes: 36, Cardinality: 3}
	_, err := dvstore.Load(context.Background(), dirStore{t.TempDir()}, "/unused", bad)
	require.ErrorIs(t, err, dv.ErrCorrupt)
}

// TestLoadThroughStores writes a DV file through real stores (local disk and
// memory) and loads it back through Load, by "u" and by "p" descriptors.
func TestLoadThroughStores(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, root := range []string{dir, "mem://dvtest/table"} {
		t.Run(root, func(t *testing.T) {
			store, err := storage.Open(ctx, root, nil)
			require.NoError(t, err)
			defer store.Close()
			var buf bytes.Buffer
			descs, err := dv.WriteFile(&buf, "x7", uuid.New(), []*roaring64.Bitmap{roaring64.BitmapOf(2, 4), roaring64.BitmapOf(1 << 40)})
			require.NoError(t, err)
			rel, err := descs[1].RelativePath()
			require.NoError(t, err)
			require.NoError(t, store.Put(ctx, rel, buf.Bytes()))
			for _, d := range descs {
				bm, err := dvstore.Load(ctx, store, root, d)
				require.NoError(t, err)
				assert.Equal(t, uint64(d.Cardinality), bm.GetCardinality())
			}
			abs, err := descs[1].AbsolutePath(root)
			require.NoError(t, err)
			p := descs[1]
			p.StorageType, p.PathOrInlineDv = dv.StorageAbsolute, abs
			bm, err := dvstore.Load(ctx, store, root, p)
			require.NoError(t, err)
			assert.Equal(t, []uint64{1 << 40}, bm.ToArray())
		})
	}
}
