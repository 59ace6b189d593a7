package optimize

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/arrowmem"
)

// Z-ordering one partition (bin) takes two reads of its files.
//
//  1. Only the Z-order columns are read, to count the rows and draw a
//     uniform sample of up to 100 × ZOrderRanges rows (Spark samples 100
//     keys per range). Each column's ranges are cut at the quantiles of
//     its sampled values.
//  2. Every column is read. Each row gets its key: the interleaved range
//     ids of its Z-order columns, then one random byte that spreads rows
//     with equal Z-values (Spark adds the same noise to its range
//     repartitioning). Rows are held in memory up to half of MaxMemory
//     (sorting gathers them into one batch, a second copy); if the
//     partition fits, its rows are sorted by key and written.
//
// A partition that outgrows that is split instead: key ranges cut at
// quantiles of the sampled rows' keys, sized so that each range holds
// about half of MaxMemory, route every row (those already held, then the
// rest) to a local spill file per range (Arrow IPC, under SpillDir). The
// ranges are then sorted and written one after another, so the output is
// in key order and memory holds one range at a time. Only a range of one
// dominant Z-value can exceed its share; it is written as it is, its
// rows having equal keys.

// sampleSize is the number of rows drawn per partition.
func (c *config) sampleSize() int { return min(100*c.ZOrderRanges, 1_000_000) }

// maxSpillRanges caps the spill files of one partition.
const maxSpillRanges = 256

// testHookSpill, when set by a test, learns how many ranges a partition
// was split into.
var testHookSpill func(ranges int)

// keyColumn names the sort key column of spill files.
const keyColumn = "__lakehouse_zorder_key"

// zkeyer computes the sort keys of rows.
type zkeyer struct {
	cols   [][]string // paths of the ordering columns
	bounds [][][]byte // per column
	rng    *rand.Rand
	ids    []int32 // per column: the row's range
	spans  []int32 // per column: how many ranges the row's value fills
	first  []int32
	buf    []byte
	// hilbert, when positive, is the bits per column of a Hilbert key
	// (liquid clustering); zero makes Z-order keys.
	hilbert int
	scaled  []int32
	scratch []uint32
	// cells, when set (two or more columns), puts the rank of the row's
	// cell before its curve position; the files are then cut at cell
	// boundaries (see cells.go).
	cells *cellTree
}

// curveKey appends the curve position of the current range ids.
func (z *zkeyer) curveKey(dst []byte) []byte {
	if z.cells != nil {
		dst = binary.BigEndian.AppendUint32(dst, z.cells.rank(z.ids))
	}
	if z.hilbert > 0 {
		// Each column's ids are stretched over the whole side of the
		// grid: a column with few distinct values (few ranges) would
		// otherwise stay in a thin strip of the curve's lowest bits and
		// barely order the rows, where stretched it splits the curve at
		// its coarsest level like any other column.
		side := int64(1) << uint(z.hilbert)
		for k, id := range z.ids {
			z.scaled[k] = int32(int64(id) * side / int64(len(z.bounds[k])+1))
		}
		return hilbertKey(dst, z.scaled, z.hilbert, z.scratch)
	}
	return interleaveBits(dst, z.ids)
}

// spread places a value that fills several ranges of its column in one
// of them, by where the row falls in the next column: its rows then
// spread over those ranges in the order of that column instead of piling
// into one (Spark keeps them in one range, so a heavy value's rows share
// wide files with its neighbours).
func (z *zkeyer) spread() {
	if len(z.ids) == 1 {
		return
	}
	// Positions are read before any column moves.
	z.first = append(z.first[:0], z.ids...)
	for k, n := range z.spans {
		if n <= 1 {
			continue
		}
		o := (k + 1) % len(z.ids)
		frac := float64(z.first[o]) / float64(len(z.bounds[o])+1)
		z.ids[k] = z.first[k] + int32(frac*float64(n))
	}
}

// width is the size of one key: the cell rank if any, 4 bytes per column
// and the noise byte.
func (z *zkeyer) width() int {
	if z.cells != nil {
		return 4 + 4*len(z.cols) + 1
	}
	return 4*len(z.cols) + 1
}

// cutCells builds the cells from the sample, one per output file.
func (z *zkeyer) cutCells(sample [][][]byte, files int) {
	points := make([][]int32, len(sample))
	for i, row := range sample {
		for k, v := range row {
			z.ids[k], z.spans[k] = rangeSpan(z.bounds[k], v, v == nil)
		}
		z.spread()
		points[i] = slices.Clone(z.ids)
	}
	extents := make([]int32, len(z.bounds))
	for k, b := range z.bounds {
		extents[k] = int32(len(b) + 1)
	}
	z.cells = buildCells(points, extents, files, func(centre []int32) []byte {
		copy(z.ids, centre)
		return z.curveKey(nil)
	})
}

