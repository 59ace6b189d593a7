package quality

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// FailedColumn is the column a quarantined batch carries in addition to
// the checked columns: the names of the expectations the row failed.
const FailedColumn = "_failed_expectations"

// Options tune Bind. A nil *Options means defaults.
type Options struct {
	// Dataset names the dataset the expectations guard; it is recorded in
	// metrics, errors and the event log.
	Dataset string
	// Allocator backs the masks, filtered batches and quarantined rows.
	// Default memory.DefaultAllocator.
	Allocator memory.Allocator
	// Compile is passed to expr.Compile (ANSI mode, time zone); its
	// Allocator defaults to Allocator.
	Compile *expr.CompileOptions
	// Quarantine, when set, receives the rows Drop expectations remove,
	// with a FailedColumn listing the expectations each failed. The batch
	// is released after the call returns; Retain it to keep it. A
	// *Quarantine table's Write method fits here.
	Quarantine func(ctx context.Context, rows arrow.RecordBatch) error
}

// Checker is a set of expectations bound to a schema: every condition has
// been parsed, resolved and type-checked. It is immutable apart from its
// metrics collector and safe for concurrent use.
type Checker struct {
	schema  *arrow.Schema
	exps    []Expectation
	progs   []*expr.Program
	opts    Options
	metrics Collector
}

// Bind compiles the expectations against schema. A condition that does
// not parse, names an unknown column or is not boolean is reported here,
// wrapping ErrInvalidExpectation and the expr error, not at the first
// batch.
func Bind(schema *arrow.Schema, exps []Expectation, opts *Options) (*Checker, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	co := expr.CompileOptions{}
	if o.Compile != nil {
		co = *o.Compile
	}
	if co.Allocator == nil {
		co.Allocator = o.Allocator
	}
	c := &Checker{schema: schema, opts: o, exps: append([]Expectation(nil), exps...)}
	seen := map[string]bool{}
	for _, e := range c.exps {
		if e.Name == "" {
			return nil, fmt.Errorf("%w: an expectation has no name (condition %q)", ErrInvalidExpectation, e.Condition)
		}
		if seen[e.Name] {
			return nil, fmt.Errorf("%w: two expectations are named %q", ErrInvalidExpectation, e.Name)
		}
		seen[e.Name] = true
		if e.Action < ActionWarn || e.Action > ActionFail {
			return nil, fmt.Errorf("%w: expectation %q has no valid action", ErrInvalidExpectation, e.Name)
		}
		p, err := compilePredicate(e.Condition, schema, &co)
		if err != nil {
			return nil, fmt.Errorf("%w: expectation %q: %w", ErrInvalidExpectation, e.Name, err)
		}
		c.progs = append(c.progs, p)
	}
	return c, nil
}

func compilePredicate(cond string, schema *arrow.Schema, co *expr.CompileOptions) (*expr.Program, error) {
	e, err := expr.Parse(cond)
	if err != nil {
		return nil, err
	}
	p, err := expr.Compile(e, schema, co)
	if err != nil {
		return nil, err
	}
	if t := p.ResultType().ID(); t != arrow.BOOL && t != arrow.NULL {
		return nil, fmt.Errorf("%w: %s is not a boolean condition", expr.ErrNotPredicate, cond)
	}
	return p, nil
}

// Schema is the schema the checker was bound to.
func (c *Checker) Schema() *arrow.Schema { return c.schema }

// Expectations returns the bound expectations in definition order.
func (c *Checker) Expectations() []Expectation { return append([]Expectation(nil), c.exps...) }

// Dataset is Options.Dataset.
func (c *Checker) Dataset() string { return c.opts.Dataset }

// Metrics returns the totals of every batch checked so far.
func (c *Checker) Metrics() Metrics { return c.metrics.Metrics() }

// TakeMetrics returns the totals so far and resets them: call it at the
// end of an update.
func (c *Checker) TakeMetrics() Metrics { return c.metrics.Take() }

// Result is the outcome of checking one batch.
type Result struct {
	// Kept are the rows no Drop expectation removed (the input itself,
	// retained, when none was). The caller releases it.
	Kept arrow.RecordBatch
	// Dropped are the removed rows plus FailedColumn, or nil when none
	// was. The caller releases it.
	Dropped arrow.RecordBatch
	// Metrics are this batch's counts.
	Metrics Metrics
}

// Release releases the batches of r.
func (r *Result) Release() {
	if r.Kept != nil {
		r.Kept.Release()
	}
	if r.Dropped != nil {
		r.Dropped.Release()
	}
}

