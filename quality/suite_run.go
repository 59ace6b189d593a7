package quality

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// SuiteOptions tune Suite.Run. A nil *SuiteOptions means defaults.
type SuiteOptions struct {
	// UniqueMemoryBudget bounds the memory of the unique expectations,
	// in bytes, all together; default 256 MiB. Uniqueness is tracked as a
	// set of 64-bit hashes of the key values, about 32 bytes per distinct
	// key, so the default covers about 8 million distinct keys; a table
	// with more fails the run with ErrMemoryBudget rather than growing
	// without bound. Two distinct keys share a hash with probability
	// about n²/2⁶⁵ (n distinct keys), which would count one false
	// duplicate.
	UniqueMemoryBudget int64
	// SampleSize is how many unexpected values a result lists; default 5.
	SampleSize int
	// Allocator backs the scan's masks; default memory.DefaultAllocator.
	Allocator memory.Allocator
	// BatchSize caps rows per scanned batch; 0 means the scan's default.
	BatchSize int64
}

// bytesPerKey is what one distinct key costs in a map[uint64]struct{}
// (8-byte key, tophash and bucket overhead, growth slack).
const bytesPerKey = 32

// Run validates the snapshot: the needed columns are scanned once, batch
// by batch, so memory stays bounded whatever the table size (unique
// expectations hold a hash per distinct key, within
// SuiteOptions.UniqueMemoryBudget). A column the suite names that the
// table lacks is an ErrInvalidExpectation before anything is read.
func (s *Suite) Run(ctx context.Context, snap *delta.Snapshot, opts *SuiteOptions) (*Report, error) {
	o := SuiteOptions{}
	if opts != nil {
		o = *opts
	}
	if o.UniqueMemoryBudget <= 0 {
		o.UniqueMemoryBudget = 256 << 20
	}
	if o.SampleSize <= 0 {
		o.SampleSize = 5
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	r := &runState{suite: s, opts: o, rep: &Report{Suite: s.Name, Version: snap.Version(), Success: true}}
	cols, err := r.columns(snap.Schema())
	if err != nil {
		return nil, err
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: cols, BatchSize: o.BatchSize})
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	if err := r.bind(rr.Schema()); err != nil {
		return nil, err
	}
	for rr.Next() {
		if err := r.batch(ctx, rr.RecordBatch()); err != nil {
			return nil, err
		}
	}
	if err := rr.Err(); err != nil {
		return nil, err
	}
	r.finish(snap.Schema())
	return r.rep, nil
}

// runState is one run's accumulators.
type runState struct {
	suite *Suite
	opts  SuiteOptions
	rep   *Report
	rows  int64

	checker *Checker
	rowExp  []int // suite index of each checker expectation
	failed  []int64
	samples [][]string
	sampCol []int // batch column of each row-level expectation

	aggs   map[string]*aggregate // column → running aggregate
	unique []*uniqueSet          // per suite expectation (nil if not unique)
	keys   int64                 // distinct keys held by all unique sets
	seed   maphash.Seed
}

type aggregate struct {
	prog          *expr.Program
	n             int64
	sum, min, max float64
}

type uniqueSet struct {
	cols []int
	seen map[uint64]struct{}
	dups int64
}

// columns returns the columns to scan, in table order, checking every
// name the suite uses exists (exactly, or differing only in case).
func (r *runState) columns(schema *arrow.Schema) ([]string, error) {
	want := map[string]bool{}
	for _, e := range r.suite.Expectations {
		var names []string
		switch e.Type {
		case TypeSchemaEquals, TypeRowCountBetween:
		case TypeUnique:
			names = e.keyColumns()
		default:
			names = []string{e.Column}
		}
		for _, n := range names {
			f, ok := findField(schema, n)
			if !ok {
				return nil, fmt.Errorf("%w: expectation %q: the table has no column %q", ErrInvalidExpectation, e.Name, n)
			}
			want[f.Name] = true
		}
	}
	var cols []string
	for _, f := range schema.Fields() {
		if want[f.Name] {
			cols = append(cols, f.Name)
		}
	}
	if len(cols) == 0 && schema.NumFields() > 0 {
		cols = []string{schema.Field(0).Name} // row count only: the narrowest scan
	}
	return cols, nil
}

func findField(schema *arrow.Schema, name string) (arrow.Field, bool) {
	var ci *arrow.Field
	for i, f := range schema.Fields() {
		if f.Name == name {
			return f, true
		}
		if strings.EqualFold(f.Name, name) && ci == nil {
			ci = &schema.Fields()[i]
		}
	}
	if ci != nil {
		return *ci, true
	}
	return arrow.Field{}, false
}

func fieldIndex(schema *arrow.Schema, name string) int {
	f, _ := findField(schema, name)
	return schema.FieldIndices(f.Name)[0]
}

