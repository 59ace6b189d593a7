package delta

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

// readDictPageRows is readDictGroupRows without decoding the dictionary
// columns: the candidate rows come straight from the dictionary indexes
// in their pages (parquetio.File.DictionaryRows), and every column, the
// dictionary columns too, is then read for the candidates alone. Building
// an Arrow dictionary array of every row's index was, in the equality
// scan's profile, the larger part of what was not decompression. ok is
// false, with nothing read but dictionaries and indexes, when a
// dictionary column's chunk is not dictionary-encoded throughout, the
// candidates are too many for row-by-row reads, or a column needs the
// general reader.
func (g *groupRows) readDictPageRows(rg int) (out []arrow.RecordBatch, ok bool, err error) {
	d := g.plan.late.dict
	if g.pageBufs == nil {
		g.pageBufs = g.plan.pageBufs.get(g.plan.mem)
	}
	var chosen []int32
	for k, c := range d.cols {
		match := func(dict arrow.Array) ([]bool, error) { return evalOn(g.ctx, c.prog, c.field, dict) }
		rows, ok, err := g.file.DictionaryRows(g.ctx, rg, c.field, g.mapping, match, c.nullMatch, g.pageBufs)
		if err != nil || !ok {
			return nil, false, g.wrapMaybe(err)
		}
		if k == 0 {
			chosen = rows
		} else {
			chosen = intersectRows(chosen, rows)
		}
		if len(chosen) == 0 {
			break
		}
	}
	if len(chosen) == 0 {
		d.used.Add(1)
		d.paged.Add(1)
		g.plan.groups.prunedByFilter.Add(1)
		return nil, true, nil
	}
	if int64(len(chosen))*selectDensity > g.groupRows[rg] {
		return nil, false, nil
	}
	cand, ok, err := g.readRows(rg, chosen, g.plan.dataRead)
	if err != nil || !ok {
		return nil, false, g.wrapMaybe(err)
	}
	d.used.Add(1)
	d.paged.Add(1)
	g.plan.groups.read.Add(1)
	g.plan.groups.selected.Add(1)
	if d.rest != nil {
		// The candidates pass the dictionary conjuncts; the whole
		// filter runs on them for the others.
		kept, err := g.filterCandidates(cand)
		cand.Release()
		if err != nil || kept == nil {
			return nil, true, err
		}
		cand = kept
	}
	return g.batched(cand), true, nil
}

// batched cuts rec into batches of at most the plan's batch size,
// releasing rec.
func (g *groupRows) batched(rec arrow.RecordBatch) []arrow.RecordBatch {
	size := g.plan.batchSize
	if size <= 0 {
		size = parquetio.DefaultBatchSize
	}
	if rec.NumRows() <= size {
		return []arrow.RecordBatch{rec}
	}
	defer rec.Release()
	var out []arrow.RecordBatch
	for off := int64(0); off < rec.NumRows(); off += size {
		out = append(out, rec.NewSlice(off, min(off+size, rec.NumRows())))
	}
	return out
}

// intersectRows returns the rows in both ascending lists, in a's storage.
func intersectRows(a, b []int32) []int32 {
	out := a[:0]
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
