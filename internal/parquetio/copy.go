package parquetio

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// A copy-on-write DELETE or UPDATE rewrites a file to change a few of its
// rows; the row groups holding none of them would be decoded and encoded
// again only to come out the same. A RollingWriter can instead copy such
// a row group's column chunks into the file it writes as they are, with
// its metadata relocated the way stitching relocates encoded row groups
// (stitch.go). Readers must then see one file: the source must have been
// written by the same Parquet library with the same Parquet schema, which
// is what a table's own earlier writes are.

// CopySource is an open data file whose row groups a RollingWriter may
// copy. It is not safe for concurrent use.
type CopySource struct {
	file      *File
	schema    []byte // FileMetaData.schema, as the file has it
	createdBy []byte // FileMetaData.created_by
	groups    []copyGroup
	// index holds the bytes of every page index structure of the file,
	// read at the first copy that needs them; indexAt is its offset.
	index   []byte
	indexAt int64
}

// copyGroup is one row group of a CopySource.
type copyGroup struct {
	rowGroup   []byte // the RowGroup struct
	chunks     []chunkLayout
	numRows    int64
	start, end int64 // the column chunks: bytes [start, end) of the file
	// contiguous: the chunks follow one another in column order with
	// nothing between them, and no column chunk has metadata a copy
	// would leave pointing elsewhere (a bloom filter, a file path).
	contiguous bool
}

// Field ids the copy checks beyond the stitching's.
const (
	fmSchema           = 2 // FileMetaData.schema
	fmCreatedBy        = 6 // FileMetaData.created_by
	rgNumRows          = 3 // RowGroup.num_rows
	ccFilePath         = 1 // ColumnChunk.file_path
	ccCryptoMetaData   = 8 // ColumnChunk.crypto_metadata
	ccEncryptedMeta    = 9 // ColumnChunk.encrypted_column_metadata
	cmBloomFilterLen   = 15
	maxCopyIndexRegion = 64 << 20
)

// CopySource reads f's footer as it is stored, for copying its row
// groups.
func (f *File) CopySource() (*CopySource, error) {
	footer, err := readFooterBytes(f.r)
	if err != nil {
		return nil, err
	}
	fields, err := thriftFields(footer)
	if err != nil {
		return nil, fmt.Errorf("%w: footer: %w", ErrCorruptFile, err)
	}
	s := &CopySource{file: f}
	for _, fd := range fields {
		switch fd.id {
		case fmSchema:
			s.schema = fd.val
		case fmCreatedBy:
			s.createdBy = fd.val
		case fmRowGroups:
			_, rgs, err := listElements(fd.val)
			if err != nil {
				return nil, fmt.Errorf("%w: footer: %w", ErrCorruptFile, err)
			}
			for _, rg := range rgs {
				g, err := parseCopyGroup(rg)
				if err != nil {
					return nil, fmt.Errorf("%w: footer: %w", ErrCorruptFile, err)
				}
				s.groups = append(s.groups, g)
			}
		}
	}
	if len(s.groups) != f.pf.NumRowGroups() {
		return nil, fmt.Errorf("%w: footer lists %d row groups, the reader %d", ErrCorruptFile, len(s.groups), f.pf.NumRowGroups())
	}
	return s, nil
}

// NumRows is the number of rows of row group g.
func (s *CopySource) NumRows(g int) int64 { return s.groups[g].numRows }

