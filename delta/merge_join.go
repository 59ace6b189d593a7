package delta

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// mergeRun executes a planned MERGE inside its transaction.
type mergeRun struct {
	x    *Transaction
	d    *dml
	plan *mergePlan
	opts MergeOptions
	mem  memory.Allocator

	// files are the target files read, by the index the join carries;
	// consumed[i] are rows of files[i] updated or deleted.
	files    []*protocol.Add
	consumed map[int]*roaring64.Bitmap

	sourceRows                      int64
	inserted                        int64
	matchedUpdated, bySourceUpdated int64
	matchedDeleted, bySourceDeleted int64
}

// mergePart is the unit of the join: source rows held in memory, hashed
// by key, and the target rows whose keys hash to the same partition.
type mergePart struct {
	source  arrow.RecordBatch // source rows, concatenated
	index   map[string][]int32
	ints    *intKeyIndex // instead of index when the key is one int64 or int32 column
	matched []bool       // per source row: matched some target row
}

// intKeyIndex hashes source rows by a one-column integer key. Hashing
// the value itself instead of its bytes as a string key made the probe
// of every target row several times cheaper (a string-keyed lookup was
// 13% of a 10M-row MERGE's CPU). Rows sharing a key are chained through
// next, so a key costs no slice of its own.
type intKeyIndex struct {
	first map[int64]int32 // key -> first source row with it
	next  []int32         // source row -> next row with its key; -1 ends
}

// intKey returns the integer key of row i of col; ok is false for a null
// or a column that is not int64 or int32.
func intKey(col arrow.Array, i int) (k int64, ok bool) {
	if col.IsNull(i) {
		return 0, false
	}
	switch a := col.(type) {
	case *array.Int64:
		return a.Value(i), true
	case *array.Int32:
		return int64(a.Value(i)), true
	}
	return 0, false
}

// intKeyColumn reports whether a one-column key can use intKeyIndex.
func intKeyColumn(rec arrow.RecordBatch, keys []int) bool {
	if len(keys) != 1 {
		return false
	}
	switch rec.Column(keys[0]).(type) {
	case *array.Int64, *array.Int32:
		return true
	}
	return false
}

func newIntKeyIndex(col arrow.Array) *intKeyIndex {
	ix := &intKeyIndex{first: make(map[int64]int32, col.Len()), next: make([]int32, col.Len())}
	// Rows are chained in reverse so that each chain lists rows in
	// ascending order, as the string index does.
	for j := col.Len() - 1; j >= 0; j-- {
		k, ok := intKey(col, j)
		if !ok {
			ix.next[j] = -1
			continue
		}
		if f, seen := ix.first[k]; seen {
			ix.next[j] = f
		} else {
			ix.next[j] = -1
		}
		ix.first[k] = int32(j)
	}
	return ix
}

// targetRows is a batch of target rows with where each row lives.
type targetRows struct {
	rec  arrow.RecordBatch // target columns
	file []int32           // index into mergeRun.files
	row  []int64           // row index in that file
}

func (m *mergeRun) run(ctx context.Context, source array.RecordReader) error {
	m.mem = m.x.table.opts.Allocator
	m.consumed = map[int]*roaring64.Bitmap{}
	start := time.Now()
	spill, err := m.readSource(ctx, source)
	if err != nil {
		return err
	}
	defer spill.close()
	files, err := m.targetFiles(ctx, spill)
	if err != nil {
		return err
	}
	m.files = files
	for _, f := range files {
		m.x.markRead(f.Path)
	}
	m.d.scanTime = time.Since(start)
	if err := spill.join(ctx, m); err != nil {
		return err
	}
	rewrite := time.Now()
	if err := m.retireConsumed(ctx); err != nil {
		return err
	}
	if err := m.d.stageDeletionVectors(ctx); err != nil {
		return err
	}
	m.d.rewriteTime = time.Since(rewrite)
	m.d.matchedRows = m.matchedUpdated + m.bySourceUpdated + m.matchedDeleted + m.bySourceDeleted
	return nil
}

