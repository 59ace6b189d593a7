package parquetio

import (
	"fmt"
	"hash/crc32"

	"github.com/klauspost/compress/s2"
)

// With the "snappy-fast" codec, snappy pages are compressed here, after
// encoding, rather than by the Parquet library. Its snappy codec is
// klauspost's in S2's "better" mode, which spends about twice the CPU of
// the standard mode for pages 10-15% smaller, and it is chosen through a
// process-wide codec registry that a library must not change under its
// host. Smaller files are the default, since a table is read far more
// often than written; write-bound jobs (copy-on-write DML, compaction)
// can trade size for time. A row group is then encoded uncompressed into
// its in-memory file, as before on its own goroutine, and each page body
// is compressed in the standard mode (the block format Spark's and
// delta-rs's writers produce), with the page headers, the column chunk
// metadata and the offset index rewritten for the new sizes. Like the
// stitching, this is a pure function over bytes.

// Field ids of the parquet.thrift structs compression edits (with those
// in stitch.go).
const (
	rgTotalByteSize       = 2 // RowGroup.total_byte_size
	rgTotalCompressedSize = 6 // RowGroup.total_compressed_size

	cmCodec                 = 4 // ColumnMetaData.codec
	cmTotalUncompressedSize = 6 // ColumnMetaData.total_uncompressed_size

	phUncompressedPageSize = 2 // PageHeader.uncompressed_page_size
	phCompressedPageSize   = 3 // PageHeader.compressed_page_size
	phCrc                  = 4 // PageHeader.crc
	phDataPageHeaderV2     = 8 // PageHeader.data_page_header_v2

	plCompressedPageSize = 2 // PageLocation.compressed_page_size

	codecSnappy = 1 // CompressionCodec.SNAPPY
)

// compressedChunk is where one column chunk's pages went.
type compressedChunk struct {
	start        int64           // new offset of the chunk
	size         int64           // new total_compressed_size
	uncompressed int64           // new total_uncompressed_size
	pages        map[int64]int64 // old page offset -> new
	pageSizes    map[int64]int64 // old page offset -> new size with header
}

// snappyGroup compresses the pages of g, a row group encoded without
// compression, with snappy, in place; the new chunks are appended to
// out.
func snappyGroup(g *encodedGroup, out []byte) error {
	layouts, err := rowGroupChunks(g.rowGroup)
	if err != nil {
		return err
	}
	base := int64(len(parquetMagic)) // offsets count from the file's start
	var scratch []byte               // one page compressed, before its header is known
	moved := make([]compressedChunk, len(layouts))
	for i, l := range layouts {
		lo, hi := l.start-base, l.start-base+l.size
		if lo < 0 || hi > int64(len(g.chunks)) {
			return fmt.Errorf("%w: column chunk at %d+%d outside the row group", errThrift, l.start, l.size)
		}
		c := compressedChunk{start: base + int64(len(out)), pages: map[int64]int64{}, pageSizes: map[int64]int64{}}
		chunk := g.chunks[lo:hi]
		for pos := 0; pos < len(chunk); {
			var p pageInfo
			hdrEnd, err := walkStruct(chunk, pos, 0, p.visit)
			if err != nil {
				return err
			}
			if p.v2 {
				return fmt.Errorf("%w: data page v2 where v1 was written", errThrift)
			}
			bodyEnd := hdrEnd + int(p.compressedSize)
			if p.compressedSize < 0 || bodyEnd > len(chunk) || p.compressedSize != p.uncompressedSize {
				return fmt.Errorf("%w: page of %d bytes at %d in a %d-byte chunk", errThrift, p.compressedSize, pos, len(chunk))
			}
			body := chunk[hdrEnd:bodyEnd]
			if n := s2.MaxEncodedLen(len(body)); n > cap(scratch) {
				scratch = make([]byte, n)
			}
			packed := s2.EncodeSnappy(scratch[:cap(scratch)], body)
			header, err := editStruct(chunk[pos:hdrEnd], func(f thriftField) ([]byte, error) {
				switch f.id {
				case phCompressedPageSize:
					return encodeThriftInt(int64(len(packed))), nil
				case phCrc:
					// The checksum covers the page as stored: compressed.
					return encodeThriftInt(int64(int32(crc32.ChecksumIEEE(packed)))), nil
				}
				return nil, nil
			})
			if err != nil {
				return err
			}
			at := base + int64(len(out))
			c.pages[l.start+int64(pos)] = at
			c.pageSizes[l.start+int64(pos)] = int64(len(header) + len(packed))
			c.uncompressed += int64(len(header)) + int64(p.uncompressedSize)
			out = append(append(out, header...), packed...)
			pos = bodyEnd
		}
		c.size = base + int64(len(out)) - c.start
		moved[i] = c
	}
	rowGroup, err := snappyRowGroup(g.rowGroup, moved)
	if err != nil {
		return err
	}
	for i, oi := range g.offsetIndex {
		if oi == nil || i >= len(moved) {
			continue
		}
		if g.offsetIndex[i], err = snappyOffsetIndex(oi, moved[i]); err != nil {
			return err
		}
	}
	g.chunks, g.rowGroup = out, rowGroup
	return nil
}

