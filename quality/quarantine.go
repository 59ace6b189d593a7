package quality

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
)

// CreateQuarantineTable creates a Delta table at url for the rows that
// Drop expectations remove from batches of schema: schema plus
// FailedColumn.
func CreateQuarantineTable(ctx context.Context, url string, schema *arrow.Schema, opts *delta.CreateOptions) (*delta.Table, error) {
	return delta.Create(ctx, url, QuarantineSchema(schema), opts)
}

// Quarantine stages quarantined rows in a transaction on a quarantine
// table; nothing is visible until the caller commits the transaction, so
// an update that fails leaves the table as it was. Its Write method is
// safe for concurrent use and fits Options.Quarantine.
type Quarantine struct {
	mu  sync.Mutex
	txn *delta.Transaction
	n   int64
}

// NewQuarantine stages rows in txn, which the caller commits or rolls back.
func NewQuarantine(txn *delta.Transaction) *Quarantine { return &Quarantine{txn: txn} }

// Write stages rows (a batch of QuarantineSchema).
func (q *Quarantine) Write(ctx context.Context, rows arrow.RecordBatch) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.n += rows.NumRows()
	return q.txn.WriteBatch(ctx, rows)
}

// Records is how many rows were staged.
func (q *Quarantine) Records() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// WriteOptions tune Write. A nil *WriteOptions means no quarantine and a
// plain append.
type WriteOptions struct {
	// Quarantine, when set, receives the dropped rows (see
	// CreateQuarantineTable).
	Quarantine *delta.Table
	// Txn configures the target's transaction (mode, idempotency).
	Txn *delta.TxnOptions
}

// WriteResult is what Write did.
type WriteResult struct {
	// Metrics are the counts of the rows written.
	Metrics Metrics
	// Target is the target's commit; Quarantine the quarantine table's,
	// nil when there was nothing to quarantine or no quarantine table.
	Target, Quarantine *delta.CommitResult
}

// Write checks every batch of rr with c and writes the kept rows to
// target in one transaction, and the dropped rows (with FailedColumn) to
// opts.Quarantine in another. If a Fail expectation fails, or anything
// else does before the commits, neither table changes. The quarantine
// commits first: if the target's commit then fails, the quarantined rows
// stay recorded, which errs on the side of keeping evidence.
func Write(ctx context.Context, target *delta.Table, rr array.RecordReader, c *Checker, opts *WriteOptions) (*WriteResult, error) {
	var o WriteOptions
	if opts != nil {
		o = *opts
	}
	txn, err := target.Begin(ctx, o.Txn)
	if err != nil {
		return nil, err
	}
	defer func() { _ = txn.Rollback() }()
	var q *Quarantine
	var qtxn *delta.Transaction
	if o.Quarantine != nil {
		if qtxn, err = o.Quarantine.Begin(ctx, nil); err != nil {
			return nil, err
		}
		defer func() { _ = qtxn.Rollback() }()
		q = NewQuarantine(qtxn)
	}
	var m Metrics
	for rr.Next() {
		res, err := c.check(ctx, rr.RecordBatch(), q != nil)
		if err != nil {
			return nil, err
		}
		m = m.Merge(res.Metrics)
		err = txn.WriteBatch(ctx, res.Kept)
		if err == nil && res.Dropped != nil {
			err = q.Write(ctx, res.Dropped)
		}
		res.Release()
		if err != nil {
			return nil, err
		}
	}
	if err := rr.Err(); err != nil {
		return nil, fmt.Errorf("quality: reading input: %w", err)
	}
	out := &WriteResult{Metrics: m}
	if q != nil && q.Records() > 0 {
		if out.Quarantine, err = qtxn.Commit(ctx); err != nil {
			return nil, err
		}
	}
	if out.Target, err = txn.Commit(ctx); err != nil {
		if out.Quarantine != nil {
			return out, fmt.Errorf("quality: target commit failed after the quarantine committed version %d: %w", out.Quarantine.Version, err)
		}
		return nil, err
	}
	return out, nil
}
