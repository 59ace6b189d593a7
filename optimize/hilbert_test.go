package optimize

import (
	"bytes"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHilbertKeyAdjacent checks the defining property of the curve on
// whole grids: keys are distinct (a bijection onto the cells) and cells
// consecutive in key order are neighbours (one coordinate differs by 1).
func TestHilbertKeyAdjacent(t *testing.T) {
	cases := []struct{ dims, bits int }{{1, 4}, {2, 1}, {2, 3}, {2, 5}, {3, 3}, {4, 2}}
	for _, tc := range cases {
		side := 1 << tc.bits
		cells := 1
		for range tc.dims {
			cells *= side
		}
		type cell struct {
			key []byte
			ids []int32
		}
		all := make([]cell, 0, cells)
		scratch := make([]uint32, tc.dims)
		for c := range cells {
			ids := make([]int32, tc.dims)
			for d, v := 0, c; d < tc.dims; d++ {
				ids[d] = int32(v % side)
				v /= side
			}
			key := hilbertKey(nil, ids, tc.bits, scratch)
			require.Len(t, key, 4*tc.dims)
			all = append(all, cell{key, ids})
		}
		slices.SortFunc(all, func(a, b cell) int { return bytes.Compare(a.key, b.key) })
		for i := 1; i < len(all); i++ {
			require.NotEqual(t, all[i-1].key, all[i].key, "dims %d bits %d: duplicate key", tc.dims, tc.bits)
			dist := 0
			for d := range tc.dims {
				diff := int(all[i].ids[d] - all[i-1].ids[d])
				dist += max(diff, -diff)
			}
			require.Equal(t, 1, dist, "dims %d bits %d: %v then %v", tc.dims, tc.bits, all[i-1].ids, all[i].ids)
		}
		assert.Equal(t, make([]int32, tc.dims), all[0].ids, "the curve starts at the origin")
	}
}

func TestHilbertBits(t *testing.T) {
	for ranges, want := range map[int]int{2: 1, 3: 2, 4: 2, 5: 3, 1000: 10, 1024: 10, 1025: 11} {
		assert.Equal(t, want, hilbertBits(ranges), ranges)
	}
}
