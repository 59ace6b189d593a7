package delta

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecycler(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, r *recycler)
	}{
		{"reuses a freed buffer, zeroed", func(t *testing.T, r *recycler) {
			b := r.Allocate(recycleMin)
			b[0], b[len(b)-1] = 7, 9
			r.Free(b)
			c := r.Allocate(recycleMin)
			assert.Same(t, &b[0], &c[0])
			assert.Equal(t, byte(0), c[0])
			assert.Equal(t, byte(0), c[len(c)-1])
			r.Free(c)
		}},
		{"small buffers stay the base's", func(t *testing.T, r *recycler) {
			b := r.Allocate(100)
			b = r.Reallocate(200, b)
			require.Len(t, b, 200)
			b = r.Reallocate(recycleMin+1, b)
			require.Len(t, b, recycleMin+1)
			r.Free(b)
		}},
		{"growing a pooled buffer copies it", func(t *testing.T, r *recycler) {
			b := r.Allocate(recycleMin)
			b[10] = 3
			b = r.Reallocate(2*recycleMin, b)
			assert.Equal(t, byte(3), b[10])
			b = r.Reallocate(recycleMin, b) // shrinking keeps it
			assert.Len(t, b, recycleMin)
			r.Free(b)
		}},
		{"freed after close goes to the base", func(t *testing.T, r *recycler) {
			b := r.Allocate(2 * recycleMin)
			r.close()
			r.Free(b)
			c := r.Allocate(recycleMin)
			r.Free(c)
		}},
		{"pools at most recycleHeld bytes", func(t *testing.T, r *recycler) {
			var bs [][]byte
			for i := 0; i < recycleHeld/(1<<20)+4; i++ {
				bs = append(bs, r.Allocate(1<<20))
			}
			for _, b := range bs {
				r.Free(b)
			}
			assert.LessOrEqual(t, r.held, recycleHeld)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			r := newRecycler(mem)
			tc.run(t, r)
			r.close()
			mem.AssertSize(t, 0)
		})
	}
}
