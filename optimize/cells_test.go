package optimize

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cellBoxes routes every point to its cell and returns each cell's count
// and the bounding box of its points, by rank.
func cellBoxes(t *testing.T, tree *cellTree, points [][]int32) (counts []int, lo, hi [][]int32) {
	t.Helper()
	for _, p := range points {
		r := int(tree.rank(p))
		for len(counts) <= r {
			counts = append(counts, 0)
			lo = append(lo, nil)
			hi = append(hi, nil)
		}
		if counts[r] == 0 {
			lo[r], hi[r] = slices.Clone(p), slices.Clone(p)
		}
		counts[r]++
		for k, v := range p {
			lo[r][k], hi[r][k] = min(lo[r][k], v), max(hi[r][k], v)
		}
	}
	return counts, lo, hi
}

func TestBuildCells(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	uniform := func(n, dims int, extent int32) [][]int32 {
		out := make([][]int32, n)
		for i := range out {
			out[i] = make([]int32, dims)
			for k := range out[i] {
				out[i][k] = rng.Int32N(extent)
			}
		}
		return out
	}
	// diagonal: the second column follows the first, as a heavy value
	// spread over its ranges by the next column looks.
	diagonal := make([][]int32, 20_000)
	for i := range diagonal {
		v := rng.Int32N(1000)
		diagonal[i] = []int32{v, min(999, v+rng.Int32N(3))}
	}
	constant := make([][]int32, 500)
	for i := range constant {
		constant[i] = []int32{7, 7}
	}
	oneAxis := make([][]int32, 5000)
	for i := range oneAxis {
		oneAxis[i] = []int32{3, rng.Int32N(1000)}
	}
	cases := []struct {
		name      string
		points    [][]int32
		cells     int
		wantCells int
		unsplit   bool // the one cell stands for several it could not cut
	}{
		{"uniform 2-D, 64 cells", uniform(50_000, 2, 1000), 64, 64, false},
		{"uniform 2-D, 683 cells", uniform(100_000, 2, 1000), 683, 683, false},
		{"uniform 3-D, 100 cells", uniform(50_000, 3, 1000), 100, 100, false},
		{"diagonal", diagonal, 50, 50, false},
		{"all points equal", constant, 10, 1, true},
		{"one column constant", oneAxis, 20, 20, false},
		{"one cell", uniform(1000, 2, 1000), 1, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dims := len(tc.points[0])
			extents := slices.Repeat([]int32{1000}, dims)
			tree := buildCells(tc.points, extents, tc.cells, hilbertCentre(dims))
			counts, _, _ := cellBoxes(t, tree, tc.points)
			require.Len(t, counts, tc.wantCells, "cells are ranked 0..n-1")
			require.Len(t, tree.unsplit, tc.wantCells)
			for r, u := range tree.unsplit {
				assert.Equal(t, tc.unsplit, u, "cell %d", r)
			}
			want := float64(len(tc.points)) / float64(tc.wantCells)
			for r, c := range counts {
				// Every rank is used and no cell holds more than a
				// third over or under its share (ties can shift a cut by
				// one run of equal values).
				assert.InDelta(t, want, float64(c), want/3+3, "cell %d", r)
			}
		})
	}
}

// TestCellsSlabQueries checks the property the cells exist for: on
// uniform 2-D data a query on one column covering a fraction w of its
// range meets about w·N + √N of N cells, the least any layout of N
// equal cells can (a Hilbert run cut by count meets more).
func TestCellsSlabQueries(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	points := make([][]int32, 100_000)
	for i := range points {
		points[i] = []int32{rng.Int32N(1000), rng.Int32N(1000)}
	}
	const n = 400
	tree := buildCells(points, []int32{1000, 1000}, n, hilbertCentre(2))
	_, lo, hi := cellBoxes(t, tree, points)
	for dim := range 2 {
		for _, q := range []struct{ lo, hi int32 }{{0, 9}, {495, 504}, {990, 999}, {250, 349}} {
			met := 0
			for r := range lo {
				if hi[r][dim] >= q.lo && lo[r][dim] <= q.hi {
					met++
				}
			}
			w := float64(q.hi-q.lo+1) / 1000
			bound := w*n + 2*math.Sqrt(n)
			assert.LessOrEqual(t, float64(met), bound, "dim %d query %v", dim, q)
		}
	}
}

// TestCellsRankAlongCurve checks that cells are ranked by the Hilbert
// key of their centres: consecutive ranks are close in space.
func TestCellsRankAlongCurve(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	points := make([][]int32, 40_000)
	for i := range points {
		points[i] = []int32{rng.Int32N(1000), rng.Int32N(1000)}
	}
	tree := buildCells(points, []int32{1000, 1000}, 64, hilbertCentre(2))
	_, lo, hi := cellBoxes(t, tree, points)
	for r := 1; r < len(lo); r++ {
		for k := range 2 {
			// Cells are about 125 ranges wide; neighbours along the curve
			// share an edge, so their centres differ by about one cell.
			a := float64(lo[r-1][k]+hi[r-1][k]) / 2
			b := float64(lo[r][k]+hi[r][k]) / 2
			assert.Less(t, math.Abs(a-b), 300.0, "ranks %d and %d, dim %d", r-1, r, k)
		}
	}
}

// hilbertCentre ranks cells of ids below 1000 along a Hilbert curve.
func hilbertCentre(dims int) func([]int32) []byte {
	scratch := make([]uint32, dims)
	return func(centre []int32) []byte { return hilbertKey(nil, centre, hilbertBits(1000), scratch) }
}
