package delta

import (
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// constColumns builds the change feed's constant columns (_change_type,
// _commit_version, _commit_timestamp) once per value and hands out
// zero-copy slices of them: consecutive batches, and all the files of one
// version, share one array per column instead of filling a new one per
// batch. Each column keeps only its latest value, since units come in
// version order; an array replaced or dropped at close lives on in the
// slices handed out until their batches are released. Safe for concurrent
// use: prefetch workers decorate batches at once.
type constColumns struct {
	mu    sync.Mutex
	mem   memory.Allocator
	slots []constSlot
}

type constSlot struct {
	key any // the value, comparable
	arr arrow.Array
}

func newConstColumns(mem memory.Allocator, n int) *constColumns {
	return &constColumns{mem: mem, slots: make([]constSlot, n)}
}

// column returns an owned array of n copies of sc for column slot col;
// key identifies sc's value.
func (c *constColumns) column(col int, key any, sc scalar.Scalar, n int) (arrow.Array, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.slots[col]
	if s.arr == nil || s.key != key || s.arr.Len() < n {
		a, err := scalar.MakeArrayFromScalar(sc, n, c.mem)
		if err != nil {
			return nil, err
		}
		if s.arr != nil {
			s.arr.Release()
		}
		s.key, s.arr = key, a
	}
	return array.NewSlice(s.arr, 0, int64(n)), nil
}

// close drops the cached arrays; slices handed out stay valid.
func (c *constColumns) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.slots {
		if c.slots[i].arr != nil {
			c.slots[i].arr.Release()
			c.slots[i] = constSlot{}
		}
	}
}
