package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// ComputeStatistics recomputes the per-file statistics that data skipping
// uses, as Spark's ANALYZE TABLE … COMPUTE DELTA STATISTICS does: each
// live file (in the partitions where, a predicate on partition columns,
// selects; nil means all) is read and its statistics computed under the
// table's current settings (delta.dataSkippingNumIndexedCols,
// delta.dataSkippingStatsColumns). Files whose statistics are missing or
// differ — written by a writer that kept none, or before the settings
// changed — are committed again with the new statistics (the same path
// and deletion vector, dataChange false; operation "COMPUTE STATS").
// Nothing else changes, so a second run commits nothing and returns nil.
// A file with a deletion vector gets statistics of all its rows, marked
// tightBounds false. A concurrent commit that removes one of the files is
// a conflict: the file is not brought back.
func (t *Table) ComputeStatistics(ctx context.Context, where expr.Expr, opts *DMLOptions) (*CommitResult, error) {
	o := opts.txnOptions()
	o.NoDataChange = true
	x, err := t.Begin(ctx, o)
	if err != nil {
		return nil, err
	}
	defer x.Rollback()
	files, err := x.liveFilesWhere(ctx, where, "COMPUTE STATISTICS", nil)
	if err != nil {
		return nil, err
	}
	w, err := x.newDataWriter()
	if err != nil {
		return nil, err
	}
	plan, err := x.snap.planRowScan(nil)
	if err != nil {
		return nil, err
	}
	progress := func(done int64) {
		if opts != nil && opts.Progress != nil {
			opts.Progress(Progress{Operation: "COMPUTE STATS", Phase: "scan", Done: done, Total: int64(len(files))})
		}
	}
	progress(0)
	var updated, updatedBytes int64
	for i, f := range files {
		stats, err := x.fileStats(ctx, w, plan, f)
		if err != nil {
			return nil, err
		}
		if !sameStats(f.Stats, stats) {
			re := *f
			re.Stats, re.StatsParsed, re.DataChange = stats, nil, false
			x.adds = append(x.adds, &re)
			x.markRead(f.Path)
			updated++
			updatedBytes += f.Size
		}
		progress(int64(i + 1))
	}
	if updated == 0 {
		return nil, nil
	}
	pred := []string{}
	if where != nil {
		pred = append(pred, where.String())
	}
	x.operation = "COMPUTE STATS"
	x.opParams = map[string]any{"predicate": jsonString(pred)}
	if err := x.SetOperationMetrics(map[string]string{
		"numFilesScanned": itoa(int64(len(files))), "numFilesUpdated": itoa(updated),
		// The re-adds are add actions of files already there.
		"numAddedFiles": itoa(updated), "numAddedBytes": itoa(updatedBytes),
	}); err != nil {
		return nil, err
	}
	return x.Commit(ctx)
}

// fileStats reads every physical row of f (deletion vector ignored) and
// returns the statistics JSON the table's writer would record for it.
func (x *Transaction) fileStats(ctx context.Context, w *dataWriter, plan *scanPlan, f *protocol.Add) (string, error) {
	c, err := parquetio.NewStatsCollector(w.fileSchema, w.writeOptions())
	if err != nil {
		return "", err
	}
	whole := *f
	whole.DeletionVector = nil
	err = x.snap.eachFileBatchAhead(ctx, plan, &whole, func(rec arrow.RecordBatch) error {
		cols := make([]arrow.Array, len(w.dataIdx))
		for i, j := range w.dataIdx {
			cols[i] = rec.Column(j)
		}
		data := array.NewRecordBatch(w.fileSchema, cols, rec.NumRows())
		defer data.Release()
		return c.Observe(data)
	})
	if err != nil {
		return "", err
	}
	st := c.Finish()
	if f.DeletionVector != nil {
		loose := false
		st.TightBounds = &loose
	}
	out, err := st.JSON()
	if err != nil {
		return "", fmt.Errorf("delta: statistics of %s: %w", f.Path, err)
	}
	return string(out), nil
}

// sameStats compares two statistics strings as JSON values.
func sameStats(a, b string) bool {
	if a == b {
		return true
	}
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}
