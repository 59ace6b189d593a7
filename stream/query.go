package stream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
	"gocloud.dev/blob"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Options configure a query. A nil *Options is invalid only because the
// checkpoint location is required.
type Options struct {
	// Name is the query's name, reported in Progress.
	Name string
	// Checkpoint is the checkpoint location: a local path, file://,
	// mem:// or any gocloud.dev/blob URL whose driver the application
	// imports (as for delta.Open). Required unless CheckpointBucket is set.
	// Note that every open of "mem://…" is a fresh bucket: to restart from
	// an in-memory checkpoint, share a bucket through CheckpointBucket.
	Checkpoint string
	// CheckpointBucket, when set, holds the checkpoint under the key
	// prefix Checkpoint. The caller keeps ownership of the bucket.
	CheckpointBucket *blob.Bucket
	// Trigger is when batches run; default ProcessingTime(0).
	Trigger Trigger
	// OutputMode is the sink's output mode; default Append.
	OutputMode OutputMode
	// Listener receives progress events; nil means none.
	Listener Listener
	// Logger receives a record per batch; nil means slog.Default().
	Logger *slog.Logger
	// Allocator backs the batches; nil means memory.DefaultAllocator.
	Allocator memory.Allocator
	// Conf is copied into each offsets file's conf object.
	Conf map[string]string
}

// Query is a running streaming query.
type Query struct {
	id, runID, name string
	p               *Pipeline
	sink            Sink
	opts            Options
	log             *slog.Logger
	ck              *checkpoint
	closeStore      func() error

	stopOnce sync.Once
	stopCh   chan struct{}
	done     chan struct{}
	err      error

	stateful []statefulRef

	mu       sync.Mutex
	status   Status
	last     *Progress
	recent   []*Progress
	batchesN int64
}

// Start opens the checkpoint (creating it on first use), checks it
// against the query, opens the source and starts running batches in a
// goroutine. Cancelling ctx abandons the running batch (its offsets
// stay uncommitted and re-run on restart); Stop ends the query after the
// running batch.
func (p *Pipeline) Start(ctx context.Context, sink Sink, opts *Options) (*Query, error) {
	if p.err != nil {
		return nil, p.err
	}
	if opts == nil || (opts.Checkpoint == "" && opts.CheckpointBucket == nil) {
		return nil, fmt.Errorf("%w: a checkpoint location is required", ErrInvalidArgument)
	}
	if p.src == nil || sink == nil {
		return nil, fmt.Errorf("%w: a source and a sink are required", ErrInvalidArgument)
	}
	o := *opts
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	var store storage.Store
	closeStore := func() error { return nil }
	if o.CheckpointBucket != nil {
		store = storage.NewBlobStore(o.CheckpointBucket, o.Checkpoint)
	} else {
		s, err := storage.Open(ctx, o.Checkpoint, nil)
		if err != nil {
			return nil, fmt.Errorf("stream: open checkpoint: %w", err)
		}
		store, closeStore = s, s.Close
	}
	q := &Query{p: p, sink: sink, opts: o, name: o.Name, log: o.Logger,
		ck: &checkpoint{store: store, where: o.Checkpoint}, closeStore: closeStore,
		stopCh: make(chan struct{}), done: make(chan struct{}), runID: uuid.NewString()}
	if err := q.collectStateful(); err != nil {
		_ = closeStore()
		return nil, err
	}
	if err := q.open(ctx); err != nil {
		_ = closeStore()
		return nil, err
	}
	q.setStatus("Initializing sources", false, false)
	go q.run(ctx)
	return q, nil
}

// open reads or creates the checkpoint metadata and refuses a checkpoint
// written by a differently shaped query.
func (q *Query) open(ctx context.Context) error {
	shapes := &queryShapes{Sources: []string{q.p.src.Kind()}, Sink: q.sink.Kind()}
	m, err := q.ck.readMetadata(ctx)
	if err != nil {
		return err
	}
	if m == nil {
		if m, err = q.ck.createMetadata(ctx, &checkpointMetadata{ID: uuid.NewString(), Lakehouse: shapes}); err != nil {
			return err
		}
	}
	incompatible := func(format string, args ...any) error {
		return &IncompatibleCheckpointError{Checkpoint: q.ck.where, Reason: fmt.Sprintf(format, args...)}
	}
	if m.Lakehouse != nil {
		if len(m.Lakehouse.Sources) != len(shapes.Sources) {
			return incompatible("it was written for %d sources, the query has %d", len(m.Lakehouse.Sources), len(shapes.Sources))
		}
		for i, k := range m.Lakehouse.Sources {
			if k != shapes.Sources[i] {
				return incompatible("source %d was a %q source, the query reads a %q source", i, k, shapes.Sources[i])
			}
		}
		if m.Lakehouse.Sink != "" && m.Lakehouse.Sink != shapes.Sink {
			return incompatible("the sink was %q, the query writes to %q", m.Lakehouse.Sink, shapes.Sink)
		}
	}
	q.id = m.ID
	latest, err := q.ck.latest(ctx, "offsets")
	if err != nil {
		return err
	}
	if latest >= 0 {
		seq, err := q.ck.readOffsets(ctx, latest)
		if err != nil {
			return err
		}
		if len(seq.offsets) != len(shapes.Sources) {
			return incompatible("offsets/%d has %d source offsets, the query has %d sources", latest, len(seq.offsets), len(shapes.Sources))
		}
	}
	return nil
}

// ID is the query id, stable across restarts from one checkpoint.
func (q *Query) ID() string { return q.id }

// RunID identifies this run of the query.
func (q *Query) RunID() string { return q.runID }

// Stop asks the query to stop after the batch it is running (if any) and
// waits for it to end. It returns the query's error, or nil after a clean
// stop.
func (q *Query) Stop() error {
	q.stopOnce.Do(func() { close(q.stopCh) })
	<-q.done
	return q.termErr()
}

// AwaitTermination waits until the query ends (Stop, the trigger's end,
// a failure) or ctx is done, and returns the query's error: nil after
// a clean end.
func (q *Query) AwaitTermination(ctx context.Context) error {
	select {
	case <-q.done:
		return q.termErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *Query) termErr() error {
	if errors.Is(q.err, ErrStopped) {
		return nil
	}
	return q.err
}

// IsActive reports whether the query is still running.
func (q *Query) IsActive() bool {
	select {
	case <-q.done:
		return false
	default:
		return true
	}
}

// Status reports what the query is doing.
func (q *Query) Status() Status {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.status
}

// LastProgress is the progress of the latest batch, nil before the first.
func (q *Query) LastProgress() *Progress {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.last
}

// RecentProgress returns up to the last 100 batches' progress, oldest
// first: the metrics a service can export.
func (q *Query) RecentProgress() []*Progress {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]*Progress(nil), q.recent...)
}

func (q *Query) setStatus(msg string, data, active bool) {
	q.mu.Lock()
	q.status = Status{Message: msg, IsDataAvailable: data, IsTriggerActive: active}
	q.mu.Unlock()
}

func (q *Query) record(p *Progress) {
	q.mu.Lock()
	q.last = p
	q.recent = append(q.recent, p)
	if len(q.recent) > 100 {
		q.recent = q.recent[len(q.recent)-100:]
	}
	q.mu.Unlock()
	q.log.LogAttrs(context.Background(), slog.LevelInfo, "stream: batch", p.logAttrs()...)
	if q.opts.Listener != nil {
		q.opts.Listener.OnProgress(p)
	}
}
