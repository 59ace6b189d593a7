package dv_test

import (
	"fmt"

	"github.com/RoaringBitmap/roaring/v2/roaring64"

	"github.com/lakehouse-go/lakehouse/internal/dv"
)

func ExampleEncodeInline() {
	d, err := dv.EncodeInline(roaring64.BitmapOf(3, 4, 7, 11, 18, 29))
	if err != nil {
		panic(err)
	}
	fmt.Println(d.StorageType, d.PathOrInlineDv, d.SizeInBytes, d.Cardinality)

	rows, err := dv.DecodeInline(d)
	if err != nil {
		panic(err)
	}
	fmt.Println(rows.ToArray())
	// Output:
	// i ^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L 44 6
	// [3 4 7 11 18 29]
}

func ExampleDescriptor_AbsolutePath() {
	d := dv.Descriptor{StorageType: "u", PathOrInlineDv: "ab^-aqEH.-t@S}K{vb[*k^"}
	p, err := d.AbsolutePath("s3://mytable")
	if err != nil {
		panic(err)
	}
	fmt.Println(p)
	// Output: s3://mytable/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin
}
