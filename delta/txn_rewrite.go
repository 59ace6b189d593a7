package delta

import (
	"context"
	"fmt"
	"maps"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Engine API for rewriting files (compaction, clustering): a transaction
// started at the snapshot the rewrite was planned from, writers that fill
// it from several goroutines at once, and the operation's own metrics.

// BeginAt starts a transaction that reads snap, an earlier snapshot of
// this table, instead of the latest one. Commit then checks it against
// every commit made after snap, so a rewrite planned from snap cannot
// commit over a concurrent change to the files it read, however long the
// planning took or however many transactions it splits its work into.
func (t *Table) BeginAt(ctx context.Context, snap *Snapshot, opts *TxnOptions) (*Transaction, error) {
	if snap == nil || snap.table == nil || snap.table.url != t.url {
		return nil, fmt.Errorf("%w: BeginAt needs a snapshot of %s", ErrInvalidArgument, t.name())
	}
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	return t.beginAt(ctx, snap, o)
}

// FileWriterOptions configure a FileWriter. A nil *FileWriterOptions
// writes untagged files.
type FileWriterOptions struct {
	// Tags are set on every file the writer adds (AddFile.Tags): for
	// instance the Z-cube a clustering run assigns its output to.
	Tags map[string]string
	// ClusteringProvider is set on every file the writer adds
	// (AddFile.ClusteringProvider): ClusteringProviderLiquid for the
	// files a liquid clustering run writes.
	ClusteringProvider string
}

// FileWriter stages data files for a transaction independently of its
// other writes, so that several goroutines can each write a group of
// rows into files of their own (one per group of rewritten files, say).
// Rows are checked and split by partition as Transaction.Write does, but
// they are taken as existing rows: identity values are kept, not
// generated. The files join the transaction when Close returns.
//
// NewFileWriter and the methods of distinct FileWriters may run
// concurrently with each other; no other method of the transaction may
// run until every FileWriter is closed or aborted. Commit fails while one
// is open.
type FileWriter struct {
	x    *Transaction
	w    *dataWriter
	tags map[string]string
	// provider is the clusteringProvider of the files written.
	provider string
}

// NewFileWriter returns a writer of data files for the transaction.
func (x *Transaction) NewFileWriter(opts *FileWriterOptions) (*FileWriter, error) {
	x.fileMu.Lock()
	defer x.fileMu.Unlock()
	if x.done {
		return nil, ErrTxnDone
	}
	w, err := x.newDataWriter()
	if err != nil {
		return nil, err
	}
	fw := &FileWriter{x: x, w: w}
	if opts != nil && len(opts.Tags) > 0 {
		fw.tags = maps.Clone(opts.Tags)
	}
	if opts != nil {
		fw.provider = opts.ClusteringProvider
	}
	if x.fileWriters == nil {
		x.fileWriters = map[*FileWriter]struct{}{}
	}
	x.fileWriters[fw] = struct{}{}
	return fw, nil
}

// Write stages every batch of rr; the caller keeps ownership of rr.
func (fw *FileWriter) Write(ctx context.Context, rr array.RecordReader) error {
	for rr.Next() {
		if err := fw.WriteBatch(ctx, rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return fmt.Errorf("delta: write: reading input: %w", err)
	}
	return nil
}

// WriteBatch stages one batch, conformed to the table schema and checked
// against its constraints.
func (fw *FileWriter) WriteBatch(ctx context.Context, rec arrow.RecordBatch) error {
	if fw.w == nil {
		return ErrTxnDone
	}
	if rec.NumRows() == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	conformed, err := conformBatch(rec, fw.w.tableSchema, fw.x.table.opts.Allocator)
	if err != nil {
		return err
	}
	defer conformed.Release()
	out, err := fw.w.checks.apply(ctx, conformed, true)
	if err != nil {
		return err
	}
	defer out.Release()
	return fw.w.write(ctx, out)
}

// Close finishes the writer's files and adds them to the transaction,
// returning them (with dataChange false under TxnOptions.NoDataChange).
// After a failed Close the writer's files are discarded.
func (fw *FileWriter) Close(ctx context.Context) ([]*AddFile, error) {
	if fw.w == nil {
		return nil, ErrTxnDone
	}
	w := fw.w
	fw.w = nil
	adds, err := w.close(ctx)
	x := fw.x
	x.fileMu.Lock()
	defer x.fileMu.Unlock()
	delete(x.fileWriters, fw)
	// Staged either way: the transaction's cleanup deletes them if it
	// never commits.
	x.staged = append(x.staged, w.staged...)
	if err != nil {
		return nil, err
	}
	out := make([]*AddFile, len(adds))
	for i, a := range adds {
		a.DataChange = !x.opts.NoDataChange
		if fw.tags != nil {
			a.Tags = maps.Clone(fw.tags)
		}
		a.ClusteringProvider = fw.provider
		x.metrics.numFiles++
		x.metrics.numOutputBytes += a.Size
		if n, ok := fileNumRecords(a); ok {
			x.metrics.numOutputRows += n
		}
		out[i] = newAddFile(a)
	}
	x.adds = append(x.adds, adds...)
	return out, nil
}

// Abort discards the writer's files; it is a no-op after Close.
func (fw *FileWriter) Abort() {
	if fw.w == nil {
		return
	}
	w := fw.w
	fw.w = nil
	w.abort()
	x := fw.x
	x.fileMu.Lock()
	defer x.fileMu.Unlock()
	delete(x.fileWriters, fw)
	x.staged = append(x.staged, w.staged...)
}

// checkFileWriters fails when a FileWriter is still open: its files
// would be left out of the commit.
func (x *Transaction) checkFileWriters() error {
	x.fileMu.Lock()
	defer x.fileMu.Unlock()
	if n := len(x.fileWriters); n > 0 {
		return fmt.Errorf("%w: %d FileWriter(s) still open at commit", ErrInvalidArgument, n)
	}
	return nil
}

// abortFileWriters discards the files of writers left open, for a
// transaction that will not commit.
func (x *Transaction) abortFileWriters() {
	x.fileMu.Lock()
	open := make([]*FileWriter, 0, len(x.fileWriters))
	for fw := range x.fileWriters {
		open = append(open, fw)
	}
	x.fileMu.Unlock()
	for _, fw := range open {
		fw.Abort()
	}
}

// SetOperationMetrics records operationMetrics for the commit, merged over
// the ones the transaction computes (for a rewrite: numAddedFiles,
// numRemovedFiles, numAddedBytes, numRemovedBytes): engines that run
// Spark's operations record Spark's metrics for them, file size
// percentiles for OPTIMIZE for instance. A later call replaces the
// metrics of an earlier one.
func (x *Transaction) SetOperationMetrics(metrics map[string]string) error {
	if x.done {
		return ErrTxnDone
	}
	x.opMetrics = maps.Clone(metrics)
	return nil
}

// withOperationMetrics merges the metrics SetOperationMetrics recorded
// over the computed ones.
func (x *Transaction) withOperationMetrics(computed map[string]string) map[string]string {
	if len(x.opMetrics) == 0 {
		return computed
	}
	out := maps.Clone(computed)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, x.opMetrics)
	return out
}
