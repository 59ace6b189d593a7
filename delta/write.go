package delta

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Write stages the rows of rr as data files of the transaction. Batches are
// conformed to the table schema (columns matched by name, case-insensitive;
// missing nullable columns filled with nulls; narrower types widened),
// checked against NOT NULL columns, CHECK constraints, generated columns
// and ReplaceWhere, split by partition and written as parquet. The caller
// keeps ownership of rr. Nothing is visible in the table until Commit.
func (x *Transaction) Write(ctx context.Context, rr array.RecordReader) error {
	if x.done {
		return ErrTxnDone
	}
	if x.skipped {
		return nil // an idempotent replay: the rows are already in the table
	}
	for rr.Next() {
		if err := x.WriteBatch(ctx, rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("delta: write: reading input: %w", err)
	}
	return nil
}

// WriteBatch stages one batch; see Write.
func (x *Transaction) WriteBatch(ctx context.Context, rec arrow.RecordBatch) error {
	return x.writeBatch(ctx, rec, false)
}

// writeBatch stages one batch; copied marks rows carried over from the
// old table (by a data-column ReplaceWhere, or a DML rewrite).
func (x *Transaction) writeBatch(ctx context.Context, rec arrow.RecordBatch, copied bool) error {
	out, err := x.prepareBatch(ctx, rec, copied, copied)
	if err != nil || out == nil {
		return err
	}
	defer out.Release()
	if err := x.writeRows(ctx, out, copied); err != nil {
		return err
	}
	if x.insertChanges && !copied {
		return x.writeChanges(ctx, out, ChangeInsert)
	}
	return nil
}

// writeRows stages rows prepareBatch returned.
func (x *Transaction) writeRows(ctx context.Context, rec arrow.RecordBatch, copied bool) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if copied {
		x.metrics.numCopiedRows += rec.NumRows()
	}
	return x.writer.write(ctx, rec)
}

// prepareBatch evolves the schema if allowed, then conforms and checks one
// batch: the rows exactly as they will be written (generated columns
// filled), or nil when there is nothing to write.
//
// keepIdentity marks rows that already carry their identity values
// (copies, updated rows); other rows are inserts, whose identity values
// are generated.
func (x *Transaction) prepareBatch(ctx context.Context, rec arrow.RecordBatch, copied, keepIdentity bool) (arrow.RecordBatch, error) {
	if x.done {
		return nil, ErrTxnDone
	}
	if x.skipped || rec.NumRows() == 0 && x.writer != nil {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if x.opts.OverwriteSchema && x.writer == nil {
		if err := x.replaceSchema(rec.Schema()); err != nil {
			return nil, err
		}
	}
	if x.opts.MergeSchema {
		before := x.schema
		if err := x.mergeSchema(rec.Schema()); err != nil {
			return nil, err
		}
		if x.schema != before && x.writer != nil {
			// Files already open hold the old columns; finish them (readers
			// fill the new columns with nulls) and continue in new files.
			if err := x.flushWriter(ctx); err != nil {
				return nil, err
			}
		}
	}
	if _, err := x.dataWriter(); err != nil {
		return nil, err
	}
	if !keepIdentity && len(x.identity) > 0 {
		filled, err := x.fillIdentity(rec, x.table.opts.Allocator)
		if err != nil {
			return nil, err
		}
		defer filled.Release()
		rec = filled
	}
	conformed, err := conformBatch(rec, x.writer.tableSchema, x.table.opts.Allocator)
	if err != nil {
		return nil, err
	}
	defer conformed.Release()
	return x.writer.checks.apply(ctx, conformed, copied)
}

// dataWriter returns the transaction's data file writer, starting it.
func (x *Transaction) dataWriter() (*dataWriter, error) {
	if x.writer == nil {
		w, err := x.newDataWriter()
		if err != nil {
			return nil, err
		}
		x.writer = w
	}
	return x.writer, nil
}

// finishWrites closes the open data files and records their add actions.
func (x *Transaction) finishWrites(ctx context.Context) error {
	if err := x.checkFileWriters(); err != nil {
		return err
	}
	if err := x.flushWriter(ctx); err != nil {
		return err
	}
	if err := x.flushChanges(ctx); err != nil {
		return err
	}
	if x.dynamicPartitions != nil {
		if err := x.removeWrittenPartitions(ctx); err != nil {
			return err
		}
	}
	return nil
}

// flushWriter closes the open data files and records their add actions.
func (x *Transaction) flushWriter(ctx context.Context) error {
	if x.writer == nil {
		return nil
	}
	w := x.writer
	x.writer = nil
	adds, err := w.close(ctx)
	x.staged = append(x.staged, w.staged...)
	if err != nil {
		return err
	}
	for _, a := range adds {
		a.DataChange = !x.opts.NoDataChange
		x.metrics.numFiles++
		x.metrics.numOutputBytes += a.Size
		if n, ok := fileNumRecords(a); ok {
			x.metrics.numOutputRows += n
		}
	}
	x.adds = append(x.adds, adds...)
	return nil
}

// dataSchema is the table's Arrow schema without its partition columns:
// what data files hold.
func dataSchema(table *arrow.Schema, partitionCols []string) *arrow.Schema {
	fields := make([]arrow.Field, 0, table.NumFields())
	for _, f := range table.Fields() {
		if !containsFold(partitionCols, f.Name) {
			fields = append(fields, f)
		}
	}
	return arrow.NewSchema(fields, nil)
}

// tableArrowSchema is the Arrow form of the transaction's schema.
func (x *Transaction) tableArrowSchema() (*arrow.Schema, error) {
	s, err := protocol.ToArrowSchema(x.schema)
	if err != nil {
		return nil, fmt.Errorf("delta: table schema: %w", err)
	}
	return s, nil
}
