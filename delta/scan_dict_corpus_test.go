package delta

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/corpustest"
)

// TestDictionaryFilterCorpus runs value-wise filters on every top-level
// string column of the conformance corpus's tables (files written by
// Spark, delta-rs, the kernels) with the dictionary path on and off: the
// rows must be the same. Tables this library cannot scan (the corpus's
// negative cases) are not this test's subject and are passed over.
func TestDictionaryFilterCorpus(t *testing.T) {
	root := corpustest.Dir(t)
	var tables []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "_delta_log" {
			tables = append(tables, filepath.Dir(p))
		}
		return nil
	}))
	require.NotEmpty(t, tables)
	ctx := context.Background()
	var used, compared int64
	for _, dir := range tables {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		tbl, err := Open(ctx, dir, &Options{Allocator: mem})
		if err != nil {
			continue
		}
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			tbl.Close()
			continue
		}
		for _, f := range snap.arrowSchema.Fields() {
			if f.Type.ID() != arrow.STRING || snap.isPartitionColumn(f.Name) {
				continue
			}
			values, ok := someValues(ctx, snap, f.Name)
			if !ok || len(values) == 0 {
				continue
			}
			col := expr.Col(f.Name)
			lits := make([]expr.Expr, 0, len(values)+1)
			for _, v := range values {
				lits = append(lits, expr.Lit(v))
			}
			filters := []expr.Expr{
				col.Eq(expr.Lit(values[0])),
				col.In(append(lits, expr.Lit("no such value"))...),
				col.Ne(expr.Lit(values[0])),
				expr.Or(col.Eq(expr.Lit("no such value")), col.IsNull()),
			}
			for _, e := range filters {
				t.Run(filepath.Base(dir)+"/"+e.String(), func(t *testing.T) {
					on, plan := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 7})
					off, _ := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 7, NoDictionaryFilter: true})
					assert.Equal(t, off, on)
					compared++
					if plan.late != nil && plan.late.dict != nil {
						used += plan.late.dict.used.Load() + plan.late.dict.pruned.Load()
					}
				})
			}
		}
		tbl.Close()
		mem.AssertSize(t, 0)
	}
	t.Logf("%d filtered scans compared on %d tables; %d row groups went through dictionaries", compared, len(tables), used)
	assert.Positive(t, compared)
	assert.Positive(t, used, "some corpus file has fully dictionary-encoded string chunks")
}

// someValues returns up to three distinct non-null values of a string
// column from the first batch that has any; ok is false when the table
// cannot be scanned.
func someValues(ctx context.Context, snap *Snapshot, col string) ([]string, bool) {
	rr, err := snap.Scan(ctx, &ScanOptions{Columns: []string{col}})
	if err != nil {
		return nil, false
	}
	defer rr.Release()
	seen := map[string]bool{}
	var out []string
	for rr.Next() && len(out) < 3 {
		s, ok := rr.RecordBatch().Column(0).(*array.String)
		if !ok {
			return nil, false
		}
		for i := 0; i < s.Len() && len(out) < 3; i++ {
			if s.IsValid(i) && !seen[s.Value(i)] {
				seen[s.Value(i)] = true
				out = append(out, s.Value(i))
			}
		}
	}
	return out, rr.Err() == nil
}
