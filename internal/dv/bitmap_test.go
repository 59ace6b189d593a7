package dv_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/dv"
)

func TestEncodeMatchesDatabricksBytes(t *testing.T) {
	// {1} as Databricks writes it (quoted in deps.md).
	want, err := hex.DecodeString("d1d33964" + "0100000000000000" + "00000000" + "3a300000" + "01000000" + "0000" + "0000" + "10000000" + "0100")
	require.NoError(t, err)
	assert.Equal(t, want, dv.Encode(roaring64.BitmapOf(1)))
	bm, err := dv.Decode(want)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1}, bm.ToArray())
}

func bitmaps() map[string]*roaring64.Bitmap {
	run := roaring64.New()
	run.AddRange(100, 70_000) // becomes a run container
	dense := roaring64.New()
	for i := uint64(0); i < 200_000; i += 3 {
		dense.Add(i) // bitmap containers
	}
	return map[string]*roaring64.Bitmap{
		"empty":       roaring64.New(),
		"single":      roaring64.BitmapOf(0),
		"several":     roaring64.BitmapOf(3, 4, 7, 11, 18, 29),
		"high bucket": roaring64.BitmapOf(5, 1<<32, 1<<32+7, 7<<40),
		"run":         run,
		"dense":       dense,
		"max row":     roaring64.BitmapOf(1<<63 - 1),
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for name, bm := range bitmaps() {
		t.Run(name, func(t *testing.T) {
			before := bm.GetSerializedSizeInBytes()
			got, err := dv.Decode(dv.Encode(bm))
			require.NoError(t, err)
			assert.True(t, bm.Equals(got))
			assert.Equal(t, before, bm.GetSerializedSizeInBytes(), "Encode must not modify its input")

			d, err := dv.EncodeInline(bm)
			require.NoError(t, err)
			assert.Equal(t, "i", d.StorageType)
			assert.Equal(t, int64(bm.GetCardinality()), d.Cardinality)
			got, err = dv.DecodeInline(d)
			require.NoError(t, err)
			assert.True(t, bm.Equals(got))
		})
	}
}

func TestWriteFileThenDecodeEntries(t *testing.T) {
	all := bitmaps()
	names := []string{"single", "several", "high bucket", "run", "dense", "empty"}
	var list []*roaring64.Bitmap
	for _, n := range names {
		list = append(list, all[n])
	}
	id := uuid.MustParse("d2c639aa-8816-431a-aaf6-d3fe2512ff61")
	var buf bytes.Buffer
	descs, err := dv.WriteFile(&buf, "ab", id, list)
	require.NoError(t, err)
	require.Len(t, descs, len(list))
	rel, err := descs[0].RelativePath()
	require.NoError(t, err)
	assert.Equal(t, "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin", rel)
	// The protocol's example pathOrInlineDv for this UUID and prefix.
	assert.Equal(t, "ab^-aqEH.-t@S}K{vb[*k^", descs[0].PathOrInlineDv)

	file := buf.Bytes()
	for i, d := range descs {
		loc, err := d.Locate("s3://bucket/table")
		require.NoError(t, err, names[i])
		assert.Equal(t, rel, loc.Path)
		assert.Equal(t, int64(*d.Offset), loc.Offset)
		assert.Equal(t, int64(d.SizeInBytes)+8, loc.Length)
		bm, err := dv.DecodeFileEntry(d, file[loc.Offset:loc.Offset+loc.Length])
		require.NoError(t, err, names[i])
		assert.True(t, list[i].Equals(bm), names[i])
	}

	entries, err := dv.DecodeFile(file)
	require.NoError(t, err)
	require.Len(t, entries, len(list))
	for i, e := range entries {
		assert.Equal(t, *descs[i].Offset, e.Offset)
		assert.Equal(t, descs[i].SizeInBytes, e.SizeInBytes)
		assert.True(t, list[i].Equals(e.Bitmap))
	}
}

func TestLocateAndDecodeFileEntryErrors(t *testing.T) {
	var buf bytes.Buffer
	descs, err := dv.WriteFile(&buf, "", uuid.New(), []*roaring64.Bitmap{roaring64.BitmapOf(2, 4)})
	require.NoError(t, err)
	good := descs[0]
	entry := buf.Bytes()[1:]

	_, err = dv.Descriptor{StorageType: "i", PathOrInlineDv: "abcde"}.Locate("/t")
	assert.ErrorIs(t, err, dv.ErrDescriptor, "inline DVs have no file")
	_, err = dv.Descriptor{StorageType: "p", PathOrInlineDv: "s3://other/x.bin"}.Locate("s3://bucket/t")
	assert.ErrorIs(t, err, dv.ErrDescriptor, "absolute path outside the root")
	_, err = dv.Descriptor{StorageType: "u", PathOrInlineDv: good.PathOrInlineDv, SizeInBytes: -1}.Locate("/t")
	assert.ErrorIs(t, err, dv.ErrDescriptor, "invalid descriptor")

	tests := map[string]func(*dv.Descriptor){
		"cardinality": func(d *dv.Descriptor) { d.Cardinality = 3 },
		"size":        func(d *dv.Descriptor) { d.SizeInBytes-- },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			d := good
			mutate(&d)
			_, err := dv.DecodeFileEntry(d, entry)
			require.ErrorIs(t, err, dv.ErrCorrupt)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good := dv.Encode(roaring64.BitmapOf(1, 2, 3))
	tests := map[string][]byte{
		"empty":        nil,
		"short magic":  good[:3],
		"wrong magic":  append([]byte{0, 0, 0, 0}, good[4:]...),
		"truncated":    good[:len(good)-1],
		"trailing":     append(append([]byte{}, good...), 0),
		"huge buckets": append(append([]byte{}, good[:4]...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		"top bit key":  dv.Encode(roaring64.BitmapOf(1 << 63)),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := dv.Decode(b)
			require.ErrorIs(t, err, dv.ErrCorrupt)
		})
	}
}

func TestDecodeFileErrors(t *testing.T) {
	var buf bytes.Buffer
	_, err := dv.WriteFile(&buf, "", uuid.New(), []*roaring64.Bitmap{roaring64.BitmapOf(1), roaring64.BitmapOf(2)})
	require.NoError(t, err)
	good := buf.Bytes()
	flip := func(i int) []byte {
		b := append([]byte{}, good...)
		b[i] ^= 0x40
		return b
	}
	tests := map[string][]byte{
		"empty":            {},
		"version":          flip(0),
		"size":             flip(1),
		"payload checksum": flip(10),
		"checksum":         flip(1 + 4 + 34),
		"truncated":        good[:len(good)-2],
		"dangling bytes":   append(append([]byte{}, good...), 0, 0),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := dv.DecodeFile(b)
			require.ErrorIs(t, err, dv.ErrCorrupt)
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, bm := range bitmaps() {
		f.Add(dv.Encode(bm))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		bm, err := dv.Decode(b)
		if err != nil {
			return
		}
		again, err := dv.Decode(dv.Encode(bm))
		if err != nil || !again.Equals(bm) {
			t.Fatalf("re-encoding a decoded bitmap failed: %v", err)
		}
	})
}

func FuzzDecodeFile(f *testing.F) {
	var buf bytes.Buffer
	_, _ = dv.WriteFile(&buf, "", uuid.Nil, []*roaring64.Bitmap{roaring64.BitmapOf(0, 9), roaring64.BitmapOf(1 << 33)})
	f.Add(buf.Bytes())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := dv.DecodeFile(b)
		if err != nil {
			return
		}
		for _, e := range entries {
			if _, err := dv.DecodeEntry(b[e.Offset:int(e.Offset)+int(e.SizeInBytes)+8], e.SizeInBytes); err != nil {
				t.Fatalf("entry at %d decoded in the file but not alone: %v", e.Offset, err)
			}
		}
	})
}

func FuzzDecodeInline(f *testing.F) {
	f.Add("^Bg9^0rr910000000000iXQKl0rr91000005c8Xg##093", int32(34), int64(1))
	f.Add("^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", int32(44), int64(6))
	f.Fuzz(func(t *testing.T, s string, size int32, card int64) {
		bm, err := dv.DecodeInline(dv.Descriptor{StorageType: "i", PathOrInlineDv: s, SizeInBytes: size, Cardinality: card})
		if err != nil {
			return
		}
		// What decodes agrees with its descriptor and encodes back to a
		// descriptor that decodes to the same rows.
		if got := int64(bm.GetCardinality()); got != card {
			t.Fatalf("decoded %d rows, descriptor says %d", got, card)
		}
		d, err := dv.EncodeInline(bm)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := dv.DecodeInline(d)
		if err != nil || !again.Equals(bm) {
			t.Fatalf("inline round trip failed: %v", err)
		}
	})
}
