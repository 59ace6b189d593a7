package delta

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// Filters that let few rows of a large dictionary through find their
// rows from the dictionary indexes in the pages (readDictPageRows) and
// return exactly the rows of a brute-force filter and of the scan with
// dictionary filtering off: one and two dictionary columns, nulls, other
// conjuncts, row groups no row of which passes, any batch size.
func TestDictionaryPageRowsMatchBruteForce(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	snap := dictPagesTable(t, mem)
	for _, tc := range []struct {
		filter string
		paged  bool // some row group takes the page path
	}{
		{"label = 'L007'", true},
		{"label = 'L007' AND tag = 'T03'", true},
		{"label IN ('L001', 'L150') AND v > 0.5", true},
		{"label = 'L042' AND tag IS NOT NULL AND id % 3 <> 0", true},
		{"label = 'L199' OR label IS NULL", false}, // nulls pass: not sparse
		{"label = 'nothing'", false},               // every dictionary rules it out
	} {
		e, err := expr.Parse(tc.filter)
		require.NoError(t, err)
		want := bruteForce(t, snap, mem, tc.filter, nil)
		if tc.paged {
			require.NotEmpty(t, want, tc.filter)
		}
		off, _ := scanRows(t, snap, &ScanOptions{Filter: e, NoDictionaryFilter: true})
		assert.Equal(t, want, off, tc.filter)
		for _, batch := range []int64{0, 3} {
			got, plan := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: batch})
			assert.Equal(t, want, got, "%s, batch size %d", tc.filter, batch)
			if tc.paged {
				assert.Positive(t, plan.late.dict.paged.Load(), tc.filter)
			}
		}
	}
}

// dictPagesTable is 9,000 rows in row groups of 2,000: label has 200
// distinct values (and one group 200 others), tag 20, both with nulls.
func dictPagesTable(t testing.TB, mem memory.Allocator) *Snapshot {
	t.Helper()
	old := dataRowGroupRows
	dataRowGroupRows = 2000
	t.Cleanup(func() { dataRowGroupRows = old })
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "tag", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	ctx := context.Background()
	tbl, err := Create(ctx, t.TempDir(), schema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	rnd := rand.New(rand.NewPCG(4, 4))
	b := array.NewRecordBuilder(mem, schema)
	for i := range 9000 {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.Float64Builder).Append(rnd.Float64())
		if lb := b.Field(2).(*array.StringBuilder); rnd.IntN(20) == 0 {
			lb.AppendNull()
		} else if i >= 6000 && i < 8000 {
			lb.Append(fmt.Sprintf("M%03d", rnd.IntN(200))) // a row group without any L value
		} else {
			lb.Append(fmt.Sprintf("L%03d", rnd.IntN(200)))
		}
		if tb := b.Field(3).(*array.StringBuilder); rnd.IntN(10) == 0 {
			tb.AppendNull()
		} else {
			tb.Append(fmt.Sprintf("T%02d", rnd.IntN(20)))
		}
	}
	rec := b.NewRecordBatch()
	b.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	rec.Release()
	require.NoError(t, err)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	return snap
}

// FuzzDictionaryPageRows is the property test of readDictPageRows:
// fuzzed equality and IN filters on the two dictionary columns, with a
// conjunct on another column, return exactly the brute force's rows.
func FuzzDictionaryPageRows(f *testing.F) {
	f.Add(uint8(7), uint8(3), uint8(0), 0.5, int64(0))
	f.Add(uint8(199), uint8(19), uint8(1), 0.1, int64(3))
	f.Add(uint8(42), uint8(200), uint8(2), 0.9, int64(1))
	snap := dictPagesTable(f, memory.DefaultAllocator)
	f.Fuzz(func(t *testing.T, l, tg, kind uint8, v float64, batch int64) {
		label, other, tag := fmt.Sprintf("L%03d", l%210), fmt.Sprintf("M%03d", (l/2)%200), fmt.Sprintf("T%02d", tg%22)
		filter := []string{
			fmt.Sprintf("label = '%s' AND v > %g", label, v),
			fmt.Sprintf("label IN ('%s', '%s') AND tag = '%s'", label, other, tag),
			fmt.Sprintf("label = '%s' AND (tag <> '%s' OR tag IS NULL)", label, tag),
		}[kind%3]
		e, err := expr.Parse(filter)
		require.NoError(t, err)
		got, _ := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: max(batch%5, -batch%5)})
		assert.Equal(t, bruteForce(t, snap, memory.DefaultAllocator, filter, nil), got, filter)
	})
}
