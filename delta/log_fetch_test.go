package delta

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInOrder checks the ordered concurrent fetch that snapshot loads
// use: results are applied in index order, at most n fetches run at once
// (and more than one when n allows), and the first failure in index
// order is what the caller sees, as in a sequential loop.
func TestInOrder(t *testing.T) {
	errFetch := errors.New("fetch failed")
	errApply := errors.New("apply failed")
	tests := []struct {
		name           string
		n, count       int
		failFetch      int // index whose fetch fails; -1 none
		failApply      int // index whose apply fails; -1 none
		wantApplied    int
		wantErr        error
		wantConcurrent bool
	}{
		{"sequential", 1, 10, -1, -1, 10, nil, false},
		{"concurrent", 3, 10, -1, -1, 10, nil, true},
		{"more slots than items", 16, 5, -1, -1, 5, nil, true},
		{"none", 4, 0, -1, -1, 0, nil, false},
		{"one", 4, 1, -1, -1, 1, nil, false},
		{"fetch fails midway", 4, 10, 6, -1, 6, errFetch, true},
		{"fetch fails sequential", 1, 10, 6, -1, 6, errFetch, false},
		{"apply fails", 4, 10, -1, 2, 2, errApply, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var running, peak atomic.Int64
			var applied []int
			err := inOrder(context.Background(), tc.n, tc.count,
				func(ctx context.Context, i int) (int, error) {
					cur := running.Add(1)
					defer running.Add(-1)
					for {
						p := peak.Load()
						if cur <= p || peak.CompareAndSwap(p, cur) {
							break
						}
					}
					// Later items finish first, so order comes from
					// inOrder, not from timing.
					select {
					case <-time.After(time.Duration(tc.count-i) * time.Millisecond):
					case <-ctx.Done():
						return 0, ctx.Err()
					}
					if i == tc.failFetch {
						return 0, errFetch
					}
					return i * 10, nil
				},
				func(i, v int) error {
					if i == tc.failApply {
						return errApply
					}
					assert.Equal(t, i*10, v)
					applied = append(applied, i)
					return nil
				})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			want := make([]int, tc.wantApplied)
			for i := range want {
				want[i] = i
			}
			assert.Equal(t, want, append([]int{}, applied...))
			assert.LessOrEqual(t, peak.Load(), int64(max(tc.n, 1)))
			assert.Equal(t, tc.wantConcurrent, peak.Load() > 1)
			assert.Zero(t, running.Load(), "no fetch outlives inOrder")
		})
	}
}
