package dv_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/corpustest"
	"github.com/lakehouse-go/lakehouse/internal/dv"
)

func TestDecodeInline(t *testing.T) {
	tests := []struct {
		name string
		d    dv.Descriptor
		want []uint64
	}{
		// Inline DVs from delta-kernel-rs cdf-table-with-dv. The first ends
		// in a padded tail group ("##093": two bytes, 03 00): row 3, which
		// delta-rs and delta-kernel-rs drop at version 5.
		{"padded tail group", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000005c8Xg##093", SizeInBytes: 34, Cardinality: 1}, []uint64{3}},
		{"two rows", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000315c8Xg000f5", SizeInBytes: 36, Cardinality: 2}, []uint64{0, 5}},
		{"four rows", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000935c8Xg000311onP9", SizeInBytes: 40, Cardinality: 4}, []uint64{0, 1, 4, 5}},
		// The protocol's example rows, in the portable layout.
		{"protocol rows", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", SizeInBytes: 44, Cardinality: 6}, []uint64{3, 4, 7, 11, 18, 29}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bm, err := dv.DecodeInline(tc.d)
			require.NoError(t, err)
			assert.Equal(t, tc.want, bm.ToArray())
		})
	}
}

func TestDecodeInlineErrors(t *testing.T) {
	tests := []struct {
		name string
		d    dv.Descriptor
	}{
		// The protocol's JSON example 3 uses Delta-Spark's native layout.
		{"native layout", dv.Descriptor{StorageType: "i", PathOrInlineDv: "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", SizeInBytes: 40, Cardinality: 6}},
		{"bad char", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr9~", SizeInBytes: 8}},
		{"size too large", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000315c8Xg000f5", SizeInBytes: 40, Cardinality: 2}},
		{"size too small", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000315c8Xg000f5", SizeInBytes: 30, Cardinality: 2}},
		{"cardinality", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000315c8Xg000f5", SizeInBytes: 36, Cardinality: 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dv.DecodeInline(tc.d)
			require.ErrorIs(t, err, dv.ErrCorrupt)
		})
	}
}

func TestDecodeFileCorpus(t *testing.T) {
	// Two DVs in one file: offsets 1 and 43, 34 bytes each.
	dir := filepath.Join(corpustest.Dir(t), "delta-kernel-rs", "compacted-log-files-table", "delta")
	files, err := filepath.Glob(filepath.Join(dir, "deletion_vector_*.bin"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var offsets []int32
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		entries, err := dv.DecodeFile(data)
		require.NoError(t, err, f)
		for _, e := range entries {
			offsets = append(offsets, e.Offset)
			assert.Positive(t, e.Bitmap.GetCardinality())
		}
	}
	assert.True(t, slices.Contains(offsets, 43), "offsets %v", offsets)
}
