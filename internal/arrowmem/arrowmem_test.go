package arrowmem_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"

	"github.com/lakehouse-go/lakehouse/internal/arrowmem"
)

// Buffers of known length and capacity: an int64 column without a
// validity bitmap (800 bytes in a 1024-byte buffer) and a struct whose
// string child has a 13-byte bitmap, 404 bytes of offsets and 200 of data.
func TestSizes(t *testing.T) {
	buf := func(n, capacity int) *memory.Buffer {
		b := memory.NewBufferBytes(make([]byte, capacity))
		b.ResizeNoShrink(n)
		return b
	}
	ints := array.NewData(arrow.PrimitiveTypes.Int64, 100, []*memory.Buffer{nil, buf(800, 1024)}, nil, 0, 0)
	defer ints.Release()
	strs := array.NewData(arrow.BinaryTypes.String, 100, []*memory.Buffer{buf(13, 64), buf(404, 512), buf(200, 256)}, nil, 0, 0)
	defer strs.Release()
	st := arrow.StructOf(arrow.Field{Name: "x", Type: arrow.BinaryTypes.String, Nullable: true})
	structs := array.NewData(st, 100, []*memory.Buffer{nil}, []arrow.ArrayData{strs}, 0, 0)
	defer structs.Release()

	a, b := array.MakeFromData(ints), array.MakeFromData(structs)
	defer a.Release()
	defer b.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "i", Type: a.DataType()}, {Name: "s", Type: st}}, nil), []arrow.Array{a, b}, 100)
	defer rec.Release()

	assert.Equal(t, int64(800+13+404+200), arrowmem.RecordBytes(rec))
	assert.Equal(t, int64(1024+64+512+256), arrowmem.RecordCapacity(rec))
	assert.Equal(t, int64(13+404+200), arrowmem.DataBytes(structs))

	// A slice keeps its parent's buffers: bytes and capacity stay.
	s := rec.NewSlice(0, 1)
	defer s.Release()
	assert.Equal(t, arrowmem.RecordCapacity(rec), arrowmem.RecordCapacity(s))
}
