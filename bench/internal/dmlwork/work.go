package dmlwork

import (
	"context"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// Workload is one DML statement, given as SQL text both engines parse.
type Workload struct {
	Name  string
	Op    string            // delete, update, merge
	What  string            // for the report
	Where string            // delete, update
	Set   map[string]string // update
	On    string            // merge, with aliases t and s
}

// Workloads are the three operations on a table of rows rows,
// plus a DELETE whose 1 % is one contiguous range that file statistics
// narrow to two files.
func Workloads(rows, upserts int64) []Workload {
	return []Workload{
		{Name: "delete", Op: "delete", What: "DELETE 1 % (id % 100 = 0, every file)", Where: "id % 100 = 0"},
		{Name: "delete-range", Op: "delete", What: "DELETE 1 % (an id range, two files)",
			Where: fmt.Sprintf("id >= %d AND id < %d", rows/2-rows/200, rows/2+rows/200)},
		{Name: "update", Op: "update", What: "UPDATE 1 % (SET value = -value WHERE id % 100 = 1)",
			Where: "id % 100 = 1", Set: map[string]string{"value": "-value"}},
		{Name: "merge", Op: "merge", What: fmt.Sprintf("MERGE %d upserts, half matched", upserts), On: "t.id = s.id"},
	}
}

// Apply runs w on an open table (src is MERGE's source) and returns the
// commit's row counts under engine-neutral names (deleted, updated,
// inserted) and its raw metrics.
func Apply(ctx context.Context, tbl *delta.Table, w Workload, src array.RecordReader) (map[string]int64, map[string]string, error) {
	var res *delta.CommitResult
	switch w.Op {
	case "delete":
		where, err := expr.Parse(w.Where)
		if err != nil {
			return nil, nil, err
		}
		res, err = tbl.Delete(ctx, where, nil)
		if err != nil {
			return nil, nil, err
		}
	case "update":
		where, err := expr.Parse(w.Where)
		if err != nil {
			return nil, nil, err
		}
		set := map[string]expr.Expr{}
		for col, v := range w.Set {
			if set[col], err = expr.Parse(v); err != nil {
				return nil, nil, err
			}
		}
		res, err = tbl.Update(ctx, set, where, nil)
		if err != nil {
			return nil, nil, err
		}
	case "merge":
		on, err := expr.Parse(w.On)
		if err != nil {
			return nil, nil, err
		}
		res, err = tbl.Merge(ctx, src, on, &delta.MergeOptions{
			TargetAlias:    "t",
			SourceAlias:    "s",
			WhenMatched:    []delta.WhenMatched{{UpdateAll: true}},
			WhenNotMatched: []delta.WhenNotMatched{{InsertAll: true}},
		})
		if err != nil {
			return nil, nil, err
		}
	}
	m := res.Metrics
	counts := map[string]int64{
		"deleted":  atoi(m["numDeletedRows"]),
		"updated":  atoi(m["numUpdatedRows"]) + atoi(m["numTargetRowsUpdated"]),
		"inserted": atoi(m["numTargetRowsInserted"]),
	}
	return counts, m, nil
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// TableState summarises a table well enough to tell a wrong DML result:
// a lost, duplicated or unchanged row moves at least one of these.
type TableState struct {
	Rows, IDSum, Negative int64
}

// Outcome is what a workload must report and leave behind.
type Outcome struct {
	Deleted, Updated, Inserted int64
	State                      TableState
}

// Expected works out a workload's Outcome row by row from the generator's
// formulas, independently of either engine.
func Expected(w Workload, rows, upserts int64) Outcome {
	var o Outcome
	lo, hi := rows/2-rows/200, rows/2+rows/200
	for i := int64(0); i < rows; i++ {
		value := float64(i) * 1.5
		switch w.Name {
		case "delete":
			if i%100 == 0 {
				o.Deleted++
				continue
			}
		case "delete-range":
			if i >= lo && i < hi {
				o.Deleted++
				continue
			}
		case "update":
			if i%100 == 1 {
				o.Updated++
				value = -value
			}
		}
		o.State.Rows++
		o.State.IDSum += i
		if value < 0 {
			o.State.Negative++
		}
	}
	if w.Name == "merge" {
		half := upserts / 2
		o.Updated, o.Inserted = half, upserts-half
		o.State.Rows += upserts - half
		for k := half; k < upserts; k++ {
			o.State.IDSum += rows + k - half
		}
		o.State.Negative += upserts
	}
	return o
}

// CheckCounts compares the counts a child reported with the outcome.
func CheckCounts(got map[string]int64, want Outcome) error {
	if got["deleted"] != want.Deleted || got["updated"] != want.Updated || got["inserted"] != want.Inserted {
		return fmt.Errorf("reported deleted/updated/inserted %d/%d/%d, want %d/%d/%d",
			got["deleted"], got["updated"], got["inserted"], want.Deleted, want.Updated, want.Inserted)
	}
	return nil
}

// ReadBack reads a table with lakehouse and summarises it.
func ReadBack(ctx context.Context, path string) (TableState, error) {
	var s TableState
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return s, err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return s, err
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"id", "value"}})
	if err != nil {
		return s, err
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		ids := rec.Column(0).(*array.Int64)
		vals := rec.Column(1).(*array.Float64)
		for i := 0; i < int(rec.NumRows()); i++ {
			s.Rows++
			s.IDSum += ids.Value(i)
			if vals.Value(i) < 0 {
				s.Negative++
			}
		}
	}
	return s, rr.Err()
}

