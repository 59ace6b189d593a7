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

func (s *Snapshot) startPrefetch(ctx context.Context, p *scanPlan, n int, next func() (*protocol.Add, error, bool), stop func()) *prefetcher {
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
			f, err, ok := next()
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
				s.decodeFile(ctx, p, f, slot.out)
			}()
		}
	}()
	return pf
}

// decodeFile sends every output batch of f, then returns; it stops early
// when the scan is cancelled, releasing what it could not hand over.
func (s *Snapshot) decodeFile(ctx context.Context, p *scanPlan, f *protocol.Add, out chan<- fileResult) {
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
	fb, err := s.openFileBatches(ctx, p, f)
	if err != nil {
		send(fileResult{err: err})
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
