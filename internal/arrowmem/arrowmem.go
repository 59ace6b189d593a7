// Package arrowmem measures the memory Arrow data holds, for the writers,
// sorters and spillers that keep what they buffer under a budget.
package arrowmem

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// RecordBytes is the length of every buffer rec's columns reference,
// children included: the bytes its values occupy.
func RecordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += DataBytes(c.Data())
	}
	return n
}

// RecordCapacity is the capacity of every buffer rec's columns reference:
// the memory they keep alive, which for a slice of a larger batch can be
// far more than its rows need.
func RecordCapacity(rec arrow.RecordBatch) int64 {
	var n int64
	for _, c := range rec.Columns() {
		n += sum(c.Data(), (*memory.Buffer).Cap)
	}
	return n
}

// DataBytes is the length of every buffer of d and its children.
func DataBytes(d arrow.ArrayData) int64 { return sum(d, (*memory.Buffer).Len) }

func sum(d arrow.ArrayData, size func(*memory.Buffer) int) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(size(b))
		}
	}
	for _, c := range d.Children() {
		n += sum(c, size)
	}
	return n
}
