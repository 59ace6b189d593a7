package parquetio

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// Row groups are encoded in parallel, each into a Parquet file of its own
// held in memory (see groupEncoder); the file a caller asked for is then
// stitched from their column chunks, in order, with one footer. This file
// holds the stitching: pure functions over bytes, no I/O.

// Field ids of the parquet.thrift structs the stitching edits.
const (
	fmNumRows   = 3 // FileMetaData.num_rows
	fmRowGroups = 4 // FileMetaData.row_groups

	rgColumns    = 1 // RowGroup.columns
	rgFileOffset = 5 // RowGroup.file_offset
	rgOrdinal    = 7 // RowGroup.ordinal

	ccFileOffset        = 2 // ColumnChunk.file_offset
	ccMetaData          = 3 // ColumnChunk.meta_data
	ccOffsetIndexOffset = 4
	ccOffsetIndexLength = 5
	ccColumnIndexOffset = 6
	ccColumnIndexLength = 7

	cmTotalCompressedSize  = 7  // ColumnMetaData.total_compressed_size
	cmDataPageOffset       = 9  // ColumnMetaData.data_page_offset
	cmIndexPageOffset      = 10 // ColumnMetaData.index_page_offset
	cmDictionaryPageOffset = 11 // ColumnMetaData.dictionary_page_offset
	cmBloomFilterOffset    = 14 // ColumnMetaData.bloom_filter_offset

	oiPageLocations = 1 // OffsetIndex.page_locations
	plOffset        = 1 // PageLocation.offset
)

var parquetMagic = []byte("PAR1")

// encodedGroup is one row group cut out of the in-memory file it was
// encoded into. Offsets in rowGroup and offsetIndex are those of that file.
type encodedGroup struct {
	chunks      []byte   // the column chunks: bytes [4, 4+len) of the file
	rowGroup    []byte   // the RowGroup struct
	columnIndex [][]byte // per column, the ColumnIndex struct; nil when absent
	offsetIndex [][]byte // per column, the OffsetIndex struct; nil when absent
	footer      []byte   // the whole FileMetaData, a template for the stitched footer
	numRows     int64
	// file is the buffer chunks lie in, to recycle once they are written.
	file []byte
	// stats are the Delta statistics of the row group's rows.
	stats *statsCollector
	// base is where chunks start in the file the offsets in rowGroup and
	// offsetIndex were written for: after the magic for an encoded row
	// group, anywhere for one copied from another file.
	base int64
}

// splitEncodedFile cuts the single row group out of an encoded file.
func splitEncodedFile(file []byte) (*encodedGroup, error) {
	footer, err := fileFooter(file)
	if err != nil {
		return nil, err
	}
	fields, err := thriftFields(footer)
	if err != nil {
		return nil, err
	}
	g := &encodedGroup{footer: footer, base: int64(len(parquetMagic))}
	for _, f := range fields {
		switch f.id {
		case fmNumRows:
			if g.numRows, err = thriftInt(f.val); err != nil {
				return nil, err
			}
		case fmRowGroups:
			_, rgs, err := listElements(f.val)
			if err != nil {
				return nil, err
			}
			if len(rgs) != 1 {
				return nil, fmt.Errorf("%w: an encoded row group file holds %d row groups", errThrift, len(rgs))
			}
			g.rowGroup = rgs[0]
		}
	}
	if g.rowGroup == nil {
		return nil, fmt.Errorf("%w: no row group in an encoded file", errThrift)
	}
	chunks, err := rowGroupChunks(g.rowGroup)
	if err != nil {
		return nil, err
	}
	end := int64(len(parquetMagic))
	for _, c := range chunks {
		end = max(end, c.start+c.size)
		if c.start < int64(len(parquetMagic)) || c.start+c.size > int64(len(file)) {
			return nil, fmt.Errorf("%w: column chunk at %d+%d outside the file", errThrift, c.start, c.size)
		}
		g.columnIndex = append(g.columnIndex, sliceAt(file, c.colIdxOff, c.colIdxLen))
		g.offsetIndex = append(g.offsetIndex, sliceAt(file, c.offIdxOff, c.offIdxLen))
	}
	g.chunks = file[len(parquetMagic):end]
	// The metadata outlives the chunks (it is needed until the footer is
	// written); copies keep it from pinning the whole encoded file.
	g.footer, g.rowGroup = bytes.Clone(g.footer), bytes.Clone(g.rowGroup)
	for i := range g.columnIndex {
		g.columnIndex[i], g.offsetIndex[i] = bytes.Clone(g.columnIndex[i]), bytes.Clone(g.offsetIndex[i])
	}
	return g, nil
}

func sliceAt(b []byte, off, n int64) []byte {
	if n <= 0 || off < 0 || off+n > int64(len(b)) {
		return nil
	}
	return b[off : off+n]
}

// fileFooter returns the FileMetaData bytes of an encoded file.
func fileFooter(file []byte) ([]byte, error) {
	if len(file) < 12 || !bytes.Equal(file[:4], parquetMagic) || !bytes.Equal(file[len(file)-4:], parquetMagic) {
		return nil, fmt.Errorf("%w: not a parquet file", errThrift)
	}
	n := int(binary.LittleEndian.Uint32(file[len(file)-8:]))
	if n > len(file)-12 {
		return nil, fmt.Errorf("%w: footer of %d bytes in a %d-byte file", errThrift, n, len(file))
	}
	return file[len(file)-8-n : len(file)-8], nil
}

// chunkLayout is where one column chunk and its page index sit.
type chunkLayout struct {
	start, size          int64
	colIdxOff, colIdxLen int64
	offIdxOff, offIdxLen int64
}

