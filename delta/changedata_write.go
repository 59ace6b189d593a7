package delta

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// changeDataDir is where change data files live, under the table root; the
// spec reserves it, and Spark partitions it like the data.
const changeDataDir = "_change_data/"

// changeDataEnabled reports whether commits on the transaction's table
// must record their row changes (delta.enableChangeDataFeed).
func (x *Transaction) changeDataEnabled() bool {
	return protocol.Config(x.meta.Configuration).Bool(protocol.PropEnableCDF, false)
}

// writeChanges stages rows of the table schema (as conformed batches carry
// them) as change data of the given kind: ChangeDelete,
// ChangeUpdatePreimage or ChangeUpdatePostimage (inserts by DML are written
// here too when the commit has other change data, since readers then use
// only the change data files).
func (x *Transaction) writeChanges(ctx context.Context, rec arrow.RecordBatch, kind string) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if x.changes == nil {
		w, err := x.newDataWriter()
		if err != nil {
			return err
		}
		w.changeData = true
		w.tableSchema = withChangeType(w.tableSchema, w.mapping)
		w.fileSchema = withChangeType(w.fileSchema, w.mapping)
		w.dataIdx = append(w.dataIdx, w.tableSchema.NumFields()-1)
		x.changes = w
	}
	w := x.changes
	conformed, err := conformBatch(rec, dropLast(w.tableSchema), x.table.opts.Allocator)
	if err != nil {
		return err
	}
	defer conformed.Release()
	kinds := constantStrings(x.table.opts.Allocator, kind, int(conformed.NumRows()))
	defer kinds.Release()
	cols := append(append([]arrow.Array(nil), conformed.Columns()...), kinds)
	withKind := array.NewRecordBatch(w.tableSchema, cols, conformed.NumRows())
	defer withKind.Release()
	return w.write(ctx, withKind)
}

// flushChanges closes the change data files and records their cdc
// actions.
func (x *Transaction) flushChanges(ctx context.Context) error {
	if x.changes == nil {
		return nil
	}
	w := x.changes
	x.changes = nil
	adds, err := w.close(ctx)
	x.staged = append(x.staged, w.staged...)
	if err != nil {
		return err
	}
	for _, a := range adds {
		x.cdcs = append(x.cdcs, &protocol.CDC{Path: a.Path, PartitionValues: a.PartitionValues, Size: a.Size, DataChange: false})
		x.metrics.numChangeFiles++
	}
	return nil
}

// withChangeType appends the _change_type column; under column mapping it
// keeps its own name as its physical name, as Spark writes it.
func withChangeType(s *arrow.Schema, mode protocol.ColumnMappingMode) *arrow.Schema {
	f := arrow.Field{Name: ChangeTypeColumn, Type: arrow.BinaryTypes.String, Nullable: true}
	if mode != protocol.ColumnMappingNone {
		f.Metadata = arrow.NewMetadata([]string{parquetio.MetaPhysicalName}, []string{ChangeTypeColumn})
	}
	return arrow.NewSchema(append(append([]arrow.Field(nil), s.Fields()...), f), nil)
}

func dropLast(s *arrow.Schema) *arrow.Schema {
	fs := s.Fields()
	return arrow.NewSchema(fs[:len(fs)-1], nil)
}

func constantStrings(mem memory.Allocator, v string, n int) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(n)
	for range n {
		b.Append(v)
	}
	return b.NewArray()
}
