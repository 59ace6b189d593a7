package expr

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// CompileOptions tunes Compile. A nil *CompileOptions means defaults.
type CompileOptions struct {
	// ANSI selects Spark's ANSI mode: integer and decimal overflow, division
	// by zero and invalid CASTs fail Eval with ErrArithmetic/ErrInvalidCast.
	// The default (false) is Spark 3.5 / Databricks classic behaviour:
	// integer overflow wraps, decimal overflow, division by zero and invalid
	// casts yield NULL. (Spark 4 turns ANSI on by default.)
	ANSI bool
	// TimeZone is the session time zone used for TIMESTAMP literals and
	// string/date/timestamp conversions. Default UTC.
	TimeZone *time.Location
	// Allocator backs every array Eval produces. Default memory.DefaultAllocator.
	Allocator memory.Allocator
	// Now fixes current_date() and current_timestamp() for one Program, as
	// Spark fixes them per query. Default time.Now.
	Now func() time.Time
}

func (o *CompileOptions) withDefaults() CompileOptions {
	var r CompileOptions
	if o != nil {
		r = *o
	}
	if r.TimeZone == nil {
		r.TimeZone = time.UTC
	}
	if r.Allocator == nil {
		r.Allocator = memory.DefaultAllocator
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	return r
}

// Program is a type-checked expression bound to a schema. It is immutable
// and safe for concurrent use by multiple goroutines.
type Program struct {
	expr   Expr
	schema *arrow.Schema
	opts   CompileOptions
	root   *cnode
}

// cnode is one compiled operator: its Spark result type and how to
// compute it for a batch. Constant subtrees are folded into konst.
type cnode struct {
	typ   arrow.DataType
	konst scalar.Scalar
	eval  func(ec *evalCtx) (value, error)
	src   *node
}

// value is an operator result: an array of batch length (owned by the
// receiver, who must release it) or a constant scalar.
type value struct {
	arr arrow.Array
	sc  scalar.Scalar
}

func (v value) release() {
	if v.arr != nil {
		v.arr.Release()
	}
}

type evalCtx struct {
	ctx   context.Context
	batch arrow.RecordBatch
	n     int
	mem   memory.Allocator
	opts  *CompileOptions
}

// Compile resolves column references against schema (case-insensitively,
// preferring an exact match, as Spark does), applies Spark's implicit
// casts and checks types. opts may be nil.
func Compile(e Expr, schema *arrow.Schema, opts *CompileOptions) (*Program, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil expression", ErrType)
	}
	if schema == nil {
		schema = arrow.NewSchema(nil, nil)
	}
	o := opts.withDefaults()
	c := &compiler{schema: schema, opts: &o, now: o.Now()}
	root, err := c.compile(e.tree())
	if err != nil {
		return nil, err
	}
	return &Program{expr: e, schema: schema, opts: o, root: root}, nil
}

// ResultType is the Arrow type of the arrays Eval returns (Boolean for
// predicates). Spark types map as documented in the package overview.
func (p *Program) ResultType() arrow.DataType { return p.root.typ }

// String prints the compiled expression's source.
func (p *Program) String() string { return p.expr.String() }

// Eval computes the expression for every row of batch. The batch must have
// the schema the program was compiled for (matched by field position). The
// caller releases the returned array.
func (p *Program) Eval(ctx context.Context, batch arrow.RecordBatch) (arrow.Array, error) {
	if err := p.checkBatch(batch); err != nil {
		return nil, err
	}
	if batch.NumRows() == 0 {
		// Kernels assume at least one row; an empty batch has an empty answer.
		return array.MakeArrayOfNull(p.opts.Allocator, p.root.typ, 0), nil
	}
	ec := &evalCtx{ctx: compute.WithAllocator(ctx, p.opts.Allocator), batch: batch, n: int(batch.NumRows()), mem: p.opts.Allocator, opts: &p.opts}
	v, err := p.root.eval(ec)
	if err != nil {
		return nil, err
	}
	return ec.materialize(v, p.root.typ)
}

