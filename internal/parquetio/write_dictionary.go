package parquetio

import (
	"bytes"
	"errors"
	"hash/maphash"
	"math/bits"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// String and binary columns are dictionary-encoded here rather than by the
// Parquet library. Its encoder looks every value up in a generic memo
// table that takes the value as an interface, one heap allocation per
// value; that lookup was a fifth of the CPU of a copy-on-write DELETE.
// Here a row group's dictionary is an open-addressing table over the
// values' bytes, each row keeps only its index, and when the row group
// ends the column goes to the library's column writer as the dictionary
// and then each data page's indices. The pages end where the library's
// value-by-value path would end them: when the raw bytes of the values
// since the last page (each value's length plus 4, checked after every
// write batch) reach the data page size; its index path never ends a page
// itself. Each page's statistics are kept here, from the least and
// greatest entry the page references: the library's own dictionary path
// finds a page's distinct indices with a hash kernel per page (a quarter
// of the CPU of writing a string column) and leaves empty strings out of
// the minimum.

// dictColumn is one row group's dictionary of a string or binary column
// and the rows' indices into it.
type dictColumn struct {
	seed  maphash.Seed
	limit int64 // the library's dictionary page size limit
	dense bool  // the dictionary outgrew limit: the column is written plain

	slots   []int32  // open addressing: entry+1, or 0 when free
	hashes  []uint64 // per entry
	data    []byte   // entries' bytes, back to back
	offsets []int32  // entry i is data[offsets[i]:offsets[i+1]]
	size    int64    // the dictionary page's plain size: bytes + 4 per entry

	indices []int32 // per row; 0 where null
	valid   []byte  // validity bitmap of the rows
	nulls   int
}

func newDictColumn(limit int64) *dictColumn {
	return &dictColumn{seed: maphash.MakeSeed(), limit: limit, slots: make([]int32, 1024), offsets: []int32{0}}
}

func (d *dictColumn) rows() int { return len(d.indices) }

func (d *dictColumn) entries() int { return len(d.offsets) - 1 }

func (d *dictColumn) entry(i int32) []byte { return d.data[d.offsets[i]:d.offsets[i+1]] }

// add appends a batch's values. It returns false, with the batch not
// added, when the dictionary would outgrow its page.
func (d *dictColumn) add(arr arrow.Array) bool {
	var offsets []int32
	var data []byte
	switch a := arr.(type) {
	case *array.String:
		offsets = a.ValueOffsets()
		if b := a.Data().Buffers()[2]; b != nil {
			data = b.Bytes()
		}
	case *array.Binary:
		offsets = a.ValueOffsets()
		if b := a.Data().Buffers()[2]; b != nil {
			data = b.Bytes()
		}
	default:
		return false
	}
	start, n := d.rows(), arr.Len()
	d.growRows(start + n)
	d.indices = d.indices[:start+n]
	off := arr.Data().Offset()
	switch nulls := arr.NullN(); {
	case nulls == 0:
		bitutil.SetBitsTo(d.valid, int64(start), int64(n), true)
		for j := 0; j < n; j++ {
			e, ok := d.lookup(data[offsets[j]:offsets[j+1]])
			if !ok {
				d.indices = d.indices[:start]
				return false
			}
			d.indices[start+j] = e
		}
	case nulls == n:
		bitutil.SetBitsTo(d.valid, int64(start), int64(n), false)
		clear(d.indices[start:])
	default:
		bits := arr.NullBitmapBytes()
		bitutil.CopyBitmap(bits, off, n, d.valid, start)
		for j := 0; j < n; j++ {
			if !bitutil.BitIsSet(bits, off+j) {
				d.indices[start+j] = 0
				continue
			}
			e, ok := d.lookup(data[offsets[j]:offsets[j+1]])
			if !ok {
				d.indices = d.indices[:start]
				return false
			}
			d.indices[start+j] = e
		}
	}
	d.nulls += arr.NullN()
	return true
}

// growRows makes room for n rows.
func (d *dictColumn) growRows(n int) {
	if cap(d.indices) < n {
		grown := make([]int32, len(d.indices), max(n, 2*cap(d.indices)))
		copy(grown, d.indices)
		d.indices = grown
	}
	if need := int(bitutil.BytesForBits(int64(n))); len(d.valid) < need {
		grown := make([]byte, max(need, 2*len(d.valid)))
		copy(grown, d.valid)
		d.valid = grown
	}
}

// lookup returns v's entry, adding it if new; false when adding it would
// take the dictionary past its limit.
func (d *dictColumn) lookup(v []byte) (int32, bool) {
	h := maphash.Bytes(d.seed, v)
	mask := uint64(len(d.slots) - 1)
	for s := h & mask; ; s = (s + 1) & mask {
		e := d.slots[s] - 1
		if e < 0 {
			break
		}
		if d.hashes[e] == h && bytes.Equal(d.entry(e), v) {
			return e, true
		}
	}
	if d.size+int64(len(v))+4 > d.limit {
		return 0, false
	}
	e := int32(d.entries())
	d.data = append(d.data, v...)
	d.offsets = append(d.offsets, int32(len(d.data)))
	d.hashes = append(d.hashes, h)
	d.size += int64(len(v)) + 4
	if 2*d.entries() > len(d.slots) {
		d.rehash()
	} else {
		d.place(e, h)
	}
	return e, true
}

func (d *dictColumn) place(e int32, h uint64) {
	mask := uint64(len(d.slots) - 1)
	s := h & mask
	for d.slots[s] != 0 {
		s = (s + 1) & mask
	}
	d.slots[s] = e + 1
}

// rehash doubles the table.
func (d *dictColumn) rehash() {
	d.slots = make([]int32, 2*len(d.slots))
	for e, h := range d.hashes {
		d.place(int32(e), h)
	}
}

// dictionary is the entries as an array of the column's type.
func (d *dictColumn) dictionary(typ arrow.DataType) arrow.Array {
	data := array.NewData(typ, d.entries(),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(d.offsets)), memory.NewBufferBytes(d.data)}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// indexArray is the rows' indices, null where the row is null.
func (d *dictColumn) indexArray() arrow.Array {
	var validity *memory.Buffer
	if d.nulls > 0 {
		validity = memory.NewBufferBytes(d.valid)
	}
	data := array.NewData(arrow.PrimitiveTypes.Int32, d.rows(),
		[]*memory.Buffer{validity, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(d.indices))}, nil, d.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data)
}

