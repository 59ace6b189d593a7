package faultstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// ErrInjected is matched by every error faultstore injects.
var ErrInjected = errors.New("faultstore: injected fault")

// Op is a kind of storage operation; Ops combine with "|".
type Op uint16

// The operation kinds. OpCreate is the Create call itself, OpWrite each
// Writer.Write, OpCommit the Writer.Close that publishes the object.
// OpRead is each ReaderAt.ReadAt or Read on a reader returned by Open.
const (
	OpGet Op = 1 << iota
	OpOpen
	OpRead
	OpStat
	OpList
	OpPut
	OpPutIfAbsent
	OpCreate
	OpWrite
	OpCommit
	OpDelete

	// OpAll is every kind.
	OpAll = OpGet | OpOpen | OpRead | OpStat | OpList | OpPut | OpPutIfAbsent | OpCreate | OpWrite | OpCommit | OpDelete
	// OpWrites is every kind that changes the store.
	OpWrites = OpPut | OpPutIfAbsent | OpCreate | OpWrite | OpCommit | OpDelete
)

var opNames = [...]string{"get", "open", "read", "stat", "list", "put", "put-if-absent", "create", "write", "commit", "delete"}

// String names the kinds in op, joined by "|".
func (op Op) String() string {
	if op == 0 {
		return "none"
	}
	var names []string
	for i, name := range opNames {
		if op&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	if rest := op &^ OpAll; rest != 0 {
		names = append(names, "Op(0x"+strconv.FormatUint(uint64(rest), 16)+")")
	}
	return strings.Join(names, "|")
}

// Plan says which operations fail. The zero Plan injects nothing and only
// counts.
type Plan struct {
	// FailOn is the set of kinds that count towards N.
	FailOn Op
	// N is the 1-based number of the matching operation that fails; 0 or
	// less injects nothing.
	N int
	// Repeat fails every matching operation from the N-th on, not just the
	// N-th (a backend that stays down).
	Repeat bool
	// PathPrefix restricts matching to paths (for List: prefixes) that
	// start with it; "" matches all.
	PathPrefix string
	// AfterEffect lets a failing Put, PutIfAbsent, Delete or Writer.Close
	// happen on the inner store first and then reports the fault: a lost
	// acknowledgement. A failing List yields every entry, then the fault.
	// For other kinds it has no effect.
	AfterEffect bool
	// Err is wrapped into the injected *Fault; nil means ErrInjected alone.
	// The result always matches ErrInjected as well. A timeout is
	// Err: context.DeadlineExceeded.
	Err error
	// ExistsAfterEffect, with AfterEffect, makes a failing PutIfAbsent
	// that took effect report storage.ErrExist instead of the fault: what
	// a transport-level retry of a write that had landed sees. It is the
	// one injected error that matches storage.ErrExist (and not
	// ErrInjected), because that is the hazard under test.
	ExistsAfterEffect bool
	// Slow delays every operation that FailOn and PathPrefix match by
	// this long, whatever N says; when ctx ends first the operation
	// fails with ctx's error and does nothing.
	Slow time.Duration
	// StaleList leaves the last StaleList entries (in path order, so the
	// newest commits of a log) out of every listing PathPrefix matches, as
	// an eventually consistent listing misses the newest objects.
	StaleList int
}

// Fault is the error an injected failure returns.
type Fault struct {
	Op   Op     // the single kind that failed
	Path string // the object path or list prefix
	N    int    // which matching operation this was (1-based)
	// AfterEffect reports that the operation took effect on the inner
	// store before the fault was returned.
	AfterEffect bool
	Err         error // Plan.Err, or nil
}

func (f *Fault) Error() string {
	msg := fmt.Sprintf("faultstore: injected fault on %s %q (matching op #%d)", f.Op, f.Path, f.N)
	if f.AfterEffect {
		msg += " after it took effect"
	}
	if f.Err != nil {
		msg += ": " + f.Err.Error()
	}
	return msg
}

// Is makes every Fault match ErrInjected.
func (f *Fault) Is(target error) bool { return target == ErrInjected }

func (f *Fault) Unwrap() error { return f.Err }

// Store is a storage.Store that injects the faults its Plan describes.
type Store struct {
	inner storage.Store

	mu       sync.Mutex
	plan     Plan
	matched  int // operations that matched plan so far
	injected int // faults returned so far
	counts   [len(opNames)]int64
}

var _ storage.Store = (*Store)(nil)

// New wraps inner. Closing the returned Store closes inner.
func New(inner storage.Store, plan Plan) *Store {
	return &Store{inner: inner, plan: plan}
}

// SetPlan replaces the plan and restarts its numbering, so N counts from
// the next operation on: set up a table through a zero Plan, then arm the
// fault for the step under test. Count totals are kept.
func (s *Store) SetPlan(plan Plan) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plan, s.matched = plan, 0
}

