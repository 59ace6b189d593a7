package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// workload is one DML statement, given as SQL text both engines parse.
type workload struct {
	name  string
	op    string            // delete, update, merge
	what  string            // for the report
	where string            // delete, update
	set   map[string]string // update
	on    string            // merge, with aliases t and s
}

// workloads are the three operations on a table of rows rows,
// plus a DELETE whose 1 % is one contiguous range that file statistics
// narrow to two files.
func workloads(rows, upserts int64) []workload {
	return []workload{
		{name: "delete", op: "delete", what: "DELETE 1 % (id % 100 = 0, every file)", where: "id % 100 = 0"},
		{name: "delete-range", op: "delete", what: "DELETE 1 % (an id range, two files)",
			where: fmt.Sprintf("id >= %d AND id < %d", rows/2-rows/200, rows/2+rows/200)},
		{name: "update", op: "update", what: "UPDATE 1 % (SET value = -value WHERE id % 100 = 1)",
			where: "id % 100 = 1", set: map[string]string{"value": "-value"}},
		{name: "merge", op: "merge", what: fmt.Sprintf("MERGE %d upserts, half matched", upserts), on: "t.id = s.id"},
	}
}

// childResult is what a child prints on stdout: the time of open + the
// operation, and the operation's row counts under engine-neutral names.
type childResult struct {
	Ms       float64          `json:"ms"`
	PeakRSS  int64            `json:"peak_rss"` // bytes, VmHWM at exit
	Counts   map[string]int64 `json:"counts"`
	RawStats map[string]any   `json:"raw,omitempty"`
}

// runChild is the lakehouse side of one measurement, in its own process
// so that its peak RSS is its own.
func runChild(op, path, spec, cpuprofile, memprofile string, rows, upserts int64, noSync bool) error {
	ctx := context.Background()
	var w workload
	for _, c := range workloads(rows, upserts) {
		if c.name == spec {
			w = c
		}
	}
	if op == "idle" {
		return json.NewEncoder(os.Stdout).Encode(childResult{PeakRSS: peakRSS()})
	}
	if w.name == "" {
		return fmt.Errorf("dml: unknown workload %q", spec)
	}
	var src array.RecordReader
	if w.op == "merge" {
		src = mergeSource(memory.DefaultAllocator, rows, upserts)
		defer src.Release()
	}
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if memprofile != "" {
		stop := heapAtPeak(memprofile)
		defer stop()
	}
	start := time.Now()
	tbl, err := delta.Open(ctx, path, &delta.Options{NoSync: noSync})
	if err != nil {
		return err
	}
	defer tbl.Close()
	var res *delta.CommitResult
	switch w.op {
	case "delete":
		where, err := expr.Parse(w.where)
		if err != nil {
			return err
		}
		res, err = tbl.Delete(ctx, where, nil)
		if err != nil {
			return err
		}
	case "update":
		where, err := expr.Parse(w.where)
		if err != nil {
			return err
		}
		set := map[string]expr.Expr{}
		for col, v := range w.set {
			if set[col], err = expr.Parse(v); err != nil {
				return err
			}
		}
		res, err = tbl.Update(ctx, set, where, nil)
		if err != nil {
			return err
		}
	case "merge":
		on, err := expr.Parse(w.on)
		if err != nil {
			return err
		}
		res, err = tbl.Merge(ctx, src, on, &delta.MergeOptions{
			TargetAlias:    "t",
			SourceAlias:    "s",
			WhenMatched:    []delta.WhenMatched{{UpdateAll: true}},
			WhenNotMatched: []delta.WhenNotMatched{{InsertAll: true}},
		})
		if err != nil {
			return err
		}
	}
	elapsed := time.Since(start)
	m := res.Metrics
	counts := map[string]int64{
		"deleted":  atoi(m["numDeletedRows"]),
		"updated":  atoi(m["numUpdatedRows"]) + atoi(m["numTargetRowsUpdated"]),
		"inserted": atoi(m["numTargetRowsInserted"]),
	}
	raw := map[string]any{}
	for k, v := range m {
		raw[k] = v
	}
	return json.NewEncoder(os.Stdout).Encode(childResult{Ms: float64(elapsed) / float64(time.Millisecond), PeakRSS: peakRSS(), Counts: counts, RawStats: raw})
}

// heapAtPeak samples the heap every 10 ms and keeps the heap profile
// taken when the heap in use was largest; stop writes it to path. The
// profile shows what the last GC before the peak found live.
func heapAtPeak(path string) (stop func()) {
	done, finished := make(chan struct{}), make(chan struct{})
	var best bytes.Buffer
	go func() {
		defer close(finished)
		var m runtime.MemStats
		var peak uint64
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak+peak/20 {
				peak = m.HeapInuse
				best.Reset()
				_ = pprof.Lookup("heap").WriteTo(&best, 0)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(done)
		<-finished
		if err := os.WriteFile(path, best.Bytes(), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "dml: heap profile:", err)
		}
	}
}

// peakRSS is this process's peak resident set (VmHWM). The parent cannot
// take it from wait4's ru_maxrss: Linux carries the forking process's
// high-water mark into the child at exec, so every child would report
// at least the parent's own peak.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
			return atoi(f[1]) * 1024
		}
	}
	return 0
}

func atoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// deltaRSScript is the delta-rs side of one measurement: argv is op,
// table path, a JSON workload, rows, upserts. It builds the same MERGE
// source as mergeSource before the clock starts.
const deltaRSScript = `
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
