package delta

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Purge rewrites the data files that carry deletion vectors without their
// deleted rows, so that the deleted data is gone from storage once VACUUM
// removes the old files: Spark's REORG TABLE … [WHERE partition predicate]
// APPLY (PURGE). where, when not nil, may name partition columns only and
// limits the files rewritten. The rewrite changes no rows (dataChange
// false): readers of the change feed see nothing and it does not conflict
// with concurrent appends. The commit records operation "REORG" with the
// rewrite metrics; a table without deletion vectors gets no commit and a
// nil result.
func (t *Table) Purge(ctx context.Context, where expr.Expr, opts *DMLOptions) (*CommitResult, error) {
	o := opts.txnOptions()
	o.NoDataChange = true
	x, err := t.Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	defer x.Rollback()
	d, err := x.newDML(nil)
	if err != nil {
		return nil, err
	}
	files, err := x.liveFilesWhere(ctx, where, "REORG … APPLY (PURGE)", func(f *protocol.Add) bool { return f.DeletionVector != nil })
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, nil
	}
	for _, f := range files {
		if f.ClusteringProvider != "" {
			if err := x.purgeClustered(ctx, d, f); err != nil {
				return nil, err
			}
			continue
		}
		err := d.eachLiveBatch(ctx, f, func(rec arrow.RecordBatch, _ []bool) error {
			return x.writeBatch(ctx, rec, true)
		}, nil, nil)
		if err != nil {
			return nil, err
		}
	}
	if err := x.removeAdds(files, false); err != nil {
		return nil, err
	}
	pred := []string{}
	if where != nil {
		pred = append(pred, where.String())
	}
	x.operation = "REORG"
	x.opParams = map[string]any{"predicate": jsonString(pred), "applyPurge": true}
	return x.Commit(ctx)
}

// purgeClustered rewrites f, a file a clustering run laid out, into files
// of its own: its live rows are a subset of a clustered file's, in the
// same order, so they are as clustered as it was, and the new files keep
// its clusteringProvider and tags (its Z-cube). Written among other
// files' rows, they would lose the marker, and the next clustering run
// would rewrite them for nothing. (Spark re-clusters the purged rows of a
// clustered table and marks the output; keeping the file's own layout
// gives the same marker without the sort.)
func (x *Transaction) purgeClustered(ctx context.Context, d *dml, f *protocol.Add) error {
	fw, err := x.NewFileWriter(&FileWriterOptions{ClusteringProvider: f.ClusteringProvider, Tags: f.Tags})
	if err != nil {
		return err
	}
	err = d.eachLiveBatch(ctx, f, func(rec arrow.RecordBatch, _ []bool) error {
		return fw.WriteBatch(ctx, rec)
	}, nil, nil)
	if err != nil {
		fw.Abort()
		return err
	}
	_, err = fw.Close(ctx)
	return err
}

// liveFilesWhere returns the live files of the transaction's snapshot in
// the partitions where (a predicate on partition columns; nil means all)
// selects, that keep (nil means every file) accepts. op names the
// operation in the error for a predicate on data columns.
func (x *Transaction) liveFilesWhere(ctx context.Context, where expr.Expr, op string, keep func(*protocol.Add) bool) ([]*protocol.Add, error) {
	var part *partitionPred
	if where != nil {
		var err error
		if part, err = x.compilePartitionPredicate(where); err != nil {
			return nil, partitionOnly(op, err)
		}
	}
	var files []*protocol.Add
	for f, err := range x.snap.addFiles(ctx) {
		if err != nil {
			return nil, err
		}
		if keep != nil && !keep(f) {
			continue
		}
		if part != nil {
			ok, err := part.matches([]map[string]*string{f.PartitionValues})
			if err != nil {
				return nil, err
			}
			if !ok[0] {
				continue
			}
		}
		files = append(files, f)
	}
	return files, nil
}
