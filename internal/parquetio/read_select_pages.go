package parquetio

import (
	"errors"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// PageBuffers are the buffers ReadRows reads pages into: the bytes
// fetched, and a page decompressed. They grow to the largest chunk and
// page read; a caller that reads one row group after another keeps one
// PageBuffers for them all (ReadOptions.PageBuffers), so the buffers are
// allocated and zeroed once per file rather than once per row group. One
// ReadRows call at a time may use them.
type PageBuffers struct {
	raw, plain *memory.Buffer
}

// NewPageBuffers returns empty buffers that allocate from mem; nil means
// memory.DefaultAllocator.
func NewPageBuffers(mem memory.Allocator) *PageBuffers {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &PageBuffers{raw: memory.NewResizableBuffer(mem), plain: memory.NewResizableBuffer(mem)}
}

// Release frees the buffers.
func (b *PageBuffers) Release() {
	b.raw.Release()
	b.plain.Release()
}

// pageSpan is a stretch of a column chunk read at once: whole pages, the
// first of which starts at row firstRow of the row group (-1 for the
// dictionary page).
type pageSpan struct {
	off, n   int64
	firstRow int64
}

// readPagesSelected reads the rows of runs (n rows in all) of leaf column
// col of row group rg straight from its pages (see read_pages.go) as an
// array of dt, the type pqarrow gives the column. ok is false when the
// chunk has a shape this leaves to parquet's column reader: another
// physical type or encoding, encryption, bit-packed levels, a writer whose
// chunk sizes are not to be trusted.
func (f *File) readPagesSelected(rg, col int, runs []rowRun, n int, dt arrow.DataType, bufs *PageBuffers) (arrow.Array, bool, error) {
	arr, ok, err := f.selectPages(rg, col, runs, n, dt, bufs)
	if errors.Is(err, errUnsupportedPage) {
		return nil, false, nil
	}
	return arr, ok, err
}

func (f *File) selectPages(rg, col int, runs []rowRun, n int, dt arrow.DataType, bufs *PageBuffers) (arrow.Array, bool, error) {
	cs, err := f.chunkShape(rg, col)
	if err != nil || cs == nil {
		return nil, false, err
	}
	width, maxDef, codec := cs.width, cs.maxDef, cs.codec
	spans, ok := f.pageSpans(rg, col, cs.start, cs.size, runs)
	if !ok {
		return nil, false, nil
	}
	out := newSelectedValues(width, n)
	sel := &runCursor{runs: runs}
	var dict *dictionary
	for _, sp := range spans {
		bufs.raw.ResizeNoShrink(int(sp.n))
		raw := bufs.raw.Bytes()[:sp.n]
		if _, err := f.r.ReadAt(raw, sp.off); err != nil {
			return nil, false, fmt.Errorf("parquetio: read row group %d column %d at %d: %w", rg, col, sp.off, err)
		}
		row := sp.firstRow
		for pos := 0; pos < len(raw); {
			h, body, next, err := nextPage(raw, pos)
			if err != nil {
				return nil, false, err
			}
			pos = next
			switch h.typ {
			case pageDictionary:
				if dict, err = readDictionary(h, body, codec, width, bufs); err != nil {
					return nil, false, err
				}
				continue
			case pageData, pageDataV2:
			default:
				continue // index pages and pages of kinds to come
			}
			if row < 0 {
				return nil, false, fmt.Errorf("%w: data page in the dictionary page's place", ErrCorruptFile)
			}
			first, end := row, row+h.numValues
			row = end
			r, ok := sel.peek()
			if ok && r < first {
				// The offset index put a page past a chosen row
				// that no page held.
				return nil, false, fmt.Errorf("%w: row group %d column %d has no page for row %d", ErrCorruptFile, rg, col, r)
			}
			if !ok || r >= end {
				continue // no chosen row: never decompressed
			}
			if err := selectFromPage(h, body, codec, maxDef, width, dict, first, end, sel, out, bufs); err != nil {
				return nil, false, err
			}
		}
	}
	if r, ok := sel.peek(); ok {
		return nil, false, fmt.Errorf("%w: row group %d column %d ends before row %d", ErrCorruptFile, rg, col, r)
	}
	arr, err := out.array(dt)
	return arr, err == nil, err
}

// pageSpanMax bounds what a selected read of a local file fetches at once
// (and so its buffers): neighbouring pages are read together up to it,
// and a larger chunk without an offset index is left to parquet's column
// reader, which streams it page by page. On object stores a chunk is one
// request, as parquet's reader makes it too. (A variable so tests can cut
// small files into spans.)
var pageSpanMax int64 = 8 << 20

// chunkShape is what the page path needs to know of a column chunk.
type chunkShape struct {
	start, size int64 // where its pages are in the file
	codec       compress.Codec
	maxDef      int16 // 0 or 1
	width       int   // fixed value width; 0 for byte arrays
}

// chunkShape describes column col of row group rg; nil when the page path
// leaves the chunk to parquet's column reader: another physical type or
// encoding, encryption, nesting, a writer whose chunk sizes are not to be
// trusted (PARQUET-816).
func (f *File) chunkShape(rg, col int) (*chunkShape, error) {
	md := f.pf.MetaData()
	if md.WriterVersion().LessThan(metadata.Parquet816FixedVersion) {
		return nil, nil
	}
	cc, err := md.RowGroup(rg).ColumnChunk(col)
	if err != nil {
		return nil, fmt.Errorf("%w: row group %d column %d: %w", ErrCorruptFile, rg, col, err)
	}
	if cc.CryptoMetadata() != nil {
		return nil, nil
	}
	descr := md.Schema.Column(col)
	cs := &chunkShape{maxDef: descr.MaxDefinitionLevel(), size: cc.TotalCompressedSize()}
	if descr.MaxRepetitionLevel() != 0 || cs.maxDef > 1 {
		return nil, nil
	}
	switch descr.PhysicalType() {
	case parquet.Types.Int32, parquet.Types.Float:
		cs.width = 4
	case parquet.Types.Int64, parquet.Types.Double:
		cs.width = 8
	case parquet.Types.ByteArray:
	default:
		return nil, nil
	}
	for _, e := range cc.Encodings() {
		switch e {
		case parquet.Encodings.Plain, parquet.Encodings.PlainDict, parquet.Encodings.RLEDict, parquet.Encodings.RLE, parquet.Encodings.BitPacked:
		default:
			return nil, nil
		}
	}
	if cc.Compression() != compress.Codecs.Uncompressed {
		if cs.codec, err = compress.GetCodec(cc.Compression()); err != nil {
			return nil, nil
		}
	}
	cs.start = cc.DataPageOffset()
	if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < cs.start {
		cs.start = cc.DictionaryPageOffset()
	}
	return cs, nil
}

// pageSpans lists what to fetch of the chunk at start of n bytes: through
// its offset index, the dictionary page and the pages that hold a chosen
// row, neighbours together up to pageSpanMax (on an object store, one
// span from the first to the last); without an index, the whole chunk. ok
// is false when that is a local file's chunk of more than pageSpanMax.
func (f *File) pageSpans(rg, col int, start, n int64, runs []rowRun) ([]pageSpan, bool) {
	cheap := storage.ReadsCheaply(f.r)
	// Without a usable index: the whole chunk, unless that is a local
	// file's large chunk, which parquet's column reader streams page by
	// page.
	whole, wholeOK := []pageSpan{{off: start, n: n}}, !cheap || n <= pageSpanMax
	pir := f.pf.GetPageIndexReader()
	if pir == nil {
		return whole, wholeOK
	}
	rgi, err := pir.RowGroup(rg)
	if err != nil || rgi == nil {
		return whole, wholeOK
	}
	oi, err := rgi.GetOffsetIndex(col)
	if err != nil || oi == nil {
		return whole, wholeOK
	}
	locs := oi.GetPageLocations()
	if len(locs) == 0 || locs[0].FirstRowIndex != 0 || locs[0].Offset < start {
		return whole, wholeOK
	}
	for i, l := range locs {
		if l.Offset+int64(l.CompressedPageSize) > start+n || l.CompressedPageSize <= 0 ||
			(i > 0 && (l.FirstRowIndex <= locs[i-1].FirstRowIndex || l.Offset < locs[i-1].Offset+int64(locs[i-1].CompressedPageSize))) {
			return whole, wholeOK // an index that disagrees with the chunk: trust the pages
		}
	}
	var spans []pageSpan
	if locs[0].Offset > start {
		spans = append(spans, pageSpan{off: start, n: locs[0].Offset - start, firstRow: -1})
	}
	sel := &runCursor{runs: runs}
	for i, l := range locs {
		end := int64(math.MaxInt64)
		if i+1 < len(locs) {
			end = locs[i+1].FirstRowIndex
		}
		r, ok := sel.peek()
		if !ok {
			break
		}
		if r >= end {
			continue
		}
		sel.skipTo(end)
		size := int64(l.CompressedPageSize)
		if k := len(spans) - 1; k >= 0 && spans[k].firstRow >= 0 && spans[k].off+spans[k].n == l.Offset && (!cheap || spans[k].n+size <= pageSpanMax) {
			spans[k].n += size
			continue
		}
		spans = append(spans, pageSpan{off: l.Offset, n: size, firstRow: l.FirstRowIndex})
	}
	if len(spans) > 1 && !cheap {
		// On an object store a request costs a round trip: one read from
		// the first span to the end of the last, the pages between too.
		first, last := spans[0], spans[len(spans)-1]
		if first.firstRow < 0 { // from the chunk's start: rows count from 0
			first.firstRow = 0
		}
		spans = []pageSpan{{off: first.off, n: last.off + last.n - first.off, firstRow: first.firstRow}}
	}
	return spans, true
}

func readDictionary(h pageHeader, body []byte, codec compress.Codec, width int, bufs *PageBuffers) (*dictionary, error) {
	values := body
	if codec != nil {
		// The dictionary outlives the page buffer, which data pages reuse.
		plain := make([]byte, h.uncompressed)
		out, err := compress.Decode(codec, plain, values)
		if err != nil {
			return nil, fmt.Errorf("%w: decompress dictionary page: %w", ErrCorruptFile, err)
		}
		if int64(len(out)) != h.uncompressed {
			return nil, fmt.Errorf("%w: dictionary page decompressed to %d bytes, header says %d", ErrCorruptFile, len(out), h.uncompressed)
		}
		values = out
	} else {
		values = append([]byte(nil), values...)
	}
	if h.encoding != encPlain && h.encoding != encPlainDictionary {
		return nil, errUnsupportedPage
	}
	return decodeDictionary(values, h.numValues, width)
}

// selectFromPage appends the chosen rows in [first, end) of data page h.
func selectFromPage(h pageHeader, raw []byte, codec compress.Codec, maxDef int16, width int, dict *dictionary, first, end int64, sel *runCursor, out *selectedValues, bufs *PageBuffers) error {
	body, err := decodePage(h, raw, codec, maxDef, bufs.plain)
	if err != nil {
		return err
	}
	nv := end - first
	allValid := maxDef == 0 || (h.typ == pageDataV2 && h.numNulls == 0)
	var levels *hybridReader
	if !allValid {
		if levels, err = newHybridReader(body.defs, 1); err != nil {
			return err
		}
		allValid = levels.allOnes(nv)
	}
	vals, err := newValueCursor(h.encoding, width, body.values, nv)
	if err != nil {
		return err
	}
	if vals.dict != nil && dict == nil {
		return fmt.Errorf("%w: dictionary-encoded page without a dictionary", ErrCorruptFile)
	}
	levelRow, valueIdx := first, int64(0)
	for r, ok := sel.peek(); ok && r < end; r, ok = sel.peek() {
		sel.advance()
		vi := r - first
		if !allValid {
			ones, err := levels.skip(r-levelRow, true)
			if err != nil {
				return err
			}
			valueIdx += ones
			lvl, err := levels.next()
			if err != nil {
				return err
			}
			levelRow = r + 1
			if lvl == 0 {
				out.null()
				continue
			}
			vi = valueIdx
			valueIdx++
		}
		var v []byte
		if vals.dict != nil {
			k, err := vals.dictIndex(vi)
			if err != nil {
				return err
			}
			if v, err = dict.value(k); err != nil {
				return err
			}
		} else if v, err = vals.plainAt(vi); err != nil {
			return err
		}
		if err := out.add(v); err != nil {
			return err
		}
	}
	return nil
}

// runCursor walks the rows of runs in order.
type runCursor struct {
	runs []rowRun
	i    int
	off  int64 // rows of runs[i] already passed
}

func (c *runCursor) peek() (int64, bool) {
	if c.i >= len(c.runs) {
		return 0, false
	}
	return c.runs[c.i].start + c.off, true
}

func (c *runCursor) advance() {
	if c.off++; c.off >= c.runs[c.i].n {
		c.i, c.off = c.i+1, 0
	}
}

// skipTo passes every row below r.
func (c *runCursor) skipTo(r int64) {
	for c.i < len(c.runs) {
		run := c.runs[c.i]
		if run.start+run.n <= r {
			c.i, c.off = c.i+1, 0
			continue
		}
		if run.start+c.off < r {
			c.off = r - run.start
		}
		return
	}
}

// selectedValues builds the array of a selected read.
type selectedValues struct {
	width int
	vals  []byte  // fixed width: value k at k*width
	offs  []int32 // byte arrays
	data  []byte
	valid []byte // nil until the first null
	nulls int
	k     int
}

func newSelectedValues(width, n int) *selectedValues {
	s := &selectedValues{width: width}
	if width > 0 {
		s.vals = make([]byte, 0, n*width)
	} else {
		s.offs = make([]int32, 1, n+1)
	}
	return s
}

func (s *selectedValues) add(v []byte) error {
	if s.valid != nil {
		s.grow()
		bitutil.SetBit(s.valid, s.k)
	}
	if s.width > 0 {
		s.vals = append(s.vals, v...)
	} else {
		if len(s.data)+len(v) > math.MaxInt32 {
			return fmt.Errorf("%w: more than 2 GiB of chosen values in one column", ErrInvalidOptions)
		}
		s.data = append(s.data, v...)
		s.offs = append(s.offs, int32(len(s.data)))
	}
	s.k++
	return nil
}

func (s *selectedValues) null() {
	if s.valid == nil {
		s.valid = make([]byte, bitutil.BytesForBits(int64(s.k+1)))
		bitutil.SetBitsTo(s.valid, 0, int64(s.k), true)
	}
	s.grow()
	if s.width > 0 {
		s.vals = append(s.vals, make([]byte, s.width)...)
	} else {
		s.offs = append(s.offs, int32(len(s.data)))
	}
	s.nulls++
	s.k++
}

// grow makes the validity bitmap hold bit k.
func (s *selectedValues) grow() {
	if need := int(bitutil.BytesForBits(int64(s.k + 1))); need > len(s.valid) {
		s.valid = append(s.valid, make([]byte, need-len(s.valid))...)
	}
}

func (s *selectedValues) array(dt arrow.DataType) (arrow.Array, error) {
	var validity *memory.Buffer
	if s.valid != nil {
		validity = memory.NewBufferBytes(s.valid)
	}
	var bufs []*memory.Buffer
	if s.width > 0 {
		if w := dt.(arrow.FixedWidthDataType).BitWidth(); w != 8*s.width {
			return nil, fmt.Errorf("%w: %s for values of %d bytes", ErrInvalidOptions, dt, s.width)
		}
		bufs = []*memory.Buffer{validity, memory.NewBufferBytes(s.vals)}
	} else {
		if id := dt.ID(); id != arrow.STRING && id != arrow.BINARY {
			return nil, fmt.Errorf("%w: %s for byte arrays", ErrInvalidOptions, dt)
		}
		bufs = []*memory.Buffer{validity, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(s.offs)), memory.NewBufferBytes(s.data)}
	}
	d := array.NewData(dt, s.k, bufs, nil, s.nulls, 0)
	defer d.Release()
	return array.MakeFromData(d), nil
}
