package delta

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/conflict"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// planOverwrite decides, at Begin, which files an overwrite removes and
// what it read. Dynamic partition overwrite decides at Commit, once the
// written partitions are known.
func (x *Transaction) planOverwrite(ctx context.Context) error {
	switch {
	case x.opts.PartitionOverwrite:
		if len(x.meta.PartitionColumns) == 0 {
			return fmt.Errorf("%w: PartitionOverwrite on a table without partition columns", ErrInvalidArgument)
		}
		x.dynamicPartitions = map[string]bool{}
		return nil
	case x.opts.ReplaceWhere != "":
		pred, err := x.partitionPredicate(x.opts.ReplaceWhere)
		if errors.Is(err, errDataPredicate) {
			return x.planDataReplaceWhere(ctx)
		}
		if err != nil {
			return err
		}
		x.readPredicates = append(x.readPredicates, func(f conflict.File) bool {
			ok, err := pred.matches([]map[string]*string{f.PartitionValues})
			return err != nil || ok[0]
		})
		var files []*protocol.Add
		for f, err := range x.snap.addFiles(ctx) {
			if err != nil {
				return err
			}
			files = append(files, f)
		}
		pvs := make([]map[string]*string, len(files))
		for i, f := range files {
			pvs[i] = f.PartitionValues
		}
		match, err := pred.matches(pvs)
		if err != nil {
			return err
		}
		for i, f := range files {
			if match[i] {
				x.removeFile(f)
			}
		}
		return nil
	default:
		x.readWholeTable = true
		for f, err := range x.snap.addFiles(ctx) {
			if err != nil {
				return err
			}
			x.removeFile(f)
		}
		return nil
	}
}

// removeFile stages the removal of a live file.
func (x *Transaction) removeFile(f *protocol.Add) {
	ext := true
	size := f.Size
	x.removes = append(x.removes, &protocol.Remove{
		Path:                    f.Path,
		DataChange:              true,
		ExtendedFileMetadata:    &ext,
		PartitionValues:         f.PartitionValues,
		Size:                    &size,
		Stats:                   f.Stats,
		Tags:                    f.Tags,
		DeletionVector:          f.DeletionVector,
		BaseRowID:               f.BaseRowID,
		DefaultRowCommitVersion: f.DefaultRowCommitVersion,
	})
	x.metrics.numRemovedFiles++
	x.metrics.numRemovedBytes += f.Size
	if len(x.removes) == 1 {
		x.metrics.numDeletedRowsKnown = true
	}
	if n, ok := fileNumRecords(f); ok && x.metrics.numDeletedRowsKnown {
		if f.DeletionVector != nil {
			n -= f.DeletionVector.Cardinality
		}
		x.metrics.numDeletedRows += n
	} else {
		x.metrics.numDeletedRowsKnown = false
	}
}

// removeWrittenPartitions removes, for a dynamic partition overwrite, the
// files of every partition the transaction wrote to.
func (x *Transaction) removeWrittenPartitions(ctx context.Context) error {
	parts := x.partitionFields()
	keyOf := func(pv map[string]*string) string { return partitionKey(parts, pv, x.mapping) }
	for _, a := range x.adds {
		x.dynamicPartitions[keyOf(a.PartitionValues)] = true
	}
	written := x.dynamicPartitions
	x.readPredicates = append(x.readPredicates, func(f conflict.File) bool { return written[keyOf(f.PartitionValues)] })
	for f, err := range x.snap.addFiles(ctx) {
		if err != nil {
			return err
		}
		if written[keyOf(f.PartitionValues)] {
			x.removeFile(f)
		}
	}
	return nil
}

func (x *Transaction) partitionFields() []*protocol.StructField {
	out := make([]*protocol.StructField, 0, len(x.meta.PartitionColumns))
	for _, pc := range x.meta.PartitionColumns {
		if f, _ := x.schema.Field(pc); f != nil {
			out = append(out, f)
		}
	}
	return out
}

// partitionKey identifies a partition by its values (physical keys, with
// logical names accepted as the reader does).
func partitionKey(parts []*protocol.StructField, pv map[string]*string, mode protocol.ColumnMappingMode) string {
	var b []byte
	for _, f := range parts {
		v, ok := pv[f.PhysicalName(mode)]
		if !ok {
			v = pv[f.Name]
		}
		if v == nil || *v == "" {
			b = append(b, 1)
		} else {
			b = append(b, 0)
			b = append(b, *v...)
		}
		b = append(b, 0xff)
	}
	return string(b)
}

// partitionPred is a predicate over partition columns only.
type partitionPred struct {
	parts  []*protocol.StructField
	schema *arrow.Schema
	prog   *expr.Program
	x      *Transaction
}

