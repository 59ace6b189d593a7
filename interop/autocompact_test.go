//go:build interop

package interop

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
)

// case1AutoCompaction: lakehouse appends to a table with
// delta.autoOptimize.autoCompact on until its own auto compaction runs;
// delta-rs and Spark read the rows and Spark's history names the
// compaction OPTIMIZE. Then the other direction: Spark, with
// spark.databricks.delta.autoCompact.minNumFiles lowered, auto-compacts a
// table it writes, and lakehouse reads its rows and history.
func (s *suite) case1AutoCompaction(t *testing.T) {
	ours := Result{Case: "1", Scenario: "lh_auto_compaction", Covers: "delta.autoOptimize.autoCompact and optimizeWrite on: five appends, the fifth followed by lakehouse's OPTIMIZE (auto) commit; then COMPUTE STATS (ANALYZE) after statistics were turned on", Writer: Lakehouse}
	ctx := ctxFor(t, 10*time.Minute)
	path := filepath.Join(s.tables, Lakehouse, "auto_compaction")
	_ = os.RemoveAll(path)
	if err := writeAutoCompacted(ctx, path); err != nil {
		r := withReader(ours, Lakehouse)
		r.Status, r.Detail = Fail, err.Error()
		s.record(t, r)
		return
	}
	want, err := s.cliReader().read(ctx, path, nil, "")
	if err == nil && len(want) != 10 {
		err = fmt.Errorf("lakehouse reads %d rows, wrote 10", len(want))
	}
	r := withReader(ours, Lakehouse)
	if err != nil {
		r.Status, r.Detail = Fail, err.Error()
		s.record(t, r)
		return
	}
	r.Status, r.Checked = Pass, 1
	s.record(t, r)
	for _, rd := range []string{DeltaRS, Spark} {
		r := withReader(ours, rd)
		p := s.peer(t, rd, r)
		var fails []string
		got, err := s.peerReader(p).read(ctx, path, nil, "")
		if err != nil {
			fails = append(fails, fmt.Sprintf("table %s: %s cannot read it: %v", s.rel(path), rd, err))
		} else if d := CompareRows(want, got); d != nil {
			fails = append(fails, fmt.Sprintf("table %s: %s", s.rel(path), d))
		}
		if rd == Spark {
			ops, err := s.historyOps(ctx, rd, p, path)
			if err != nil {
				fails = append(fails, err.Error())
			} else if ops[6] != "OPTIMIZE" || ops[8] != "COMPUTE STATS" {
				fails = append(fails, fmt.Sprintf("Spark's history names versions 6 and 8 %q and %q, want OPTIMIZE and COMPUTE STATS", ops[6], ops[8]))
			}
		}
		r.Status, r.Detail, r.Checked = statusOf(fails), summarize(fails), 2
		s.record(t, r)
	}

	theirs := Result{Case: "2", Scenario: "spark_auto_compaction", Covers: "Spark with delta.autoOptimize.autoCompact and autoCompact.minNumFiles=3: four INSERTs, Spark compacts after the third", Writer: Spark, Reader: Lakehouse}
	sp := s.peer(t, Spark, theirs)
	spath := filepath.Join(s.tables, Spark, "spark_auto_compaction")
	_ = os.RemoveAll(spath)
	tbl := "delta.`" + spath + "`"
	stmts := []string{
		"SET spark.databricks.delta.autoCompact.minNumFiles=3",
		"CREATE TABLE " + tbl + " (id BIGINT, who STRING) USING delta TBLPROPERTIES ('delta.autoOptimize.autoCompact' = 'true')",
	}
	for i := range 4 {
		stmts = append(stmts, fmt.Sprintf("INSERT INTO %s VALUES (%d, 'spark')", tbl, i))
	}
	stmts = append(stmts, "RESET spark.databricks.delta.autoCompact.minNumFiles")
	var fails []string
	if err := sp.Call(ctx, "sql", map[string]any{"statements": stmts}, nil); err != nil {
		fails = append(fails, "Spark could not write the table: "+err.Error())
	} else {
		rows, err := s.cliReader().read(ctx, spath, nil, "")
		switch {
		case err != nil:
			fails = append(fails, "lakehouse cannot read Spark's table: "+err.Error())
		case len(rows) != 4:
			fails = append(fails, fmt.Sprintf("lakehouse reads %d rows, Spark inserted 4", len(rows)))
		}
		hist, err := s.cli.Run(ctx, nil, "history", "--format", "jsonl", spath)
		if err != nil {
			fails = append(fails, "lakehouse history: "+err.Error())
		} else if !strings.Contains(string(hist), `"OPTIMIZE"`) {
			fails = append(fails, "lakehouse's history of Spark's table shows no OPTIMIZE: Spark did not auto-compact")
		}
	}
	theirs.Status, theirs.Detail, theirs.Checked = statusOf(fails), summarize(fails), 2
	s.record(t, theirs)
}

var autoCompactSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "who", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// writeAutoCompacted creates the table with the property and without
// column statistics (version 0) and appends two rows five times (versions
// 1–5); with MinNumFiles 5 the fifth append is followed by the auto
// compaction, version 6. Then statistics are turned on (7) and computed (8).
func writeAutoCompacted(ctx context.Context, path string) error {
	tbl, err := delta.Create(ctx, path, autoCompactSchema, &delta.CreateOptions{
		Properties: map[string]string{"delta.autoOptimize.autoCompact": "true", "delta.autoOptimize.optimizeWrite": "true", "delta.dataSkippingNumIndexedCols": "0"},
		Table:      &delta.Options{AutoCompact: delta.AutoCompactOptions{MinNumFiles: 5}},
	})
	if err != nil {
		return err
	}
	defer tbl.Close()
	for i := range 5 {
		b := array.NewRecordBuilder(memory.DefaultAllocator, autoCompactSchema)
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{int64(2 * i), int64(2*i + 1)}, nil)
		b.Field(1).(*array.StringBuilder).AppendValues([]string{"lakehouse", "lakehouse"}, nil)
		rec := b.NewRecordBatch()
		b.Release()
		rr, err := array.NewRecordReader(autoCompactSchema, []arrow.RecordBatch{rec})
		rec.Release()
		if err != nil {
			return err
		}
		res, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		if err != nil {
			return err
		}
		if res.AutoCompactErr != nil {
			return res.AutoCompactErr
		}
		if (res.AutoCompaction != nil) != (i == 4) {
			return fmt.Errorf("append %d (version %d): auto compaction ran: %v, expected only after the fifth", i+1, res.Version, res.AutoCompaction != nil)
		}
	}
	// Statistics were off; turning them on and recomputing them re-adds
	// the compacted file with column statistics (version 8).
	if _, err := tbl.SetProperties(ctx, map[string]string{"delta.dataSkippingNumIndexedCols": "32"}, nil); err != nil {
		return err
	}
	res, err := tbl.ComputeStatistics(ctx, nil, nil)
	if err != nil {
		return err
	}
	if res == nil || res.Version != 8 || res.Metrics["numFilesUpdated"] != "1" {
		return fmt.Errorf("COMPUTE STATS: %+v, want version 8 updating the one compacted file", res)
	}
	return nil
}
