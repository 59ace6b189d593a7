package parquetio

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
)

// A selected read (ReadRows) of a filter that keeps one row in thousands
// still has to decompress every page that holds a kept row, but it need
// not do anything else to the rows between: parquet's column reader, told
// to skip, decompresses even the pages it passes whole, decodes their
// definition levels into a scratch buffer and moves the decoder value by
// value. Reading the pages here instead, a page without a chosen row is
// never decompressed, a page without nulls (its levels one run of 1) has
// its levels read not at all, and a plain fixed-width value is read at its
// offset. The header parsing and value lookup below are pure functions
// over a chunk's bytes; read_select_pages.go fetches them.

// Page types and encodings of parquet.thrift.
const (
	pageData       = 0
	pageDictionary = 2
	pageDataV2     = 3

	encPlain           = 0
	encPlainDictionary = 2
	encRLE             = 3
	encBitPacked       = 4
	encRLEDictionary   = 8
)

// pageHeader is what a selected read needs of a page header.
type pageHeader struct {
	typ          int64
	uncompressed int64
	compressed   int64
	numValues    int64
	encoding     int64
	levelEnc     int64 // v1 definition_level_encoding
	numNulls     int64 // v2; -1 when unknown
	defLen       int64 // v2 definition_levels_byte_length
	repLen       int64 // v2 repetition_levels_byte_length
	rawValues    bool  // v2 is_compressed = false
	size         int   // bytes of the header itself
}

// parsePageHeader reads the page header at the start of b.
func parsePageHeader(b []byte) (pageHeader, error) {
	h := pageHeader{typ: -1, numNulls: -1, levelEnc: encRLE}
	inner := func(f thriftField) (err error) {
		switch f.id {
		case 1:
			h.numValues, err = thriftInt(f.val)
		case 2:
			h.encoding, err = thriftInt(f.val)
		}
		return err
	}
	v1 := func(f thriftField) (err error) {
		if f.id == 3 {
			h.levelEnc, err = thriftInt(f.val)
			return err
		}
		return inner(f)
	}
	v2 := func(f thriftField) (err error) {
		switch f.id {
		case 1:
			h.numValues, err = thriftInt(f.val)
		case 2:
			h.numNulls, err = thriftInt(f.val)
		case 4:
			h.encoding, err = thriftInt(f.val)
		case 5:
			h.defLen, err = thriftInt(f.val)
		case 6:
			h.repLen, err = thriftInt(f.val)
		case 7:
			h.rawValues = f.typ == tcFalse
		}
		return err
	}
	sub := func(f thriftField, visit func(thriftField) error) error {
		if f.typ != tcStruct {
			return fmt.Errorf("%w: page header field %d is not a struct", errThrift, f.id)
		}
		_, err := walkStruct(f.val, 0, 1, visit)
		return err
	}
	end, err := walkStruct(b, 0, 0, func(f thriftField) (err error) {
		switch f.id {
		case 1:
			h.typ, err = thriftInt(f.val)
		case 2:
			h.uncompressed, err = thriftInt(f.val)
		case 3:
			h.compressed, err = thriftInt(f.val)
		case 5:
			err = sub(f, v1)
		case 7:
			err = sub(f, inner)
		case 8:
			err = sub(f, v2)
		}
		return err
	})
	if err != nil {
		return h, fmt.Errorf("%w: page header: %w", ErrCorruptFile, err)
	}
	h.size = end
	if h.uncompressed < 0 || h.compressed < 0 || h.numValues < 0 || h.defLen < 0 || h.repLen < 0 ||
		h.defLen+h.repLen > h.compressed || (h.typ == pageDataV2 && h.defLen+h.repLen > h.uncompressed) {
		return h, fmt.Errorf("%w: page header sizes (%d compressed, %d uncompressed, %d values, levels %d+%d)",
			ErrCorruptFile, h.compressed, h.uncompressed, h.numValues, h.repLen, h.defLen)
	}
	return h, nil
}

