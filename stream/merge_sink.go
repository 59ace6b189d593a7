package stream

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/rowkey"
)

// MergeSinkOptions configure a MergeSink. Keys is required.
type MergeSinkOptions struct {
	// Table configures opening the table (allocator, URL mux).
	Table *delta.Options
	// Keys identify a row: each batch is merged ON target.k = source.k
	// for every key (DLT's APPLY CHANGES … KEYS).
	Keys []string
	// SequenceBy names a source column ordering the changes of one key
	// (APPLY CHANGES … SEQUENCE BY): within a batch the latest change of
	// a key wins, and a change not newer than the table's row is ignored,
	// so late and replayed changes cannot undo newer ones. Empty: the
	// last change of a key in the batch wins and always applies.
	SequenceBy string
	// DeleteWhen is a Spark SQL condition on a source row that makes it a
	// delete of its key (APPLY AS DELETE WHEN), such as "op = 'D'".
	DeleteWhen string
	// ExceptColumns are source columns not written to the table, such as
	// the operation column DeleteWhen reads (COLUMNS * EXCEPT).
	ExceptColumns []string
	// PartitionBy and Properties apply when the sink creates the table.
	PartitionBy []string
	Properties  map[string]string
}

// MergeSink upserts each batch into a Delta table with MERGE, for change
// data capture streams: rows are inserted or update the row of their key,
// or delete it (DeleteWhen). Each MERGE records the txn action (appId =
// query id, version = batch id), so a batch re-run after a crash between
// the table's commit and the checkpoint's is skipped. It takes Append and
// Update output modes. The table is created from the first batch's
// schema (less ExceptColumns) when it does not exist.
type MergeSink struct {
	sinkTable
	opts MergeSinkOptions
}

// NewMergeSink returns a MERGE sink into the table at url.
func NewMergeSink(url string, opts *MergeSinkOptions) *MergeSink {
	s := &MergeSink{sinkTable: sinkTable{url: url}}
	if opts != nil {
		s.opts = *opts
		s.options = opts.Table
	}
	return s
}

// Kind implements Sink.
func (s *MergeSink) Kind() string { return "delta-merge" }

// AddBatch implements Sink.
func (s *MergeSink) AddBatch(ctx context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Mode == Complete {
		return fmt.Errorf("%w: the MERGE sink applies changes; use Append or Update output mode", ErrInvalidArgument)
	}
	if len(s.opts.Keys) == 0 {
		return fmt.Errorf("%w: MergeSinkOptions.Keys is required", ErrInvalidArgument)
	}
	if b.Schema == nil || b.NumRows() == 0 {
		return nil
	}
	mem := memory.DefaultAllocator
	if s.opts.Table != nil && s.opts.Table.Allocator != nil {
		mem = s.opts.Table.Allocator
	}
	latest, err := latestPerKey(ctx, b, s.opts.Keys, s.opts.SequenceBy, mem)
	if err != nil {
		return err
	}
	defer latest.Release()
	if err := s.openTable(ctx, b.Schema); err != nil {
		return err
	}
	on, clauses, err := s.clauses(b.Schema)
	if err != nil {
		return err
	}
	src, err := array.NewRecordReader(latest.Schema(), []arrow.RecordBatch{latest})
	if err != nil {
		return err
	}
	defer src.Release()
	o := *clauses
	o.AppID, o.AppVersion = b.QueryID, b.ID
	res, err := s.tbl.Merge(ctx, src, on, &o)
	if err != nil {
		return fmt.Errorf("stream: merge sink batch %d: %w", b.ID, err)
	}
	s.last = res
	return nil
}

// openTable opens the table, creating it from the batch schema without
// the excepted columns.
func (s *MergeSink) openTable(ctx context.Context, schema *arrow.Schema) error {
	var fields []arrow.Field
	for _, f := range schema.Fields() {
		if !slices.Contains(s.opts.ExceptColumns, f.Name) {
			fields = append(fields, f)
		}
	}
	return s.open(ctx, arrow.NewSchema(fields, nil), delta.CreateOptions{PartitionBy: s.opts.PartitionBy, Properties: s.opts.Properties})
}

