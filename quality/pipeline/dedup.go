package pipeline

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/rowkey"
)

// deduper drops rows whose key was seen before in the update. It holds
// the keys of one update: the bound is the update's input, not the table.
type deduper struct {
	keys []string
	seen map[string]struct{}
}

func newDeduper(keys []string) *deduper {
	return &deduper{keys: keys, seen: map[string]struct{}{}}
}

func (d *deduper) active() bool { return len(d.keys) > 0 }

// keyColumns finds the key columns of a batch.
func keyColumns(schema *arrow.Schema, keys []string) ([]int, error) {
	idx := make([]int, len(keys))
	for i, k := range keys {
		is := schema.FieldIndices(k)
		if len(is) != 1 {
			return nil, fmt.Errorf("%w: key column %q is not in the rows [%s]", ErrInvalidDefinition, k, schema)
		}
		idx[i] = is[0]
	}
	return idx, nil
}

// firstSeen keeps the rows whose key the update has not seen yet.
func (d *deduper) firstSeen(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, int64, error) {
	idx, err := keyColumns(rec.Schema(), d.keys)
	if err != nil {
		return nil, 0, err
	}
	cols := make([]arrow.Array, len(idx))
	for i, j := range idx {
		cols[i] = rec.Column(j)
	}
	mask := array.NewBooleanBuilder(mem)
	defer mask.Release()
	var dups int64
	for r := range int(rec.NumRows()) {
		k := rowkey.Of(cols, r)
		if _, ok := d.seen[k]; ok {
			mask.Append(false)
			dups++
			continue
		}
		d.seen[k] = struct{}{}
		mask.Append(true)
	}
	if dups == 0 {
		rec.Retain()
		return rec, 0, nil
	}
	out, err := filterBatch(rec, mask, mem)
	return out, dups, err
}

func filterBatch(rec arrow.RecordBatch, mask *array.BooleanBuilder, mem memory.Allocator) (arrow.RecordBatch, error) {
	m := mask.NewBooleanArray()
	defer m.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	out, err := compute.FilterRecordBatch(ctx, rec, m, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("pipeline: filter rows: %w", err)
	}
	return out, nil
}

// dropExistingKeys removes from a table's staged rows those whose key
// the table already holds: the table's key columns are streamed once
// against the update's keys.
func (u *update) dropExistingKeys(ctx context.Context, n *node, t *tableRun, d *deduper) error {
	tbl, err := u.p.openTable(ctx, n.def.name)
	if err != nil {
		return err
	}
	defer tbl.Close()
	snap, err := tbl.SnapshotAt(ctx, t.startVersion)
	if err != nil {
		return err
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: d.keys})
	if err != nil {
		return err
	}
	existing := map[string]struct{}{}
	for rr.Next() {
		rec := rr.RecordBatch()
		cols := make([]arrow.Array, len(d.keys))
		for i := range d.keys {
			cols[i] = rec.Column(i)
		}
		for r := range int(rec.NumRows()) {
			k := rowkey.Of(cols, r)
			if _, ok := d.seen[k]; ok {
				existing[k] = struct{}{}
			}
		}
	}
	err = rr.Err()
	rr.Release()
	if err != nil || len(existing) == 0 {
		return err
	}
	old := t.rows
	in, err := old.reader()
	if err != nil {
		return err
	}
	defer in.Release()
	fresh := newStaged(u.spill, n.def.name.table, u.p.o.Allocator)
	fresh.schema = old.schema
	for in.Next() {
		rec := in.RecordBatch()
		idx, err := keyColumns(rec.Schema(), d.keys)
		if err != nil {
			return err
		}
		cols := make([]arrow.Array, len(idx))
		for i, j := range idx {
			cols[i] = rec.Column(j)
		}
		mask := array.NewBooleanBuilder(u.p.o.Allocator)
		for r := range int(rec.NumRows()) {
			_, dup := existing[rowkey.Of(cols, r)]
			mask.Append(!dup)
			if dup {
				t.res.Duplicates++
			}
		}
		out, err := filterBatch(rec, mask, u.p.o.Allocator)
		mask.Release()
		if err != nil {
			return err
		}
		err = fresh.write(out)
		out.Release()
		if err != nil {
			return err
		}
	}
	if err := in.Err(); err != nil {
		return err
	}
	if err := fresh.finish(); err != nil {
		return err
	}
	old.discard()
	t.rows = fresh
	return nil
}
