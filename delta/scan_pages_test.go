package delta

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

// TestPagePruningKeepsEveryMatchingRow scans with and without the page
// index: both must return the brute-force rows, and selective range
// filters must skip pages.
func TestPagePruningKeepsEveryMatchingRow(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	snap := pruneTable(t, mem, 1)
	tests := []struct {
		filter string
		cols   []string
		// pieces of row groups the page index skipped, at least
		minPagesPruned int64
	}{
		{"id BETWEEN 510 AND 515", nil, 1},
		{"id BETWEEN 510 AND 515", []string{"label"}, 1},
		{"id = 2222 OR id = 1111", []string{"v"}, 1},
		{"id >= 2990", nil, 0},
		{"label = 'l07' AND v > 0.5", nil, 0},
		{"v IS NULL AND id < 40", []string{"id"}, 1},
		{"NOT (id > 20) AND p = 'a'", nil, 1},
		{"label IS NOT NULL AND id BETWEEN 100 AND 104", nil, 1},
		{"isnan(v) OR id = 5", nil, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%v", tc.filter, tc.cols), func(t *testing.T) {
			e, err := expr.Parse(tc.filter)
			require.NoError(t, err)
			want := bruteForce(t, snap, mem, tc.filter, tc.cols)
			got, plan := scanRows(t, snap, &ScanOptions{Filter: e, Columns: tc.cols, BatchSize: 8})
			assert.Equal(t, want, got)
			assert.GreaterOrEqual(t, plan.groups.pagesPruned.Load(), tc.minPagesPruned)
			off, offPlan := scanRows(t, snap, &ScanOptions{Filter: e, Columns: tc.cols, BatchSize: 8, NoPageIndex: true})
			assert.Equal(t, want, off)
			assert.Zero(t, offPlan.groups.pagesPruned.Load())
			assert.Zero(t, offPlan.groups.prunedByPages.Load())
		})
	}
}

// TestPagePruningDeletionVectors prunes pages of files with deletion
// vectors: the vectors hold file-wide row indexes, which must still land
// on the right rows when reading starts inside a row group.
func TestPagePruningDeletionVectors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	snap := newPruneTable(t, mem, 3, map[string]string{"delta.enableDeletionVectors": "true"})
	del, err := expr.Parse("id % 3 = 1 OR label = 'l05'")
	require.NoError(t, err)
	_, err = snap.table.Delete(context.Background(), del, nil)
	require.NoError(t, err)
	snap, err = snap.table.Snapshot(context.Background())
	require.NoError(t, err)
	rnd := rand.New(rand.NewPCG(3, 5))
	pruned := int64(0)
	for i := 0; i < 12; i++ {
		lo := rnd.IntN(3000)
		filter := fmt.Sprintf("id BETWEEN %d AND %d", lo, lo+rnd.IntN(60))
		if i%3 == 2 {
			filter += fmt.Sprintf(" AND label <> 'l%02d'", rnd.IntN(20))
		}
		t.Run(filter, func(t *testing.T) {
			e, err := expr.Parse(filter)
			require.NoError(t, err)
			got, plan := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 16})
			assert.Equal(t, bruteForce(t, snap, mem, filter, nil), got)
			pruned += plan.groups.pagesPruned.Load()
		})
	}
	assert.Positive(t, pruned, "narrow id ranges skip pages")
}

