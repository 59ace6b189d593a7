package stream

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lakehouse-go/lakehouse/delta"
)

// DeltaSinkOptions configure a DeltaSink. A nil *DeltaSinkOptions means
// the defaults.
type DeltaSinkOptions struct {
	// Table configures opening the table (allocator, URL mux).
	Table *delta.Options
	// PartitionBy partitions the table when the sink creates it.
	PartitionBy []string
	// Properties are table properties for a table the sink creates.
	Properties map[string]string
	// MergeSchema lets batches add columns to the table (Spark's
	// mergeSchema option).
	MergeSchema bool
}

// DeltaSink writes each batch to a Delta table in one transaction that
// records the txn action (appId = query id, version = batch id), so a
// batch that re-runs after a failure between the table's commit and the
// checkpoint's is skipped: every row lands exactly once. Append mode
// appends; Complete mode overwrites the table with each batch. The table
// is created from the first batch's schema when it does not exist.
type DeltaSink struct {
	sinkTable
	opts DeltaSinkOptions
}

// NewDeltaSink returns a sink writing to the table at url.
func NewDeltaSink(url string, opts *DeltaSinkOptions) *DeltaSink {
	s := &DeltaSink{sinkTable: sinkTable{url: url}}
	if opts != nil {
		s.opts = *opts
		s.options = opts.Table
	}
	return s
}

// Kind implements Sink.
func (s *DeltaSink) Kind() string { return "delta" }

// String describes the sink in Progress.Sink.
func (s *DeltaSink) String() string { return "DeltaSink[" + s.url + "]" }

// AddBatch implements Sink.
func (s *DeltaSink) AddBatch(ctx context.Context, b *Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b.Mode == Update {
		return fmt.Errorf("%w: the Delta sink does not support Update output mode (use Append, Complete or a ForeachBatch MERGE)", ErrInvalidArgument)
	}
	if b.Schema == nil {
		return nil // nothing to write and no schema to create a table with
	}
	if err := s.open(ctx, b.Schema, delta.CreateOptions{PartitionBy: s.opts.PartitionBy, Properties: s.opts.Properties}); err != nil {
		return err
	}
	mode := delta.Append
	if b.Mode == Complete {
		mode = delta.Overwrite
	}
	txn, err := s.tbl.Begin(ctx, &delta.TxnOptions{Mode: mode, AppID: b.QueryID, AppVersion: b.ID, MergeSchema: s.opts.MergeSchema})
	if err != nil {
		return err
	}
	if v, ok := txn.Snapshot().TxnVersion(b.QueryID); ok && v >= b.ID {
		// Already written by an earlier run: skip reading nothing further.
		s.last = &delta.CommitResult{Version: txn.ReadVersion(), ReadVersion: txn.ReadVersion(), Skipped: true}
		return txn.Rollback()
	}
	if err := txn.SetOperation("STREAMING UPDATE", map[string]string{
		"outputMode": b.Mode.String(), "queryId": b.QueryID, "epochId": strconv.FormatInt(b.ID, 10),
	}); err != nil {
		_ = txn.Rollback()
		return err
	}
	for _, rec := range b.Records {
		if err := txn.WriteBatch(ctx, rec); err != nil {
			_ = txn.Rollback()
			return fmt.Errorf("stream: delta sink batch %d: %w", b.ID, err)
		}
	}
	res, err := txn.Commit(ctx)
	if err != nil {
		return err
	}
	s.last = res
	return nil
}
