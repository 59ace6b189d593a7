package delta

import (
	"context"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// prefetchDepth is how many decoded batches one file may hold ahead of
// the caller: with Parallelism files in flight, a scan holds at most
// Parallelism × (prefetchDepth+1) batches beyond the caller's.
const prefetchDepth = 2

// parallelism resolves ScanOptions.Parallelism.
func (o *ScanOptions) parallelism() int {
	if o == nil || o.Parallelism == 0 {
		return runtime.GOMAXPROCS(0)
	}
	return max(o.Parallelism, 1)
}

// fileResult is one decoded batch of a prefetched file, or its error.
type fileResult struct {
	rec arrow.RecordBatch
	err error
}

// fileSlot carries one file's batches, in order, from the goroutine that
// decodes it to the caller; closed after the last.
type fileSlot struct {
	out chan fileResult
}

// prefetcher opens and decodes up to n files at once, on goroutines of
// its own, and hands their batches back in file order. At most n files
// are open and each holds at most prefetchDepth batches ahead.
type prefetcher struct {
	ctx    context.Context
	cancel context.CancelFunc
	order  chan *fileSlot // slots in file order; closed after the last file
	cur    *fileSlot
	wg     sync.WaitGroup
}

// prefetchItem is one unit a prefetcher decodes: a file's batches, each
// passed through batch when set (on the decoding goroutine).
type prefetchItem struct {
	// open starts reading the file; a nil *fileBatches means no rows.
	open  func(ctx context.Context) (*fileBatches, error)
	batch func(arrow.RecordBatch) (arrow.RecordBatch, error)
}

// startPrefetch prefetches the files of a scan.
func (s *Snapshot) startPrefetch(ctx context.Context, p *scanPlan, n int, next func() (*protocol.Add, error, bool), stop func()) *prefetcher {
	return startPrefetch(ctx, n, func() (prefetchItem, error, bool) {
		f, err, ok := next()
		return prefetchItem{open: func(ctx context.Context) (*fileBatches, error) { return s.openFileBatches(ctx, p, f) }}, err, ok
	}, stop)
}

// startPrefetch decodes the items next yields, up to n at once, and hands
// their batches back in order; stop is called once next is done with.
func startPrefetch(ctx context.Context, n int, next func() (prefetchItem, error, bool), stop func()) *prefetcher {
	ctx, cancel := context.WithCancel(ctx)
	pf := &prefetcher{ctx: ctx, cancel: cancel, order: make(chan *fileSlot, n)}
	sem := make(chan struct{}, n)
	pf.wg.Add(1)
	go func() {
		defer pf.wg.Done()
		defer close(pf.order)
		defer stop()
		for {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			it, err, ok := next()
			if !ok {
				return
			}
			slot := &fileSlot{out: make(chan fileResult, prefetchDepth)}
			select {
			case pf.order <- slot:
			case <-ctx.Done():
				return
			}
			if err != nil {
				slot.out <- fileResult{err: err}
				close(slot.out)
				return
			}
			pf.wg.Add(1)
			go func() {
				defer pf.wg.Done()
				defer func() { <-sem }()
				defer close(slot.out)
				decodeItem(ctx, it, slot.out)
			}()
		}
	}()
	return pf
}

// decodeItem sends every output batch of it, then returns; it stops early
// when the scan is cancelled, releasing what it could not hand over.
func decodeItem(ctx context.Context, it prefetchItem, out chan<- fileResult) {
	send := func(r fileResult) bool {
		select {
		case out <- r:
			return true
		case <-ctx.Done():
			if r.rec != nil {
				r.rec.Release()
			}
			return false
		}
	}
	fb, err := it.open(ctx)
	if err != nil {
		send(fileResult{err: err})
		return
	}
	if fb == nil {
		return
	}
	defer fb.close()
	for {
		rec, err := fb.next(ctx)
		if err != nil {
			send(fileResult{err: err})
			return
		}
		if rec == nil {
			return
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		if it.batch != nil {
			out, err := it.batch(rec)
			rec.Release()
			if err != nil {
				send(fileResult{err: err})
				return
			}
			rec = out
		}
		if !send(fileResult{rec: rec}) {
			return
		}
	}
}

// next returns the next batch in file order, nil at the end.
func (pf *prefetcher) next() (arrow.RecordBatch, error) {
	for {
		if pf.cur == nil {
			select {
			case slot, ok := <-pf.order:
				if !ok {
					return nil, nil
				}
				pf.cur = slot
			case <-pf.ctx.Done():
				return nil, pf.ctx.Err()
			}
		}
		r, ok := <-pf.cur.out
		if !ok {
			pf.cur = nil
			continue
		}
		return r.rec, r.err
	}
}

// close stops every goroutine, releasing the batches they decoded ahead.
func (pf *prefetcher) close() {
	pf.cancel() // every sender selects on the context
	pf.wg.Wait()
	if pf.cur != nil {
		drainSlot(pf.cur)
	}
	for slot := range pf.order {
		drainSlot(slot)
	}
}

func drainSlot(s *fileSlot) {
	for r := range s.out {
		if r.rec != nil {
			r.rec.Release()
		}
	}
}