// TestPagePruningRandomPredicates is the row-group property test with
// pages checked too: random tables and predicates, the pruned scan equal
// to a brute-force filter, page pruning seen to happen.
func TestPagePruningRandomPredicates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	pruned := int64(0)
	old := pageSeekGap
	defer func() { pageSeekGap = old }()
	for seed := uint64(10); seed < 12; seed++ {
		// Seed 10 reads across gaps, seed 11 seeks over every one.
		pageSeekGap = int64(11-seed) * 10
		snap := pruneTable(t, mem, seed)
		rnd := rand.New(rand.NewPCG(seed, 13))
		for i := 0; i < 16; i++ {
			lo := rnd.IntN(3000)
			filter := []string{
				fmt.Sprintf("id BETWEEN %d AND %d", lo, lo+rnd.IntN(40)),
				fmt.Sprintf("id < %d OR id > %d", rnd.IntN(30), 2970+rnd.IntN(30)),
				fmt.Sprintf("(id BETWEEN %d AND %d OR label = 'l%02d') AND v < %g", lo, lo+20, rnd.IntN(20), rnd.Float64()),
				fmt.Sprintf("id IN (%d, %d, %d) AND label IS NOT NULL", lo, lo+300, rnd.IntN(3000)),
				fmt.Sprintf("NOT (id <> %d) OR v IS NULL", lo),
				fmt.Sprintf("label > 'l%02d' AND id >= %d AND id < %d", rnd.IntN(20), lo, lo+50),
				fmt.Sprintf("p = 'b' AND id BETWEEN %d AND %d", lo, lo+100),
				fmt.Sprintf("isnan(v) AND id > %d", lo),
			}[i%8]
			t.Run(fmt.Sprintf("%d/%s", seed, filter), func(t *testing.T) {
				e, err := expr.Parse(filter)
				require.NoError(t, err)
				got, plan := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 1 + int64(rnd.IntN(40))})
				assert.Equal(t, bruteForce(t, snap, mem, filter, nil), got)
				pruned += plan.groups.pagesPruned.Load()
			})
		}
	}
	assert.Positive(t, pruned)
}

func TestKeptRanges(t *testing.T) {
	seg := func(s, e int64) parquetio.PageSegment {
		return parquetio.PageSegment{Rows: parquetio.RowRange{Start: s, End: e}}
	}
	r := func(s, e int64) parquetio.RowRange { return parquetio.RowRange{Start: s, End: e} }
	segs := []parquetio.PageSegment{seg(100, 110), seg(110, 130), seg(130, 150), seg(150, 200)}
	tests := []struct {
		name    string
		keep    []bool
		gap     int64
		want    []parquetio.RowRange
		skipped int64
	}{
		{"all kept merge to one", []bool{true, true, true, true}, 0, []parquetio.RowRange{r(100, 200)}, 0},
		{"none kept", []bool{false, false, false, false}, 0, nil, 4},
		{"middle piece", []bool{false, true, false, false}, 0, []parquetio.RowRange{r(110, 130)}, 3},
		{"two runs", []bool{true, false, false, true}, 0, []parquetio.RowRange{r(100, 110), r(150, 200)}, 2},
		{"small gap read through", []bool{true, false, false, true}, 40, []parquetio.RowRange{r(100, 200)}, 0},
		{"gap too wide", []bool{true, false, false, true}, 39, []parquetio.RowRange{r(100, 110), r(150, 200)}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, skipped := keptRanges(segs, tc.keep, tc.gap)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.skipped, skipped)
		})
	}
}

// TestPagePruningColumnMapping prunes pages under name and id column
// mapping: name mapping looks pages up by physical name, id mapping reads
// whole row groups (file names need not be the physical names).
func TestPagePruningColumnMapping(t *testing.T) {
	for _, mode := range []string{"name", "id"} {
		t.Run(mode, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			snap := newPruneTable(t, mem, 6, map[string]string{"delta.columnMapping.mode": mode})
			for _, filter := range []string{"id BETWEEN 1200 AND 1210", "label = 'l04' AND id < 300", "v IS NULL AND id > 2500"} {
				e, err := expr.Parse(filter)
				require.NoError(t, err)
				got, plan := scanRows(t, snap, &ScanOptions{Filter: e, BatchSize: 8})
				assert.Equal(t, bruteForce(t, snap, mem, filter, nil), got, filter)
				if mode == "name" && filter == "id BETWEEN 1200 AND 1210" {
					assert.Positive(t, plan.groups.pagesPruned.Load())
				}
				if mode == "id" {
					assert.Zero(t, plan.groups.pagesPruned.Load())
				}
			}
		})
	}
}