// DeltaRSScript is the delta-rs side of one measurement: argv is op,
// table path, a JSON workload, rows, upserts. It builds the same MERGE
// source as MergeSource before the clock starts.
const DeltaRSScript = `
import sys, json, time
import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
def peak_rss():
    with open("/proc/self/status") as f:
        for line in f:
            p = line.split()
            if len(p) == 3 and p[0] == "VmHWM:" and p[2] == "kB":
                return int(p[1]) * 1024
    return 0
op, path, w, rows, upserts = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
if op == "idle":
    print(json.dumps({"ms": 0, "peak_rss": peak_rss(), "counts": {}}))
    sys.exit(0)
src = None
if op == "merge":
    half = upserts // 2
    step = rows // half
    ids, days = [], []
    for k in range(upserts):
        if k < half:
            i = k * step + 7
            ids.append(i); days.append("2024-01-%02d" % (1 + i * 10 // rows))
        else:
            ids.append(rows + k - half); days.append("2024-01-%02d" % (1 + (k - half) % 10))
    src = pa.table({
        "id": pa.array(ids, pa.int64()),
        "value": pa.array([-float(k + 1) for k in range(upserts)], pa.float64()),
        "label": pa.array(["merged-%d" % (k % 1000) for k in range(upserts)], pa.string()),
        "ts": pa.array([1700000000000000 + k for k in range(upserts)], pa.timestamp("us", tz="UTC")),
        "day": pa.array(days, pa.string()),
    })
t0 = time.perf_counter()
dt = DeltaTable(path)
if op == "delete":
    m = dt.delete(w["where"])
elif op == "update":
    m = dt.update(updates=w["set"], predicate=w["where"])
elif op == "merge":
    m = (dt.merge(source=src, predicate=w["on"], source_alias="s", target_alias="t")
         .when_matched_update_all().when_not_matched_insert_all().execute())
elif op == "count":
    t = pa.table(QueryBuilder().register("t", dt).execute(
        "select count(*) as n, sum(id) as ids, sum(case when value < 0 then 1 else 0 end) as neg from t").read_all())
    r = t.to_pylist()[0]
    m = {"rows": r["n"], "idsum": r["ids"], "negative": r["neg"]}
ms = (time.perf_counter() - t0) * 1000
counts = {
    "deleted": int(m.get("num_deleted_rows", 0)),
    "updated": int(m.get("num_updated_rows", 0)) + int(m.get("num_target_rows_updated", 0)),
    "inserted": int(m.get("num_target_rows_inserted", 0)),
}
if op == "count":
    counts = {k: int(v or 0) for k, v in m.items()}
print(json.dumps({"ms": ms, "peak_rss": peak_rss(), "counts": counts, "raw": {k: str(v) for k, v in m.items()}}))
`
