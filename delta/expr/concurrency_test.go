package expr

import (
	"context"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestProgramConcurrentEval checks invariant I1: one Program evaluated from
// many goroutines (run under -race) gives the same answer everywhere.
func TestProgramConcurrentEval(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	batch := testBatch(t, mem)
	defer batch.Release()
	e, err := Parse(`regexp_replace(s, s, 'x') = 'x' OR s LIKE s OR regexp_extract(s, '(a)', 1) = 'a' OR hash(s) > 0`)
	require.NoError(t, err)
	p, err := Compile(e, testSchema, &CompileOptions{Allocator: mem})
	require.NoError(t, err)
	first, err := p.Eval(context.Background(), batch)
	require.NoError(t, err)
	defer first.Release()
	want := values(first)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				out, err := p.Eval(context.Background(), batch)
				if !assert.NoError(t, err) {
					return
				}
				assert.Equal(t, want, values(out))
				out.Release()
			}
		}()
	}
	wg.Wait()
}