// Count returns how many operations of the kinds in ops were attempted,
// failed ones included.
func (s *Store) Count(ops Op) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for i := range opNames {
		if ops&(1<<i) != 0 {
			n += s.counts[i]
		}
	}
	return n
}

// Injected returns how many faults have been returned.
func (s *Store) Injected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.injected
}

// Inner returns the wrapped store, for checking what actually got written.
func (s *Store) Inner() storage.Store { return s.inner }

// check counts one operation and returns the fault to inject, or nil.
func (s *Store) check(op Op, path string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[bits.TrailingZeros16(uint16(op))]++
	p := s.plan
	if p.N <= 0 || p.FailOn&op == 0 || !strings.HasPrefix(path, p.PathPrefix) {
		return nil
	}
	s.matched++
	if s.matched == p.N || (p.Repeat && s.matched > p.N) {
		s.injected++
		return &Fault{Op: op, Path: path, N: s.matched, Err: p.Err}
	}
	return nil
}

// slow waits Plan.Slow before an operation the plan matches; it returns
// ctx's error when ctx ends first.
func (s *Store) slow(ctx context.Context, op Op, path string) error {
	s.mu.Lock()
	p := s.plan
	s.mu.Unlock()
	if p.Slow <= 0 || p.FailOn&op == 0 || !strings.HasPrefix(path, p.PathPrefix) {
		return nil
	}
	tm := time.NewTimer(p.Slow)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("faultstore: %s %q: %w", op, path, ctx.Err())
	case <-tm.C:
		return nil
	}
}

func (s *Store) afterEffect() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plan.AfterEffect
}

// withEffect runs do, then reports f; or, without AfterEffect, reports f
// without running do.
func (s *Store) withEffect(f *Fault, do func() error) error {
	if f == nil {
		return do()
	}
	if !s.afterEffect() {
		return f
	}
	if err := do(); err != nil {
		return err // the real failure wins; nothing took effect to hide
	}
	f.AfterEffect = true
	return f
}

func (s *Store) Get(ctx context.Context, path string) ([]byte, error) {
	if err := s.slow(ctx, OpGet, path); err != nil {
		return nil, err
	}
	if f := s.check(OpGet, path); f != nil {
		return nil, f
	}
	return s.inner.Get(ctx, path)
}

func (s *Store) Open(ctx context.Context, path string) (storage.ReaderAt, error) {
	if err := s.slow(ctx, OpOpen, path); err != nil {
		return nil, err
	}
	if f := s.check(OpOpen, path); f != nil {
		return nil, f
	}
	r, err := s.inner.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return &reader{ReaderAt: r, store: s, path: path}, nil
}

func (s *Store) Stat(ctx context.Context, path string) (storage.FileInfo, error) {
	if f := s.check(OpStat, path); f != nil {
		return storage.FileInfo{}, f
	}
	return s.inner.Stat(ctx, path)
}

