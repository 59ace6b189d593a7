package parquetio

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// DictionaryRows returns the rows of row group rg (ascending, counted
// from the group's first row) whose value in the flat string or binary
// field fld passes a test made on the column chunk's dictionary: match is
// given the dictionary, as an array of fld's type, and says which entries
// pass; a null row passes when nulls is set. No value is built for the
// rows: they are found from the dictionary indexes in the pages, a run of
// equal indexes at a time, so an equality filter on a dictionary column
// costs a walk over its indexes. (Parquet's reader would first build
// every row's index into an Arrow array, and the caller then test each.)
//
// ok is false, with nothing returned, when the chunk is not dictionary-
// encoded throughout (writers fall back to plain pages when a dictionary
// grows too large), when fld is absent from the file or not a flat string
// or binary column, or when the chunk has a shape ReadRows's page path
// leaves to the column reader. bufs may be nil.
func (f *File) DictionaryRows(ctx context.Context, rg int, fld arrow.Field, mapping ColumnMappingMode, match func(dict arrow.Array) ([]bool, error), nulls bool, bufs *PageBuffers) (rows []int32, ok bool, err error) {
	defer recoverCorrupt(&err)
	md := f.pf.MetaData()
	if rg < 0 || rg >= md.NumRowGroups() {
		return nil, false, fmt.Errorf("%w: row group %d of %d", ErrInvalidOptions, rg, md.NumRowGroups())
	}
	if id := fld.Type.ID(); id != arrow.STRING && id != arrow.BINARY {
		return nil, false, nil
	}
	manifest, err := pqarrow.NewSchemaManifest(md.Schema, md.KeyValueMetadata(), &pqarrow.ArrowReadProperties{})
	if err != nil {
		return nil, false, fmt.Errorf("parquetio: read schema: %w", err)
	}
	p := &planner{mode: mapping, pf: f.pf, leaves: map[int]bool{}}
	plans, err := p.plan(arrow.NewSchema([]arrow.Field{fld}, nil), manifest)
	if err != nil {
		return nil, false, err
	}
	pl := plans[0]
	if pl.file == nil || !selectable(f.pf, pl) || md.Schema.Column(pl.file.ColIndex).PhysicalType() != parquet.Types.ByteArray {
		return nil, false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	if bufs == nil {
		bufs = NewPageBuffers(f.mem)
		defer bufs.Release()
	}
	rows, err = f.dictionaryRows(rg, pl.file.ColIndex, pl.file.Field.Type, match, nulls, bufs)
	if errors.Is(err, errUnsupportedPage) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("parquetio: read row group %d column %q: %w", rg, pl.file.Field.Name, err)
	}
	return rows, true, nil
}

func (f *File) dictionaryRows(rg, col int, dt arrow.DataType, match func(arrow.Array) ([]bool, error), nulls bool, bufs *PageBuffers) ([]int32, error) {
	cs, err := f.chunkShape(rg, col)
	if err != nil || cs == nil {
		if err == nil {
			err = errUnsupportedPage
		}
		return nil, err
	}
	if cs.size > pageSpanMax && storage.ReadsCheaply(f.r) {
		return nil, errUnsupportedPage // parquet's reader streams it page by page
	}
	bufs.raw.ResizeNoShrink(int(cs.size))
	raw := bufs.raw.Bytes()[:cs.size]
	if _, err := f.r.ReadAt(raw, cs.start); err != nil {
		return nil, fmt.Errorf("read at %d: %w", cs.start, err)
	}
	// Every page's header first: a chunk whose writer fell back to plain
	// values part way has rows the dictionary does not speak for.
	type page struct {
		h    pageHeader
		body []byte
	}
	var pages []page
	for pos := 0; pos < len(raw); {
		h, body, next, err := nextPage(raw, pos)
		if err != nil {
			return nil, err
		}
		pos = next
		switch h.typ {
		case pageDictionary:
			if len(pages) > 0 {
				return nil, errUnsupportedPage // a data page before the dictionary
			}
		case pageData, pageDataV2:
			if len(pages) == 0 || (h.encoding != encRLEDictionary && h.encoding != encPlainDictionary) {
				return nil, errUnsupportedPage // the writer fell back to plain values
			}
		default:
			continue // index pages
		}
		pages = append(pages, page{h, body})
	}
	if len(pages) == 0 {
		return nil, errUnsupportedPage
	}
	d, err := readDictionary(pages[0].h, pages[0].body, cs.codec, 0, bufs)
	if err != nil {
		return nil, err
	}
	pass, err := passingEntries(d, dt, match, f.mem)
	if err != nil {
		return nil, err
	}
	if !nulls && !anyOf(pass) {
		return nil, nil // no entry passes: the data pages need no look
	}
	var rows []int32
	var row int64
	for _, pg := range pages[1:] {
		first := row
		row += pg.h.numValues
		if rows, err = pageDictionaryRows(pg.h, pg.body, cs.codec, cs.maxDef, first, pass, nulls, rows, bufs.plain); err != nil {
			return nil, err
		}
	}
	if want := f.pf.MetaData().RowGroup(rg).NumRows(); row != want {
		return nil, fmt.Errorf("%w: pages hold %d rows of a row group of %d", ErrCorruptFile, row, want)
	}
	return rows, nil
}

