package parquetio

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// An UPDATE changes a few columns of the rows it matches. A row group
// with a matching row keeps every other column as it was, byte for byte:
// CopyRowGroupReplacing copies those column chunks from the source and
// encodes only the changed columns, then lays the chunks out in column
// order with each chunk's offsets moved by its own distance.

// CopyRowGroupReplacing appends row group g of src, which CanCopy
// accepted, with the columns in cols (by index in the writer's schema)
// replaced: cols[i] holds the new values of column i as arrays of the
// schema's type whose lengths add up to the row group's rows. Every
// other column chunk is copied as it is.
func (w *RollingWriter) CopyRowGroupReplacing(ctx context.Context, src *CopySource, g int, cols map[int][]arrow.Array) error {
	if w.err != nil {
		return w.err
	}
	if err := w.copyRowGroupReplacing(ctx, src, g, cols); err != nil {
		w.fail(err)
		return err
	}
	return nil
}

func (w *RollingWriter) copyRowGroupReplacing(ctx context.Context, src *CopySource, g int, cols map[int][]arrow.Array) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !w.CanCopy(src, g) {
		return fmt.Errorf("%w: row group %d of the source cannot be copied", ErrInvalidOptions, g)
	}
	rows := src.groups[g].numRows
	idx := make([]int, 0, len(cols))
	for i, arrs := range cols {
		if i < 0 || i >= w.cfg.logical.NumFields() {
			return fmt.Errorf("%w: no column %d to replace", ErrInvalidOptions, i)
		}
		var n int64
		for _, a := range arrs {
			if !arrow.TypeEqual(a.DataType(), w.cfg.logical.Field(i).Type) {
				return fmt.Errorf("%w: column %s replaced by %s values", ErrSchemaMismatch, w.cfg.logical.Field(i).Name, a.DataType())
			}
			n += int64(a.Len())
		}
		if n != rows {
			return fmt.Errorf("%w: %d values replace column %s of a %d-row group", ErrInvalidOptions, n, w.cfg.logical.Field(i).Name, rows)
		}
		idx = append(idx, i)
	}
	slices.Sort(idx)
	if len(idx) == 0 {
		return w.copyRowGroup(ctx, src, g)
	}
	if m := w.cfg.opts.MaxRecordsPerFile; w.cur != nil && m > 0 && w.cur.rows+rows > m {
		if err := w.finishFile(); err != nil {
			return err
		}
	}
	if err := w.openFile(ctx); err != nil {
		return err
	}
	old, err := src.readGroup(g)
	if err != nil {
		return err
	}
	stats, err := src.groupStatsReplacing(ctx, w.cfg, g, cols)
	if err != nil {
		return err
	}
	batches, cfg, err := w.replacementBatches(idx, cols)
	if err != nil {
		return err
	}
	footer := w.target.footer
	raw := src.file.pf.MetaData().RowGroup(g).TotalByteSize()
	// Encoding the new columns is the bulk of the work: it runs as one of
	// the writer's row-group encodings, beside the caller reading on.
	err = w.cur.encodeGroupAsync(raw, rows, func(buffers *EncodeBuffers) (*encodedGroup, error) {
		fresh, err := encodeGroup(cfg, batches, func(int64) {}, buffers)
		for b := range batches { // after a failure: release what is left
			b.release()
		}
		if err != nil {
			return nil, err
		}
		group, err := mergeColumnChunks(old, fresh, idx)
		buffers.put(fresh.file)
		if err != nil {
			return nil, fmt.Errorf("parquetio: replace columns of row group %d: %w", g, err)
		}
		group.stats, group.footer = stats, footer
		return group, nil
	})
	if err != nil {
		return err
	}
	full := w.cfg.opts.MaxRecordsPerFile > 0 && w.cur.rows >= w.cfg.opts.MaxRecordsPerFile
	if full || w.cur.size() >= w.cfg.opts.TargetFileSize {
		return w.finishFile()
	}
	return nil
}