// pageInfo is what compression reads from a page header.
type pageInfo struct {
	compressedSize, uncompressedSize int64
	v2                               bool
}

func (p *pageInfo) visit(f thriftField) (err error) {
	switch f.id {
	case phCompressedPageSize:
		p.compressedSize, err = thriftInt(f.val)
	case phUncompressedPageSize:
		p.uncompressedSize, err = thriftInt(f.val)
	case phDataPageHeaderV2:
		p.v2 = true
	}
	return err
}

// snappyRowGroup rewrites a RowGroup for its compressed chunks.
func snappyRowGroup(rowGroup []byte, moved []compressedChunk) ([]byte, error) {
	var compressed, uncompressed int64
	for _, c := range moved {
		compressed += c.size
		uncompressed += c.uncompressed
	}
	return editStruct(rowGroup, func(f thriftField) ([]byte, error) {
		switch f.id {
		case rgTotalByteSize:
			return encodeThriftInt(uncompressed), nil
		case rgTotalCompressedSize:
			return encodeThriftInt(compressed), nil
		case rgColumns:
			return editStructList(f.val, func(i int, cc []byte) ([]byte, error) {
				if i >= len(moved) {
					return nil, fmt.Errorf("%w: more column chunks than layouts", errThrift)
				}
				return snappyColumnChunk(cc, moved[i])
			})
		}
		return nil, nil
	})
}

func snappyColumnChunk(cc []byte, c compressedChunk) ([]byte, error) {
	page := func(val []byte) ([]byte, error) {
		v, err := thriftInt(val)
		if err != nil || v <= 0 {
			return nil, err
		}
		at, ok := c.pages[v]
		if !ok {
			return nil, fmt.Errorf("%w: page offset %d is not a page", errThrift, v)
		}
		return encodeThriftInt(at), nil
	}
	return editStruct(cc, func(f thriftField) ([]byte, error) {
		switch f.id {
		case ccFileOffset:
			return encodeThriftInt(c.start), nil
		case ccMetaData:
			return editStruct(f.val, func(m thriftField) ([]byte, error) {
				switch m.id {
				case cmCodec:
					return encodeThriftInt(codecSnappy), nil
				case cmTotalCompressedSize:
					return encodeThriftInt(c.size), nil
				case cmTotalUncompressedSize:
					return encodeThriftInt(c.uncompressed), nil
				case cmDataPageOffset, cmIndexPageOffset, cmDictionaryPageOffset:
					return page(m.val)
				case cmBloomFilterOffset:
					return nil, fmt.Errorf("%w: bloom filters are not written", errThrift)
				}
				return nil, nil
			})
		}
		return nil, nil
	})
}

// snappyOffsetIndex moves and resizes the page locations of an
// OffsetIndex.
func snappyOffsetIndex(oi []byte, c compressedChunk) ([]byte, error) {
	return editStruct(oi, func(f thriftField) ([]byte, error) {
		if f.id != oiPageLocations {
			return nil, nil
		}
		return editStructList(f.val, func(_ int, loc []byte) ([]byte, error) {
			var old int64 = -1
			if _, err := walkStruct(loc, 0, 0, func(f thriftField) (err error) {
				if f.id == plOffset {
					old, err = thriftInt(f.val)
				}
				return err
			}); err != nil {
				return nil, err
			}
			at, ok := c.pages[old]
			if !ok {
				return nil, fmt.Errorf("%w: page location %d is not a page", errThrift, old)
			}
			return editStruct(loc, func(f thriftField) ([]byte, error) {
				switch f.id {
				case plOffset:
					return encodeThriftInt(at), nil
				case plCompressedPageSize:
					return encodeThriftInt(c.pageSizes[old]), nil
				}
				return nil, nil
			})
		})
	})
}