// scanTarget streams every live row of the chosen target files.
func (m *mergeRun) scanTarget(ctx context.Context, fn func(targetRows) error) error {
	plan, err := m.d.snap.planRowScan(nil)
	if err != nil {
		return err
	}
	// The join sees target rows one batch at a time, in file order;
	// the files are decoded ahead of it on every core. Whole rows are
	// queued, so no more files than cores, even on an object store.
	last := -1
	return m.d.snap.eachFilesBatch(ctx, plan, m.files, runtime.GOMAXPROCS(0), func(i int, rec arrow.RecordBatch) error {
		if i != last {
			m.d.report("join", int64(i), int64(len(m.files)))
			last = i
		}
		idx := rec.Column(int(rec.NumCols()) - 1).(*array.Int64)
		data := withoutRowIndex(rec)
		defer data.Release()
		tr := targetRows{rec: data, file: make([]int32, rec.NumRows()), row: idx.Int64Values()}
		for k := range tr.file {
			tr.file[k] = int32(i)
		}
		return fn(tr)
	})
}

// joinTarget joins one batch of target rows with a partition's source rows
// and applies the MATCHED and NOT MATCHED BY SOURCE clauses.
func (m *mergeRun) joinTarget(ctx context.Context, part *mergePart, tr targetRows) error {
	p := m.plan
	n := int(tr.rec.NumRows())
	var tIdx, sIdx []int64
	if part.ints != nil {
		// findKeys pairs only columns of one type, so the target's key is
		// an integer column too; anything else is a bug, not a miss.
		if !intKeyColumn(tr.rec, p.tKeys) {
			return fmt.Errorf("delta: MERGE: target key column %s is not an integer column like the source's", tr.rec.Schema().Field(p.tKeys[0]).Name)
		}
		col := tr.rec.Column(p.tKeys[0])
		for i := range n {
			k, ok := intKey(col, i)
			if !ok {
				continue
			}
			j, ok := part.ints.first[k]
			for ok && j >= 0 {
				tIdx = append(tIdx, int64(i))
				sIdx = append(sIdx, int64(j))
				j = part.ints.next[j]
			}
		}
	} else if len(p.tKeys) > 0 {
		keys := rowKeys(tr.rec, p.tKeys)
		for i, k := range keys {
			if k == nil {
				continue
			}
			for _, j := range part.index[string(k)] {
				tIdx = append(tIdx, int64(i))
				sIdx = append(sIdx, int64(j))
			}
		}
	} else {
		for i := range n {
			for j := range int(part.source.NumRows()) {
				tIdx = append(tIdx, int64(i))
				sIdx = append(sIdx, int64(j))
			}
		}
	}
	matchCount := make([]int, n)
	if len(tIdx) > 0 {
		tSide, err := takeRecord(ctx, m.mem, tr.rec, tIdx)
		if err != nil {
			return err
		}
		defer tSide.Release()
		sSide, err := takeRecord(ctx, m.mem, part.source, sIdx)
		if err != nil {
			return err
		}
		defer sSide.Release()
		pairs := p.pairBatch(m.mem, tSide, sSide)
		defer pairs.Release()
		hit, err := evalMask(ctx, p.on, pairs)
		if err != nil {
			return err
		}
		var keep []int64
		for k, h := range hit {
			if h {
				matchCount[tIdx[k]]++
				part.matched[sIdx[k]] = true
				if matchCount[tIdx[k]] == 1 {
					// A row matched again is an error below unless only
					// unconditional deletes apply: act on it once.
					keep = append(keep, int64(k))
				}
			}
		}
		if len(keep) > 0 && len(p.matched) > 0 {
			if err := m.checkCardinality(matchCount); err != nil {
				return err
			}
			matched, err := takeRecord(ctx, m.mem, pairs, keep)
			if err != nil {
				return err
			}
			defer matched.Release()
			files, rows := make([]int32, len(keep)), make([]int64, len(keep))
			for k, pk := range keep {
				files[k], rows[k] = tr.file[tIdx[pk]], tr.row[tIdx[pk]]
			}
			if err := m.applyClauses(ctx, p.matched, matched, files, rows, false); err != nil {
				return err
			}
		}
	}
	if len(p.bySource) == 0 {
		return nil
	}
	var alone []int64
	for i, c := range matchCount {
		if c == 0 {
			alone = append(alone, int64(i))
		}
	}
	if len(alone) == 0 {
		return nil
	}
	tSide, err := takeRecord(ctx, m.mem, tr.rec, alone)
	if err != nil {
		return err
	}
	defer tSide.Release()
	pairs := p.pairBatch(m.mem, tSide, nil)
	defer pairs.Release()
	files, rows := make([]int32, len(alone)), make([]int64, len(alone))
	for k, i := range alone {
		files[k], rows[k] = tr.file[i], tr.row[i]
	}
	return m.applyClauses(ctx, p.bySource, pairs, files, rows, true)
}