// cellOf is the cell rank a key starts with.
func cellOf(key []byte) uint32 { return binary.BigEndian.Uint32(key) }

// keys appends the keys of rec's rows to dst.
func (z *zkeyer) keys(dst []byte, rec arrow.RecordBatch) ([]byte, error) {
	arrs := make([]orderColumn, len(z.cols))
	for k, path := range z.cols {
		c, err := pickColumn(rec, path)
		if err != nil {
			return nil, err
		}
		arrs[k] = c
	}
	for i := range int(rec.NumRows()) {
		for k, a := range arrs {
			null := !a.valid(i)
			if !null {
				z.buf = encode(z.buf[:0], a.leaf, i)
			}
			z.ids[k], z.spans[k] = rangeSpan(z.bounds[k], z.buf, null)
		}
		z.spread()
		dst = z.curveKey(dst)
		dst = append(dst, byte(z.rng.Uint32()))
	}
	return dst, nil
}

// sampleKeys are the keys of the sampled rows, sorted, for cutting spill
// ranges.
func (z *zkeyer) sampleKeys(sample [][][]byte) [][]byte {
	out := make([][]byte, len(sample))
	for i, row := range sample {
		for k, v := range row {
			z.ids[k], z.spans[k] = rangeSpan(z.bounds[k], v, v == nil)
		}
		z.spread()
		key := z.curveKey(nil)
		out[i] = append(key, byte(z.rng.Uint32()))
	}
	slices.SortFunc(out, bytes.Compare)
	return out
}

// sampleColumns reads the bin's Z-order columns: the row count and a
// uniform sample of rows (each column's encoded value, nil for null).
func (r *run) sampleColumns(ctx context.Context, b *bin, rng *rand.Rand) ([][][]byte, int64, error) {
	rr, err := r.snap.ScanFiles(ctx, b.files, &delta.ScanOptions{Columns: r.c.scanCols})
	if err != nil {
		return nil, 0, err
	}
	defer rr.Release()
	size := r.c.sampleSize()
	var sample [][][]byte
	var seen int64
	for rr.Next() {
		rec := rr.RecordBatch()
		cols := make([]orderColumn, len(r.c.zpaths))
		for k, path := range r.c.zpaths {
			if cols[k], err = pickColumn(rec, path); err != nil {
				return nil, 0, err
			}
		}
		for i := range int(rec.NumRows()) {
			seen++
			slot := len(sample)
			if slot >= size {
				j := rng.Int64N(seen)
				if j >= int64(size) {
					continue
				}
				slot = int(j)
			}
			row := make([][]byte, len(cols))
			for k, c := range cols {
				if c.valid(i) {
					row[k] = encode([]byte{}, c.leaf, i)
				}
			}
			if slot == len(sample) {
				sample = append(sample, row)
			} else {
				sample[slot] = row
			}
		}
	}
	if err := rr.Err(); err != nil {
		return nil, 0, err
	}
	return sample, seen, nil
}

// zorderBin writes the live rows of b in Z-order into new files tagged
// as one Z-cube. Like Spark, it writes max(1, input bytes / target size)
// files: one per cell with two or more columns, else of equal row counts.
func (r *run) zorderBin(ctx context.Context, x *delta.Transaction, b *bin) ([]*delta.AddFile, error) {
	rng := rand.New(rand.NewPCG(uint64(len(b.files)), uint64(b.size)))
	sample, rows, err := r.sampleColumns(ctx, b, rng)
	if err != nil || rows == 0 {
		return nil, err
	}
	z := &zkeyer{cols: r.c.zpaths, rng: rng, ids: make([]int32, len(r.c.zorder)), spans: make([]int32, len(r.c.zorder))}
	for k := range z.cols {
		var vals [][]byte
		for _, row := range sample {
			if row[k] != nil {
				vals = append(vals, row[k])
			}
		}
		slices.SortFunc(vals, bytes.Compare)
		z.bounds = append(z.bounds, rangeBounds(vals, r.c.ZOrderRanges))
	}
	opts := &delta.FileWriterOptions{Tags: map[string]string{
		TagZCubeID:     uuid.NewString(),
		TagZOrderBy:    columnsJSON(r.c.zorder),
		TagZOrderCurve: "zorder",
	}}
	if r.c.cluster {
		z.hilbert = hilbertBits(r.c.ZOrderRanges)
		z.scratch = make([]uint32, len(z.cols))
		z.scaled = make([]int32, len(z.cols))
		opts.Tags[TagZOrderCurve] = "hilbert"
		opts.ClusteringProvider = delta.ClusteringProviderLiquid
	}
	nfiles := max(1, b.size/r.c.TargetFileSize)
	out := &fileSplitter{x: x, perFile: (rows + nfiles - 1) / nfiles, opts: opts}
	if len(z.cols) > 1 && nfiles > 1 {
		z.cutCells(sample, int(min(nfiles, int64(len(sample)))))
		out.cells = z.cells
	}
	s := &zsorter{r: r, out: out, z: z, mem: r.tbl.Allocator(), total: rows, sample: sample}
	err = s.sort(ctx, b)
	s.close()
	if err != nil {
		out.abort()
		return nil, err
	}
	return out.close(ctx)
}

