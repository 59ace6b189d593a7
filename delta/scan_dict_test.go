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

var dictSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "Label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "tag", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "p", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// dictTable writes rows in row groups of 50 where each group holds the
// labels "a00" and "z99" (so min/max statistics never prune a label in
// between) plus two labels of its own ("k<group>0", "k<group>1"): only
// dictionaries can tell groups apart. Labels and tags are sometimes null.
// With dv, some rows are then deleted through deletion vectors.
func dictTable(t testing.TB, mem memory.Allocator, props map[string]string, dv bool) *Snapshot {
	t.Helper()
	old := dataRowGroupRows
	dataRowGroupRows = 50
	t.Cleanup(func() { dataRowGroupRows = old })
	ctx := context.Background()
	tbl, err := Create(ctx, t.TempDir(), dictSchema, &CreateOptions{PartitionBy: []string{"p"}, Properties: props, Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	rnd := rand.New(rand.NewPCG(3, 5))
	b := array.NewRecordBuilder(mem, dictSchema)
	defer b.Release()
	for i := 0; i < 600; i++ {
		g := i / 50
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.Float64Builder).Append(rnd.Float64())
		lb := b.Field(2).(*array.StringBuilder)
		switch r := rnd.IntN(10); {
		case r == 0:
			lb.AppendNull()
		case r == 1:
			lb.Append("a00")
		case r == 2:
			lb.Append("z99")
		default:
			lb.Append(fmt.Sprintf("k%02d%d", g, r%2))
		}
		tb := b.Field(3).(*array.BinaryBuilder)
		if rnd.IntN(8) == 0 {
			tb.AppendNull()
		} else {
			tb.Append([]byte{byte('a' + g%4)})
		}
		// One partition per 200 rows keeps every partition's file in
		// several row groups.
		b.Field(4).(*array.StringBuilder).Append([]string{"x", "y", "z"}[i/200])
	}
	rec := b.NewRecordBatch()
	rr, err := array.NewRecordReader(dictSchema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	rec.Release()
	require.NoError(t, err)
	if dv {
		del, err := expr.Parse("id % 7 = 3 OR Label = 'k051'")
		require.NoError(t, err)
		_, err = tbl.Delete(ctx, del, nil)
		require.NoError(t, err)
	}
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	return snap
}

// dictTableKinds are the variants of dictTable the filter tests scan:
// plain, with deletion vectors, with column mapping.
var dictTableKinds = []struct {
	name  string
	props map[string]string
	dv    bool
}{
	{"plain", nil, false},
	{"deletion vectors", map[string]string{"delta.enableDeletionVectors": "true"}, true},
	{"column mapping", map[string]string{"delta.columnMapping.mode": "name"}, false},
}

// TestDictionaryFilterMatchesPlainFilter compares scans with the
// dictionary path on and off, and with the brute force, over tables
// with nulls, deletion vectors and column mapping; and checks that the
// path was taken and pruned where it should.
func TestDictionaryFilterMatchesPlainFilter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tables := dictTableKinds
	filters := []struct {
		filter string
		cols   []string
		// whether the dictionary path is used, and the least number of
		// row groups it must skip (12 groups in all).
		used      bool
		minPruned int64
	}{
		{"label = 'k031'", nil, true, 11},
		{"label = 'k031' AND v > 0.5", []string{"id", "Label"}, true, 11},
		{"Label IN ('k010', 'k071', 'nope') AND v < 0.7", []string{"id"}, true, 10},
		{"label = 'nope'", nil, true, 12},
		{"label <> 'a00'", []string{"id", "v"}, true, 0},
		{"NOT (label = 'k051' OR label = 'k050')", []string{"id"}, true, 0},
		{"label LIKE 'k02%' AND id > 100", nil, true, 9}, // statistics skip groups 0 and 1 first
		{"label IS NULL AND v > 0.2", nil, true, 0},
		{"label IS NULL OR label = 'k111'", nil, true, 0},
		{"label <=> NULL", []string{"id"}, true, 0},
		{"label NOT IN ('a00', 'z99')", []string{"Label"}, true, 0},
		{"label BETWEEN 'k03' AND 'k05' AND p = 'y'", nil, true, 0},
		{"label = 'k031' AND tag = X'62'", nil, true, 11},
		{"tag = X'61' AND (v > 0.9 OR label = 'z99')", []string{"id", "tag"}, true, 0},
		{"v > 0.5 OR label = 'k031'", nil, false, 0},                 // no value-wise conjunct
		{"upper(label) = 'K031'", nil, false, 0},                     // a function: evaluated per row
		{"label = 'k031' AND upper(label) = 'K031'", nil, true, 11},  // the rest sees plain strings
		{"label = 'k031' AND p = 'x'", []string{"p", "id"}, true, 3}, // only partition x's 4 groups are read
	}
	for _, tb := range tables {
		snap := dictTable(t, mem, tb.props, tb.dv)
		for _, tc := range filters {
			t.Run(fmt.Sprintf("%s/%s/%v", tb.name, tc.filter, tc.cols), func(t *testing.T) {
				e, err := expr.Parse(tc.filter)
				require.NoError(t, err)
				on, plan := scanRows(t, snap, &ScanOptions{Filter: e, Columns: tc.cols, BatchSize: 16})
				off, offPlan := scanRows(t, snap, &ScanOptions{Filter: e, Columns: tc.cols, BatchSize: 16, NoDictionaryFilter: true})
				assert.Equal(t, off, on)
				assert.Equal(t, bruteForce(t, snap, mem, tc.filter, tc.cols), on)
				assert.Nil(t, offPlan.late.dict)
				d := plan.late.dict
				if !tc.used {
					assert.Nil(t, d)
					return
				}
				require.NotNil(t, d)
				assert.Positive(t, d.used.Load()+d.pruned.Load())
				assert.GreaterOrEqual(t, d.pruned.Load(), tc.minPruned)
			})
		}
	}
}

// TestDictionaryFilterSequentialAndParallel checks the path with one
// file at a time and with several in flight, with default and tiny
// batches.
func TestDictionaryFilterSequentialAndParallel(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	snap := dictTable(t, mem, map[string]string{"delta.enableDeletionVectors": "true"}, true)
	e, err := expr.Parse("label IN ('k031', 'a00') AND v > 0.3")
	require.NoError(t, err)
	want := bruteForce(t, snap, mem, e.String(), nil)
	require.NotEmpty(t, want)
	for _, par := range []int{1, 4} {
		// Batches of 2 rows are smaller than the groups' 4-entry
		// dictionaries: the conjuncts are then evaluated per row.
		for _, batch := range []int64{0, 2} {
			got, plan := scanRows(t, snap, &ScanOptions{Filter: e, Parallelism: par, BatchSize: batch})
			assert.Equal(t, want, got, "parallelism %d, batch size %d", par, batch)
			assert.Positive(t, plan.late.dict.used.Load())
		}
	}
}

// dictPredicate builds one of several filter shapes over dictTable from
// fuzzed or random parameters.
func dictPredicate(kind uint8, g, r uint8, v float64, id int64) string {
	label := fmt.Sprintf("k%02d%d", g%14, r%3) // groups 12, 13 and suffix 2 match nothing
	other := fmt.Sprintf("k%02d%d", (g/2)%14, (r+1)%2)
	return []string{
		fmt.Sprintf("label = '%s'", label),
		fmt.Sprintf("label = '%s' AND v > %g", label, v),
		fmt.Sprintf("label IN ('%s', '%s') OR id = %d", label, other, id),
		fmt.Sprintf("label IN ('%s', '%s', NULL) AND id >= %d", label, other, id),
		fmt.Sprintf("NOT (label <> '%s') AND p != 'y'", label),
		fmt.Sprintf("(label = '%s' OR label IS NULL) AND v < %g", label, v),
		fmt.Sprintf("label >= '%s' AND label < '%s' AND tag <> X'63'", min(label, other), max(label, other)),
		fmt.Sprintf("label LIKE '%s%%' AND id < %d", label[:3], id),
		fmt.Sprintf("label NOT IN ('%s', 'a00', 'z99') AND v > %g", label, v),
		fmt.Sprintf("label = '%s' AND label = '%s'", label, other),
	}[int(kind)%10]
}

// TestDictionaryPruningRandomPredicates is the property test of
// dictionary skipping: random predicates over a table that only
// dictionaries can prune return exactly the brute force's rows, with the
// path on and off.
func TestDictionaryPruningRandomPredicates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	snap := dictTable(t, mem, map[string]string{"delta.enableDeletionVectors": "true"}, true)
	rnd := rand.New(rand.NewPCG(9, 9))
	var pruned int64
	for i := 0; i < 40; i++ {
		filter := dictPredicate(uint8(i), uint8(rnd.IntN(256)), uint8(rnd.IntN(256)), rnd.Float64(), rnd.Int64N(650))
		t.Run(filter, func(t *testing.T) {
			e, err := expr.Parse(filter)
			require.NoError(t, err)
			on, plan := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 32})
			off, _ := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 32, NoDictionaryFilter: true})
			assert.Equal(t, bruteForce(t, snap, mem, filter, nil), on)
			assert.Equal(t, off, on)
			if plan.late.dict != nil {
				pruned += plan.late.dict.pruned.Load()
			}
		})
	}
	assert.Positive(t, pruned, "some predicate skipped row groups on dictionaries")
}

// FuzzDictionaryPruning is FuzzRowGroupPruning for dictionary skipping:
// the scan must return exactly the rows of a brute-force filter.
func FuzzDictionaryPruning(f *testing.F) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	snap := dictTable(f, mem, map[string]string{"delta.enableDeletionVectors": "true"}, true)
	f.Add(uint8(0), uint8(3), uint8(1), 0.5, int64(100))
	f.Add(uint8(5), uint8(12), uint8(2), 0.9, int64(0))
	f.Add(uint8(8), uint8(7), uint8(0), 0.1, int64(599))
	f.Fuzz(func(t *testing.T, kind, g, r uint8, v float64, id int64) {
		if v != v || v > 1e300 || v < -1e300 { // NaN and infinities print as identifiers
			v = 0.5
		}
		filter := dictPredicate(kind, g, r, v, id)
		e, err := expr.Parse(filter)
		require.NoError(t, err)
		got, _ := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 32})
		assert.Equal(t, bruteForce(t, snap, mem, filter, nil), got, filter)
	})
}