func rowGroupChunks(rowGroup []byte) ([]chunkLayout, error) {
	var out []chunkLayout
	fields, err := thriftFields(rowGroup)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if f.id != rgColumns {
			continue
		}
		_, ccs, err := listElements(f.val)
		if err != nil {
			return nil, err
		}
		for _, cc := range ccs {
			l, err := columnChunkLayout(cc)
			if err != nil {
				return nil, err
			}
			out = append(out, l)
		}
	}
	return out, nil
}

func columnChunkLayout(cc []byte) (chunkLayout, error) {
	var l chunkLayout
	fields, err := thriftFields(cc)
	if err != nil {
		return l, err
	}
	var dataOff, dictOff int64
	for _, f := range fields {
		var v int64
		if f.typ >= tcI16 && f.typ <= tcI64 {
			if v, err = thriftInt(f.val); err != nil {
				return l, err
			}
		}
		switch f.id {
		case ccOffsetIndexOffset:
			l.offIdxOff = v
		case ccOffsetIndexLength:
			l.offIdxLen = v
		case ccColumnIndexOffset:
			l.colIdxOff = v
		case ccColumnIndexLength:
			l.colIdxLen = v
		case ccMetaData:
			mfs, err := thriftFields(f.val)
			if err != nil {
				return l, err
			}
			for _, m := range mfs {
				switch m.id {
				case cmTotalCompressedSize, cmDataPageOffset, cmDictionaryPageOffset:
					v, err := thriftInt(m.val)
					if err != nil {
						return l, err
					}
					switch m.id {
					case cmTotalCompressedSize:
						l.size = v
					case cmDataPageOffset:
						dataOff = v
					default:
						dictOff = v
					}
				}
			}
		}
	}
	l.start = dataOff
	if dictOff > 0 && dictOff < dataOff {
		l.start = dictOff
	}
	return l, nil
}

// placedGroup is an encoded row group once its chunks have been written:
// shift is how far they moved from where their own file had them, and the
// page-index offsets are where the stitched file holds its indexes.
type placedGroup struct {
	rowGroup    []byte
	columnIndex [][]byte
	offsetIndex [][]byte
	numRows     int64
	shift       int64
	colIdxOff   []int64
	offIdxOff   []int64
	offIdxLen   []int64
}

// relocateOffsetIndex moves the page locations of an OffsetIndex by shift.
func relocateOffsetIndex(oi []byte, shift int64) ([]byte, error) {
	return editStruct(oi, func(f thriftField) ([]byte, error) {
		if f.id != oiPageLocations {
			return nil, nil
		}
		return editStructList(f.val, func(_ int, loc []byte) ([]byte, error) {
			return editStruct(loc, func(f thriftField) ([]byte, error) {
				if f.id != plOffset {
					return nil, nil
				}
				return shiftInt(f.val, shift)
			})
		})
	})
}

// relocateRowGroup rewrites a RowGroup for its place in the stitched file.
func relocateRowGroup(p *placedGroup, ordinal int) ([]byte, error) {
	return editStruct(p.rowGroup, func(f thriftField) ([]byte, error) {
		switch f.id {
		case rgFileOffset:
			return shiftPositive(f.val, p.shift)
		case rgOrdinal:
			return encodeThriftInt(int64(ordinal)), nil
		case rgColumns:
			return editStructList(f.val, func(i int, cc []byte) ([]byte, error) {
				return relocateColumnChunk(cc, p, i)
			})
		}
		return nil, nil
	})
}

func relocateColumnChunk(cc []byte, p *placedGroup, col int) ([]byte, error) {
	return editStruct(cc, func(f thriftField) ([]byte, error) {
		switch f.id {
		case ccFileOffset:
			return shiftPositive(f.val, p.shift)
		case ccColumnIndexOffset:
			if col >= len(p.colIdxOff) || p.colIdxOff[col] < 0 {
				return nil, fmt.Errorf("%w: column index of column %d not placed", errThrift, col)
			}
			return encodeThriftInt(p.colIdxOff[col]), nil
		case ccOffsetIndexOffset:
			if col >= len(p.offIdxOff) || p.offIdxOff[col] < 0 {
				return nil, fmt.Errorf("%w: offset index of column %d not placed", errThrift, col)
			}
			return encodeThriftInt(p.offIdxOff[col]), nil
		case ccOffsetIndexLength:
			if col >= len(p.offIdxLen) {
				return nil, fmt.Errorf("%w: offset index of column %d not placed", errThrift, col)
			}
			return encodeThriftInt(p.offIdxLen[col]), nil
		case ccMetaData:
			return editStruct(f.val, func(m thriftField) ([]byte, error) {
				switch m.id {
				case cmDataPageOffset, cmIndexPageOffset, cmDictionaryPageOffset, cmBloomFilterOffset:
					return shiftPositive(m.val, p.shift)
				}
				return nil, nil
			})
		}
		return nil, nil
	})
}

// shiftPositive shifts an offset, leaving 0 (a writer's "unknown") alone.
func shiftPositive(val []byte, shift int64) ([]byte, error) {
	v, err := thriftInt(val)
	if err != nil {
		return nil, err
	}
	if v <= 0 {
		return nil, nil
	}
	return encodeThriftInt(v + shift), nil
}

// stitchedFooter is template (a FileMetaData) with its row groups and row
// count replaced.
func stitchedFooter(template []byte, numRows int64, rowGroups [][]byte) ([]byte, error) {
	return editStruct(template, func(f thriftField) ([]byte, error) {
		switch f.id {
		case fmNumRows:
			return encodeThriftInt(numRows), nil
		case fmRowGroups:
			out := appendListHeader(nil, tcStruct, len(rowGroups))
			for _, rg := range rowGroups {
				out = append(out, rg...)
			}
			return out, nil
		}
		return nil, nil
	})
}