// bind compiles the row-level conditions and aggregates against the
// scanned schema.
func (r *runState) bind(schema *arrow.Schema) error {
	var exps []Expectation
	r.aggs = map[string]*aggregate{}
	r.unique = make([]*uniqueSet, len(r.suite.Expectations))
	r.seed = maphash.MakeSeed()
	co := &expr.CompileOptions{Allocator: r.opts.Allocator}
	for i, e := range r.suite.Expectations {
		switch {
		case e.rowLevel():
			exps = append(exps, Warn(e.Name, e.condition()))
			r.rowExp = append(r.rowExp, i)
			r.sampCol = append(r.sampCol, fieldIndex(schema, e.Column))
		case e.Type == TypeUnique:
			u := &uniqueSet{seen: map[uint64]struct{}{}}
			for _, c := range e.keyColumns() {
				u.cols = append(u.cols, fieldIndex(schema, c))
			}
			r.unique[i] = u
		case e.Type == TypeMeanBetween || e.Type == TypeMinBetween || e.Type == TypeMaxBetween:
			f, _ := findField(schema, e.Column)
			if !numeric(f.Type) {
				return fmt.Errorf("%w: expectation %q: column %q is %s, not numeric", ErrInvalidExpectation, e.Name, f.Name, f.Type)
			}
			if r.aggs[f.Name] != nil {
				continue
			}
			p, err := expr.Compile(expr.Cast(expr.Col(f.Name), arrow.PrimitiveTypes.Float64), schema, co)
			if err != nil {
				return fmt.Errorf("quality: expectation %q: %w", e.Name, err)
			}
			r.aggs[f.Name] = &aggregate{prog: p, min: math.Inf(1), max: math.Inf(-1)}
		}
	}
	c, err := Bind(schema, exps, &Options{Allocator: r.opts.Allocator, Compile: co})
	if err != nil {
		return err
	}
	r.checker = c
	r.failed = make([]int64, len(exps))
	r.samples = make([][]string, len(exps))
	return nil
}

func numeric(t arrow.DataType) bool {
	return arrow.IsInteger(t.ID()) || arrow.IsFloating(t.ID()) || arrow.IsDecimal(t.ID())
}

func (r *runState) batch(ctx context.Context, b arrow.RecordBatch) error {
	n := int(b.NumRows())
	r.rows += int64(n)
	fails, err := r.checker.failures(ctx, b)
	if err != nil {
		return err
	}
	for k, f := range fails {
		r.failed[k] += popcount(f)
		for i := firstSet(f); i >= 0 && i < n && len(r.samples[k]) < r.opts.SampleSize; i++ {
			if isSet(f, i) {
				r.samples[k] = append(r.samples[k], valueText(b.Column(r.sampCol[k]), i))
			}
		}
	}
	for _, a := range r.aggs {
		if err := a.add(ctx, b); err != nil {
			return err
		}
	}
	for _, u := range r.unique {
		if u != nil {
			if err := r.addKeys(u, b); err != nil {
				return err
			}
		}
	}
	return nil
}

func valueText(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	return a.ValueStr(i)
}

func (a *aggregate) add(ctx context.Context, b arrow.RecordBatch) error {
	out, err := a.prog.Eval(ctx, b)
	if err != nil {
		return err
	}
	defer out.Release()
	vals := out.(*array.Float64)
	for i := range vals.Len() {
		if vals.IsNull(i) {
			continue
		}
		v := vals.Value(i)
		a.n++
		a.sum += v
		a.min = math.Min(a.min, v)
		a.max = math.Max(a.max, v)
	}
	return nil
}

// addKeys hashes the key of every row without a NULL key column (SQL
// UNIQUE semantics: NULLs are never duplicates) and counts the rows whose
// key was seen before.
func (r *runState) addKeys(u *uniqueSet, b arrow.RecordBatch) error {
	var h maphash.Hash
	h.SetSeed(r.seed)
	cols := make([]arrow.Array, len(u.cols))
	for i, c := range u.cols {
		cols[i] = b.Column(c)
	}
	limit := r.opts.UniqueMemoryBudget / bytesPerKey
rows:
	for i := range int(b.NumRows()) {
		h.Reset()
		for _, c := range cols {
			if c.IsNull(i) {
				continue rows
			}
			v := c.ValueStr(i)
			// Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
			var l [8]byte
			binary.LittleEndian.PutUint64(l[:], uint64(len(v)))
			_, _ = h.Write(l[:])
			_, _ = h.WriteString(v)
		}
		k := h.Sum64()
		if _, dup := u.seen[k]; dup {
			u.dups++
			continue
		}
		if r.keys >= limit {
			return fmt.Errorf("%w: unique expectations hold %d distinct keys, the budget of %d bytes allows %d (raise SuiteOptions.UniqueMemoryBudget)",
				ErrMemoryBudget, r.keys, r.opts.UniqueMemoryBudget, limit)
		}
		u.seen[k] = struct{}{}
		r.keys++
	}
	return nil
}