// replacementBatches are the physical batches of columns idx of the
// writer's schema with the values in cols, on a closed channel, and the
// config that encodes them the way the writer would within a whole row.
// The batches hold their own references to the arrays.
func (w *RollingWriter) replacementBatches(idx []int, cols map[int][]arrow.Array) (chan queuedBatch, *writeConfig, error) {
	key := fmt.Sprint(idx)
	cfg := w.subConfigs[key]
	if cfg == nil {
		fields := make([]arrow.Field, len(idx))
		for k, i := range idx {
			fields[k] = w.cfg.logical.Field(i)
		}
		md := w.cfg.logical.Metadata()
		var err error
		if cfg, err = newWriteConfig(arrow.NewSchema(fields, &md), &w.cfg.opts); err != nil {
			return nil, nil, err
		}
		if w.subConfigs == nil {
			w.subConfigs = map[string]*writeConfig{}
		}
		w.subConfigs[key] = cfg
	}
	// The columns' arrays come in the same chunks (one per batch read).
	chunks := len(cols[idx[0]])
	in := make(chan queuedBatch, chunks)
	for c := 0; c < chunks; c++ {
		phys := make([]arrow.Array, len(idx))
		n := int64(-1)
		for k, i := range idx {
			if len(cols[i]) != chunks || (n >= 0 && int64(cols[i][c].Len()) != n) {
				for _, p := range phys[:k] {
					p.Release()
				}
				close(in)
				for b := range in {
					b.release()
				}
				return nil, nil, fmt.Errorf("%w: replaced columns are chunked differently", ErrInvalidOptions)
			}
			n = int64(cols[i][c].Len())
			settleNullCounts(cols[i][c])
			phys[k] = relabel(cols[i][c], cfg.physical.Field(k).Type)
		}
		rec := array.NewRecordBatch(cfg.physical, phys, n)
		for _, p := range phys {
			p.Release()
		}
		in <- queuedBatch{rec: rec}
	}
	close(in)
	return in, cfg, nil
}

// mergeColumnChunks lays out the row group old (from its own file) with
// its columns idx replaced by fresh's columns, in order: one buffer of
// chunks, as if written after a file's magic, each chunk's offsets and
// offset index moved to its new place.
func mergeColumnChunks(old, fresh *encodedGroup, idx []int) (*encodedGroup, error) {
	oldCols, err := groupColumns(old)
	if err != nil {
		return nil, err
	}
	freshCols, err := groupColumns(fresh)
	if err != nil {
		return nil, err
	}
	if len(freshCols) != len(idx) {
		return nil, fmt.Errorf("%w: %d columns encoded for %d replaced", errThrift, len(freshCols), len(idx))
	}
	base := int64(len(parquetMagic))
	out := &encodedGroup{numRows: old.numRows, base: base}
	chunks := make([]byte, 0, len(old.chunks)+len(fresh.chunks))
	ccs := make([][]byte, len(oldCols))
	var uncompressed, compressed int64
	next := 0 // position in idx
	for c := range oldCols {
		col := oldCols[c]
		if next < len(idx) && idx[next] == c {
			col = freshCols[next]
			next++
		}
		shift := base + int64(len(chunks)) - col.start
		moved, err := shiftColumnChunk(col.cc, shift)
		if err != nil {
			return nil, err
		}
		ccs[c] = moved
		offIdx := col.offIdx
		if offIdx != nil {
			if offIdx, err = relocateOffsetIndex(offIdx, shift); err != nil {
				return nil, err
			}
		}
		out.columnIndex = append(out.columnIndex, col.colIdx)
		out.offsetIndex = append(out.offsetIndex, offIdx)
		u, err := chunkUncompressedSize(col.cc)
		if err != nil {
			return nil, err
		}
		uncompressed += u
		compressed += int64(len(col.data))
		chunks = append(chunks, col.data...)
	}
	out.chunks = chunks
	out.rowGroup, err = editStruct(old.rowGroup, func(f thriftField) ([]byte, error) {
		switch f.id {
		case rgColumns:
			list := appendListHeader(nil, tcStruct, len(ccs))
			for _, cc := range ccs {
				list = append(list, cc...)
			}
			return list, nil
		case rgTotalByteSize:
			return encodeThriftInt(uncompressed), nil
		case rgTotalCompressedSize:
			return encodeThriftInt(compressed), nil
		case rgFileOffset:
			return encodeThriftInt(base), nil
		}
		return nil, nil
	})
	return out, err
}

