package delta

import (
	"context"
	"fmt"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// DMLOptions configure Delete and Update. A nil *DMLOptions means the
// defaults.
type DMLOptions struct {
	// Isolation is the isolation level; default WriteSerializable, under
	// which concurrent blind appends never conflict with the operation.
	Isolation Isolation
	// MaxAttempts bounds commit attempts when concurrent commits force a
	// rebase; default 100.
	MaxAttempts int
	// UserMetadata is recorded in commitInfo.userMetadata.
	UserMetadata string
	// Progress, when set, is called as data files are scanned and
	// rewritten.
	Progress func(Progress)
}

func (o *DMLOptions) txnOptions() *TxnOptions {
	if o == nil {
		return &TxnOptions{}
	}
	return &TxnOptions{Isolation: o.Isolation, MaxAttempts: o.MaxAttempts, UserMetadata: o.UserMetadata}
}

// Delete removes the rows for which where is TRUE (SQL semantics: a NULL
// result keeps the row); a nil where deletes every row. It is Spark's
// DELETE FROM … WHERE: files are pruned by partition values and
// statistics, then only the predicate's columns of the remaining files are
// read to find the matching rows. With delta.enableDeletionVectors the
// rows are marked in deletion vectors and data files are kept; otherwise
// each touched file is rewritten without them, its row groups that hold
// no deleted row copied into the new file as they are. On a table with
// delta.enableChangeDataFeed the deleted rows appear in the change feed.
//
// The commit records operation "DELETE" with Spark's metrics
// (numDeletedRows, numRemovedFiles, numAddedFiles, numCopiedRows,
// numDeletionVectorsAdded, …). On any error, or a conflict with a
// concurrent commit, the table is unchanged.
func (t *Table) Delete(ctx context.Context, where expr.Expr, opts *DMLOptions) (*CommitResult, error) {
	x, err := t.Begin(ctx, opts.txnOptions())
	if err != nil {
		return nil, err
	}
	defer x.Rollback()
	if err := x.deleteWhere(ctx, where, opts.progressFunc()); err != nil {
		return nil, err
	}
	return x.Commit(ctx)
}

// deleteWhere stages a DELETE in the transaction.
func (x *Transaction) deleteWhere(ctx context.Context, where expr.Expr, progress func(Progress)) error {
	if x.snap != nil && x.snap.config.Bool(protocol.PropAppendOnly, false) {
		return fmt.Errorf("%w: %s has delta.appendOnly=true; DELETE would remove data", ErrAppendOnly, x.table.name())
	}
	d, err := x.newDML(where)
	if err != nil {
		return err
	}
	d.operation, d.progress = "DELETE", progress
	return d.rewriteMatches(ctx, d.deleteFromFile)
}

// deleteFromFile deletes the matched rows of one file: by deletion vector,
// by removing the file, or by rewriting it without them.
func (d *dml) deleteFromFile(ctx context.Context, m fileMatch) error {
	x := d.x
	live, err := d.liveRows(ctx, m.file)
	if err != nil {
		return err
	}
	matched := live
	if !m.whole {
		matched = int64(m.rows.GetCardinality())
	}
	d.matchedRows += matched
	partial := matched < live
	// Readers infer deletes from removed files and grown vectors; change
	// data files are needed only where a rewrite would otherwise read as
	// delete-everything-then-insert-the-rest. Once a commit has change
	// data, readers use nothing else, so every deleted row goes there.
	writeChanges := d.cdf && !d.useDV
	if (partial && !d.useDV) || writeChanges {
		var rows = m.rows
		if m.whole {
			rows = nil
		}
		each := func(ctx context.Context, f *protocol.Add, fn func(arrow.RecordBatch, []bool) error, rows *roaring64.Bitmap) error {
			return d.eachLiveBatch(ctx, f, fn, rows, nil)
		}
		if partial && !d.useDV {
			// The rows kept are written back as they were: row groups
			// without a deleted row are copied (dml_copy.go).
			each = func(ctx context.Context, f *protocol.Add, fn func(arrow.RecordBatch, []bool) error, rows *roaring64.Bitmap) error {
				_, err := d.eachRewrittenBatch(ctx, f, fn, rows, nil)
				return err
			}
		}
		err := each(ctx, m.file, func(rec arrow.RecordBatch, hit []bool) error {
			if writeChanges {
				gone, err := selectRows(ctx, x.table.opts.Allocator, rec, hit)
				if err != nil {
					return err
				}
				err = x.writeChanges(ctx, gone, ChangeDelete)
				gone.Release()
				if err != nil {
					return err
				}
			}
			if !partial {
				return nil
			}
			kept, err := selectRows(ctx, x.table.opts.Allocator, rec, invert(hit))
			if err != nil {
				return err
			}
			defer kept.Release()
			return x.writeBatch(ctx, kept, true)
		}, rows)
		if err != nil {
			return err
		}
	}
	return d.deleteRows(ctx, m, matched, live)
}

func (o *DMLOptions) progressFunc() func(Progress) {
	if o == nil {
		return nil
	}
	return o.Progress
}
