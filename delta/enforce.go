package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// batchChecks enforces the table's write-time rules on every batch: NOT
// NULL columns (nested struct fields included), CHECK constraints, legacy
// column invariants, generated columns and the ReplaceWhere predicate.
type batchChecks struct {
	schema    *arrow.Schema
	mem       memory.Allocator
	notNull   []notNullField
	checks    []namedProgram
	generated []generatedColumn
}

type notNullField struct {
	path []int
	name string
}

type namedProgram struct {
	kind string // "CHECK constraint", "invariant", "replaceWhere"
	name string
	sql  string
	prog *expr.Program
}

type generatedColumn struct {
	idx  int
	name string
	sql  string
	prog *expr.Program
}

func (x *Transaction) newBatchChecks(table *arrow.Schema) (*batchChecks, error) {
	c := &batchChecks{schema: table, mem: x.table.opts.Allocator}
	copts := &expr.CompileOptions{Allocator: c.mem}
	compile := func(kind, name, sql string) (*expr.Program, error) {
		e, err := expr.Parse(sql)
		if err == nil {
			var p *expr.Program
			if p, err = expr.Compile(e, table, copts); err == nil {
				return p, nil
			}
		}
		// A table whose rules cannot be evaluated must not be written:
		// skipping a constraint would let bad rows in silently.
		return nil, fmt.Errorf("%w: %s %s (%s) cannot be evaluated by this library: %w", ErrUnsupportedFeature, kind, name, sql, err)
	}
	var walk func(fields []arrow.Field, idx []int, names []string)
	walk = func(fields []arrow.Field, idx []int, names []string) {
		for i, f := range fields {
			path := append(append([]int(nil), idx...), i)
			ns := append(append([]string(nil), names...), f.Name)
			if !f.Nullable {
				c.notNull = append(c.notNull, notNullField{path: path, name: strings.Join(ns, ".")})
			}
			if st, ok := f.Type.(*arrow.StructType); ok {
				walk(st.Fields(), path, ns)
			}
		}
	}
	walk(table.Fields(), nil, nil)

	keys := make([]string, 0)
	for k := range x.meta.Configuration {
		if strings.HasPrefix(k, "delta.constraints.") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		name := strings.TrimPrefix(k, "delta.constraints.")
		sql := x.meta.Configuration[k]
		p, err := compile("CHECK constraint", name, sql)
		if err != nil {
			return nil, err
		}
		c.checks = append(c.checks, namedProgram{kind: "CHECK constraint", name: name, sql: sql, prog: p})
	}
	for i, f := range x.schema.Fields {
		if raw, ok := f.Metadata["delta.invariants"]; ok {
			sql, err := invariantSQL(raw)
			if err != nil {
				return nil, corrupt("column %q: delta.invariants: %v", f.Name, err)
			}
			p, err := compile("invariant", f.Name, sql)
			if err != nil {
				return nil, err
			}
			c.checks = append(c.checks, namedProgram{kind: "invariant", name: f.Name, sql: sql, prog: p})
		}
		if sql, ok := f.MetadataString(protocol.MetaGeneration); ok {
			p, err := compile("generated column", f.Name, sql)
			if err != nil {
				return nil, err
			}
			c.generated = append(c.generated, generatedColumn{idx: i, name: f.Name, sql: sql, prog: p})
		}
	}
	if x.opts.ReplaceWhere != "" {
		e, err := expr.Parse(x.opts.ReplaceWhere)
		if err != nil {
			return nil, fmt.Errorf("%w: ReplaceWhere: %w", ErrInvalidArgument, err)
		}
		p, err := expr.Compile(e, table, copts)
		if err != nil {
			return nil, fmt.Errorf("%w: ReplaceWhere: %w", ErrInvalidArgument, err)
		}
		c.checks = append(c.checks, namedProgram{kind: "replaceWhere", name: "predicate", sql: x.opts.ReplaceWhere, prog: p})
	}
	return c, nil
}

// invariantSQL extracts the SQL text of a legacy column invariant,
// {"expression": {"expression": "x > 3"}}.
func invariantSQL(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		raw = json.RawMessage(s)
	}
	var inv struct {
		Expression struct {
			Expression string `json:"expression"`
		} `json:"expression"`
	}
	if err := json.Unmarshal(raw, &inv); err != nil {
		return "", err
	}
	if inv.Expression.Expression == "" {
		return "", fmt.Errorf("no expression")
	}
	return inv.Expression.Expression, nil
}

