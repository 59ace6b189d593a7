package delta

import (
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recycler is the allocator a scan decodes each file with. A filtered
// scan decodes row groups of its filter's and other columns into batches
// it drops as soon as the matching rows are copied out, and a caller of a
// full scan usually releases each batch before the next is decoded;
// with a plain allocator each row group's page and value buffers are
// fresh memory, and zeroing it (page faults included, since the runtime
// hands idle memory back to the OS) was a quarter of the scan. Freed
// large buffers are kept and handed out again, zeroed, for the next row
// group. Close returns them to the base allocator; buffers freed after
// that go straight to it.
type recycler struct {
	base memory.Allocator
	mu   sync.Mutex
	free map[int][][]byte // pooled buffers by size
	own  map[*byte]int    // buffers this recycler sized, by first byte: capacity
	held int              // bytes pooled
	done bool
}

const (
	// Smaller buffers are not worth pooling; page readers' 16 KiB
	// buffers and a small file's value buffers are, in a scan of
	// thousands of small files.
	recycleMin  = 4 << 10
	recycleHeld = 32 << 20 // at most this many bytes pooled
)

func newRecycler(base memory.Allocator) *recycler {
	return &recycler{base: base, free: map[int][][]byte{}, own: map[*byte]int{}}
}

// Allocate implements memory.Allocator; the memory is zeroed, as the
// base allocators' is.
func (r *recycler) Allocate(size int) []byte {
	if size < recycleMin {
		return r.base.Allocate(size)
	}
	// Exact sizes: the builders' and pages' buffer sizes repeat row group
	// to row group; rounding up to powers of two measured slower (more
	// memory to zero and fault in).
	c := size
	r.mu.Lock()
	if l := r.free[c]; len(l) > 0 {
		b := l[len(l)-1]
		r.free[c] = l[:len(l)-1]
		r.held -= c
		r.mu.Unlock()
		b = b[:size]
		clear(b)
		return b
	}
	r.mu.Unlock()
	b := r.base.Allocate(c)
	r.mu.Lock()
	r.own[unsafe.SliceData(b)] = c
	r.mu.Unlock()
	return b[:size]
}

// Reallocate implements memory.Allocator. Buffers of the base allocator
// stay its own below the pooling size: it may account for their length
// (memory.CheckedAllocator does).
func (r *recycler) Reallocate(size int, b []byte) []byte {
	r.mu.Lock()
	_, mine := r.own[unsafe.SliceData(b)]
	r.mu.Unlock()
	if !mine && size < recycleMin {
		return r.base.Reallocate(size, b)
	}
	if mine && cap(b) >= size {
		return b[:size]
	}
	nb := r.Allocate(size)
	copy(nb, b)
	r.Free(b)
	return nb
}

// Free implements memory.Allocator.
func (r *recycler) Free(b []byte) {
	p := unsafe.SliceData(b)
	r.mu.Lock()
	c, mine := r.own[p]
	if !mine {
		r.mu.Unlock()
		r.base.Free(b)
		return
	}
	if r.done || r.held+c > recycleHeld {
		delete(r.own, p)
		r.mu.Unlock()
		r.base.Free(b[:c])
		return
	}
	r.free[c] = append(r.free[c], b[:c])
	r.held += c
	r.mu.Unlock()
}

// close frees the pooled buffers to the base allocator.
func (r *recycler) close() {
	r.mu.Lock()
	r.done = true
	free := r.free
	r.free = nil
	for _, l := range free {
		for _, b := range l {
			delete(r.own, unsafe.SliceData(b))
		}
	}
	r.held = 0
	r.mu.Unlock()
	for _, l := range free {
		for _, b := range l {
			r.base.Free(b)
		}
	}
}
