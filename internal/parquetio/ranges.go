package parquetio

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ByteRange is a span of a file: Len bytes from Off.
type ByteRange struct {
	Off, Len int64
}

// ChunkRanges returns the byte spans of the column chunks a Read with
// opts fetches (the leaf columns opts.Schema needs, in opts.RowGroups or
// every row group), row group by row group and in file order within
// each, so a caller can fetch them ahead of decoding: on an object store
// all of them at once instead of one request after another. The spans
// are those the decoder asks the reader for, except that the padding it
// adds for files of old parquet-mr writers is left out.
func (f *File) ChunkRanges(opts *ReadOptions) (_ []ByteRange, err error) {
	defer recoverCorrupt(&err)
	if err := checkReadOptions(opts); err != nil {
		return nil, err
	}
	fr, err := pqarrow.NewFileReader(f.pf, pqarrow.ArrowReadProperties{}, f.mem)
	if err != nil {
		return nil, fmt.Errorf("parquetio: read schema: %w", err)
	}
	p := &planner{mode: opts.ColumnMapping, pf: f.pf, leaves: map[int]bool{}}
	plans, err := p.plan(opts.Schema, fr.Manifest)
	if err != nil {
		return nil, err
	}
	cols := make([]int, 0, len(p.leaves))
	for i := range p.leaves {
		cols = append(cols, i)
	}
	for _, pl := range plans {
		if pl.int96 && !p.leaves[pl.file.ColIndex] { // read by int96Column, not pqarrow
			cols = append(cols, pl.file.ColIndex)
		}
	}
	slices.Sort(cols)
	md := f.pf.MetaData()
	groups := opts.RowGroups
	if groups == nil {
		groups = make([]int, md.NumRowGroups())
		for i := range groups {
			groups[i] = i
		}
	}
	var out []ByteRange
	for _, g := range groups {
		if g < 0 || g >= md.NumRowGroups() {
			return nil, fmt.Errorf("%w: row group %d of %d", ErrInvalidOptions, g, md.NumRowGroups())
		}
		rg := md.RowGroup(g)
		for _, c := range cols {
			cc, err := rg.ColumnChunk(c)
			if err != nil {
				return nil, fmt.Errorf("%w: row group %d column %d: %w", ErrCorruptFile, g, c, err)
			}
			start := cc.DataPageOffset()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && cc.DictionaryPageOffset() < start {
				start = cc.DictionaryPageOffset()
			}
			out = append(out, ByteRange{Off: start, Len: cc.TotalCompressedSize()})
		}
	}
	return out, nil
}