// rawBytes is the plain size of the rows' values: each one's length plus
// 4, the measure the library sizes dictionary pages by.
func (d *dictColumn) rawBytes() int64 {
	var raw int64
	for r, e := range d.indices {
		if d.nulls == 0 || bitutil.BitIsSet(d.valid, r) {
			raw += int64(d.offsets[e+1]-d.offsets[e]) + 4
		}
	}
	return raw
}

// indexBytes estimates the encoded size of the rows' indices: bit-packed
// at the dictionary's width, plus the width byte.
func (d *dictColumn) indexBytes() int64 {
	width := int64(bits.Len(uint(max(d.entries()-1, 0))))
	return 1 + (int64(d.rows()-d.nulls)*width+7)/8
}

// ranks are the entries' places in the byte order Parquet's statistics
// use for strings and binaries.
func (d *dictColumn) ranks() []int32 {
	order := make([]int32, d.entries())
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return bytes.Compare(d.entry(a), d.entry(b)) })
	rank := make([]int32, len(order))
	for r, e := range order {
		rank[e] = int32(r)
	}
	return rank
}

// bounds are the entries holding the least and the greatest value among
// rows [from, to); ok is false when they are all null.
func (d *dictColumn) bounds(rank []int32, from, to int) (lo, hi int32, ok bool) {
	for r := from; r < to; r++ {
		if d.nulls > 0 && !bitutil.BitIsSet(d.valid, r) {
			continue
		}
		e := d.indices[r]
		if !ok {
			lo, hi, ok = e, e, true
			continue
		}
		if rank[e] < rank[lo] {
			lo = e
		}
		if rank[e] > rank[hi] {
			hi = e
		}
	}
	return lo, hi, ok
}

// errNotDictionary: the column writer is not dictionary-encoding.
var errNotDictionary = errors.New("parquetio: the column is not dictionary-encoded")

// writePages hands the rows to the column writer, one data page at a
// time: the dictionary first, then each page's indices, with the page's
// statistics kept here, from the bounds of the entries it references.
// It fails with errNotDictionary, having written nothing, when the column
// writer does not dictionary-encode.
func (d *dictColumn) writePages(g *flatGroup, cw file.ColumnChunkWriter, typ arrow.DataType) error {
	n := d.rows()
	if n == 0 {
		return nil
	}
	enc, ok := cw.CurrentEncoder().(interface{ PutDictionary(arrow.Array) error })
	flusher, canFlush := cw.(interface{ FlushCurrentPage() error })
	if !ok || !canFlush || cw.CurrentEncoder().Encoding() != parquet.Encodings.PlainDict {
		return errNotDictionary
	}
	dict := d.dictionary(typ)
	defer dict.Release()
	if err := enc.PutDictionary(dict); err != nil {
		return err
	}
	idx := d.indexArray()
	defer idx.Release()
	stats, _ := cw.PageStatistics().(*metadata.ByteArrayStatistics)
	rank := d.ranks()
	page := func(from, to int) error {
		ix := array.NewSlice(idx, int64(from), int64(to))
		defer ix.Release()
		if stats != nil {
			nulls := int64(ix.NullN())
			stats.IncNulls(nulls)
			stats.IncNumValues(int64(to-from) - nulls)
			if lo, hi, ok := d.bounds(rank, from, to); ok {
				// Non-nil even when empty: a nil bound means none.
				stats.SetMinMax(append([]byte{}, d.entry(lo)...), append([]byte{}, d.entry(hi)...))
			}
		}
		return cw.WriteDictIndices(ix, g.levels(cw, idx, from, to), nil)
	}
	pageSize := cw.Properties().DataPageSize()
	batch := int(cw.Properties().WriteBatchSize())
	start, raw := 0, int64(0)
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		for r := from; r < to; r++ {
			if d.nulls == 0 || bitutil.BitIsSet(d.valid, r) {
				e := d.indices[r]
				raw += int64(d.offsets[e+1]-d.offsets[e]) + 4
			}
		}
		if raw < pageSize && to < n {
			continue
		}
		if err := page(start, to); err != nil {
			return err
		}
		if to < n {
			if err := flusher.FlushCurrentPage(); err != nil {
				return err
			}
		}
		start, raw = to, 0
	}
	return nil
}