// Check evaluates every expectation over batch. A Fail expectation with a
// failing row returns an *ExpectationError and nothing is counted; else
// the batch's metrics are added to the checker's totals. Check does not
// call Options.Quarantine (Expect's decorator does).
func (c *Checker) Check(ctx context.Context, batch arrow.RecordBatch) (*Result, error) {
	return c.check(ctx, batch, true)
}

// check is Check; withDropped false skips building Result.Dropped.
func (c *Checker) check(ctx context.Context, batch arrow.RecordBatch, withDropped bool) (*Result, error) {
	if err := c.checkSchema(batch.Schema()); err != nil {
		return nil, err
	}
	n := int(batch.NumRows())
	words := (n + 63) / 64
	fails, err := c.failures(ctx, batch)
	if err != nil {
		return nil, err
	}
	m := Metrics{InputRecords: int64(n), Expectations: make([]ExpectationMetrics, len(c.exps))}
	var drop []uint64
	for i, f := range fails {
		failed := popcount(f)
		e := c.exps[i]
		m.Expectations[i] = ExpectationMetrics{Name: e.Name, Dataset: c.opts.Dataset, Action: e.Action,
			PassedRecords: int64(n) - failed, FailedRecords: failed}
		switch {
		case failed == 0:
		case e.Action == ActionFail:
			return nil, &ExpectationError{Dataset: c.opts.Dataset, Expectation: e.Name, Condition: e.Condition, Row: formatRow(batch, firstSet(f))}
		case e.Action == ActionDrop:
			if drop == nil {
				drop = make([]uint64, words)
			}
			for w := range drop {
				drop[w] |= f[w]
			}
		}
	}
	dropped := popcount(drop)
	m.DroppedRecords, m.OutputRecords = dropped, int64(n)-dropped
	res := &Result{Metrics: m}
	if dropped == 0 {
		batch.Retain()
		res.Kept = batch
	} else {
		var err error
		if res.Kept, err = c.filter(ctx, batch, drop, n, true); err != nil {
			return nil, err
		}
		if withDropped {
			if res.Dropped, err = c.quarantineRows(ctx, batch, drop, fails, n); err != nil {
				res.Release()
				return nil, err
			}
		}
	}
	c.metrics.Add(m)
	return res, nil
}

// failures returns, per expectation, the bitmap of rows failing it.
func (c *Checker) failures(ctx context.Context, batch arrow.RecordBatch) ([][]uint64, error) {
	n := int(batch.NumRows())
	fails := make([][]uint64, len(c.progs))
	for i, p := range c.progs {
		mask, err := p.Eval(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("quality: expectation %q: %w", c.exps[i].Name, err)
		}
		fails[i] = failBits(mask, n, (n+63)/64)
		mask.Release()
	}
	return fails, nil
}

func (c *Checker) checkSchema(s *arrow.Schema) error {
	want := c.schema.Fields()
	got := s.Fields()
	if len(got) != len(want) {
		return fmt.Errorf("%w: batch has %d columns, bound to %d", ErrSchemaMismatch, len(got), len(want))
	}
	for i := range want {
		if got[i].Name != want[i].Name || !arrow.TypeEqual(got[i].Type, want[i].Type) {
			return fmt.Errorf("%w: column %d is %s %s, bound to %s %s", ErrSchemaMismatch, i, got[i].Name, got[i].Type, want[i].Name, want[i].Type)
		}
	}
	return nil
}

// failBits returns a bitmap of the rows where the boolean mask is FALSE
// (NULL is not a failure).
func failBits(mask arrow.Array, n, words int) []uint64 {
	out := make([]uint64, words)
	b, ok := mask.(*array.Boolean)
	if !ok || n == 0 { // a NULL-typed condition never fails
		return out
	}
	data := b.Data()
	if data.Offset() == 0 && len(data.Buffers()) > 1 && data.Buffers()[1] != nil {
		vals := data.Buffers()[1].Bytes()
		var valid []byte
		if b.NullN() > 0 && data.Buffers()[0] != nil {
			valid = data.Buffers()[0].Bytes()
		}
		for w := range out {
			var v, ok uint64 = 0, ^uint64(0)
			for k := 0; k < 8; k++ {
				j := w*8 + k
				if j < len(vals) {
					v |= uint64(vals[j]) << (8 * k)
				}
				if valid != nil && j < len(valid) {
					ok &^= uint64(0xff) << (8 * k)
					ok |= uint64(valid[j]) << (8 * k)
				}
			}
			out[w] = ^v & ok
		}
		if r := n % 64; r != 0 {
			out[words-1] &= (uint64(1) << r) - 1
		}
		return out
	}
	for i := 0; i < n; i++ {
		if b.IsValid(i) && !b.Value(i) {
			out[i/64] |= 1 << (i % 64)
		}
	}
	return out
}

