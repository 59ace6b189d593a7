package delta

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// dictFilter evaluates the conjuncts of a filter that test one string or
// binary data column by value alone (=, IN, <>, LIKE … see
// expr.ValueWise) on the column chunks' Parquet dictionaries: once per
// distinct value instead of once per row. A row group whose dictionary
// has no value passing them is skipped after reading only the dictionary
// page; in the others rows are selected by dictionary index, the rest of
// the filter runs on the selected rows only, and strings are built only
// for the rows returned.
type dictFilter struct {
	cols []dictColumn
	// rest is the AND of the other conjuncts, compiled against the late
	// filter's narrow schema; nil when every conjunct is value-wise.
	rest *expr.Program
	// read is filterData with the dictionary columns typed as
	// dictionaries.
	read *arrow.Schema
	// dictRead is only the dictionary columns, typed as dictionaries, in
	// the order of cols: what is decoded first when the other columns
	// are read for the candidate rows only (readDictGroupRows).
	dictRead *arrow.Schema

	pruned atomic.Int64 // row groups skipped on their dictionaries
	used   atomic.Int64 // row groups filtered by dictionary index
	paged  atomic.Int64 // of used, those whose indexes were read from the pages
}

// dictColumn is one column with value-wise conjuncts.
type dictColumn struct {
	field     arrow.Field   // the plain (string or binary) field
	dataIdx   int           // index in the late filter's filterData
	prog      *expr.Program // AND of its conjuncts, over {field}
	nullMatch bool          // whether a NULL row passes prog
}

// planDictFilter splits f for dictionary evaluation; nil when no conjunct
// qualifies.
func planDictFilter(p *scanPlan, f expr.Expr, lf *lateFilter) (*dictFilter, error) {
	byCol := map[int][]expr.Expr{}
	var order []int
	var rest []expr.Expr
	for _, c := range expr.Conjuncts(f) {
		di := -1
		if expr.ValueWise(c) {
			if path := expr.Columns(c)[0]; len(path) == 1 {
				di = dictCandidate(lf.filterData, path[0])
			}
		}
		if di < 0 {
			rest = append(rest, c)
			continue
		}
		if _, seen := byCol[di]; !seen {
			order = append(order, di)
		}
		byCol[di] = append(byCol[di], c)
	}
	if len(order) == 0 {
		return nil, nil
	}
	d := &dictFilter{}
	fields := lf.filterData.Fields()
	for _, di := range order {
		fld := lf.filterData.Field(di)
		prog, err := expr.Compile(expr.And(byCol[di]...), arrow.NewSchema([]arrow.Field{fld}, nil), &expr.CompileOptions{Allocator: p.mem})
		if err != nil {
			return nil, fmt.Errorf("%w: filter: %w", ErrInvalidArgument, err)
		}
		nullMatch, err := nullPasses(prog, fld, p.mem)
		if err != nil {
			return nil, err
		}
		d.cols = append(d.cols, dictColumn{field: fld, dataIdx: di, prog: prog, nullMatch: nullMatch})
		fields[di].Type = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: fld.Type}
	}
	d.read = arrow.NewSchema(fields, nil)
	dictFields := make([]arrow.Field, len(d.cols))
	for k, c := range d.cols {
		dictFields[k] = fields[c.dataIdx]
	}
	d.dictRead = arrow.NewSchema(dictFields, nil)
	if len(rest) > 0 {
		prog, err := expr.Compile(expr.And(rest...), lf.narrow, &expr.CompileOptions{Allocator: p.mem})
		if err != nil {
			return nil, fmt.Errorf("%w: filter: %w", ErrInvalidArgument, err)
		}
		d.rest = prog
	}
	return d, nil
}

// dictCandidate returns the index in data of the string or binary column
// name, or -1.
func dictCandidate(data *arrow.Schema, name string) int {
	for i, fld := range data.Fields() {
		if equalFoldASCII(fld.Name, name) {
			if id := fld.Type.ID(); id == arrow.STRING || id == arrow.BINARY {
				return i
			}
			return -1
		}
	}
	return -1
}

