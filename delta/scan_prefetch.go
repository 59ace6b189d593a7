package delta

import (
	"context"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/arrowmem"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// prefetchDepth is how many decoded batches each file in flight may
// always hold ahead of the caller, whatever the read-ahead budget: the
// file the caller reads can therefore always make progress.
const prefetchDepth = 2

// DefaultReadAheadBytes is the decoded data a scan may hold ahead of its
// caller when ScanOptions.ReadAheadBytes is zero.
const DefaultReadAheadBytes = 64 << 20

// parallelism resolves ScanOptions.Parallelism.
func (o *ScanOptions) parallelism() int {
	if o == nil || o.Parallelism == 0 {
		return runtime.GOMAXPROCS(0)
	}
	return max(o.Parallelism, 1)
}

// prefetchConfig is how a prefetcher decodes ahead.
type prefetchConfig struct {
	n int // items decoded at once
	// aheadBytes bounds the decoded batches queued beyond prefetchDepth
	// per item. Without it the files after the one the caller reads stall
	// after prefetchDepth batches and one core idles until the caller
	// reaches them.
	aheadBytes int64
	anyOrder   bool // hand batches back as they are decoded
}

func (o *ScanOptions) prefetchConfig(n int) prefetchConfig {
	c := prefetchConfig{n: n, aheadBytes: DefaultReadAheadBytes}
	if o != nil {
		if o.ReadAheadBytes > 0 {
			c.aheadBytes = o.ReadAheadBytes
		}
		c.anyOrder = o.AnyOrder
	}
	return c
}

// fileResult is one decoded batch of a prefetched file, or its error.
type fileResult struct {
	rec  arrow.RecordBatch
	size int64 // bytes counted against the read-ahead budget
	err  error
}

// fileSlot carries one file's batches, in order, from the goroutine that
// decodes it to the caller; closed after the last.
type fileSlot struct {
	out chan fileResult
}

// prefetcher opens and decodes up to n files at once, on goroutines of
// its own, and hands their batches back in file order (or, with anyOrder,
// as they come). Each file may queue prefetchDepth batches, and more while
// the batches queued by all files stay within aheadBytes.
type prefetcher struct {
	ctx    context.Context
	cancel context.CancelFunc
	cfg    prefetchConfig
	order  chan *fileSlot // slots in file order; closed after the last file
	all    chan fileResult
	cur    *fileSlot
	wg     sync.WaitGroup

	mu     sync.Mutex
	room   *sync.Cond // signalled when queued bytes shrink or the scan stops
	queued int64      // bytes of batches decoded and not yet taken
}

// queueCap is the capacity of a slot's channel: more than the budget will
// usually let a file queue, so senders wait on the budget, not the channel.
const queueCap = 256

// prefetchItem is one unit a prefetcher decodes: a file's batches, each
// passed through batch when set (on the decoding goroutine).
type prefetchItem struct {
	// open starts reading the file; a nil *fileBatches means no rows.
	open  func(ctx context.Context) (*fileBatches, error)
	batch func(arrow.RecordBatch) (arrow.RecordBatch, error)
}

// startPrefetch prefetches the files of a scan.
func (s *Snapshot) startPrefetch(ctx context.Context, p *scanPlan, next func() (*protocol.Add, error, bool), stop func()) *prefetcher {
	return startPrefetch(ctx, p.prefetch, func() (prefetchItem, error, bool) {
		f, err, ok := next()
		return prefetchItem{open: func(ctx context.Context) (*fileBatches, error) { return s.openFileBatches(ctx, p, f) }}, err, ok
	}, stop)
}

// startPrefetch decodes the items next yields, up to cfg.n at once, and
// hands their batches back; stop is called once next is done with.
func startPrefetch(ctx context.Context, cfg prefetchConfig, next func() (prefetchItem, error, bool), stop func()) *prefetcher {
	ctx, cancel := context.WithCancel(ctx)
	pf := &prefetcher{ctx: ctx, cancel: cancel, cfg: cfg, order: make(chan *fileSlot, cfg.n)}
	pf.room = sync.NewCond(&pf.mu)
	if cfg.anyOrder {
		pf.all = make(chan fileResult, queueCap)
	}
	// Senders waiting for room wake when the scan stops.
	context.AfterFunc(ctx, func() {
		pf.mu.Lock()
		pf.room.Broadcast()
		pf.mu.Unlock()
	})
	sem := make(chan struct{}, cfg.n)
	var decoders sync.WaitGroup
	pf.wg.Add(1)
	go func() {
		defer pf.wg.Done()
		defer func() {
			if pf.all != nil {
				decoders.Wait()
				close(pf.all)
			}
		}()
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
			out := pf.all
			if out == nil {
				slot := &fileSlot{out: make(chan fileResult, queueCap)}
				select {
				case pf.order <- slot:
				case <-ctx.Done():
					return
				}
				out = slot.out
			}
			if err != nil {
				pf.send(out, fileResult{err: err})
				if pf.all == nil {
					close(out)
				}
				return
			}
			pf.wg.Add(1)
			decoders.Add(1)
			go func() {
				defer pf.wg.Done()
				defer decoders.Done()
				defer func() { <-sem }()
				if pf.all == nil {
					defer close(out)
				}
				pf.decodeItem(it, out)
			}()
		}
	}()
	return pf
}

