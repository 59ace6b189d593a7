package stream

import (
	"context"
	"errors"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta"
)

// sinkTable is the table handle a Delta-writing sink keeps between
// batches: opened at the first batch (created from that batch's schema
// when the table does not exist yet), and the result of the latest
// commit. mu serializes batches, which a query hands over one at a time
// but Close and LastCommit may be called from other goroutines.
type sinkTable struct {
	url     string
	options *delta.Options

	mu   sync.Mutex
	tbl  *delta.Table
	last *delta.CommitResult
}

// LastCommit is the result of the latest batch's commit; Skipped is set
// when the table already had the batch.
func (s *sinkTable) LastCommit() *delta.CommitResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Close releases the table handle.
func (s *sinkTable) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tbl == nil {
		return nil
	}
	err := s.tbl.Close()
	s.tbl = nil
	return err
}

// open opens the table once, creating it with schema and create (whose
// Table field it fills) when it does not exist; s.mu is held.
func (s *sinkTable) open(ctx context.Context, schema *arrow.Schema, create delta.CreateOptions) error {
	if s.tbl != nil {
		return nil
	}
	tbl, err := delta.Open(ctx, s.url, s.options)
	if errors.Is(err, delta.ErrNotATable) {
		create.Table = s.options
		tbl, err = delta.Create(ctx, s.url, schema, &create)
		if err != nil {
			// Another writer may have created it meanwhile.
			tbl, err = delta.Open(ctx, s.url, s.options)
		}
	}
	if err != nil {
		return err
	}
	s.tbl = tbl
	return nil
}