// partitionPredicate compiles a ReplaceWhere predicate against the
// partition columns. Predicates on data columns would need the matching
// rows of every touched file to be rewritten; they are refused.
func (x *Transaction) partitionPredicate(sql string) (*partitionPred, error) {
	e, err := expr.Parse(sql)
	if err != nil {
		return nil, fmt.Errorf("%w: ReplaceWhere: %w", ErrInvalidArgument, err)
	}
	return x.compilePartitionPredicate(e)
}

// compilePartitionPredicate compiles e against the partition columns;
// errDataPredicate when it needs data columns too.
func (x *Transaction) compilePartitionPredicate(e expr.Expr) (*partitionPred, error) {
	parts := x.partitionFields()
	fields := make([]arrow.Field, len(parts))
	for i, f := range parts {
		af, err := protocol.ToArrowField(f)
		if err != nil {
			return nil, err
		}
		fields[i] = af
	}
	schema := arrow.NewSchema(fields, nil)
	prog, err := expr.Compile(e, schema, &expr.CompileOptions{Allocator: x.table.opts.Allocator})
	if err != nil {
		if _, full := expr.Compile(e, x.snap.Schema(), nil); full == nil {
			return nil, errDataPredicate
		}
		return nil, fmt.Errorf("%w: predicate %s: %w", ErrInvalidArgument, e, err)
	}
	return &partitionPred{parts: parts, schema: schema, prog: prog, x: x}, nil
}

// errDataPredicate says a ReplaceWhere predicate uses data columns.
var errDataPredicate = errors.New("delta: predicate on data columns")

// partitionOnly is the error of an operation that takes a predicate on
// partition columns only, given one it cannot compile on them.
func partitionOnly(op string, err error) error {
	if errors.Is(err, errDataPredicate) {
		return fmt.Errorf("%w: %s takes a predicate on partition columns only; this one reads data columns", ErrInvalidArgument, op)
	}
	return fmt.Errorf("%w: %s takes a predicate on partition columns only: %w", ErrInvalidArgument, op, err)
}

// planDataReplaceWhere handles a ReplaceWhere that reads data columns:
// the files that may hold matching rows are read, and each one with a
// match is rewritten without the matching rows (copy-on-write, as Spark
// does for replaceWhere), so the result is the old rows minus the
// matching ones, plus what the transaction writes. On a change-feed table
// the replaced rows are recorded as deletes and the written ones as
// inserts.
func (x *Transaction) planDataReplaceWhere(ctx context.Context) error {
	e, err := expr.Parse(x.opts.ReplaceWhere)
	if err != nil {
		return fmt.Errorf("%w: ReplaceWhere: %w", ErrInvalidArgument, err)
	}
	d, err := x.newDML(e)
	if err != nil {
		return fmt.Errorf("%w: ReplaceWhere: %w", ErrInvalidArgument, err)
	}
	d.useDV = false
	matches, err := d.findMatches(ctx)
	if err != nil {
		return err
	}
	for _, m := range matches {
		if err := d.deleteFromFile(ctx, m); err != nil {
			_ = x.cleanup(context.WithoutCancel(ctx))
			return err
		}
	}
	x.insertChanges = d.cdf
	return nil
}

// matches evaluates the predicate for each file's partition values; NULL
// counts as no match, as in SQL.
func (p *partitionPred) matches(pvs []map[string]*string) ([]bool, error) {
	out := make([]bool, len(pvs))
	if len(pvs) == 0 {
		return out, nil
	}
	mem := p.x.table.opts.Allocator
	cols := make([]arrow.Array, len(p.parts))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range p.parts {
		typ := p.schema.Field(i).Type
		pieces := make([]arrow.Array, 0, len(pvs))
		for _, pv := range pvs {
			raw, ok := pv[f.PhysicalName(p.x.mapping)]
			if !ok {
				raw = pv[f.Name]
			}
			sc, err := protocol.ParsePartitionValue(raw, typ)
			if err != nil {
				for _, a := range pieces {
					a.Release()
				}
				return nil, corrupt("partition value of %q: %v", f.Name, err)
			}
			a, err := scalar.MakeArrayFromScalar(sc, 1, mem)
			if err != nil {
				for _, a := range pieces {
					a.Release()
				}
				return nil, err
			}
			pieces = append(pieces, a)
		}
		col, err := array.Concatenate(pieces, mem)
		for _, a := range pieces {
			a.Release()
		}
		if err != nil {
			return nil, err
		}
		cols[i] = col
	}
	rec := array.NewRecordBatch(p.schema, cols, int64(len(pvs)))
	defer rec.Release()
	res, err := p.prog.Eval(context.Background(), rec)
	if err != nil {
		return nil, fmt.Errorf("delta: evaluate ReplaceWhere: %w", err)
	}
	defer res.Release()
	b, ok := res.(*array.Boolean)
	for i := range out {
		out[i] = ok && b.IsValid(i) && b.Value(i)
	}
	return out, nil
}