// nextPage reads the page at pos of raw (whole pages of a column chunk):
// its header, its bytes after the header, and where the next page starts.
func nextPage(raw []byte, pos int) (h pageHeader, body []byte, next int, err error) {
	if h, err = parsePageHeader(raw[pos:]); err != nil {
		return h, nil, 0, err
	}
	start := pos + h.size
	if h.compressed > int64(len(raw)-start) {
		return h, nil, 0, fmt.Errorf("%w: page of %d bytes past its column chunk", ErrCorruptFile, h.compressed)
	}
	next = start + int(h.compressed)
	return h, raw[start:next], next, nil
}

// pageBody is a data page's parts once decompressed: its definition
// levels (nil for a required column) and its encoded values.
type pageBody struct {
	defs   []byte
	values []byte
}

// decodePage decompresses data page h, whose bytes after the header are
// raw, into scratch (grown as needed) and splits it. maxDef is 0 or 1.
func decodePage(h pageHeader, raw []byte, codec compress.Codec, maxDef int16, scratch *memory.Buffer) (pageBody, error) {
	if int64(len(raw)) < h.compressed {
		return pageBody{}, fmt.Errorf("%w: page of %d bytes cut at %d", ErrCorruptFile, h.compressed, len(raw))
	}
	raw = raw[:h.compressed]
	decompress := func(src []byte, n int64) ([]byte, error) {
		if codec == nil {
			return src, nil
		}
		scratch.ResizeNoShrink(int(n))
		out, err := compress.Decode(codec, scratch.Bytes()[:n], src)
		if err != nil {
			return nil, fmt.Errorf("%w: decompress page: %w", ErrCorruptFile, err)
		}
		if int64(len(out)) != n {
			return nil, fmt.Errorf("%w: page decompressed to %d bytes, header says %d", ErrCorruptFile, len(out), n)
		}
		return out, nil
	}
	var body pageBody
	switch h.typ {
	case pageData:
		b, err := decompress(raw, h.uncompressed)
		if err != nil {
			return body, err
		}
		if maxDef > 0 {
			if h.levelEnc != encRLE {
				return body, errUnsupportedPage
			}
			if len(b) < 4 {
				return body, fmt.Errorf("%w: page levels cut short", ErrCorruptFile)
			}
			n := int64(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			if n > int64(len(b)-4) {
				return body, fmt.Errorf("%w: page levels of %d bytes in %d", ErrCorruptFile, n, len(b)-4)
			}
			body.defs, b = b[4:4+n], b[4+n:]
		}
		body.values = b
	case pageDataV2:
		levels := h.repLen + h.defLen
		if maxDef > 0 {
			body.defs = raw[h.repLen:levels]
		}
		vals := raw[levels:]
		if h.rawValues {
			body.values = vals
			break
		}
		b, err := decompress(vals, h.uncompressed-levels)
		if err != nil {
			return body, err
		}
		body.values = b
	default:
		return body, fmt.Errorf("%w: page type %d where a data page belongs", ErrCorruptFile, h.typ)
	}
	return body, nil
}

// errUnsupportedPage says a page is of a shape the selected read leaves
// to parquet's column reader (an encoding other than plain or dictionary,
// bit-packed levels); it never reaches callers.
var errUnsupportedPage = fmt.Errorf("parquetio: page needs the general reader")

// valueCursor finds the values of one page by their index among the
// page's non-null values, moving only forward.
type valueCursor struct {
	width int // fixed value width; 0 for byte arrays
	b     []byte
	pos   int           // plain byte arrays: byte offset of value idx
	idx   int64         // plain byte arrays: the value at pos
	dict  *hybridReader // dictionary-encoded pages' indexes; nil for plain
	next  int64         // dictionary: index of the next value dict yields
	limit int64         // values in the page
}

// newValueCursor reads the values of a page of at most nvals values.
func newValueCursor(enc int64, width int, values []byte, nvals int64) (*valueCursor, error) {
	c := &valueCursor{width: width, b: values, limit: nvals}
	switch enc {
	case encPlain:
		if width > 0 {
			// nvals counts nulls too where the levels were not read.
			c.limit = min(nvals, int64(len(values)/width))
		}
	case encPlainDictionary, encRLEDictionary:
		if len(values) == 0 {
			if nvals > 0 {
				return nil, fmt.Errorf("%w: dictionary page indexes missing", ErrCorruptFile)
			}
			return c, nil
		}
		h, err := newHybridReader(values[1:], int(values[0]))
		if err != nil {
			return nil, err
		}
		c.dict = h
	default:
		return nil, errUnsupportedPage
	}
	return c, nil
}

// plainAt returns plain value i: its bytes (a byte array's without its
// length prefix).
func (c *valueCursor) plainAt(i int64) ([]byte, error) {
	if i < 0 || i >= c.limit {
		return nil, fmt.Errorf("%w: value %d of a page of %d", ErrCorruptFile, i, c.limit)
	}
	if c.width > 0 {
		o := i * int64(c.width)
		return c.b[o : o+int64(c.width)], nil
	}
	for ; c.idx <= i; c.idx++ {
		if c.pos+4 > len(c.b) {
			return nil, fmt.Errorf("%w: plain byte array %d past the page", ErrCorruptFile, c.idx)
		}
		n := int(uint32(c.b[c.pos]) | uint32(c.b[c.pos+1])<<8 | uint32(c.b[c.pos+2])<<16 | uint32(c.b[c.pos+3])<<24)
		if n < 0 || n > len(c.b)-c.pos-4 {
			return nil, fmt.Errorf("%w: plain byte array of %d bytes past the page", ErrCorruptFile, n)
		}
		if c.idx == i {
			v := c.b[c.pos+4 : c.pos+4+n]
			c.pos += 4 + n
			c.idx++
			return v, nil
		}
		c.pos += 4 + n
	}
	return nil, fmt.Errorf("%w: plain byte array %d read out of order", ErrCorruptFile, i)
}

// dictIndex returns the dictionary index of value i.
func (c *valueCursor) dictIndex(i int64) (int64, error) {
	if i < 0 || i >= c.limit || i < c.next || c.dict == nil {
		return 0, fmt.Errorf("%w: dictionary value %d of a page of %d", ErrCorruptFile, i, c.limit)
	}
	if _, err := c.dict.skip(i-c.next, false); err != nil {
		return 0, err
	}
	v, err := c.dict.next()
	c.next = i + 1
	return int64(v), err
}

// dictionary is a column chunk's dictionary page, decoded: fixed-width
// values back to back, or byte arrays by their offsets into data.
type dictionary struct {
	width int
	data  []byte
	offs  []int // byte arrays: value k is data[offs[k]:offs[k+1]]
	n     int64
}

func decodeDictionary(values []byte, n int64, width int) (*dictionary, error) {
	d := &dictionary{width: width, data: values, n: n}
	if width > 0 {
		if int64(len(values)) < n*int64(width) {
			return nil, fmt.Errorf("%w: dictionary of %d values in %d bytes", ErrCorruptFile, n, len(values))
		}
		return d, nil
	}
	if n > int64(len(values))/4 {
		return nil, fmt.Errorf("%w: dictionary of %d byte arrays in %d bytes", ErrCorruptFile, n, len(values))
	}
	d.offs = make([]int, 0, n+1)
	pos := 0
	for range n {
		if pos+4 > len(values) {
			return nil, fmt.Errorf("%w: dictionary byte array past the page", ErrCorruptFile)
		}
		l := int(uint32(values[pos]) | uint32(values[pos+1])<<8 | uint32(values[pos+2])<<16 | uint32(values[pos+3])<<24)
		if l < 0 || l > len(values)-pos-4 {
			return nil, fmt.Errorf("%w: dictionary byte array of %d bytes past the page", ErrCorruptFile, l)
		}
		d.offs = append(d.offs, pos+4)
		pos += 4 + l
		// A value's end is the next value's start less its prefix: keep
		// ends apart so lookups need no prefix arithmetic.
		d.offs = append(d.offs, pos)
	}
	return d, nil
}

// value returns dictionary value k.
func (d *dictionary) value(k int64) ([]byte, error) {
	if k < 0 || k >= d.n {
		return nil, fmt.Errorf("%w: dictionary index %d of %d values", ErrCorruptFile, k, d.n)
	}
	if d.width > 0 {
		o := k * int64(d.width)
		return d.data[o : o+int64(d.width)], nil
	}
	return d.data[d.offs[2*k]:d.offs[2*k+1]], nil
}
