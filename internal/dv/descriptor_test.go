package dv_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/dv"
)

func i32(v int32) *int32 { return &v }

func TestUniqueID(t *testing.T) {
	tests := []struct {
		name string
		d    dv.Descriptor
		want string
	}{
		{"file with offset", dv.Descriptor{StorageType: "u", PathOrInlineDv: "vBn[lx{q8@P<9BNH/isA", Offset: i32(1)}, "uvBn[lx{q8@P<9BNH/isA@1"},
		{"file without offset", dv.Descriptor{StorageType: "u", PathOrInlineDv: "vBn[lx{q8@P<9BNH/isA"}, "uvBn[lx{q8@P<9BNH/isA"},
		{"inline", dv.Descriptor{StorageType: "i", PathOrInlineDv: "wi5b=000010000"}, "iwi5b=000010000"},
		{"absolute", dv.Descriptor{StorageType: "p", PathOrInlineDv: "s3://b/t/x.bin", Offset: i32(43)}, "ps3://b/t/x.bin@43"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, tc.d.UniqueID()) })
	}
}

func TestAbsolutePath(t *testing.T) {
	tests := []struct {
		name, root string
		d          dv.Descriptor
		want       string
	}{
		// Example 1 of the protocol's descriptor section.
		{"uuid with prefix", "s3://mytable/", dv.Descriptor{StorageType: "u", PathOrInlineDv: "ab^-aqEH.-t@S}K{vb[*k^"},
			"s3://mytable/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin"},
		{"uuid without prefix", "/data/t", dv.Descriptor{StorageType: "u", PathOrInlineDv: "vBn[lx{q8@P<9BNH/isA"},
			"/data/t/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin"},
		{"absolute", "s3://other", dv.Descriptor{StorageType: "p", PathOrInlineDv: "s3://mytable/deletion_vector_x.bin"},
			"s3://mytable/deletion_vector_x.bin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.d.AbsolutePath(tc.root)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestAbsolutePathErrors(t *testing.T) {
	for _, d := range []dv.Descriptor{
		{StorageType: "i", PathOrInlineDv: "00000"},
		{StorageType: "u", PathOrInlineDv: "short"},
		{StorageType: "u", PathOrInlineDv: "ab\"^-aqEH.-t@S}K{vb[*k"}, // '"' is not z85
		{StorageType: "p"},
		{StorageType: "x", PathOrInlineDv: "vBn[lx{q8@P<9BNH/isA"},
	} {
		_, err := d.AbsolutePath("s3://t")
		assert.ErrorIs(t, err, dv.ErrDescriptor, d.UniqueID())
	}
}

func TestValidate(t *testing.T) {
	bad := []dv.Descriptor{
		{StorageType: "z"},
		{StorageType: "u", SizeInBytes: -1},
		{StorageType: "u", Cardinality: -1},
		{StorageType: "u", Offset: i32(-4)},
		{StorageType: "i", Offset: i32(1)},
	}
	for _, d := range bad {
		assert.ErrorIs(t, d.Validate(), dv.ErrDescriptor, d.UniqueID())
	}
	require.NoError(t, dv.Descriptor{StorageType: "u", Offset: i32(1), SizeInBytes: 34, Cardinality: 1}.Validate())
}
