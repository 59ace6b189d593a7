package delta

import (
	"context"
	"errors"
	"sync"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// inOrder runs fetch(i) for i in [0, count) with at most n running at once
// and hands each result to apply in index order, on the caller's
// goroutine. At most n results are held ahead of apply, so memory stays
// bounded by n fetched objects. It stops at the first error, from fetch
// (of the lowest index that failed, as a sequential loop would report)
// or from apply, and cancels the fetches still running. With n ≤ 1 it is
// a plain loop.
func inOrder[T any](ctx context.Context, n, count int, fetch func(ctx context.Context, i int) (T, error), apply func(i int, v T) error) error {
	if n <= 1 || count <= 1 {
		for i := range count {
			v, err := fetch(ctx, i)
			if err != nil {
				return err
			}
			if err := apply(i, v); err != nil {
				return err
			}
		}
		return nil
	}
	type result struct {
		v   T
		err error
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	slots := make([]chan result, count)
	start := func(i int) {
		out := make(chan result, 1) // never blocks the fetch
		slots[i] = out
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := fetch(ctx, i)
			out <- result{v, err}
		}()
	}
	launched := 0
	for i := range count {
		for launched < count && launched < i+n {
			start(launched)
			launched++
		}
		r := <-slots[i]
		slots[i] = nil
		if r.err != nil {
			return r.err
		}
		if err := apply(i, r.v); err != nil {
			return err
		}
	}
	return nil
}

// readCommitsNewestFirst reads the given commit and compaction files
// concurrently (Options.IOConcurrency at once) and calls apply with each
// file's actions from the last file to the first, the order replay needs.
func (t *Table) readCommitsNewestFirst(ctx context.Context, files []logreplay.LogFile, apply func(f logreplay.LogFile, actions []protocol.Action)) error {
	last := len(files) - 1
	return inOrder(ctx, t.opts.ioConcurrency(), len(files),
		func(ctx context.Context, i int) ([]protocol.Action, error) {
			return t.readCommit(ctx, files[last-i])
		},
		func(i int, actions []protocol.Action) error {
			apply(files[last-i], actions)
			return nil
		})
}

// checkpointAheadBytes bounds the checkpoint files (parts, sidecars) read
// whole ahead of the one being applied, by their size in storage: file
// actions decode to several times that, and a large checkpoint split in
// parts must not be held whole.
const checkpointAheadBytes = 32 << 20

// checkpointRead is one checkpoint part or sidecar to read.
type checkpointRead struct {
	path string
	// size is the size the log listing reported, or 0: see
	// readCheckpointFile.
	size int64
	// bytes is the expected size (the listing's, or a sidecar action's
	// sizeInBytes), which sizes the read-ahead window; 0 if unknown.
	bytes int64
}

// readCheckpointFiles reads the given checkpoint parts or sidecars
// concurrently, each whole (restricted to columns), and calls fn with
// their actions in file order. At most IOConcurrency files are held, and
// fewer for large files: as many as checkpointAheadBytes allows for the
// largest whose size is known. fn returning errStopIteration
// ends the reads without error.
//
// One file, or a window of 1, streams batch by batch instead, holding
// none whole: a single-part checkpoint of a million files stays small.
func (t *Table) readCheckpointFiles(ctx context.Context, files []checkpointRead, columns []string, fn func(path string, actions []protocol.Action) error) error {
	n := t.opts.ioConcurrency()
	var largest int64
	for _, f := range files {
		largest = max(largest, f.bytes)
	}
	if largest > 0 {
		n = min(n, int(max(1, checkpointAheadBytes/largest)))
	}
	if n <= 1 || len(files) <= 1 {
		for _, f := range files {
			err := t.readCheckpointFile(ctx, f.path, f.size, columns, func(actions []protocol.Action) error { return fn(f.path, actions) })
			if errors.Is(err, errStopIteration) {
				return nil
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	err := inOrder(ctx, n, len(files),
		func(ctx context.Context, i int) ([][]protocol.Action, error) {
			var batches [][]protocol.Action
			err := t.readCheckpointFile(ctx, files[i].path, files[i].size, columns, func(actions []protocol.Action) error {
				batches = append(batches, actions)
				return nil
			})
			return batches, err
		},
		func(i int, batches [][]protocol.Action) error {
			for _, actions := range batches {
				if err := fn(files[i].path, actions); err != nil {
					return err
				}
			}
			return nil
		})
	if errors.Is(err, errStopIteration) {
		return nil
	}
	return err
}