// send queues r on out once the budget has room for it: always while out
// holds fewer than prefetchDepth batches, else while everything queued
// stays within aheadBytes. It returns false, releasing r, when the scan
// stopped.
func (pf *prefetcher) send(out chan fileResult, r fileResult) bool {
	if r.rec != nil {
		r.size = arrowmem.RecordBytes(r.rec)
		pf.mu.Lock()
		for pf.ctx.Err() == nil && len(out) >= prefetchDepth && pf.queued+r.size > pf.cfg.aheadBytes {
			pf.room.Wait()
		}
		pf.queued += r.size
		pf.mu.Unlock()
	}
	select {
	case out <- r:
		return true
	case <-pf.ctx.Done():
		if r.rec != nil {
			r.rec.Release()
		}
		return false
	}
}

// took returns a taken batch's bytes to the budget.
func (pf *prefetcher) took(r fileResult) {
	if r.size == 0 {
		return
	}
	pf.mu.Lock()
	pf.queued -= r.size
	pf.room.Broadcast()
	pf.mu.Unlock()
}

// decodeItem sends every output batch of it, then returns; it stops early
// when the scan is cancelled, releasing what it could not hand over.
func (pf *prefetcher) decodeItem(it prefetchItem, out chan fileResult) {
	ctx := pf.ctx
	fb, err := it.open(ctx)
	if err != nil {
		pf.send(out, fileResult{err: err})
		return
	}
	if fb == nil {
		return
	}
	defer fb.close()
	for {
		rec, err := fb.next(ctx)
		if err != nil {
			pf.send(out, fileResult{err: err})
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
			dec, err := it.batch(rec)
			rec.Release()
			if err != nil {
				pf.send(out, fileResult{err: err})
				return
			}
			rec = dec
		}
		if !pf.send(out, fileResult{rec: rec}) {
			return
		}
	}
}

// next returns the next batch in file order (with anyOrder, the next
// decoded), nil at the end.
func (pf *prefetcher) next() (arrow.RecordBatch, error) {
	if pf.all != nil {
		select {
		case r, ok := <-pf.all:
			if !ok {
				return nil, nil
			}
			pf.took(r)
			return r.rec, r.err
		case <-pf.ctx.Done():
			return nil, pf.ctx.Err()
		}
	}
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
		pf.took(r)
		return r.rec, r.err
	}
}

// close stops every goroutine, releasing the batches they decoded ahead.
func (pf *prefetcher) close() {
	pf.cancel() // every sender selects on the context
	pf.wg.Wait()
	if pf.cur != nil {
		drainSlot(pf.cur.out)
	}
	for slot := range pf.order {
		drainSlot(slot.out)
	}
	if pf.all != nil {
		drainSlot(pf.all)
	}
}

func drainSlot(out chan fileResult) {
	for r := range out {
		if r.rec != nil {
			r.rec.Release()
		}
	}
}