// checkCardinality fails when a target row matched several source rows
// and a MATCHED clause could change it; unconditional deletes are exempt,
// as in Spark (deleting once or twice is the same).
func (m *mergeRun) checkCardinality(matchCount []int) error {
	onlyDeletes := true
	for _, c := range m.plan.matched {
		onlyDeletes = onlyDeletes && c.action == mergeDelete && c.cond == nil
	}
	if onlyDeletes {
		return nil
	}
	for _, c := range matchCount {
		if c > 1 {
			return ErrMergeCardinality
		}
	}
	return nil
}

// applyClauses gives each pair row the first clause whose condition holds
// and carries it out. files/rows locate the target row of each pair
// (unused for inserts).
func (m *mergeRun) applyClauses(ctx context.Context, clauses []mergeClause, pairs arrow.RecordBatch, files []int32, rows []int64, bySource bool) error {
	open := make([]bool, pairs.NumRows())
	for i := range open {
		open[i] = true
	}
	for ci := range clauses {
		c := &clauses[ci]
		take := open
		if c.cond != nil {
			hit, err := evalMask(ctx, c.cond, pairs)
			if err != nil {
				return err
			}
			for i := range hit {
				hit[i] = hit[i] && open[i]
			}
			take = hit
		}
		var idx []int64
		for i, t := range take {
			if t {
				idx = append(idx, int64(i))
				open[i] = false
			}
		}
		if len(idx) == 0 {
			continue
		}
		sub, err := takeRecord(ctx, m.mem, pairs, idx)
		if err != nil {
			return err
		}
		err = m.carryOut(ctx, c, sub, idx, files, rows, bySource)
		sub.Release()
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

// carryOut applies one clause to its rows.
func (m *mergeRun) carryOut(ctx context.Context, c *mergeClause, sub arrow.RecordBatch, idx []int64, files []int32, rows []int64, bySource bool) error {
	x, p := m.x, m.plan
	n := int64(len(idx))
	if c.action != mergeInsert {
		for _, i := range idx {
			bm := m.consumed[int(files[i])]
			if bm == nil {
				bm = roaring64.New()
				m.consumed[int(files[i])] = bm
			}
			bm.Add(uint64(rows[i]))
		}
	}
	var old arrow.RecordBatch
	if c.action != mergeInsert && m.d.cdf {
		old = p.side(sub, false)
		defer old.Release()
	}
	switch c.action {
	case mergeDelete:
		if bySource {
			m.bySourceDeleted += n
		} else {
			m.matchedDeleted += n
		}
		if old != nil {
			return x.writeChanges(ctx, old, ChangeDelete)
		}
		return nil
	case mergeUpdate:
		if bySource {
			m.bySourceUpdated += n
		} else {
			m.matchedUpdated += n
		}
	default:
		m.inserted += n
	}
	out, err := m.outputRows(ctx, c, sub)
	if err != nil {
		return err
	}
	defer out.Release()
	post, err := x.prepareBatch(ctx, out, false, c.action != mergeInsert)
	if err != nil || post == nil {
		return err
	}
	defer post.Release()
	if err := x.writeRows(ctx, post, false); err != nil {
		return err
	}
	if !m.d.cdf {
		return nil
	}
	if c.action == mergeInsert {
		return x.writeChanges(ctx, post, ChangeInsert)
	}
	if err := x.writeChanges(ctx, old, ChangeUpdatePreimage); err != nil {
		return err
	}
	return x.writeChanges(ctx, post, ChangeUpdatePostimage)
}

// outputRows computes the rows an update or insert clause writes.
func (m *mergeRun) outputRows(ctx context.Context, c *mergeClause, sub arrow.RecordBatch) (arrow.RecordBatch, error) {
	p := m.plan
	n := int(sub.NumRows())
	tStruct := sub.Column(0).(*array.Struct)
	sStruct := sub.Column(1).(*array.Struct)
	cols := make([]arrow.Array, p.out.NumFields())
	release := func() {
		for _, a := range cols {
			if a != nil {
				a.Release()
			}
		}
	}
	assigned := make([]bool, len(cols))
	for i, f := range p.out.Fields() {
		switch {
		case c.values[i] != nil:
			v, err := c.values[i].Eval(ctx, sub)
			if err != nil {
				release()
				return nil, fmt.Errorf("delta: MERGE value of %s: %w", f.Name, err)
			}
			cols[i], assigned[i] = v, true
		case c.fromSource[i] >= 0:
			v := sStruct.Field(c.fromSource[i])
			if arrow.TypeEqual(v.DataType(), f.Type) {
				v.Retain()
			} else {
				cast, err := compute.CastArray(compute.WithAllocator(ctx, m.mem), v, compute.SafeCastOptions(f.Type))
				if err != nil {
					release()
					return nil, fmt.Errorf("%w: MERGE: source column %s (%s) cannot be stored in %s (%s): %w", ErrSchemaMismatch, p.source.Field(c.fromSource[i]).Name, v.DataType(), f.Name, f.Type, err)
				}
				v = cast
			}
			cols[i], assigned[i] = v, true
		case c.action == mergeUpdate && i < p.target.NumFields():
			v := tStruct.Field(i)
			v.Retain()
			cols[i] = v
		default:
			cols[i] = array.MakeArrayOfNull(m.mem, f.Type, n)
		}
	}
	// Generated columns the clause did not set are computed again from the
	// new values.
	for i, f := range m.x.schema.Fields {
		if _, gen := f.Metadata[protocol.MetaGeneration]; gen && i < len(cols) && !assigned[i] {
			typ := cols[i].DataType()
			cols[i].Release()
			cols[i] = array.MakeArrayOfNull(m.mem, typ, n)
		}
	}
	out := array.NewRecordBatch(p.out, cols, int64(n))
	release()
	return out, nil
}

// insertUnmatched applies the NOT MATCHED clauses to a partition's source
// rows that matched no target row.
func (m *mergeRun) insertUnmatched(ctx context.Context, part *mergePart) error {
	if len(m.plan.notMatched) == 0 {
		return nil
	}
	var idx []int64
	for j, ok := range part.matched {
		if !ok {
			idx = append(idx, int64(j))
		}
	}
	if len(idx) == 0 {
		return nil
	}
	src, err := takeRecord(ctx, m.mem, part.source, idx)
	if err != nil {
		return err
	}
	defer src.Release()
	pairs := m.plan.pairBatch(m.mem, nil, src)
	defer pairs.Release()
	return m.applyClauses(ctx, m.plan.notMatched, pairs, nil, nil, false)
}

// retireConsumed takes updated and deleted rows out of their files: a
// deletion vector, or a rewrite with the other rows copied.
func (m *mergeRun) retireConsumed(ctx context.Context) error {
	for i, f := range m.files {
		rows := m.consumed[i]
		if rows == nil {
			continue
		}
		m.d.report("rewrite", int64(i+1), int64(len(m.files)))
		live, err := m.d.liveRows(ctx, f)
		if err != nil {
			return err
		}
		matched := int64(rows.GetCardinality())
		if !m.d.useDV && matched < live {
			// The rows no clause consumed are written back as they were:
			// row groups holding none of the consumed rows are copied.
			_, err := m.d.eachRewrittenBatch(ctx, f, func(rec arrow.RecordBatch, hit []bool) error {
				kept, err := selectRows(ctx, m.mem, rec, invert(hit))
				if err != nil {
					return err
				}
				defer kept.Release()
				return m.x.writeBatch(ctx, kept, true)
			}, rows, nil)
			if err != nil {
				return err
			}
		}
		if err := m.d.deleteRows(ctx, fileMatch{file: f, rows: rows}, matched, live); err != nil {
			return err
		}
	}
	return nil
}

// pairBatch lays target and source rows side by side in the pair schema;
// a nil side is all NULL (an unmatched row).
func (p *mergePlan) pairBatch(mem memory.Allocator, t, s arrow.RecordBatch) arrow.RecordBatch {
	n := 0
	if t != nil {
		n = int(t.NumRows())
	} else {
		n = int(s.NumRows())
	}
	side := func(rec arrow.RecordBatch, f arrow.Field) arrow.Array {
		st := f.Type.(*arrow.StructType)
		if rec == nil {
			return array.MakeArrayOfNull(mem, st, n)
		}
		children := make([]arrow.ArrayData, rec.NumCols())
		for i, c := range rec.Columns() {
			children[i] = c.Data()
		}
		data := array.NewData(st, n, []*memory.Buffer{nil}, children, 0, 0)
		defer data.Release()
		return array.MakeFromData(data)
	}
	cols := []arrow.Array{side(t, p.pair.Field(0)), side(s, p.pair.Field(1))}
	for k, pn := range p.pairNames {
		rec, field := t, p.pair.Field(2+k)
		if pn.source {
			rec = s
		}
		if rec == nil {
			cols = append(cols, array.MakeArrayOfNull(mem, field.Type, n))
			continue
		}
		c := rec.Column(pn.idx)
		c.Retain()
		cols = append(cols, c)
	}
	out := array.NewRecordBatch(p.pair, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return out
}

// side returns one side of a pair batch as a batch of that side's schema.
func (p *mergePlan) side(pairs arrow.RecordBatch, source bool) arrow.RecordBatch {
	col, schema := 0, p.target
	if source {
		col, schema = 1, p.source
	}
	st := pairs.Column(col).(*array.Struct)
	cols := make([]arrow.Array, st.NumField())
	for i := range cols {
		cols[i] = st.Field(i)
	}
	return array.NewRecordBatch(schema, cols, pairs.NumRows())
}

// takeRecord gathers rows of rec by index.
func takeRecord(ctx context.Context, mem memory.Allocator, rec arrow.RecordBatch, idx []int64) (arrow.RecordBatch, error) {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(idx, nil)
	ia := b.NewInt64Array()
	defer ia.Release()
	cctx := compute.WithAllocator(ctx, mem)
	cols := make([]arrow.Array, rec.NumCols())
	for i, c := range rec.Columns() {
		out, err := compute.TakeArray(cctx, c, ia)
		if err != nil {
			for _, done := range cols[:i] {
				done.Release()
			}
			return nil, fmt.Errorf("delta: MERGE: gather rows: %w", err)
		}
		cols[i] = out
	}
	res := array.NewRecordBatch(rec.Schema(), cols, int64(len(idx)))
	for _, c := range cols {
		c.Release()
	}
	return res, nil
}

// rowKeys encodes each row's key columns into a comparable byte string;
// nil for a row with a NULL key, which matches nothing under `=`. The
// keys share one buffer: a MERGE hashes every source and target row.
func rowKeys(rec arrow.RecordBatch, keyCols []int) [][]byte {
	n := int(rec.NumRows())
	out := make([][]byte, n)
	buf := make([]byte, 0, n*8*len(keyCols))
	for i := range n {
		start := len(buf)
		null := false
		for _, c := range keyCols {
			col := rec.Column(c)
			if col.IsNull(i) {
				null = true
				break
			}
			buf = appendKey(buf, col, i)
		}
		if !null {
			out[i] = buf[start:len(buf):len(buf)]
		} else {
			buf = buf[:start]
		}
	}
	return out
}

// appendKey appends one value in a form where equal SQL values are equal
// bytes (-0.0 is 0.0, every NaN is one NaN, as Spark compares them). Both
// sides of a key have the same type, so fixed-width values are their
// bytes as stored.
func appendKey(k []byte, col arrow.Array, i int) []byte {
	switch a := col.(type) {
	case *array.Float64:
		return binary.BigEndian.AppendUint64(k, canonicalFloat(a.Value(i)))
	case *array.Float32:
		return binary.BigEndian.AppendUint64(k, canonicalFloat(float64(a.Value(i))))
	case *array.Int64:
		return binary.LittleEndian.AppendUint64(k, uint64(a.Value(i)))
	case *array.Int32:
		return binary.LittleEndian.AppendUint32(k, uint32(a.Value(i)))
	case *array.String:
		s := a.Value(i)
		k = binary.AppendUvarint(k, uint64(len(s)))
		return append(k, s...)
	case *array.Binary:
		b := a.Value(i)
		k = binary.AppendUvarint(k, uint64(len(b)))
		return append(k, b...)
	case *array.Boolean:
		if a.Value(i) {
			return append(k, 1)
		}
		return append(k, 0)
	}
	if fw, ok := col.DataType().(arrow.FixedWidthDataType); ok && fw.BitWidth()%8 == 0 {
		w := fw.BitWidth() / 8
		data := col.Data()
		if bufs := data.Buffers(); len(bufs) > 1 && bufs[1] != nil {
			off := (data.Offset() + i) * w
			return append(k, bufs[1].Bytes()[off:off+w]...)
		}
	}
	v := col.ValueStr(i)
	k = binary.AppendUvarint(k, uint64(len(v)))
	return append(k, v...)
}

func canonicalFloat(f float64) uint64 {
	switch {
	case f == 0:
		return 0
	case math.IsNaN(f):
		return math.Float64bits(math.NaN())
	}
	return math.Float64bits(f)
}