// apply fills or verifies generated columns, then checks every rule. It
// returns a new reference to the batch to write.
//
// copied marks rows an overwrite carries over from the old table (the rows
// a data-column ReplaceWhere keeps): they are exempt from the predicate.
func (c *batchChecks) apply(ctx context.Context, rec arrow.RecordBatch, copied bool) (arrow.RecordBatch, error) {
	rec.Retain()
	if len(c.generated) > 0 {
		next, err := c.applyGenerated(ctx, rec)
		rec.Release()
		if err != nil {
			return nil, err
		}
		rec = next
	}
	if err := c.checkNotNull(rec); err != nil {
		rec.Release()
		return nil, err
	}
	for _, p := range c.checks {
		if copied && p.kind == "replaceWhere" {
			continue
		}
		if err := c.checkProgram(ctx, p, rec); err != nil {
			rec.Release()
			return nil, err
		}
	}
	return rec, nil
}

func (c *batchChecks) checkNotNull(rec arrow.RecordBatch) error {
	for _, f := range c.notNull {
		col := rec.Column(f.path[0])
		if len(f.path) == 1 {
			if col.NullN() > 0 {
				return fmt.Errorf("%w: NOT NULL column %q has %d null value(s)", ErrConstraintViolation, f.name, col.NullN())
			}
			continue
		}
		// A nested NOT NULL field is violated only where every ancestor
		// is present.
		for i := 0; i < col.Len(); i++ {
			cur := col
			for k, p := range f.path {
				if k > 0 {
					cur = cur.(*array.Struct).Field(p)
				}
				if cur.IsNull(i) {
					if k == len(f.path)-1 {
						return fmt.Errorf("%w: NOT NULL field %q is null in row %d", ErrConstraintViolation, f.name, i)
					}
					break
				}
			}
		}
	}
	return nil
}

// checkProgram fails when the rule is FALSE or NULL for any row.
func (c *batchChecks) checkProgram(ctx context.Context, p namedProgram, rec arrow.RecordBatch) error {
	res, err := p.prog.Eval(ctx, rec)
	if err != nil {
		return fmt.Errorf("delta: evaluate %s %s: %w", p.kind, p.name, err)
	}
	defer res.Release()
	b, ok := res.(*array.Boolean)
	bad, first := 0, -1
	for i := 0; i < res.Len(); i++ {
		if res.IsNull(i) || !ok || !b.Value(i) {
			bad++
			if first < 0 {
				first = i
			}
		}
	}
	if bad == 0 {
		return nil
	}
	if p.kind == "replaceWhere" {
		return fmt.Errorf("%w: %d written row(s) do not match ReplaceWhere %q (first: %s)", ErrConstraintViolation, bad, p.sql, rowString(rec, first))
	}
	return fmt.Errorf("%w: %s %s (%s) violated by %d row(s) (first: %s)", ErrConstraintViolation, p.kind, p.name, p.sql, bad, rowString(rec, first))
}

// applyGenerated computes generated columns the writer left null and
// verifies the ones it supplied.
func (c *batchChecks) applyGenerated(ctx context.Context, rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = rec.Column(i)
		cols[i].Retain()
	}
	release := func() {
		for _, a := range cols {
			a.Release()
		}
	}
	for _, g := range c.generated {
		computed, err := g.prog.Eval(ctx, rec)
		if err != nil {
			release()
			return nil, fmt.Errorf("delta: evaluate generated column %q: %w", g.name, err)
		}
		want := c.schema.Field(g.idx).Type
		if !arrow.TypeEqual(computed.DataType(), want) {
			cast, err := compute.CastArray(compute.WithAllocator(ctx, c.mem), computed, compute.UnsafeCastOptions(want))
			computed.Release()
			if err != nil {
				release()
				return nil, fmt.Errorf("delta: generated column %q: %w", g.name, err)
			}
			computed = cast
		}
		given := cols[g.idx]
		if given.NullN() == given.Len() {
			given.Release()
			cols[g.idx] = computed
			continue
		}
		for i := 0; i < given.Len(); i++ {
			if !array.SliceEqual(given, int64(i), int64(i+1), computed, int64(i), int64(i+1)) {
				computed.Release()
				release()
				return nil, fmt.Errorf("%w: generated column %q (%s) does not match the written value in row %d (%s)", ErrConstraintViolation, g.name, g.sql, i, rowString(rec, i))
			}
		}
		computed.Release()
	}
	out := array.NewRecordBatch(rec.Schema(), cols, rec.NumRows())
	release()
	return out, nil
}

// rowString renders one row for an error message.
func rowString(rec arrow.RecordBatch, i int) string {
	var b strings.Builder
	b.WriteByte('{')
	for c := 0; c < int(rec.NumCols()); c++ {
		if c > 0 {
			b.WriteString(", ")
		}
		col := rec.Column(c)
		b.WriteString(rec.Schema().Field(c).Name)
		b.WriteString(": ")
		if col.IsNull(i) {
			b.WriteString("null")
		} else {
			b.WriteString(col.ValueStr(i))
		}
	}
	b.WriteByte('}')
	return b.String()
}
