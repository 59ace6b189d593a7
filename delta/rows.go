package delta

import (
	"context"
	"fmt"
	"iter"
	"reflect"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// rowWriterBatch is how many rows a RowWriter gathers before it stages
// them as one batch.
const rowWriterBatch = 16 * 1024

// CreateFor creates an empty table whose columns are the fields of T (see
// SchemaOf), partitioned by the fields tagged partition as well as any
// opts.PartitionBy.
func CreateFor[T any](ctx context.Context, url string, opts *CreateOptions) (*Table, error) {
	schema, parts, err := SchemaOf[T]()
	if err != nil {
		return nil, err
	}
	o := CreateOptions{}
	if opts != nil {
		o = *opts
	}
	o.PartitionBy = append(append([]string(nil), o.PartitionBy...), parts...)
	return Create(ctx, url, schema, &o)
}

// AppendRows appends rows, Go structs, to the table in one commit. Each
// field is written to the column of its name (see the type table in the
// package documentation); columns the struct lacks get nulls. A struct
// that does not fit the table fails before anything is written with a
// *RowTypeError naming the field. opts.Mode must be unset or Append.
func AppendRows[T any](ctx context.Context, tbl *Table, rows []T, opts *TxnOptions) (*CommitResult, error) {
	o, err := opts.withMode(Append, "AppendRows")
	if err != nil {
		return nil, err
	}
	w, err := NewRowWriter[T](ctx, tbl, &o)
	if err != nil {
		return nil, err
	}
	defer w.Abort()
	for _, r := range rows {
		if err := w.Write(ctx, r); err != nil {
			return nil, err
		}
	}
	return w.Commit(ctx)
}

// RowWriter streams Go structs into one transaction: rows are gathered
// into Arrow batches and staged as data files as they fill, so memory
// stays bounded however many rows are written. Nothing is visible in the
// table until Commit. A RowWriter is not safe for concurrent use.
type RowWriter[T any] struct {
	txn     *Transaction
	enc     *rowEncoder
	bldr    *array.RecordBuilder
	pending int
	done    bool
	// scratch holds the row being encoded, so reflection sees an
	// addressable value without a heap copy per row.
	scratch *T
	sv      reflect.Value
}

// NewRowWriter begins a transaction on tbl (see Table.Begin) that writes
// rows of type T. It fails with a *RowTypeError when T does not fit the
// table's schema.
func NewRowWriter[T any](ctx context.Context, tbl *Table, opts *TxnOptions) (*RowWriter[T], error) {
	txn, err := tbl.Begin(ctx, opts)
	if err != nil {
		return nil, err
	}
	schema, err := txn.tableArrowSchema()
	if err != nil {
		_ = txn.Rollback()
		return nil, err
	}
	enc, err := encoderFor(reflect.TypeFor[T](), schema)
	if err != nil {
		_ = txn.Rollback()
		return nil, err
	}
	w := &RowWriter[T]{txn: txn, enc: enc, bldr: array.NewRecordBuilder(tbl.opts.Allocator, enc.schema), scratch: new(T)}
	w.sv = reflect.ValueOf(w.scratch).Elem()
	return w, nil
}

// Write adds one row; every few thousand rows it stages a batch, which
// is when storage is touched.
func (w *RowWriter[T]) Write(ctx context.Context, row T) error {
	if w.done {
		return ErrTxnDone
	}
	*w.scratch = row
	err := w.enc.append(w.bldr, w.sv)
	var zero T
	*w.scratch = zero // hold no references to the caller's data
	if err != nil {
		// The builders may hold part of the row: drop the whole batch
		// rather than write a torn row.
		w.Abort()
		return err
	}
	w.pending++
	if w.pending >= rowWriterBatch {
		return w.Flush(ctx)
	}
	return nil
}

// Flush stages the rows written so far as a batch of the transaction.
func (w *RowWriter[T]) Flush(ctx context.Context) error {
	if w.done {
		return ErrTxnDone
	}
	if w.pending == 0 {
		return nil
	}
	rec := w.bldr.NewRecordBatch()
	defer rec.Release()
	w.pending = 0
	if err := w.txn.WriteBatch(ctx, rec); err != nil {
		w.Abort()
		return err
	}
	return nil
}

// Commit stages the remaining rows and commits the transaction.
func (w *RowWriter[T]) Commit(ctx context.Context) (*CommitResult, error) {
	if err := w.Flush(ctx); err != nil {
		return nil, err
	}
	w.done = true
	w.bldr.Release()
	return w.txn.Commit(ctx)
}

// Abort drops the rows and rolls the transaction back (deleting staged
// files). It is safe to call after Commit, where it does nothing.
func (w *RowWriter[T]) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.bldr.Release()
	_ = w.txn.Rollback()
}

// ScanRows reads the rows of a snapshot as Go structs. Each field is read
// from the column of its name, and only those columns are scanned (a nil
// opts.Columns becomes the struct's columns); opts.Filter applies as in
// Snapshot.Scan. A struct that does not fit the table yields one
// *RowTypeError naming the field, and a null in a column whose field is
// not a pointer, slice or map is an error. Missing and corrupt data files
// yield ErrMissingDataFile and ErrCorruptDataFile as in Snapshot.Scan.
// Stopping the loop early releases the scan.
func ScanRows[T any](ctx context.Context, snap *Snapshot, opts *ScanOptions) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		dec, err := decoderFor(reflect.TypeFor[T](), snap.Schema())
		if err != nil {
			yield(zero, err)
			return
		}
		o := ScanOptions{}
		if opts != nil {
			o = *opts
		}
		if o.Columns == nil {
			o.Columns = dec.columns
		}
		rr, err := snap.Scan(ctx, &o)
		if err != nil {
			yield(zero, err)
			return
		}
		defer rr.Release()
		cols := make([]int, len(dec.columns))
		row := new(T)
		v := reflect.ValueOf(row).Elem()
		for rr.Next() {
			rec := rr.RecordBatch()
			for j, name := range dec.columns {
				if cols[j] = fieldIndexFold(rec.Schema(), name); cols[j] < 0 {
					yield(zero, fmt.Errorf("%w: column %q is not in the scan (ScanOptions.Columns leaves it out)", ErrSchemaMismatch, name))
					return
				}
			}
			for i := range int(rec.NumRows()) {
				// One row value decoded into and copied out: a new one per
				// row would cost an allocation each.
				*row = zero
				for j, d := range dec.dec {
					if err := d(rec.Column(cols[j]), i, v.FieldByIndex(dec.index[j])); err != nil {
						yield(zero, err)
						return
					}
				}
				if !yield(*row, nil) {
					return
				}
			}
		}
		if err := rr.Err(); err != nil {
			yield(zero, err)
		}
	}
}