// readFooterBytes returns the FileMetaData bytes of the file r holds.
func readFooterBytes(r interface {
	io.ReaderAt
	Size() int64
}) ([]byte, error) {
	size := r.Size()
	if size < 12 {
		return nil, fmt.Errorf("%w: %d bytes is too small for a Parquet file", ErrCorruptFile, size)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("parquetio: read footer: %w", err)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if !bytes.Equal(tail[4:], parquetMagic) || n > size-12 {
		return nil, fmt.Errorf("%w: bad footer", ErrCorruptFile)
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return nil, fmt.Errorf("parquetio: read footer: %w", err)
	}
	return footer, nil
}

func parseCopyGroup(rg []byte) (copyGroup, error) {
	g := copyGroup{rowGroup: rg, contiguous: true}
	fields, err := thriftFields(rg)
	if err != nil {
		return g, err
	}
	for _, f := range fields {
		switch f.id {
		case rgNumRows:
			if g.numRows, err = thriftInt(f.val); err != nil {
				return g, err
			}
		case rgColumns:
			_, ccs, err := listElements(f.val)
			if err != nil {
				return g, err
			}
			for _, cc := range ccs {
				if !copyableChunk(cc) {
					g.contiguous = false
				}
			}
		}
	}
	if g.chunks, err = rowGroupChunks(rg); err != nil {
		return g, err
	}
	for i, c := range g.chunks {
		if i == 0 {
			g.start, g.end = c.start, c.start
		}
		if c.start != g.end || c.size < 0 {
			g.contiguous = false
		}
		g.end = c.start + c.size
	}
	if len(g.chunks) == 0 {
		g.contiguous = false
	}
	return g, nil
}

// copyableChunk rejects column chunks stored outside the file, encrypted,
// or with a bloom filter (which lies outside the chunk's bytes).
func copyableChunk(cc []byte) bool {
	fields, err := thriftFields(cc)
	if err != nil {
		return false
	}
	for _, f := range fields {
		switch f.id {
		case ccFilePath, ccCryptoMetaData, ccEncryptedMeta:
			return false
		case ccMetaData:
			mfs, err := thriftFields(f.val)
			if err != nil {
				return false
			}
			for _, m := range mfs {
				if m.id == cmBloomFilterOffset || m.id == cmBloomFilterLen {
					return false
				}
			}
		}
	}
	return true
}

// pageIndex returns the bytes [off, off+n) of the file's page index
// region, reading the region (every row group's indexes) at the first
// call: one read, not two per column chunk.
func (s *CopySource) pageIndex(off, n int64) ([]byte, error) {
	if n <= 0 || off < 0 {
		return nil, nil
	}
	if s.index == nil {
		lo, hi := int64(-1), int64(-1)
		for _, g := range s.groups {
			for _, c := range g.chunks {
				for _, span := range [][2]int64{{c.colIdxOff, c.colIdxLen}, {c.offIdxOff, c.offIdxLen}} {
					if span[1] <= 0 || span[0] < 0 {
						continue
					}
					if lo < 0 || span[0] < lo {
						lo = span[0]
					}
					hi = max(hi, span[0]+span[1])
				}
			}
		}
		if lo < 0 || hi > s.file.r.Size() || hi-lo > maxCopyIndexRegion {
			return nil, fmt.Errorf("%w: page index outside the file", ErrCorruptFile)
		}
		buf := make([]byte, hi-lo)
		if _, err := s.file.r.ReadAt(buf, lo); err != nil {
			return nil, fmt.Errorf("parquetio: read page index: %w", err)
		}
		s.index, s.indexAt = buf, lo
	}
	if off < s.indexAt || off+n > s.indexAt+int64(len(s.index)) {
		return nil, fmt.Errorf("%w: page index outside the file", ErrCorruptFile)
	}
	return s.index[off-s.indexAt : off-s.indexAt+n], nil
}

// readGroup reads row group g's column chunks and page indexes as an
// encodedGroup whose offsets are those of the source file.
func (s *CopySource) readGroup(g int) (*encodedGroup, error) {
	cg := s.groups[g]
	chunks := make([]byte, cg.end-cg.start)
	if _, err := s.file.r.ReadAt(chunks, cg.start); err != nil {
		return nil, fmt.Errorf("parquetio: read row group %d to copy: %w", g, err)
	}
	out := &encodedGroup{chunks: chunks, rowGroup: cg.rowGroup, numRows: cg.numRows, base: cg.start}
	for _, c := range cg.chunks {
		ci, err := s.pageIndex(c.colIdxOff, c.colIdxLen)
		if err != nil {
			return nil, err
		}
		oi, err := s.pageIndex(c.offIdxOff, c.offIdxLen)
		if err != nil {
			return nil, err
		}
		out.columnIndex = append(out.columnIndex, ci)
		out.offsetIndex = append(out.offsetIndex, oi)
	}
	return out, nil
}

// groupStats gathers the Delta statistics of row group g's rows for a
// writer of cfg: from the row group's Parquet statistics where they are
// exact, by decoding the column where they are not (floats, whose Parquet
// bounds leave NaN out; strings too long for the writer to keep bounds).
func (s *CopySource) groupStats(ctx context.Context, cfg *writeConfig, g int) (*statsCollector, error) {
	return s.groupStatsExcept(ctx, cfg, g, nil)
}

// groupStatsExcept is groupStats leaving out the columns in skip (by
// index in cfg's schema), whose values the caller observes.
func (s *CopySource) groupStatsExcept(ctx context.Context, cfg *writeConfig, g int, skip map[int][]arrow.Array) (*statsCollector, error) {
	c := newStatsCollector(cfg.logical, cfg.opts.ColumnMapping, cfg.selection())
	c.records = s.groups[g].numRows
	rg := s.file.pf.MetaData().RowGroup(g)
	sc := s.file.pf.MetaData().Schema
	var decode []int // roots to decode
	for r, root := range c.roots {
		col := c.index[r] // a flat schema: field i is leaf column i
		if _, skipped := skip[col]; skipped {
			continue
		}
		if root.isStruct || !accumulateParquetStats(c.acc[root], root, rg, sc, col) {
			decode = append(decode, r)
		}
	}
	for _, r := range decode {
		root, col := c.roots[r], c.index[r]
		*c.acc[root] = accumulator{}
		rr, err := s.file.Read(ctx, &ReadOptions{
			Schema:        arrow.NewSchema([]arrow.Field{cfg.logical.Field(col)}, nil),
			ColumnMapping: cfg.opts.ColumnMapping,
			RowGroups:     []int{g},
		})
		if err != nil {
			return nil, err
		}
		for rr.Next() {
			c.observeNode(root, rr.RecordBatch().Column(0), nil, cfg.opts.ColumnMapping)
		}
		err = rr.Err()
		rr.Release()
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

// accumulateParquetStats fills a with the null count and bounds of leaf
// column col of row group rg, when its Parquet statistics state them
// exactly for node n's kind; false when the column must be decoded.
func accumulateParquetStats(a *accumulator, n *statsNode, rg *metadata.RowGroupMetaData, sc *schema.Schema, col int) bool {
	if col >= sc.NumColumns() || sc.Column(col).MaxRepetitionLevel() > 0 || sc.Column(col).MaxDefinitionLevel() > 1 {
		return false
	}
	cc, err := rg.ColumnChunk(col)
	if err != nil {
		return false
	}
	ts, err := cc.Statistics()
	if err != nil || ts == nil || !ts.HasNullCount() {
		return false
	}
	*a = accumulator{nulls: ts.NullCount()}
	if n.kind == statNullOnly {
		return true
	}
	if !ts.HasMinMax() {
		// No bounds: right only when every value is null.
		return ts.NullCount() == rg.NumRows()
	}
	a.has = true
	switch n.kind {
	case statInt, statDate:
		switch s := ts.(type) {
		case *metadata.Int32Statistics:
			a.minI, a.maxI = int64(s.Min()), int64(s.Max())
			return true
		case *metadata.Int64Statistics:
			a.minI, a.maxI = s.Min(), s.Max()
			return true
		}
	case statTimestamp, statTimestampNTZ:
		t, ok := sc.Column(col).LogicalType().(schema.TimestampLogicalType)
		s, isInt64 := ts.(*metadata.Int64Statistics)
		if ok && isInt64 && t.TimeUnit() == schema.TimeUnitMicros {
			a.minI, a.maxI = s.Min(), s.Max()
			return true
		}
	case statDecimal:
		lo, hi, ok := decimalBounds(ts)
		if ok {
			a.minD, a.maxD = lo, hi
			return true
		}
	case statString:
		if s, ok := ts.(*metadata.ByteArrayStatistics); ok {
			a.minS, a.maxS = string(s.Min()), string(s.Max())
			return true
		}
	}
	return false
}

// copyTarget is what a copied row group must match: the Parquet schema
// and writer name of the files w writes, from the footer of an empty one.
type copyTarget struct {
	footer, schema, createdBy []byte
}

func (w *RollingWriter) copyTarget() (*copyTarget, error) {
	if w.target != nil {
		return w.target, nil
	}
	var buf bytes.Buffer
	if err := encodeEmptyFile(w.cfg, &buf); err != nil {
		return nil, err
	}
	footer, err := fileFooter(buf.Bytes())
	if err != nil {
		return nil, err
	}
	fields, err := thriftFields(footer)
	if err != nil {
		return nil, err
	}
	t := &copyTarget{footer: bytes.Clone(footer)}
	for _, f := range fields {
		switch f.id {
		case fmSchema:
			t.schema = bytes.Clone(f.val)
		case fmCreatedBy:
			t.createdBy = bytes.Clone(f.val)
		}
	}
	w.target = t
	return t, nil
}

// CanCopy reports whether row group g of src can be copied as it is into
// the files w writes: w writes a schema without nested columns, src has
// the same Parquet schema and was written by the same Parquet library
// (so its statistics mean what w's do), the row group's column chunks
// are contiguous, and it fits in a file under MaxRecordsPerFile.
func (w *RollingWriter) CanCopy(src *CopySource, g int) bool {
	if w.cfg.flat == nil || g < 0 || g >= len(src.groups) || !src.groups[g].contiguous {
		return false
	}
	if m := w.cfg.opts.MaxRecordsPerFile; m > 0 && src.groups[g].numRows > m {
		return false
	}
	t, err := w.copyTarget()
	if err != nil {
		return false
	}
	return bytes.Equal(t.schema, src.schema) && bytes.Equal(t.createdBy, src.createdBy)
}

// CopyRowGroup appends row group g of src, which CanCopy accepted, to the
// file being written, without decoding it: the row group being gathered
// ends first, and the copy is counted toward the file's size and rows
// like written rows. Its statistics join the file's.
func (w *RollingWriter) CopyRowGroup(ctx context.Context, src *CopySource, g int) error {
	if w.err != nil {
		return w.err
	}
	if err := w.copyRowGroup(ctx, src, g); err != nil {
		w.fail(err)
		return err
	}
	return nil
}

func (w *RollingWriter) copyRowGroup(ctx context.Context, src *CopySource, g int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !w.CanCopy(src, g) {
		return fmt.Errorf("%w: row group %d of the source cannot be copied", ErrInvalidOptions, g)
	}
	rows := src.groups[g].numRows
	if m := w.cfg.opts.MaxRecordsPerFile; w.cur != nil && m > 0 && w.cur.rows+rows > m {
		if err := w.finishFile(); err != nil {
			return err
		}
	}
	if err := w.openFile(ctx); err != nil {
		return err
	}
	group, err := src.readGroup(g)
	if err != nil {
		return err
	}
	if group.stats, err = src.groupStats(ctx, w.cfg, g); err != nil {
		return err
	}
	group.footer = w.target.footer
	raw := src.file.pf.MetaData().RowGroup(g).TotalByteSize()
	if err := w.cur.copyGroup(group, raw); err != nil {
		return err
	}
	full := w.cfg.opts.MaxRecordsPerFile > 0 && w.cur.rows >= w.cfg.opts.MaxRecordsPerFile
	if full || w.cur.size() >= w.cfg.opts.TargetFileSize {
		return w.finishFile()
	}
	return nil
}

// encodeGroupAsync queues a row group that build makes on a goroutine of
// its own, as one of the encoder's jobs (waiting for a free slot).
func (f *fileWriter) encodeGroupAsync(raw, numRows int64, build func(*EncodeBuffers) (*encodedGroup, error)) error {
	if err := f.endGroup(); err != nil {
		return err
	}
	e := f.enc
	e.slots <- struct{}{}
	j := &groupJob{done: make(chan struct{}), raw: raw, numRows: numRows}
	go func() {
		defer close(j.done)
		defer func() { <-e.slots }()
		defer func() {
			if r := recover(); r != nil {
				j.group, j.err = nil, fmt.Errorf("parquetio: encoding a row group failed: %v", r)
			}
		}()
		j.group, j.err = build(e.buffers)
	}()
	e.queue = append(e.queue, j)
	e.inFlightRaw += raw
	f.rows += numRows
	for len(e.queue) > cap(e.slots) {
		if err := f.writeJob(e.next(true)); err != nil {
			return err
		}
	}
	return f.writeFinished(false)
}

// copyGroup queues a row group read from another file behind the row
// groups being encoded, as a job already done.
func (f *fileWriter) copyGroup(g *encodedGroup, raw int64) error {
	if err := f.endGroup(); err != nil {
		return err
	}
	done := make(chan struct{})
	close(done)
	f.enc.queue = append(f.enc.queue, &groupJob{done: done, group: g, raw: raw, numRows: g.numRows})
	f.enc.inFlightRaw += raw
	f.rows += g.numRows
	return f.writeFinished(false)
}
