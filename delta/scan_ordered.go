package delta

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// eachFilesBatch streams the batches a plan reads from files, in order:
// every batch of files[0], then of files[1], …, to fn on the caller's
// goroutine. Up to workers files are decoded at once, each a few batches
// ahead of fn, so a consumer that must see rows one at a time (MERGE's
// join) still has its input decoded on every core. Memory stays at
// workers files' worth of queued batches.
func (s *Snapshot) eachFilesBatch(ctx context.Context, p *scanPlan, files []*protocol.Add, workers int, fn func(i int, rec arrow.RecordBatch) error) error {
	if workers < 2 || len(files) < 2 {
		for i, f := range files {
			if err := s.eachFileBatch(ctx, p, f, func(rec arrow.RecordBatch) error { return fn(i, rec) }); err != nil {
				return err
			}
		}
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type decoded struct {
		rec arrow.RecordBatch
		err error
	}
	// order hands the consumer each file's stream in file order; a file
	// starts decoding only when fewer than workers files are decoding.
	order := make(chan chan decoded, workers)
	slots := make(chan struct{}, workers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(order)
		for _, f := range files {
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			out := make(chan decoded, 2)
			select {
			case order <- out:
			case <-ctx.Done():
				<-slots
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				defer close(out)
				err := s.eachFileBatch(ctx, p, f, func(rec arrow.RecordBatch) error {
					rec.Retain()
					select {
					case out <- decoded{rec: rec}:
						return nil
					case <-ctx.Done():
						rec.Release()
						return ctx.Err()
					}
				})
				if err != nil {
					select {
					case out <- decoded{err: err}:
					case <-ctx.Done():
					}
				}
			}()
		}
	}()
	var first error
	i := 0
	for out := range order {
		for d := range out {
			switch {
			case first != nil:
				if d.rec != nil {
					d.rec.Release()
				}
			case d.err != nil:
				first = d.err
				cancel()
			default:
				first = fn(i, d.rec)
				d.rec.Release()
				if first != nil {
					cancel()
				}
			}
		}
		i++
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}