// sort reads the bin and writes its rows in key order.
func (s *zsorter) sort(ctx context.Context, b *bin) error {
	rr, err := s.r.snap.ScanFiles(ctx, b.files, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		if err := s.add(ctx, rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return err
	}
	return s.finish(ctx)
}

// fileSplitter writes rows into files of perFile rows each, one
// FileWriter per file. With cells, a file holds one cell's rows instead:
// files end where the cell changes, a cell that stands for several
// (cellTree.unsplit) is split every perFile rows, and any other only if
// it exceeds twice perFile, so that sampling error leaves no slivers.
type fileSplitter struct {
	x       *delta.Transaction
	opts    *delta.FileWriterOptions
	perFile int64
	cells   *cellTree // nil: split by count only
	cur     *delta.FileWriter
	curCell uint32
	inCur   int64
	added   []*delta.AddFile
}

// write writes rec, starting new files as they fill or, with cells, as
// the cell changes; ranks holds the cell of each row of rec (nil without
// cells).
func (s *fileSplitter) write(ctx context.Context, rec arrow.RecordBatch, ranks []uint32) error {
	for off := int64(0); off < rec.NumRows(); {
		end, limit := rec.NumRows(), s.perFile
		if s.cells != nil {
			c := ranks[off]
			if s.cur != nil && c != s.curCell {
				if err := s.finishFile(ctx); err != nil {
					return err
				}
			}
			s.curCell = c
			end = off + 1
			for end < rec.NumRows() && ranks[end] == c {
				end++
			}
			if !s.cells.unsplit[c] {
				limit = 2 * s.perFile
			}
		}
		if s.cur != nil && s.inCur >= limit {
			if err := s.finishFile(ctx); err != nil {
				return err
			}
		}
		if s.cur == nil {
			fw, err := s.x.NewFileWriter(s.opts)
			if err != nil {
				return err
			}
			s.cur, s.inCur = fw, 0
		}
		n := min(end-off, limit-s.inCur)
		part := rec.NewSlice(off, off+n)
		err := s.cur.WriteBatch(ctx, part)
		part.Release()
		if err != nil {
			return err
		}
		s.inCur += n
		off += n
	}
	return nil
}

func (s *fileSplitter) finishFile(ctx context.Context) error {
	fw := s.cur
	s.cur = nil
	out, err := fw.Close(ctx)
	s.added = append(s.added, out...)
	return err
}

// close finishes the last file and returns every file written.
func (s *fileSplitter) close(ctx context.Context) ([]*delta.AddFile, error) {
	if s.cur != nil {
		if err := s.finishFile(ctx); err != nil {
			return nil, err
		}
	}
	return s.added, nil
}

// abort discards the open file; closed ones are the transaction's to
// clean up.
func (s *fileSplitter) abort() {
	if s.cur != nil {
		s.cur.Abort()
		s.cur = nil
	}
}

// zsorter sorts one partition's rows by key, in memory or through spill
// ranges.
type zsorter struct {
	r      *run
	out    *fileSplitter
	z      *zkeyer
	mem    memory.Allocator
	total  int64      // rows in the partition
	sample [][][]byte // for cutting spill ranges

	held      []arrow.RecordBatch
	heldKeys  [][]byte
	heldBytes int64
	heldRows  int64
	seenRows  int64

	spill *spillRanges // nil until the partition outgrows MaxMemory
}

func (s *zsorter) close() {
	s.release()
	if s.spill != nil {
		s.spill.close()
	}
}

func (s *zsorter) release() {
	for _, rec := range s.held {
		rec.Release()
	}
	s.held, s.heldKeys, s.heldBytes, s.heldRows = nil, nil, 0, 0
}

// add takes one scanned batch (not retained by the caller).
func (s *zsorter) add(ctx context.Context, rec arrow.RecordBatch) error {
	keys, err := s.z.keys(nil, rec)
	if err != nil {
		return err
	}
	s.seenRows += rec.NumRows()
	if s.spill != nil {
		return s.spill.route(ctx, rec, keys)
	}
	rec.Retain()
	s.held = append(s.held, rec)
	s.heldKeys = append(s.heldKeys, keys)
	s.heldBytes += arrowmem.RecordBytes(rec) + int64(len(keys))
	s.heldRows += rec.NumRows()
	if s.heldBytes <= s.r.c.MaxMemory/2 {
		return nil
	}
	return s.startSpill(ctx)
}

// startSpill cuts key ranges sized to half of MaxMemory from the sample
// and moves the held rows to their spill files.
func (s *zsorter) startSpill(ctx context.Context) error {
	estimate := float64(s.heldBytes) * float64(s.total) / float64(max(s.seenRows, 1))
	n := int(estimate/float64(s.r.c.MaxMemory/2)) + 1
	n = min(max(n, 2), maxSpillRanges)
	splitters := rangeBounds(s.z.sampleKeys(s.sample), n)
	if testHookSpill != nil {
		testHookSpill(len(splitters) + 1)
	}
	sp, err := newSpillRanges(s.r.c.SpillDir, s.held[0].Schema(), splitters, s.z.width(), s.mem)
	if err != nil {
		return err
	}
	s.spill = sp
	for i, rec := range s.held {
		if err := sp.route(ctx, rec, s.heldKeys[i]); err != nil {
			return err
		}
	}
	s.release()
	return nil
}

// finish writes the rows in key order.
func (s *zsorter) finish(ctx context.Context) error {
	if s.spill == nil {
		held, keys := s.held, s.heldKeys
		s.held, s.heldKeys = nil, nil
		s.release()
		return s.writeSorted(ctx, held, keys)
	}
	return s.spill.each(ctx, func(recs []arrow.RecordBatch, keys [][]byte) error {
		return s.writeSorted(ctx, recs, keys)
	})
}

// writeSorted writes the rows of recs (keys[i] holding the keys of
// recs[i]) to the output sorted by key, in batches of up to 8192 rows.
// It releases recs.
func (s *zsorter) writeSorted(ctx context.Context, recs []arrow.RecordBatch, keys [][]byte) error {
	if len(recs) == 0 {
		return nil
	}
	whole, err := concatRecords(recs, s.mem)
	for _, rec := range recs {
		rec.Release()
	}
	if err != nil {
		return err
	}
	defer whole.Release()
	n := int(whole.NumRows())
	if n == 0 {
		return nil
	}
	w := s.z.width()
	all := slices.Concat(keys...)
	perm := make([]int64, n)
	for i := range perm {
		perm[i] = int64(i)
	}
	slices.SortStableFunc(perm, func(a, b int64) int {
		return bytes.Compare(all[int(a)*w:int(a+1)*w], all[int(b)*w:int(b+1)*w])
	})
	const chunk = 8192
	st := array.RecordToStructArray(whole)
	defer st.Release()
	cctx := compute.WithAllocator(ctx, s.mem)
	for off := 0; off < n; off += chunk {
		end := min(off+chunk, n)
		b := array.NewInt64Builder(s.mem)
		b.AppendValues(perm[off:end], nil)
		idx := b.NewArray()
		b.Release()
		taken, err := compute.TakeArray(cctx, st, idx)
		idx.Release()
		if err != nil {
			return fmt.Errorf("optimize: sort rows: %w", err)
		}
		out := array.RecordFromStructArray(taken.(*array.Struct), whole.Schema())
		taken.Release()
		var ranks []uint32
		if s.out.cells != nil {
			ranks = make([]uint32, end-off)
			for i, p := range perm[off:end] {
				ranks[i] = cellOf(all[int(p)*w:])
			}
		}
		err = s.out.write(ctx, out, ranks)
		out.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// concatRecords returns recs as one batch (a new reference).
func concatRecords(recs []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	schema := recs[0].Schema()
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var rows int64
	for _, r := range recs {
		rows += r.NumRows()
	}
	for k := range cols {
		parts := make([]arrow.Array, len(recs))
		for i, r := range recs {
			parts[i] = r.Column(k)
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			return nil, fmt.Errorf("optimize: gather rows: %w", err)
		}
		cols[k] = c
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}
