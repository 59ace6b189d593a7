package stream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

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
	url  string
	opts DeltaSinkOptions

	mu  sync.Mutex
	tbl *delta.Table
	// Last is the result of the latest commit (Skipped for a re-run).
	last *delta.CommitResult
}

// NewDeltaSink returns a sink writing to the table at url.
func NewDeltaSink(url string, opts *DeltaSinkOptions) *DeltaSink {
	s := &DeltaSink{url: url}
	if opts != nil {
		s.opts = *opts
	}
	return s
}

// Kind implements Sink.
func (s *DeltaSink) Kind() string { return "delta" }

// String describes the sink in Progress.Sink.
func (s *DeltaSink) String() string { return "DeltaSink[" + s.url + "]" }

// LastCommit is the result of the latest batch's commit; Skipped is set
// when the table already had the batch.
func (s *DeltaSink) LastCommit() *delta.CommitResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Close releases the table handle.
func (s *DeltaSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tbl == nil {
		return nil
	}
	err := s.tbl.Close()
	s.tbl = nil
	return err
}

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
	if s.tbl == nil {
		tbl, err := delta.Open(ctx, s.url, s.opts.Table)
		if errors.Is(err, delta.ErrNotATable) {
			tbl, err = delta.Create(ctx, s.url, b.Schema, &delta.CreateOptions{Table: s.opts.Table, PartitionBy: s.opts.PartitionBy, Properties: s.opts.Properties})
			if err != nil {
				// Another writer may have created it meanwhile.
				tbl, err = delta.Open(ctx, s.url, s.opts.Table)
			}
		}
		if err != nil {
			return err
		}
		s.tbl = tbl
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
