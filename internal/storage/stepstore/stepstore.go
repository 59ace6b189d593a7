package stepstore

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// Options says which steps are counted; nil means every call, creation
// and close.
type Options struct {
	// FirstWrite also counts the first Write to a streamed object: the
	// point where a data file exists but is empty.
	FirstWrite bool
}

// Store counts the steps of the store it wraps.
type Store struct {
	storage.Store
	n          *atomic.Int64
	mu         *sync.Mutex // serializes at: concurrent reads step at once
	at         func(step int64, what string)
	firstWrite bool
}

// New wraps inner. Before each step it adds one to n and calls at with the
// new count and a description ("put-if-absent _delta_log/…"). Stores that
// share n share one sequence of steps: an operation over two tables
// (CLONE) is numbered as one.
func New(inner storage.Store, n *atomic.Int64, at func(step int64, what string), opts *Options) *Store {
	s := &Store{Store: inner, n: n, mu: new(sync.Mutex), at: at}
	if opts != nil {
		s.firstWrite = opts.FirstWrite
	}
	return s
}

// Wrapper returns a function that wraps each store it is given with one
// shared count of steps: what storage.WrapForTest takes.
func Wrapper(at func(step int64, what string), opts *Options) func(storage.Store) storage.Store {
	first := New(nil, new(atomic.Int64), at, opts)
	return func(s storage.Store) storage.Store { return first.Share(s) }
}

// step numbers the step and calls at, one call at a time across the
// stores sharing the count, so at needs no locking of its own.
func (s *Store) step(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at(s.n.Add(1), what)
}

// Get counts a step and reads the object.
func (s *Store) Get(ctx context.Context, p string) ([]byte, error) {
	s.step("get " + p)
	return s.Store.Get(ctx, p)
}

// Open counts a step and opens the object.
func (s *Store) Open(ctx context.Context, p string) (storage.ReaderAt, error) {
	s.step("open " + p)
	return s.Store.Open(ctx, p)
}

// Stat counts a step and describes the object.
func (s *Store) Stat(ctx context.Context, p string) (storage.FileInfo, error) {
	s.step("stat " + p)
	return s.Store.Stat(ctx, p)
}

// List counts a step and lists the prefix.
func (s *Store) List(ctx context.Context, prefix string) iter.Seq2[storage.FileInfo, error] {
	s.step("list " + prefix)
	return s.Store.List(ctx, prefix)
}

// Put counts a step and writes the object.
func (s *Store) Put(ctx context.Context, p string, data []byte) error {
	s.step("put " + p)
	return s.Store.Put(ctx, p, data)
}

// PutIfAbsent counts a step and writes the object if it is absent.
func (s *Store) PutIfAbsent(ctx context.Context, p string, data []byte) error {
	s.step("put-if-absent " + p)
	return s.Store.PutIfAbsent(ctx, p, data)
}

// Create counts a step and returns a writer whose close (and, with
// Options.FirstWrite, first write) are steps too.
func (s *Store) Create(ctx context.Context, p string) (storage.Writer, error) {
	s.step("create " + p)
	w, err := s.Store.Create(ctx, p)
	if err != nil {
		return nil, err
	}
	return &writer{Writer: w, s: s, path: p, written: !s.firstWrite}, nil
}

// Delete counts a step and removes the object.
func (s *Store) Delete(ctx context.Context, p string) error {
	s.step("delete " + p)
	return s.Store.Delete(ctx, p)
}

type writer struct {
	storage.Writer
	s       *Store
	path    string
	written bool // the first write was counted, or is not a step
}

func (w *writer) Write(p []byte) (int, error) {
	if !w.written {
		w.written = true
		w.s.step("write " + w.path)
	}
	return w.Writer.Write(p)
}

func (w *writer) Close() error {
	w.s.step("close " + w.path)
	return w.Writer.Close()
}

// Share wraps inner with s's count, function and options, so steps on
// either store are numbered in one sequence.
func (s *Store) Share(inner storage.Store) *Store {
	return &Store{Store: inner, n: s.n, mu: s.mu, at: s.at, firstWrite: s.firstWrite}
}