// passingEntries builds dictionary d as an array of dt and asks match
// which entries pass.
func passingEntries(d *dictionary, dt arrow.DataType, match func(arrow.Array) ([]bool, error), mem memory.Allocator) ([]bool, error) {
	b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer b.Release()
	b.Reserve(int(d.n))
	for k := range d.n {
		v, err := d.value(k)
		if err != nil {
			return nil, err
		}
		b.Append(v)
	}
	arr := retype(b.NewArray(), dt)
	defer arr.Release()
	pass, err := match(arr)
	if err != nil {
		return nil, err
	}
	if int64(len(pass)) != d.n {
		return nil, fmt.Errorf("%w: %d answers for a dictionary of %d values", ErrInvalidOptions, len(pass), d.n)
	}
	return pass, nil
}

func anyOf(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

// pageDictionaryRows appends to rows the rows of data page h, the first
// of which is row first, whose dictionary index passes (or which are null,
// when nulls pass).
func pageDictionaryRows(h pageHeader, raw []byte, codec compress.Codec, maxDef int16, first int64, pass []bool, nulls bool, rows []int32, scratch *memory.Buffer) ([]int32, error) {
	body, err := decodePage(h, raw, codec, maxDef, scratch)
	if err != nil {
		return nil, err
	}
	nv := h.numValues
	var idx *hybridReader
	if len(body.values) > 0 {
		if idx, err = newHybridReader(body.values[1:], int(body.values[0])); err != nil {
			return nil, err
		}
	}
	indexes := func(n, row int64) error {
		if n == 0 {
			return nil
		}
		if idx == nil {
			return fmt.Errorf("%w: dictionary page indexes missing", ErrCorruptFile)
		}
		rows, err = idx.appendPassing(n, row, pass, rows)
		return err
	}
	allValid := maxDef == 0 || (h.typ == pageDataV2 && h.numNulls == 0)
	if !allValid {
		levels, err := newHybridReader(body.defs, 1)
		if err != nil {
			return nil, err
		}
		if !levels.allOnes(nv) {
			for row, end := first, first+nv; row < end; {
				if err := levels.ensure(); err != nil {
					return nil, err
				}
				k := min(levels.left, end-row)
				switch {
				case levels.rle && levels.val != 0:
					if err := indexes(k, row); err != nil {
						return nil, err
					}
				case levels.rle:
					if nulls {
						rows = appendRange(rows, row, k)
					}
				default:
					for j := range k {
						if levels.bitsAt(levels.at+j) != 0 {
							if err := indexes(1, row+j); err != nil {
								return nil, err
							}
						} else if nulls {
							rows = append(rows, int32(row+j))
						}
					}
					levels.at += k
				}
				levels.left -= k
				row += k
			}
			return rows, nil
		}
	}
	if err := indexes(nv, first); err != nil {
		return nil, err
	}
	return rows, nil
}

// appendPassing reads the next n dictionary indexes, for rows row on,
// and appends the rows whose index passes.
func (h *hybridReader) appendPassing(n, row int64, pass []bool, rows []int32) ([]int32, error) {
	for n > 0 {
		if err := h.ensure(); err != nil {
			return nil, err
		}
		k := min(n, h.left)
		if h.rle {
			if h.val >= uint64(len(pass)) {
				return nil, fmt.Errorf("%w: dictionary index %d of %d values", ErrCorruptFile, h.val, len(pass))
			}
			if pass[h.val] {
				rows = appendRange(rows, row, k)
			}
		} else {
			for j := range k {
				v := h.bitsAt(h.at + j)
				if v >= uint64(len(pass)) {
					return nil, fmt.Errorf("%w: dictionary index %d of %d values", ErrCorruptFile, v, len(pass))
				}
				if pass[v] {
					rows = append(rows, int32(row+j))
				}
			}
			h.at += k
		}
		h.left -= k
		n -= k
		row += k
	}
	return rows, nil
}

func appendRange(rows []int32, from, n int64) []int32 {
	for r := from; r < from+n; r++ {
		rows = append(rows, int32(r))
	}
	return rows
}