func popcount(ws []uint64) int64 {
	var t int
	for _, w := range ws {
		t += bits.OnesCount64(w)
	}
	return int64(t)
}

func firstSet(ws []uint64) int {
	for i, w := range ws {
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

func isSet(ws []uint64, i int) bool { return ws[i/64]&(1<<(i%64)) != 0 }

// formatRow renders row i of batch as {col: value, …} for error messages.
func formatRow(batch arrow.RecordBatch, i int) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for j, f := range batch.Schema().Fields() {
		if j > 0 {
			sb.WriteString(", ")
		}
		col := batch.Column(j)
		v := "NULL"
		if col.IsValid(i) {
			v = col.ValueStr(i)
			if len(v) > 200 {
				v = v[:200] + "…"
			}
		}
		fmt.Fprintf(&sb, "%s: %s", f.Name, v)
	}
	sb.WriteByte('}')
	return sb.String()
}

// filter returns the rows of batch whose bit in sel is clear (invert
// true: the kept rows) or set (invert false: the dropped rows).
func (c *Checker) filter(ctx context.Context, batch arrow.RecordBatch, sel []uint64, n int, invert bool) (arrow.RecordBatch, error) {
	// The mask's bitmap is sel itself (or its complement), little-endian
	// words being Arrow's LSB-first bit order; Go memory, so nothing to
	// free.
	buf := make([]byte, len(sel)*8)
	for w, v := range sel {
		if invert {
			v = ^v
		}
		binary.LittleEndian.PutUint64(buf[w*8:], v)
	}
	mask := array.NewBoolean(n, memory.NewBufferBytes(buf), nil, 0)
	defer mask.Release()
	out, err := compute.FilterRecordBatch(compute.WithAllocator(ctx, c.opts.Allocator), batch, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, fmt.Errorf("quality: filtering rows: %w", err)
	}
	return out, nil
}

// QuarantineSchema is schema plus FailedColumn (a list of strings): the
// schema of the rows Drop expectations remove.
func QuarantineSchema(schema *arrow.Schema) *arrow.Schema {
	fs := append(append([]arrow.Field(nil), schema.Fields()...), arrow.Field{Name: FailedColumn, Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true})
	return arrow.NewSchema(fs, nil)
}

func (c *Checker) quarantineRows(ctx context.Context, batch arrow.RecordBatch, drop []uint64, fails [][]uint64, n int) (arrow.RecordBatch, error) {
	rows, err := c.filter(ctx, batch, drop, n, false)
	if err != nil {
		return nil, err
	}
	defer rows.Release()
	lb := array.NewListBuilder(c.opts.Allocator, arrow.BinaryTypes.String)
	defer lb.Release()
	sb := lb.ValueBuilder().(*array.StringBuilder)
	for i := 0; i < n; i++ {
		if !isSet(drop, i) {
			continue
		}
		lb.Append(true)
		for k, f := range fails {
			if isSet(f, i) {
				sb.Append(c.exps[k].Name)
			}
		}
	}
	names := lb.NewArray()
	defer names.Release()
	cols := append(append([]arrow.Array(nil), rows.Columns()...), names)
	return array.NewRecordBatch(QuarantineSchema(c.schema), cols, rows.NumRows()), nil
}

// Transform is a Go transformation of Arrow batches. The returned batch
// is owned by the caller (return the input with Retain to pass it on).
type Transform func(ctx context.Context, batch arrow.RecordBatch) (arrow.RecordBatch, error)

// Expect returns a decorator that checks the output of a Transform
// against c: rows failing Drop expectations are removed (and passed to
// Options.Quarantine), a row failing a Fail expectation makes the
// transform return an *ExpectationError, and every batch's counts are
// added to c's metrics. Decorators compose:
// quality.Expect(silver)(quality.Expect(bronze)(parse)). A nil fn is the
// identity, for checking batches as they are.
func Expect(c *Checker) func(fn Transform) Transform {
	return func(fn Transform) Transform {
		return func(ctx context.Context, in arrow.RecordBatch) (arrow.RecordBatch, error) {
			out := in
			if fn == nil {
				in.Retain()
			} else {
				var err error
				if out, err = fn(ctx, in); err != nil {
					return nil, err
				}
			}
			defer out.Release()
			res, err := c.check(ctx, out, c.opts.Quarantine != nil)
			if err != nil {
				return nil, err
			}
			if res.Dropped != nil {
				err = c.opts.Quarantine(ctx, res.Dropped)
				res.Dropped.Release()
				if err != nil {
					res.Kept.Release()
					return nil, fmt.Errorf("quality: quarantine: %w", err)
				}
			}
			return res.Kept, nil
		}
	}
}