// nullPasses evaluates prog on a single NULL.
func nullPasses(prog *expr.Program, fld arrow.Field, mem memory.Allocator) (bool, error) {
	col := array.MakeArrayOfNull(mem, fld.Type, 1)
	defer col.Release()
	m, err := evalOn(context.Background(), prog, fld, col)
	if err != nil {
		return false, err
	}
	return m[0], nil
}

// evalOn evaluates prog, a predicate over the single field fld, on the
// values col: which of them it makes TRUE.
func evalOn(ctx context.Context, prog *expr.Program, fld arrow.Field, col arrow.Array) ([]bool, error) {
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{fld}, nil), []arrow.Array{col}, int64(col.Len()))
	defer rec.Release()
	v, err := prog.Eval(ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("delta: filter on dictionary of %s: %w", fld.Name, err)
	}
	defer v.Release()
	out := make([]bool, col.Len())
	if b, ok := v.(*array.Boolean); ok {
		for i := range out {
			out[i] = b.IsValid(i) && b.Value(i)
		}
	}
	return out, nil
}

// readDictGroup reads row group rg through the dictionary filter. ok is
// false when some dictionary column of the group is not entirely
// dictionary-encoded: the caller then reads the group the ordinary way.
func (g *groupRows) readDictGroup(rg int) (out []arrow.RecordBatch, ok bool, err error) {
	d := g.plan.late.dict
	// sparse: some dictionary column lets few of its distinct values
	// through, so few rows are likely candidates.
	sparse := false
	for _, c := range d.cols {
		values, ok, err := g.file.ChunkDictionary(rg, c.field, g.mapping)
		if err != nil {
			return nil, false, g.wrap(err)
		}
		if !ok {
			return nil, false, nil
		}
		match, err := evalOn(g.ctx, c.prog, c.field, values)
		values.Release()
		if err != nil {
			return nil, false, err
		}
		if !c.nullMatch && !anyTrue(match) {
			d.pruned.Add(1)
			return nil, true, nil
		}
		if !c.nullMatch && countTrue(match)*selectDensity <= int64(len(match)) {
			sparse = true
		}
	}
	if sparse {
		if out, ok, err := g.readDictGroupRows(rg); ok || err != nil {
			return out, true, err
		}
	}
	rr, err := g.read(d.read, rg, nil)
	if err != nil {
		return nil, false, g.wrap(err)
	}
	heads, err := drain(rr)
	if err != nil {
		return nil, false, g.wrap(err)
	}
	defer releaseAll(heads)
	sels := make([][]int32, len(heads))
	matched := false
	for i, h := range heads {
		if sels[i], err = g.selectRows(h); err != nil {
			return nil, false, err
		}
		matched = matched || len(sels[i]) > 0
	}
	d.used.Add(1)
	if !matched {
		g.plan.groups.prunedByFilter.Add(1)
		return nil, true, nil
	}
	lf := g.plan.late
	// The other columns of the selected rows only, when they are few.
	var chosen []int32
	var base int32
	for i, h := range heads {
		for _, r := range sels[i] {
			chosen = append(chosen, base+r)
		}
		base += int32(h.NumRows())
	}
	restRows, selected, err := g.readRestRows(rg, chosen)
	if err != nil {
		return nil, false, err
	}
	if selected {
		defer restRows.Release()
	}
	var tails []arrow.RecordBatch
	if lf.rest.NumFields() > 0 && !selected {
		rr, err := g.read(lf.rest, rg, nil)
		if err != nil {
			return nil, false, g.wrap(err)
		}
		if tails, err = drain(rr); err != nil {
			return nil, false, g.wrap(err)
		}
		defer releaseAll(tails)
		if len(tails) != len(heads) {
			return nil, false, fmt.Errorf("delta: read %s: row group %d gave %d and %d batches", g.path, rg, len(heads), len(tails))
		}
	}
	g.plan.groups.read.Add(1)
	off := 0
	for i, h := range heads {
		if len(sels[i]) == 0 {
			continue
		}
		cols := make([]arrow.Array, len(lf.dataFrom))
		for c, from := range lf.dataFrom {
			var src arrow.Array
			if from >= 0 {
				src = h.Column(from)
			} else if selected {
				cols[c] = sliceColumn(restRows, -from-1, off, len(sels[i]))
				continue
			} else {
				if tails[i].NumRows() != h.NumRows() {
					releaseAll(cols)
					releaseAll(out)
					return nil, false, fmt.Errorf("delta: read %s: row group %d batch %d has %d and %d rows", g.path, rg, i, h.NumRows(), tails[i].NumRows())
				}
				src = tails[i].Column(-from - 1)
			}
			if cols[c], err = g.gather(src, sels[i]); err != nil {
				cols[c] = nil
				releaseAll(cols)
				releaseAll(out)
				return nil, false, err
			}
		}
		out = append(out, array.NewRecordBatch(g.plan.dataRead, cols, int64(len(sels[i]))))
		releaseAll(cols)
		off += len(sels[i])
	}
	return out, true, nil
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

// selectRows returns the rows of h (d.read schema) that pass the whole
// filter: the dictionary conjuncts by index, then the rest on those rows.
func (g *groupRows) selectRows(h arrow.RecordBatch) ([]int32, error) {
	d := g.plan.late.dict
	rows, err := g.dictRows(int(h.NumRows()), func(_ int, c dictColumn) arrow.Array { return h.Column(c.dataIdx) })
	if err != nil || len(rows) == 0 || d.rest == nil {
		return rows, err
	}
	return g.filterRest(h, rows)
}

// dictRows returns the rows, of n, that pass every dictionary conjunct;
// column gives dictionary column k (d.cols[k]) of the batch.
func (g *groupRows) dictRows(n int, column func(k int, c dictColumn) arrow.Array) ([]int32, error) {
	d := g.plan.late.dict
	var rows []int32
	for ci, c := range d.cols {
		dict, ok := column(ci, c).(*array.Dictionary)
		if !ok {
			return nil, fmt.Errorf("delta: read %s: column %s is not a dictionary", g.path, c.field.Name)
		}
		pass, err := g.passer(c, dict, n, rows, ci == 0)
		if err != nil {
			return nil, err
		}
		if ci == 0 {
			for r := 0; r < n; r++ {
				if pass(int32(r)) {
					rows = append(rows, int32(r))
				}
			}
		} else {
			kept := rows[:0]
			for _, r := range rows {
				if pass(r) {
					kept = append(kept, r)
				}
			}
			rows = kept
		}
		if len(rows) == 0 {
			return nil, nil
		}
	}
	return rows, nil
}

// passer returns whether row r of dict passes c's conjuncts. It
// evaluates them once per dictionary entry, unless the dictionary has
// more entries than there are rows to test (small batches of a chunk with
// many distinct values): then once per candidate row, so the cost stays
// within a per-row evaluation's.
func (g *groupRows) passer(c dictColumn, dict *array.Dictionary, n int, rows []int32, all bool) (func(r int32) bool, error) {
	idx := dict.Indices().(*array.Int32).Int32Values()
	candidates := len(rows)
	if all {
		candidates = n
	}
	if dict.Dictionary().Len() <= candidates {
		match, err := evalOn(g.ctx, c.prog, c.field, dict.Dictionary())
		if err != nil {
			return nil, err
		}
		return func(r int32) bool {
			if dict.IsNull(int(r)) {
				return c.nullMatch
			}
			return match[idx[r]]
		}, nil
	}
	if all {
		rows = make([]int32, n)
		for i := range rows {
			rows[i] = int32(i)
		}
	}
	plain, err := g.gather(dict, rows)
	if err != nil {
		return nil, err
	}
	defer plain.Release()
	match, err := evalOn(g.ctx, c.prog, c.field, plain)
	if err != nil {
		return nil, err
	}
	byRow := make(map[int32]bool, len(rows))
	for i, r := range rows {
		byRow[r] = match[i]
	}
	return func(r int32) bool { return byRow[r] }, nil
}

// filterRest evaluates the non-dictionary conjuncts on the given rows of
// h only and returns those that pass.
func (g *groupRows) filterRest(h arrow.RecordBatch, rows []int32) ([]int32, error) {
	lf := g.plan.late
	cols := make([]arrow.Array, len(lf.narrowIdx))
	defer releaseAll(cols)
	di := 0
	for i, ri := range lf.narrowIdx {
		if sc, ok := g.parts[ri]; ok {
			arr, err := scalar.MakeArrayFromScalar(sc, len(rows), g.plan.mem)
			if err != nil {
				return nil, fmt.Errorf("delta: partition column %s: %w", lf.narrow.Field(i).Name, err)
			}
			cols[i] = arr
			continue
		}
		arr, err := g.gather(h.Column(di), rows)
		if err != nil {
			return nil, err
		}
		cols[i] = arr
		di++
	}
	rec := array.NewRecordBatch(lf.narrow, cols, int64(len(rows)))
	defer rec.Release()
	m, err := lf.dict.rest.Eval(g.ctx, rec)
	if err != nil {
		return nil, fmt.Errorf("delta: filter on %s: %w", g.path, err)
	}
	defer m.Release()
	b, ok := m.(*array.Boolean)
	if !ok { // a NULL literal predicate: nothing is TRUE
		return nil, nil
	}
	kept := rows[:0]
	eachTrue(b, func(i int) { kept = append(kept, rows[i]) })
	return kept, nil
}

// gather returns the given rows of col; dictionary columns come back as
// plain strings (or binary), built for those rows only.
func (g *groupRows) gather(col arrow.Array, rows []int32) (arrow.Array, error) {
	mem := g.plan.mem
	if dict, ok := col.(*array.Dictionary); ok {
		vt := dict.DataType().(*arrow.DictionaryType).ValueType
		b := array.NewBinaryBuilder(mem, vt.(arrow.BinaryDataType))
		defer b.Release()
		b.Reserve(len(rows))
		idx := dict.Indices().(*array.Int32).Int32Values()
		switch values := dict.Dictionary().(type) {
		case *array.String:
			for _, r := range rows {
				if dict.IsNull(int(r)) || values.IsNull(int(idx[r])) {
					b.AppendNull()
				} else {
					b.AppendString(values.Value(int(idx[r])))
				}
			}
		case *array.Binary:
			for _, r := range rows {
				if dict.IsNull(int(r)) || values.IsNull(int(idx[r])) {
					b.AppendNull()
				} else {
					b.Append(values.Value(int(idx[r])))
				}
			}
		default:
			return nil, fmt.Errorf("delta: read %s: dictionary of %s values", g.path, values.DataType())
		}
		// The builder makes *array.Binary whatever its type.
		a := b.NewArray()
		defer a.Release()
		return array.MakeFromData(a.Data()), nil
	}
	ib := array.NewInt32Builder(mem)
	ib.AppendValues(rows, nil)
	indices := ib.NewArray()
	ib.Release()
	defer indices.Release()
	out, err := compute.TakeArray(compute.WithAllocator(g.ctx, mem), col, indices)
	if err != nil {
		return nil, fmt.Errorf("delta: filter on %s: %w", g.path, err)
	}
	return out, nil
}

// readDictGroupRows reads row group rg decoding only the dictionary
// columns in full: rows they select are candidates, every other column
// (the filter's and the rest) is read for the candidates only
// (parquetio.File.ReadRows), and the whole filter then runs on them. ok
// is false, with nothing read but the dictionary columns, when the
// candidates are too many for row-by-row reads, the file has deleted rows
// (batch positions would not be group rows) or some column needs the
// general reader.
func (g *groupRows) readDictGroupRows(rg int) (out []arrow.RecordBatch, ok bool, err error) {
	lf := g.plan.late
	d := lf.dict
	if g.noSelect || (g.deleted != nil && !g.deleted.IsEmpty()) {
		return nil, false, nil
	}
	if out, ok, err := g.readDictPageRows(rg); ok || err != nil {
		return out, ok, err
	}
	// Where each output column comes from: dictionary column k, or
	// column i of the rows read for the candidates.
	dictOf := make([]int, len(lf.dataFrom))
	otherOf := make([]int, len(lf.dataFrom))
	var others []arrow.Field
	for c, from := range lf.dataFrom {
		dictOf[c], otherOf[c] = -1, -1
		for k, dc := range d.cols {
			if from >= 0 && dc.dataIdx == from {
				dictOf[c] = k
			}
		}
		if dictOf[c] < 0 {
			otherOf[c] = len(others)
			others = append(others, g.plan.dataRead.Field(c))
		}
	}
	if len(others) == 0 {
		return nil, false, nil // nothing to gain: the dictionary path reads only these
	}
	rr, err := g.read(d.dictRead, rg, nil)
	if err != nil {
		return nil, false, g.wrap(err)
	}
	heads, err := drain(rr)
	if err != nil {
		return nil, false, g.wrap(err)
	}
	defer releaseAll(heads)
	cands := make([][]int32, len(heads))
	var chosen []int32
	var base int32
	for i, h := range heads {
		if cands[i], err = g.dictRows(int(h.NumRows()), func(k int, _ dictColumn) arrow.Array { return h.Column(k) }); err != nil {
			return nil, false, err
		}
		for _, r := range cands[i] {
			chosen = append(chosen, base+r)
		}
		base += int32(h.NumRows())
	}
	if len(chosen) == 0 {
		d.used.Add(1)
		g.plan.groups.prunedByFilter.Add(1)
		return nil, true, nil
	}
	if int64(len(chosen))*selectDensity > g.groupRows[rg] {
		return nil, false, nil
	}
	rest, ok, err := g.readRows(rg, chosen, arrow.NewSchema(others, nil))
	if err != nil || !ok {
		return nil, false, g.wrapMaybe(err)
	}
	defer rest.Release()
	d.used.Add(1)
	g.plan.groups.read.Add(1)
	g.plan.groups.selected.Add(1)
	off := 0
	for i, h := range heads {
		n := len(cands[i])
		if n == 0 {
			continue
		}
		cols := make([]arrow.Array, len(lf.dataFrom))
		for c := range cols {
			if k := dictOf[c]; k >= 0 {
				if cols[c], err = g.gather(h.Column(k), cands[i]); err != nil {
					releaseAll(cols[:c])
					releaseAll(out)
					return nil, false, err
				}
			} else {
				cols[c] = sliceColumn(rest, otherOf[c], off, n)
			}
		}
		off += n
		cand := array.NewRecordBatch(g.plan.dataRead, cols, int64(n))
		releaseAll(cols)
		if d.rest == nil { // every conjunct was decided on the dictionaries
			out = append(out, cand)
			continue
		}
		kept, err := g.filterCandidates(cand)
		cand.Release()
		if err != nil {
			releaseAll(out)
			return nil, false, err
		}
		if kept != nil {
			out = append(out, kept)
		}
	}
	return out, true, nil
}

// filterCandidates evaluates the whole filter on cand (dataRead schema,
// plain columns) and returns the rows it keeps; nil when none.
func (g *groupRows) filterCandidates(cand arrow.RecordBatch) (arrow.RecordBatch, error) {
	lf := g.plan.late
	fd := make([]arrow.Array, lf.filterData.NumFields())
	for c, from := range lf.dataFrom {
		if from >= 0 {
			fd[from] = cand.Column(c)
		}
	}
	view := array.NewRecordBatch(lf.filterData, fd, cand.NumRows())
	mask, _, err := g.evalFilter(view)
	view.Release()
	if err != nil || mask == nil {
		return nil, err
	}
	defer mask.Release()
	kept, err := compute.FilterRecordBatch(compute.WithAllocator(g.ctx, g.plan.mem), cand, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("delta: filter on %s: %w", g.path, err)
	}
	return kept, nil
}

// wrapMaybe is wrap for an error that may be nil.
func (g *groupRows) wrapMaybe(err error) error {
	if err == nil {
		return nil
	}
	return g.wrap(err)
}
