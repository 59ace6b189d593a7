package delta

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

var pruneSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "p", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// pruneTable writes random rows in row groups of 50 rows and pages of
// about 16: ids ascend within each append, so their statistics prune; v
// has NaNs and nulls, which float statistics leave out of their bounds.
func pruneTable(t testing.TB, mem memory.Allocator, seed uint64) *Snapshot {
	return newPruneTable(t, mem, seed, nil)
}

func newPruneTable(t testing.TB, mem memory.Allocator, seed uint64, props map[string]string) *Snapshot {
	t.Helper()
	old, oldPage := dataRowGroupRows, dataPageBytes
	dataRowGroupRows, dataPageBytes = 50, 128
	t.Cleanup(func() { dataRowGroupRows, dataPageBytes = old, oldPage })
	ctx := context.Background()
	tbl, err := Create(ctx, t.TempDir(), pruneSchema, &CreateOptions{PartitionBy: []string{"p"}, Properties: props, Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	rnd := rand.New(rand.NewPCG(seed, 7))
	for a := 0; a < 3; a++ {
		b := array.NewRecordBuilder(mem, pruneSchema)
		for i := 0; i < 1000; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(a*1000 + i))
			vb := b.Field(1).(*array.Float64Builder)
			switch r := rnd.IntN(50); {
			case r == 0:
				vb.AppendNull()
			case r == 1:
				vb.Append(math.NaN())
			default:
				vb.Append(rnd.Float64())
			}
			lb := b.Field(2).(*array.StringBuilder)
			if rnd.IntN(40) == 0 {
				lb.AppendNull()
			} else {
				lb.Append(fmt.Sprintf("l%02d", rnd.IntN(20)))
			}
			b.Field(3).(*array.StringBuilder).Append([]string{"a", "b", "c"}[rnd.IntN(3)])
		}
		rec := b.NewRecordBatch()
		b.Release()
		rr, err := array.NewRecordReader(pruneSchema, []arrow.RecordBatch{rec})
		require.NoError(t, err)
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		rec.Release()
		require.NoError(t, err)
	}
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	return snap
}

// scanRows scans and renders every row as text, sorted.
func scanRows(t *testing.T, snap *Snapshot, opts *ScanOptions) ([]string, *scanPlan) {
	t.Helper()
	rr, err := snap.Scan(context.Background(), opts)
	require.NoError(t, err)
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rows = append(rows, renderRows(rr.RecordBatch())...)
	}
	require.NoError(t, rr.Err())
	slices.Sort(rows)
	return rows, rr.(*scanReader).plan
}

func renderRows(rec arrow.RecordBatch) []string {
	out := make([]string, rec.NumRows())
	for i := range out {
		parts := make([]string, rec.NumCols())
		for c := range parts {
			parts[c] = rec.Column(c).ValueStr(i)
		}
		out[i] = strings.Join(parts, "|")
	}
	return out
}

// bruteForce filters a full unfiltered scan row by row with the compiled
// predicate: the rows a pruned scan must return.
func bruteForce(t *testing.T, snap *Snapshot, mem memory.Allocator, filter string, cols []string) []string {
	t.Helper()
	rr, err := snap.Scan(context.Background(), nil)
	require.NoError(t, err)
	defer rr.Release()
	e, err := expr.Parse(filter)
	require.NoError(t, err)
	prog, err := expr.Compile(e, rr.Schema(), &expr.CompileOptions{Allocator: mem})
	require.NoError(t, err)
	var rows []string
	for rr.Next() {
		kept, err := prog.Filter(context.Background(), rr.RecordBatch())
		require.NoError(t, err)
		if cols != nil {
			var arrs []arrow.Array
			var fields []arrow.Field
			for _, c := range cols {
				i := kept.Schema().FieldIndices(c)[0]
				arrs = append(arrs, kept.Column(i))
				fields = append(fields, kept.Schema().Field(i))
			}
			proj := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, kept.NumRows())
			rows = append(rows, renderRows(proj)...)
			proj.Release()
		} else {
			rows = append(rows, renderRows(kept)...)
		}
		kept.Release()
	}
	require.NoError(t, rr.Err())
	slices.Sort(rows)
	return rows
}

