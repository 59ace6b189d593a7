package parquetio

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// Strings from dictionary pages.
//
// Decoding a dictionary-encoded string column as plain strings makes the
// decoder append every row's value to a builder one at a time (bounds
// checks, offset bookkeeping, growth), which was a third of a change-feed
// read's CPU. Read as a dictionary instead, the column is just its
// indexes; expandDictionary then sizes the output once from the
// dictionary's value lengths and copies each row's bytes into place.

// denseFromDictionary returns the leaf columns of the top-level string and
// binary plans (not asked for as dictionaries) that are worth reading as
// dictionaries and expanding: every chunk of the column in groups holds
// only dictionary-encoded data pages. A chunk whose pages fell back to
// plain encoding would make the dictionary decoder insert every value
// into its hash table, which costs more than it saves; so do groups of
// fewer than expandMinRows rows.
func denseFromDictionary(pf *file.Reader, plans []*fieldPlan, dict map[int]*arrow.DictionaryType, groups []int) []int {
	md := pf.MetaData()
	var cols []int
	for i, p := range plans {
		if dict[i] != nil || p.file == nil || p.int96 || !p.file.IsLeaf() || p.file.ColIndex < 0 {
			continue
		}
		if id := p.logical.Type.ID(); id != arrow.STRING && id != arrow.BINARY {
			continue
		}
		col := p.file.ColIndex
		if md.Schema.Column(col).PhysicalType() != parquet.Types.ByteArray || md.Schema.Column(col).MaxRepetitionLevel() > 0 {
			continue
		}
		all := len(groups) > 0
		for _, g := range groups {
			if md.RowGroup(g).NumRows() < expandMinRows {
				all = false
				break
			}
			cc, err := md.RowGroup(g).ColumnChunk(col)
			if err != nil || !cc.HasDictionaryPage() || !allDictionaryPages(cc.EncodingStats(), cc.Encodings()) {
				all = false
				break
			}
		}
		if all {
			cols = append(cols, col)
		}
	}
	return cols
}

// expandMinRows is the fewest rows a row group needs for its strings to
// be read through the dictionary: the decoder hashes every dictionary
// value into its own table, which in a small group (compaction's files of
// 500 rows with a dictionary of up to 1,000 values) costs more than
// decoding the rows as strings.
const expandMinRows = 8192

// expandDictionary returns the dense array of d, whose indexes are int32
// and whose values are *array.String or *array.Binary of type to; ok is
// false, with nothing allocated, for any other shape or when the output
// would overflow 32-bit offsets.
func expandDictionary(mem memory.Allocator, d *array.Dictionary, to arrow.DataType) (_ arrow.Array, ok bool) {
	idx, isInt32 := d.Indices().(*array.Int32)
	if !isInt32 || !arrow.TypeEqual(d.Dictionary().DataType(), to) {
		return nil, false
	}
	var offsets []int32
	var bytes []byte
	switch v := d.Dictionary().(type) {
	case *array.String:
		offsets, bytes = v.ValueOffsets(), v.ValueBytes()
	case *array.Binary:
		offsets, bytes = v.ValueOffsets(), v.ValueBytes()
	default:
		return nil, false
	}
	if d.Dictionary().NullN() > 0 {
		return nil, false
	}
	n := idx.Len()
	keys := idx.Int32Values()
	nulls := idx.NullN() > 0
	var total int64
	for i, k := range keys {
		if nulls && idx.IsNull(i) {
			continue
		}
		if uint32(k) >= uint32(len(offsets)-1) {
			return nil, false // the general cast reports the bad index
		}
		total += int64(offsets[k+1] - offsets[k])
	}
	if total > math.MaxInt32 {
		return nil, false
	}
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize((n + 1) * arrow.Int32SizeBytes)
	outOffsets := arrow.Int32Traits.CastFromBytes(offBuf.Bytes())
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(int(total))
	data := dataBuf.Bytes()
	var at int32
	outOffsets[0] = 0
	for i, k := range keys {
		if !nulls || idx.IsValid(i) {
			// ValueBytes starts at the dictionary's first value.
			at += int32(copy(data[at:], bytes[offsets[k]-offsets[0]:offsets[k+1]-offsets[0]]))
		}
		outOffsets[i+1] = at
	}
	var validity *memory.Buffer
	if nulls {
		validity = memory.NewResizableBuffer(mem)
		validity.Resize(int(bitutil.BytesForBits(int64(n))))
		bitutil.CopyBitmap(idx.NullBitmapBytes(), idx.Data().Offset(), n, validity.Bytes(), 0)
	}
	out := array.NewData(to, n, []*memory.Buffer{validity, offBuf, dataBuf}, nil, idx.NullN(), 0)
	defer out.Release()
	for _, b := range []*memory.Buffer{validity, offBuf, dataBuf} {
		if b != nil {
			b.Release()
		}
	}
	return array.MakeFromData(out), true
}
