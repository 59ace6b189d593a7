package features

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// gatherer collects output rows that point into source batches (or are
// NULL) and materializes them with one Take per column. It retains the
// batches it points into until the next flush, and asks to be flushed
// once it holds maxBatches of them, so the memory it pins stays bounded
// however the rows are scattered.
type gatherer struct {
	mem      memory.Allocator
	cols     []int // source columns to gather
	types    []arrow.DataType
	batches  []arrow.RecordBatch
	offsets  map[arrow.RecordBatch]int64 // batch → its first row in the concatenation
	total    int64
	last     arrow.RecordBatch
	lastOff  int64
	idx      *array.Int64Builder
	rowLimit int
}

const maxGatherBatches = 32

func newGatherer(mem memory.Allocator, types []arrow.DataType, cols []int, rowLimit int) *gatherer {
	return &gatherer{mem: mem, cols: cols, types: types, idx: array.NewInt64Builder(mem), rowLimit: rowLimit, offsets: map[arrow.RecordBatch]int64{}}
}

func (g *gatherer) add(rec arrow.RecordBatch, row int) {
	if rec != g.last {
		off, ok := g.offsets[rec]
		if !ok {
			rec.Retain()
			g.batches = append(g.batches, rec)
			off = g.total
			g.offsets[rec] = off
			g.total += rec.NumRows()
		}
		g.last, g.lastOff = rec, off
	}
	g.idx.Append(g.lastOff + int64(row))
}

func (g *gatherer) addNull() { g.idx.AppendNull() }

func (g *gatherer) len() int { return g.idx.Len() }

func (g *gatherer) full() bool {
	return g.idx.Len() >= g.rowLimit || len(g.batches) >= maxGatherBatches
}

// flush returns the gathered columns (caller releases) and resets.
func (g *gatherer) flush(ctx context.Context) ([]arrow.Array, int, error) {
	idx := g.idx.NewInt64Array()
	defer idx.Release()
	defer g.reset()
	n := idx.Len()
	out := make([]arrow.Array, 0, len(g.cols))
	fail := func(err error) ([]arrow.Array, int, error) {
		for _, a := range out {
			a.Release()
		}
		return nil, 0, err
	}
	cctx := compute.WithAllocator(ctx, g.mem)
	for j, c := range g.cols {
		if len(g.batches) == 0 {
			out = append(out, array.MakeArrayOfNull(g.mem, g.types[j], n))
			continue
		}
		parts := make([]arrow.Array, len(g.batches))
		for i, b := range g.batches {
			parts[i] = b.Column(c)
		}
		whole, err := array.Concatenate(parts, g.mem)
		if err != nil {
			return fail(err)
		}
		taken, err := compute.TakeArray(cctx, whole, idx)
		whole.Release()
		if err != nil {
			return fail(err)
		}
		out = append(out, taken)
	}
	return out, n, nil
}

func (g *gatherer) reset() {
	for _, b := range g.batches {
		b.Release()
	}
	clear(g.offsets)
	g.batches, g.total, g.last, g.lastOff = g.batches[:0], 0, nil, 0
}

func (g *gatherer) release() {
	g.reset()
	g.idx.Release()
}
