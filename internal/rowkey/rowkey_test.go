package rowkey

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
)

func strings2(mem memory.Allocator, vals []string, valid []bool) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(vals, valid)
	return b.NewArray()
}

// TestOfSeparatesValues: keys are equal only for equal tuples, including
// values that contain the separators or the text of a NULL.
func TestOfSeparatesValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	a := strings2(mem, []string{"a\x00", "a", "N;", "", "x", "x"}, []bool{true, true, true, true, false, true})
	defer a.Release()
	b := strings2(mem, []string{"b", "\x00b", "", "N;", "y", "y"}, nil)
	defer b.Release()
	cols := []arrow.Array{a, b}
	keys := map[string]int{}
	for i := range a.Len() {
		k := Of(cols, i)
		if j, dup := keys[k]; dup {
			t.Fatalf("rows %d and %d share key %q", j, i, k)
		}
		keys[k] = i
	}
	assert.Equal(t, Of(cols, 5), Of([]arrow.Array{a, b}, 5), "a key is a function of the values")
	assert.Len(t, keys, 6)
}
