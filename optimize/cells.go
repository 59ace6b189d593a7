package optimize

import (
	"bytes"
	"slices"
)

// Clustering on two or more columns (liquid clustering and Z-ordering)
// cuts a partition into cells before it orders rows.
//
// Cutting a curve-ordered run of rows into files of equal row counts
// puts the cuts wherever the counts fall: a file is then a stretch of the
// curve that turns corners, and its min/max box in each column is
// wider than its share of the data. A query on one column must read every
// file whose box it meets, so those wider boxes cost reads.
//
// Instead the sampled rows' range ids are split like a k-d tree, each
// cut at the sample's quantile along the dimension in which the node's
// points are widest (in ranges of that column), until there is one cell
// per output file. Cells are boxes in range-id space that hold about the
// same number of rows and are about as wide in every column, which is
// the shape that minimises the files a one-column range query meets:
// about its share of the rows plus 1/√cells for two columns. Cells are
// ranked along the curve (Hilbert or Z-order) by their centres, and rows
// within a cell keep curve order.

// cellTree routes a point of range ids to its cell's rank along the
// curve.
type cellTree struct {
	nodes []cellNode
	// unsplit holds, by rank, whether a cell stands for several that
	// could not be cut apart: its sampled points were all equal (one hot
	// combination of values), so its rows differ only in their noise
	// byte and are split by count instead.
	unsplit []bool
}

// cellNode is a leaf when dim is negative; otherwise points whose
// coordinate dim is below cut go to left, the others to right.
type cellNode struct {
	dim         int
	cut         int32
	left, right int32
	rank        uint32 // leaves: the cell's position along the curve
}

// rank returns the rank of the cell holding point ids.
func (t *cellTree) rank(ids []int32) uint32 {
	n := &t.nodes[0]
	for n.dim >= 0 {
		if ids[n.dim] < n.cut {
			n = &t.nodes[n.left]
		} else {
			n = &t.nodes[n.right]
		}
	}
	return n.rank
}

// cellBuilder holds the state of one buildCells call.
type cellBuilder struct {
	points  [][]int32 // sampled rows' range ids
	extents []int32   // per dimension: the number of ranges
	key     func(centre []int32) []byte
	tree    *cellTree
	leaves  []cellLeaf
}

type cellLeaf struct {
	node    int32
	key     []byte // curve key of the cell's centre
	unsplit bool
}

// buildCells splits points (range ids per dimension, each below
// extents[k]) into at most cells cells of about equal counts, ranked by
// key, the curve position of a cell's centre. Fewer cells come out when
// the points cannot be split further (all equal).
func buildCells(points [][]int32, extents []int32, cells int, key func(centre []int32) []byte) *cellTree {
	b := &cellBuilder{points: points, extents: extents, key: key, tree: &cellTree{}}
	lo := make([]int32, len(extents))
	hi := slices.Clone(extents)
	idx := make([]int32, len(points))
	for i := range idx {
		idx[i] = int32(i)
	}
	b.split(idx, max(cells, 1), lo, hi)
	slices.SortStableFunc(b.leaves, func(x, y cellLeaf) int { return bytes.Compare(x.key, y.key) })
	b.tree.unsplit = make([]bool, len(b.leaves))
	for r, l := range b.leaves {
		b.tree.nodes[l.node].rank = uint32(r)
		b.tree.unsplit[r] = l.unsplit
	}
	return b.tree
}

// split adds the node for points idx, to be cut into n cells, inside the
// box [lo, hi) of range ids, and returns its index.
func (b *cellBuilder) split(idx []int32, n int, lo, hi []int32) int32 {
	self := int32(len(b.tree.nodes))
	b.tree.nodes = append(b.tree.nodes, cellNode{dim: -1})
	if n > 1 && len(idx) > 1 {
		if dim, cut, left := b.choose(idx, n); dim >= 0 {
			nl := min(max(int((int64(n)*int64(left)+int64(len(idx))/2)/int64(len(idx))), 1), n-1)
			b.tree.nodes[self].dim, b.tree.nodes[self].cut = dim, cut
			lhi, rlo := slices.Clone(hi), slices.Clone(lo)
			lhi[dim], rlo[dim] = cut, cut
			l := b.split(idx[:left], nl, lo, lhi)
			r := b.split(idx[left:], n-nl, rlo, hi)
			b.tree.nodes[self].left, b.tree.nodes[self].right = l, r
			return self
		}
	}
	b.leaves = append(b.leaves, cellLeaf{node: self, key: b.centreKey(lo, hi), unsplit: n > 1})
	return self
}

// choose picks the dimension along which idx's points spread widest
// (relative to the dimension's ranges) and the cut nearest the quantile
// n/2 ÷ n of the points, leaving idx sorted by that dimension. left is
// the number of points below the cut; dim is -1 if no dimension splits.
func (b *cellBuilder) choose(idx []int32, n int) (dim int, cut int32, left int) {
	order := make([]int, 0, len(b.extents))
	width := make([]float64, len(b.extents))
	for k := range b.extents {
		mn, mx := b.points[idx[0]][k], b.points[idx[0]][k]
		for _, i := range idx[1:] {
			v := b.points[i][k]
			mn, mx = min(mn, v), max(mx, v)
		}
		if mx > mn {
			width[k] = float64(mx-mn) / float64(b.extents[k])
			order = append(order, k)
		}
	}
	if len(order) == 0 {
		return -1, 0, 0
	}
	slices.SortStableFunc(order, func(x, y int) int {
		switch {
		case width[x] > width[y]:
			return -1
		case width[x] < width[y]:
			return 1
		}
		return 0
	})
	dim = order[0]
	slices.SortFunc(idx, func(x, y int32) int { return int(b.points[x][dim]) - int(b.points[y][dim]) })
	want := len(idx) * (n / 2) / n
	v := b.points[idx[want]][dim]
	// The cut falls between two distinct values: before the run of v or
	// after it, whichever is nearer the wanted count and splits at all.
	before, _ := slices.BinarySearchFunc(idx, v, func(i int32, t int32) int { return int(b.points[i][dim]) - int(t) })
	after, _ := slices.BinarySearchFunc(idx, v+1, func(i int32, t int32) int { return int(b.points[i][dim]) - int(t) })
	switch {
	case before == 0:
		left = after
	case after == len(idx):
		left = before
	case want-before <= after-want:
		left = before
	default:
		left = after
	}
	return dim, b.points[idx[left]][dim], left
}

// centreKey is the curve key of the centre of the box [lo, hi).
func (b *cellBuilder) centreKey(lo, hi []int32) []byte {
	mid := make([]int32, len(lo))
	for k := range lo {
		mid[k] = int32((int64(lo[k]) + int64(hi[k])) / 2)
	}
	return b.key(mid)
}