func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[storage.FileInfo, error] {
	return func(yield func(storage.FileInfo, error) bool) {
		if err := s.slow(ctx, OpList, prefix); err != nil {
			yield(storage.FileInfo{}, err)
			return
		}
		s.mu.Lock()
		stale := s.plan.StaleList
		if !strings.HasPrefix(prefix, s.plan.PathPrefix) {
			stale = 0
		}
		s.mu.Unlock()
		if stale > 0 {
			s.check(OpList, prefix)
			var all []storage.FileInfo
			for fi, err := range s.inner.List(ctx, prefix) {
				if err != nil {
					yield(fi, err)
					return
				}
				all = append(all, fi)
			}
			for _, fi := range all[:max(0, len(all)-stale)] {
				if !yield(fi, nil) {
					return
				}
			}
			return
		}
		f := s.check(OpList, prefix)
		if f != nil && !s.afterEffect() {
			yield(storage.FileInfo{}, f)
			return
		}
		for fi, err := range s.inner.List(ctx, prefix) {
			if !yield(fi, err) || err != nil {
				return
			}
		}
		if f != nil {
			f.AfterEffect = true
			yield(storage.FileInfo{}, f)
		}
	}
}

func (s *Store) Put(ctx context.Context, path string, data []byte) error {
	if err := s.slow(ctx, OpPut, path); err != nil {
		return err
	}
	return s.withEffect(s.check(OpPut, path), func() error { return s.inner.Put(ctx, path, data) })
}

func (s *Store) PutIfAbsent(ctx context.Context, path string, data []byte) error {
	if err := s.slow(ctx, OpPutIfAbsent, path); err != nil {
		return err
	}
	err := s.withEffect(s.check(OpPutIfAbsent, path), func() error { return s.inner.PutIfAbsent(ctx, path, data) })
	var f *Fault
	if errors.As(err, &f) && f.AfterEffect {
		s.mu.Lock()
		exists := s.plan.ExistsAfterEffect
		s.mu.Unlock()
		if exists {
			return &fs.PathError{Op: "put-if-absent", Path: path, Err: storage.ErrExist}
		}
	}
	return err
}

func (s *Store) Create(ctx context.Context, path string) (storage.Writer, error) {
	if f := s.check(OpCreate, path); f != nil {
		return nil, f
	}
	w, err := s.inner.Create(ctx, path)
	if err != nil {
		return nil, err
	}
	return &writer{Writer: w, store: s, path: path}, nil
}

func (s *Store) Delete(ctx context.Context, path string) error {
	return s.withEffect(s.check(OpDelete, path), func() error { return s.inner.Delete(ctx, path) })
}

// Close closes the inner store; it is never faulted.
func (s *Store) Close() error { return s.inner.Close() }

// writer faults Write (OpWrite) and Close (OpCommit). A failed Write
// leaves the writer open, as a real short write would; the caller is
// expected to Abort.
type writer struct {
	storage.Writer
	store *Store
	path  string
}

func (w *writer) Write(p []byte) (int, error) {
	if f := w.store.check(OpWrite, w.path); f != nil {
		return 0, f
	}
	return w.Writer.Write(p)
}

// Close injects OpCommit. Without AfterEffect the inner write is aborted,
// so nothing is published, just as when a real upload fails.
func (w *writer) Close() error {
	f := w.store.check(OpCommit, w.path)
	if f != nil && !w.store.afterEffect() {
		_ = w.Writer.Abort()
		return f
	}
	return w.store.withEffect(f, w.Writer.Close)
}

// reader faults ReadAt and Read (OpRead).
type reader struct {
	storage.ReaderAt
	store *Store
	path  string
}

func (r *reader) ReadAt(p []byte, off int64) (int, error) {
	if f := r.store.check(OpRead, r.path); f != nil {
		return 0, f
	}
	return r.ReaderAt.ReadAt(p, off)
}

func (r *reader) Read(p []byte) (int, error) {
	if f := r.store.check(OpRead, r.path); f != nil {
		return 0, f
	}
	return r.ReaderAt.Read(p)
}
