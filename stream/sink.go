package stream

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// OutputMode says what a batch holds relative to the sink's contents.
type OutputMode int

const (
	// Append: each batch holds only new rows (the default).
	Append OutputMode = iota
	// Complete: each batch holds the whole result; the sink replaces
	// what it had.
	Complete
	// Update: each batch holds the aggregation rows it changed (for
	// ForeachBatch sinks that upsert; the Delta sink refuses it, as
	// Spark's does).
	Update
)

// String is Spark's name of the mode.
func (m OutputMode) String() string {
	switch m {
	case Complete:
		return "Complete"
	case Update:
		return "Update"
	}
	return "Append"
}

// Batch is one micro-batch's output, handed to a Sink.
type Batch struct {
	// ID is the batch id; QueryID the checkpoint's query id. Together they
	// are the idempotence key: a sink that records (QueryID, ID) with its
	// writes — Delta's txn action (appId, version) — can skip a re-run.
	ID      int64
	QueryID string
	// Mode is the query's output mode.
	Mode OutputMode
	// Schema is the records' schema (nil when the source produced
	// nothing at all, not even a schema).
	Schema *arrow.Schema
	// Records are the batch's rows. They belong to the engine and are
	// released after AddBatch returns; Retain what you keep.
	Records []arrow.RecordBatch
}

// NumRows counts the batch's rows.
func (b *Batch) NumRows() int64 {
	var n int64
	for _, r := range b.Records {
		n += r.NumRows()
	}
	return n
}

// Reader returns the records as an array.RecordReader (Release it).
func (b *Batch) Reader() (array.RecordReader, error) {
	return array.NewRecordReader(b.Schema, b.Records)
}

// Sink receives each batch. AddBatch may be called again for a batch id
// it already saw (a re-run after a failure between the sink's commit and
// the checkpoint's): an exactly-once sink recognises and skips it.
type Sink interface {
	// Kind names the sink ("delta", "foreachBatch", …); recorded in the
	// checkpoint.
	Kind() string
	// AddBatch writes one batch.
	AddBatch(ctx context.Context, b *Batch) error
}

// ForeachBatch is a sink that calls a Go function per batch, like Spark's
// foreachBatch. The function gets the (QueryID, ID) pair to pass to
// idempotent writes (delta.TxnOptions AppID and AppVersion).
type ForeachBatch func(ctx context.Context, b *Batch) error

// Kind implements Sink.
func (ForeachBatch) Kind() string { return "foreachBatch" }

// AddBatch implements Sink.
func (f ForeachBatch) AddBatch(ctx context.Context, b *Batch) error { return f(ctx, b) }