// Filter returns the rows of batch for which the predicate is TRUE (rows
// where it is FALSE or NULL are dropped). The caller releases the result.
func (p *Program) Filter(ctx context.Context, batch arrow.RecordBatch) (arrow.RecordBatch, error) {
	if !isBool(p.root.typ) && !isNull(p.root.typ) {
		return nil, fmt.Errorf("%w: %s has type %s", ErrNotPredicate, p.expr, sparkTypeName(p.root.typ))
	}
	mask, err := p.Eval(ctx, batch)
	if err != nil {
		return nil, err
	}
	defer mask.Release()
	if isNull(mask.DataType()) {
		return batch.NewSlice(0, 0), nil
	}
	if mask.NullN() == 0 && countTrue(mask.(*array.Boolean)) == mask.Len() {
		batch.Retain()
		return batch, nil
	}
	return compute.FilterRecordBatch(compute.WithAllocator(ctx, p.opts.Allocator), batch, mask, compute.DefaultFilterOptions())
}

// countTrue counts TRUE values of a Boolean array without nulls.
func countTrue(b *array.Boolean) int {
	return bitutil.CountSetBits(b.Data().Buffers()[1].Bytes(), b.Data().Offset(), b.Len())
}

func (p *Program) checkBatch(batch arrow.RecordBatch) error {
	if batch == nil {
		return fmt.Errorf("%w: nil batch", ErrType)
	}
	if int(batch.NumCols()) < len(p.schema.Fields()) {
		return fmt.Errorf("%w: batch has %d columns, program was compiled for %d", ErrType, batch.NumCols(), len(p.schema.Fields()))
	}
	return nil
}

// materialize turns a value into an array of batch length of type typ.
func (ec *evalCtx) materialize(v value, typ arrow.DataType) (arrow.Array, error) {
	if v.arr != nil {
		return v.arr, nil
	}
	if v.sc == nil || !v.sc.IsValid() {
		return array.MakeArrayOfNull(ec.mem, typ, ec.n), nil
	}
	return scalar.MakeArrayFromScalar(v.sc, ec.n, ec.mem)
}

func (v value) datum() compute.Datum {
	if v.arr != nil {
		return compute.NewDatum(v.arr)
	}
	return compute.NewDatum(v.sc)
}

// callCompute runs an arrow/compute function over values, releasing none
// of the inputs, and returns an owned value.
func (ec *evalCtx) callCompute(name string, opts compute.FunctionOptions, args ...value) (value, error) {
	ds := make([]compute.Datum, len(args))
	for i, a := range args {
		ds[i] = a.datum()
	}
	defer func() {
		for _, d := range ds {
			d.Release()
		}
	}()
	out, err := compute.CallFunction(ec.ctx, name, opts, ds...)
	if err != nil {
		return value{}, err
	}
	defer out.Release()
	switch d := out.(type) {
	case *compute.ArrayDatum:
		return value{arr: d.MakeArray()}, nil
	case *compute.ScalarDatum:
		return value{sc: d.Value}, nil
	}
	return value{}, fmt.Errorf("expr: unexpected compute result %s", out)
}

// constNode wraps a scalar as a folded constant.
func constNode(sc scalar.Scalar, src *node) *cnode {
	return &cnode{typ: sc.DataType(), konst: sc, src: src, eval: func(*evalCtx) (value, error) {
		return value{sc: sc}, nil
	}}
}

// foldAlloc backs compile-time constant folding; it is Go-managed so
// folded scalars never hold the caller's allocator.
var foldAlloc = memory.NewGoAllocator()

// fold evaluates n once when all its inputs are constants and replaces it
// by the resulting scalar. Errors (ANSI overflow, …) are left for Eval.
func (c *compiler) fold(n *cnode, inputs ...*cnode) *cnode {
	for _, in := range inputs {
		if in.konst == nil {
			return n
		}
	}
	ec := &evalCtx{ctx: compute.WithAllocator(context.Background(), foldAlloc), n: 1, mem: foldAlloc, opts: c.opts,
		batch: array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)}
	v, err := n.eval(ec)
	if err != nil {
		return n
	}
	if v.sc != nil {
		return constNode(v.sc, n.src)
	}
	defer v.release()
	sc, err := scalar.GetScalar(v.arr, 0)
	if err != nil {
		return n
	}
	if !arrow.TypeEqual(sc.DataType(), n.typ) {
		return n
	}
	return constNode(sc, n.src)
}
