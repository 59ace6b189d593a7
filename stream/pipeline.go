package stream

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// MapFunc transforms one batch. It must not release in; the batch it
// returns is owned by the caller (return in.Retain()'d, or a new batch).
// Returning a nil batch drops the input.
type MapFunc func(ctx context.Context, in arrow.RecordBatch) (arrow.RecordBatch, error)

// Pipeline is a source followed by a chain of transformations. Build it
// with From and the chaining methods, then Start it with a sink. Mistakes
// in Select or Filter text are reported by Start.
type Pipeline struct {
	src       Source
	steps     []step
	err       error
	watermark *watermarkSpec
}

type step interface {
	apply(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error)
}

type watermarkSpec struct {
	column string
	delay  time.Duration
}

// From starts a pipeline reading src.
func From(src Source) *Pipeline { return &Pipeline{src: src} }

// Map appends a Go transformation.
func (p *Pipeline) Map(fn MapFunc) *Pipeline {
	p.steps = append(p.steps, mapStep(fn))
	return p
}

// Filter keeps the rows for which the Spark SQL predicate is TRUE.
func (p *Pipeline) Filter(predicate string) *Pipeline {
	e, err := expr.Parse(predicate)
	if err != nil {
		p.fail(fmt.Errorf("%w: filter %q: %w", ErrInvalidArgument, predicate, err))
		return p
	}
	p.steps = append(p.steps, &filterStep{e: e})
	return p
}

// Select projects each batch onto Spark SQL expressions, each optionally
// named with "AS name" ("amount * 2 AS double_amount"). An expression
// without a name keeps a column's own name, or its text otherwise.
func (p *Pipeline) Select(exprs ...string) *Pipeline {
	s := &selectStep{}
	for _, text := range exprs {
		body, name := splitAlias(text)
		e, err := expr.Parse(body)
		if err != nil {
			p.fail(fmt.Errorf("%w: select %q: %w", ErrInvalidArgument, text, err))
			return p
		}
		if name == "" {
			name = strings.TrimSpace(body)
			if cols := expr.Columns(e); len(cols) == 1 && strings.EqualFold(strings.Trim(name, "`"), strings.Join(cols[0], ".")) {
				name = strings.Join(cols[0], ".")
			}
		}
		s.exprs = append(s.exprs, e)
		s.names = append(s.names, name)
	}
	p.steps = append(p.steps, s)
	return p
}

// WithWatermark declares column (a timestamp) as the event time and the
// watermark as its maximum seen minus delay. The watermark is checkpointed
// with each batch and reported in Progress.EventTime.
func (p *Pipeline) WithWatermark(column string, delay time.Duration) *Pipeline {
	if delay < 0 {
		p.fail(fmt.Errorf("%w: negative watermark delay", ErrInvalidArgument))
	}
	p.watermark = &watermarkSpec{column: column, delay: delay}
	return p
}

func (p *Pipeline) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

var aliasRE = regexp.MustCompile(`(?is)^(.*\S)\s+as\s+` + "(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)" + `\s*$`)

func splitAlias(text string) (body, name string) {
	m := aliasRE.FindStringSubmatch(text)
	if m == nil {
		return text, ""
	}
	return m[1], strings.Trim(m[2], "`")
}

type mapStep MapFunc

func (f mapStep) apply(ctx context.Context, in arrow.RecordBatch, _ memory.Allocator) (arrow.RecordBatch, error) {
	return f(ctx, in)
}

// compiled caches programs per input schema: a source's schema can change
// between batches (schema evolution), rarely.
type compiled struct {
	schema *arrow.Schema
	progs  []*expr.Program
}

func compileFor(c *compiled, exprs []expr.Expr, schema *arrow.Schema, mem memory.Allocator) ([]*expr.Program, error) {
	if c.schema != nil && c.schema.Equal(schema) {
		return c.progs, nil
	}
	progs := make([]*expr.Program, len(exprs))
	for i, e := range exprs {
		p, err := expr.Compile(e, schema, &expr.CompileOptions{Allocator: mem})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidArgument, err)
		}
		progs[i] = p
	}
	c.schema, c.progs = schema, progs
	return progs, nil
}

type filterStep struct {
	e expr.Expr
	c compiled
}

func (f *filterStep) apply(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	progs, err := compileFor(&f.c, []expr.Expr{f.e}, in.Schema(), mem)
	if err != nil {
		return nil, err
	}
	return progs[0].Filter(ctx, in)
}

type selectStep struct {
	exprs []expr.Expr
	names []string
	c     compiled
}

func (s *selectStep) apply(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	progs, err := compileFor(&s.c, s.exprs, in.Schema(), mem)
	if err != nil {
		return nil, err
	}
	cols := make([]arrow.Array, 0, len(progs))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	fields := make([]arrow.Field, len(progs))
	for i, p := range progs {
		a, err := p.Eval(ctx, in)
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
		fields[i] = arrow.Field{Name: s.names[i], Type: p.ResultType(), Nullable: true}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, in.NumRows()), nil
}

// run applies the steps to one batch; in is released.
func (p *Pipeline) run(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	return p.runFrom(ctx, in, mem, 0)
}

// runFrom applies the steps from index from on.
func (p *Pipeline) runFrom(ctx context.Context, in arrow.RecordBatch, mem memory.Allocator, from int) (arrow.RecordBatch, error) {
	cur := in
	for _, s := range p.steps[from:] {
		next, err := s.apply(ctx, cur, mem)
		cur.Release()
		if err != nil {
			return nil, err
		}
		if next == nil {
			return nil, nil
		}
		cur = next
	}
	return cur, nil
}