func TestRowGroupPruningKeepsEveryMatchingRow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	snap := pruneTable(t, mem, 1)
	tests := []struct {
		filter string
		cols   []string
		// groups read in full at most, and groups pruned by statistics
		// at least: 9 files (3 appends × 3 partitions) of about 7 groups,
		// after file skipping has dropped the files it can.
		maxRead, minStatsPruned int64
	}{
		{"id BETWEEN 500 AND 520", nil, 3, 15},
		{"id BETWEEN 500 AND 520", []string{"label"}, 3, 15},
		{"label = 'l07' AND v > 0.5", nil, 1000, 0},
		{"label = 'l07' AND v > 0.5", []string{"id"}, 1000, 0},
		{"id < 0", nil, 0, 0},
		{"v > 0.9 OR id = 7", nil, 1000, 0},
		{"v > 2", nil, 1000, 0}, // NaN is above every number
		{"label IN ('l01', 'l03')", []string{"p"}, 1000, 0},
		{"p = 'b' AND id >= 2900", nil, 3, 5},
		{"label IS NULL", nil, 1000, 0},
		{"v IS NULL AND id > 1000", []string{"v", "id"}, 1000, 12},
		{"NOT (id > 100)", nil, 3, 15},
		{"id > 2999 OR label = 'nope'", nil, 0, 0},
		{"label = 'zz'", nil, 0, 0},
		{"p = 'b'", []string{"id"}, 1000, 0}, // no data column in the filter
		{"p = 'c' OR v > 0.95", nil, 1000, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%v", tc.filter, tc.cols), func(t *testing.T) {
			e, err := expr.Parse(tc.filter)
			require.NoError(t, err)
			got, plan := scanRows(t, snap, &ScanOptions{Filter: e, Columns: tc.cols, BatchSize: 16})
			want := bruteForce(t, snap, mem, tc.filter, tc.cols)
			assert.Equal(t, want, got)
			require.NotNil(t, plan.late)
			assert.LessOrEqual(t, plan.groups.read.Load(), tc.maxRead)
			assert.GreaterOrEqual(t, plan.groups.prunedByStats.Load(), tc.minStatsPruned)
		})
	}
}

// TestRowGroupPruningRandomPredicates compares pruned scans with the brute
// force over random range and equality predicates on several seeds.
func TestRowGroupPruningRandomPredicates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for seed := uint64(2); seed < 4; seed++ {
		snap := pruneTable(t, mem, seed)
		rnd := rand.New(rand.NewPCG(seed, 11))
		for i := 0; i < 20; i++ {
			lo := rnd.IntN(3000)
			filter := []string{
				fmt.Sprintf("id BETWEEN %d AND %d", lo, lo+rnd.IntN(200)),
				fmt.Sprintf("id > %d AND label = 'l%02d'", lo, rnd.IntN(20)),
				fmt.Sprintf("v < %g OR id < %d", rnd.Float64()/10, lo),
				fmt.Sprintf("p = 'c' AND id <= %d", lo),
				fmt.Sprintf("label >= 'l%02d' AND id != %d", rnd.IntN(22), lo),
				fmt.Sprintf("label IN ('l%02d', 'l%02d', 'zz') AND v > %g", rnd.IntN(20), rnd.IntN(22), rnd.Float64()),
				fmt.Sprintf("label IS NULL OR id IN (%d, %d)", lo, lo+rnd.IntN(1000)),
				fmt.Sprintf("v IS NULL OR (label = 'l%02d' AND id < %d)", rnd.IntN(20), lo),
				fmt.Sprintf("v >= %g AND p IN ('a', 'b')", rnd.Float64()),
				"isnan(v) OR label = 'l03'",
			}[i%10]
			t.Run(fmt.Sprintf("%d/%s", seed, filter), func(t *testing.T) {
				e, err := expr.Parse(filter)
				require.NoError(t, err)
				got, _ := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 32})
				assert.Equal(t, bruteForce(t, snap, mem, filter, nil), got)
			})
		}
	}
}

// FuzzRowGroupPruning builds predicates from fuzzed bounds over the same
// table as TestRowGroupPruningRandomPredicates: the pruned scan must return
// exactly the rows of a brute-force filter over the full read.
func FuzzRowGroupPruning(f *testing.F) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	snap := pruneTable(f, mem, 5)
	f.Add(uint8(0), int64(100), int64(50), uint8(3), 0.5)
	f.Add(uint8(3), int64(2999), int64(0), uint8(19), 0.01)
	f.Add(uint8(5), int64(-1), int64(7), uint8(21), math.Inf(1))
	f.Fuzz(func(t *testing.T, kind uint8, lo, span int64, label uint8, v float64) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			v = 0.5
		}
		filter := []string{
			fmt.Sprintf("id BETWEEN %d AND %d", lo, lo+span),
			fmt.Sprintf("label = 'l%02d' AND v > %g", label%25, v),
			fmt.Sprintf("label IN ('l%02d', 'l%02d') OR id = %d", label%25, (label/2)%25, lo),
			fmt.Sprintf("v < %g OR label IS NULL", v),
			fmt.Sprintf("NOT (id >= %d) AND p != 'b'", lo),
			fmt.Sprintf("isnan(v) OR (id > %d AND label <= 'l%02d')", lo, label%25),
		}[int(kind)%6]
		e, err := expr.Parse(filter)
		require.NoError(t, err)
		got, _ := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 32})
		assert.Equal(t, bruteForce(t, snap, mem, filter, nil), got, filter)
	})
}
