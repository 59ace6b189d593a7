package parquetio

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSegmentStarts(t *testing.T) {
	tests := []struct {
		name  string
		nrows int64
		pages [][]int64
		want  []int64
	}{
		{"one column", 100, [][]int64{{0, 30, 60}}, []int64{0, 30, 60}},
		{"two columns interleave", 100, [][]int64{{0, 50}, {0, 20, 70}}, []int64{0, 20, 50, 70}},
		{"shared boundaries once", 100, [][]int64{{0, 40}, {0, 40}}, []int64{0, 40}},
		{"starts outside the group are dropped", 50, [][]int64{{0, 10, 50, 60}}, []int64{0, 10}},
		{"no pages", 10, nil, []int64{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, segmentStarts(tc.nrows, tc.pages))
		})
	}
}

func TestCoalesceRowRanges(t *testing.T) {
	r := func(s, e int64) RowRange { return RowRange{Start: s, End: e} }
	tests := []struct {
		name string
		in   []RowRange
		gap  int64
		want []RowRange
	}{
		{"touching merge", []RowRange{r(0, 10), r(10, 20)}, 0, []RowRange{r(0, 20)}},
		{"apart stay apart", []RowRange{r(0, 10), r(11, 20)}, 0, []RowRange{r(0, 10), r(11, 20)}},
		{"gap below the limit merges", []RowRange{r(0, 10), r(15, 20), r(40, 50)}, 5, []RowRange{r(0, 20), r(40, 50)}},
		{"empty ranges dropped", []RowRange{r(5, 5), r(7, 9)}, 0, []RowRange{r(7, 9)}},
		{"nothing", nil, 3, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, CoalesceRowRanges(tc.in, tc.gap))
		})
	}
}

func TestGroupRanges(t *testing.T) {
	r := func(s, e int64) RowRange { return RowRange{Start: s, End: e} }
	rs := []RowRange{r(0, 5), r(8, 30), r(40, 41)}
	assert.Equal(t, []RowRange{r(0, 5), r(8, 10)}, groupRanges(rs, 0, 10))
	assert.Equal(t, []RowRange{r(10, 20)}, groupRanges(rs, 10, 20))
	assert.Equal(t, []RowRange{r(20, 30), r(40, 41)}, groupRanges(rs, 20, 50))
	assert.Nil(t, groupRanges(rs, 30, 40))
}
