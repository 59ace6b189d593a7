package delta

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// Append writes the rows of rr in one transaction (Begin, Write, Commit).
// opts.Mode must be unset or Append; any other Mode is ErrInvalidArgument
// and the table is left unchanged.
func (t *Table) Append(ctx context.Context, rr array.RecordReader, opts *TxnOptions) (*CommitResult, error) {
	o, err := opts.withMode(Append, "Append")
	if err != nil {
		return nil, err
	}
	return t.writeOnce(ctx, rr, &o)
}

// Overwrite replaces the table's rows with those of rr in one transaction
// (or, with opts.ReplaceWhere or opts.PartitionOverwrite, only part of
// them). opts.Mode must be unset or Overwrite; any other Mode is
// ErrInvalidArgument and the table is left unchanged.
func (t *Table) Overwrite(ctx context.Context, rr array.RecordReader, opts *TxnOptions) (*CommitResult, error) {
	o, err := opts.withMode(Overwrite, "Overwrite")
	if err != nil {
		return nil, err
	}
	return t.writeOnce(ctx, rr, &o)
}

func (t *Table) writeOnce(ctx context.Context, rr array.RecordReader, opts *TxnOptions) (*CommitResult, error) {
	txn, err := t.Begin(ctx, opts)
	if err != nil {
		return nil, err
	}
	defer func() { _ = txn.Rollback() }()
	if err := txn.Write(ctx, rr); err != nil {
		return nil, err
	}
	return txn.Commit(ctx)
}