// clauses builds the MERGE: ON the keys; a newer delete deletes; a newer
// change updates every written column; an unmatched change that is not a
// delete inserts.
func (s *MergeSink) clauses(schema *arrow.Schema) (expr.Expr, *delta.MergeOptions, error) {
	const t, src = "t", "s"
	var on []expr.Expr
	for _, k := range s.opts.Keys {
		if len(schema.FieldIndices(k)) != 1 {
			return nil, nil, fmt.Errorf("%w: merge key %q is not a column of the stream", ErrInvalidArgument, k)
		}
		on = append(on, expr.Col(t, k).Eq(expr.Col(src, k)))
	}
	values := map[string]expr.Expr{}
	for _, f := range schema.Fields() {
		if !slices.Contains(s.opts.ExceptColumns, f.Name) {
			values[f.Name] = expr.Col(src, f.Name)
		}
	}
	var newer, isDelete expr.Expr
	if s.opts.SequenceBy != "" {
		if len(schema.FieldIndices(s.opts.SequenceBy)) != 1 {
			return nil, nil, fmt.Errorf("%w: SequenceBy column %q is not a column of the stream", ErrInvalidArgument, s.opts.SequenceBy)
		}
		newer = expr.Col(src, s.opts.SequenceBy).Gt(expr.Col(t, s.opts.SequenceBy))
	}
	if s.opts.DeleteWhen != "" {
		e, err := expr.Parse(s.opts.DeleteWhen)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: DeleteWhen: %w", ErrInvalidArgument, err)
		}
		isDelete = qualify(e, schema, src)
	}
	and := func(es ...expr.Expr) expr.Expr {
		var out []expr.Expr
		for _, e := range es {
			if e != nil {
				out = append(out, e)
			}
		}
		switch len(out) {
		case 0:
			return nil
		case 1:
			return out[0]
		}
		return expr.And(out...)
	}
	o := &delta.MergeOptions{TargetAlias: t, SourceAlias: src}
	if isDelete != nil {
		o.WhenMatched = append(o.WhenMatched, delta.WhenMatched{Condition: and(isDelete, newer), Delete: true})
		o.WhenMatched = append(o.WhenMatched, delta.WhenMatched{Condition: and(expr.Not(isDelete), newer), Update: values})
		o.WhenNotMatched = []delta.WhenNotMatched{{Condition: expr.Not(isDelete), Insert: values}}
	} else {
		o.WhenMatched = []delta.WhenMatched{{Condition: newer, Update: values}}
		o.WhenNotMatched = []delta.WhenNotMatched{{Insert: values}}
	}
	return and(on...), o, nil
}

// qualify rewrites the stream's column names in a condition to the source
// alias, so DeleteWhen is written as over the stream alone.
func qualify(e expr.Expr, schema *arrow.Schema, alias string) expr.Expr {
	return expr.RenameColumns(e, func(path []string) []string {
		if len(schema.FieldIndices(path[0])) == 1 {
			return append([]string{alias}, path...)
		}
		return path
	})
}

// latestPerKey keeps, of each key's rows in the batch, the one with the
// greatest sequence (the last one without a sequence column), so MERGE
// sees one change per key.
func latestPerKey(ctx context.Context, b *Batch, keys []string, seqCol string, mem memory.Allocator) (arrow.RecordBatch, error) {
	one, err := concatBatches(b.Schema, b.Records, mem)
	if err != nil {
		return nil, err
	}
	defer one.Release()
	var keyCols []arrow.Array
	for _, k := range keys {
		is := one.Schema().FieldIndices(k)
		if len(is) != 1 {
			return nil, fmt.Errorf("%w: merge key %q is not a column of the stream", ErrInvalidArgument, k)
		}
		keyCols = append(keyCols, one.Column(is[0]))
	}
	var seq arrow.Array
	if seqCol != "" {
		is := one.Schema().FieldIndices(seqCol)
		if len(is) != 1 {
			return nil, fmt.Errorf("%w: SequenceBy column %q is not a column of the stream", ErrInvalidArgument, seqCol)
		}
		seq = one.Column(is[0])
	}
	best := map[string]int{}
	var order []string
	for i := range int(one.NumRows()) {
		k := rowkey.Of(keyCols, i)
		prev, seen := best[k]
		if !seen {
			order = append(order, k)
			best[k] = i
			continue
		}
		if seq == nil || !sequenceLess(seq, i, prev) {
			best[k] = i
		}
	}
	if len(best) == int(one.NumRows()) {
		one.Retain()
		return one, nil
	}
	idx := array.NewInt64Builder(mem)
	defer idx.Release()
	for _, k := range order {
		idx.Append(int64(best[k]))
	}
	ids := idx.NewInt64Array()
	defer ids.Release()
	whole := array.RecordToStructArray(one)
	defer whole.Release()
	out, err := compute.TakeArray(compute.WithAllocator(ctx, mem), whole, ids)
	if err != nil {
		return nil, fmt.Errorf("stream: merge sink: %w", err)
	}
	defer out.Release()
	return array.RecordFromStructArray(out.(*array.Struct), one.Schema()), nil
}

// sequenceLess reports whether row i's sequence value sorts before row
// j's (NULL first).
func sequenceLess(a arrow.Array, i, j int) bool {
	if a.IsNull(i) || a.IsNull(j) {
		return a.IsNull(i) && !a.IsNull(j)
	}
	switch c := a.(type) {
	case *array.Int64:
		return c.Value(i) < c.Value(j)
	case *array.Int32:
		return c.Value(i) < c.Value(j)
	case *array.Float64:
		return c.Value(i) < c.Value(j)
	case *array.Timestamp:
		return c.Value(i) < c.Value(j)
	case *array.Date32:
		return c.Value(i) < c.Value(j)
	case *array.String:
		return c.Value(i) < c.Value(j)
	}
	return a.ValueStr(i) < a.ValueStr(j)
}

// concatBatches makes one batch of the batches' rows.
func concatBatches(schema *arrow.Schema, recs []arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var n int64
	for _, r := range recs {
		n += r.NumRows()
	}
	for i := range cols {
		chunks := make([]arrow.Array, 0, len(recs))
		for _, r := range recs {
			chunks = append(chunks, r.Column(i))
		}
		if len(chunks) == 0 {
			cols[i] = array.MakeArrayOfNull(mem, schema.Field(i).Type, 0)
			continue
		}
		c, err := array.Concatenate(chunks, mem)
		if err != nil {
			return nil, fmt.Errorf("stream: merge sink: %w", err)
		}
		cols[i] = c
	}
	return array.NewRecordBatch(schema, cols, n), nil
}