// groupColumn is one column chunk of an encodedGroup: its ColumnChunk
// struct, its bytes, where its offsets say it starts, its page index.
type groupColumn struct {
	cc, data       []byte
	start          int64
	colIdx, offIdx []byte
}

// groupColumns cuts g into its column chunks.
func groupColumns(g *encodedGroup) ([]groupColumn, error) {
	ccs, err := columnChunkStructs(g.rowGroup)
	if err != nil {
		return nil, err
	}
	lays, err := rowGroupChunks(g.rowGroup)
	if err != nil {
		return nil, err
	}
	if len(ccs) != len(lays) || len(g.columnIndex) != len(ccs) || len(g.offsetIndex) != len(ccs) {
		return nil, fmt.Errorf("%w: column counts differ", errThrift)
	}
	out := make([]groupColumn, len(ccs))
	for i, l := range lays {
		lo := l.start - g.base
		if lo < 0 || lo+l.size > int64(len(g.chunks)) {
			return nil, fmt.Errorf("%w: column chunk outside its row group", errThrift)
		}
		out[i] = groupColumn{cc: ccs[i], data: g.chunks[lo : lo+l.size], start: l.start, colIdx: g.columnIndex[i], offIdx: g.offsetIndex[i]}
	}
	return out, nil
}

// columnChunkStructs returns the ColumnChunk structs of a RowGroup.
func columnChunkStructs(rowGroup []byte) ([][]byte, error) {
	fields, err := thriftFields(rowGroup)
	if err != nil {
		return nil, err
	}
	for _, f := range fields {
		if f.id == rgColumns {
			_, ccs, err := listElements(f.val)
			return ccs, err
		}
	}
	return nil, fmt.Errorf("%w: row group without columns", errThrift)
}

// shiftColumnChunk moves the offsets of a ColumnChunk's pages by shift.
// Its page index offsets are set when the footer is written.
func shiftColumnChunk(cc []byte, shift int64) ([]byte, error) {
	return editStruct(cc, func(f thriftField) ([]byte, error) {
		switch f.id {
		case ccFileOffset:
			return shiftPositive(f.val, shift)
		case ccMetaData:
			return editStruct(f.val, func(m thriftField) ([]byte, error) {
				switch m.id {
				case cmDataPageOffset, cmIndexPageOffset, cmDictionaryPageOffset:
					return shiftPositive(m.val, shift)
				}
				return nil, nil
			})
		}
		return nil, nil
	})
}

// chunkUncompressedSize reads a ColumnChunk's total_uncompressed_size.
func chunkUncompressedSize(cc []byte) (int64, error) {
	fields, err := thriftFields(cc)
	if err != nil {
		return 0, err
	}
	for _, f := range fields {
		if f.id != ccMetaData {
			continue
		}
		mfs, err := thriftFields(f.val)
		if err != nil {
			return 0, err
		}
		for _, m := range mfs {
			if m.id == cmTotalUncompressedSize {
				return thriftInt(m.val)
			}
		}
	}
	return 0, fmt.Errorf("%w: column chunk without its uncompressed size", errThrift)
}

// groupStatsReplacing is groupStats with the columns in cols observed
// from their new values.
func (s *CopySource) groupStatsReplacing(ctx context.Context, cfg *writeConfig, g int, cols map[int][]arrow.Array) (*statsCollector, error) {
	c, err := s.groupStatsExcept(ctx, cfg, g, cols)
	if err != nil {
		return nil, err
	}
	for r, root := range c.roots {
		arrs, ok := cols[c.index[r]]
		if !ok {
			continue
		}
		*c.acc[root] = accumulator{}
		for _, a := range arrs {
			c.observeNode(root, a, nil, cfg.opts.ColumnMapping)
		}
	}
	return c, nil
}
