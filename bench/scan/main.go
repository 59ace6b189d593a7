// Command scan measures issue 16's append and scan workloads, lakehouse
// beside delta-rs and beside a plain-parquet floor, in one run on the same
// data, and prints the medians and ratios as a Markdown table.
//
//	go run ./bench/scan [-rows 5000000] [-runs 5] [-python .cache/venv-interop/bin/python]
//
// The table (id int64, value double, label string with 1,000 values, ts
// timestamp, partitioned by 10 runs of day) is generated once with
// lakehouse into DIR/table. Every workload runs runs times per engine,
// the engines taking turns in rotating order so that load from other
// processes on the machine falls on all of them alike. Times are taken
// inside each engine: delta-rs runs as one Python child per measurement,
// which times only the operation, not the interpreter's start.
//
// "lakehouse, no page index" is the default scan with
// ScanOptions.NoPageIndex: row groups that survive their statistics are
// decoded whole, which measures what page pruning saves in the same run.
//
// The floor is the same work without Delta: append writes the same
// batches with the same Parquet encoder into one file per partition, one
// goroutine per partition; scans read the table's data files with pqarrow,
// one goroutine per core, and filter with the same compiled predicate.
//
// Each engine's row count is checked against the others.
//
// go run ./bench (the harness) runs these workloads with the others, each
// measurement in its own process, and writes BENCHMARKS.md's generated section.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lakehouse-go/lakehouse/bench/internal/issuedata"
	"github.com/lakehouse-go/lakehouse/delta"
)

type workload struct {
	name   string
	filter string // SQL predicate; empty for a full scan
	append bool
}

var workloads = []workload{
	{name: "append", append: true},
	{name: "full scan"},
	{name: "id BETWEEN 2500000 AND 2500100", filter: "id BETWEEN 2500000 AND 2500100"},
	{name: "label = 'label-0007' AND value > 0.5", filter: "label = 'label-0007' AND value > 0.5"},
}

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "lakehouse-bench-scan"), "cache directory (the table is generated there once)")
	rows := flag.Int64("rows", 5_000_000, "rows in the table")
	runs := flag.Int("runs", 5, "measured runs of each workload and engine")
	python := flag.String("python", os.Getenv("LAKEHOUSE_DELTALAKE_PYTHON"), "Python with deltalake 1.6.6 (empty: no delta-rs)")
	only := flag.String("workloads", "", "comma-separated workload indexes to run, 0-3 (default all)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (all engines in this process) here")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*dir, *rows, *runs, *python, *only); err != nil {
		log.Print(err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type engine struct {
	name string
	run  func(ctx context.Context, w workload, scratch string) (time.Duration, int64, error)
}

func run(dir string, rows int64, runs int, python, only string) error {
	ctx := context.Background()
	table, err := issuedata.EnsureTable(ctx, dir, rows)
	if err != nil {
		return err
	}
	engines := []engine{
		{"lakehouse", func(ctx context.Context, w workload, scratch string) (time.Duration, int64, error) {
			if w.append {
				return issuedata.LakehouseAppend(ctx, scratch, rows)
			}
			return issuedata.LakehouseScan(ctx, table, w.filter, delta.ScanOptions{})
		}},
		{"lakehouse, no dictionary filter", func(ctx context.Context, w workload, scratch string) (time.Duration, int64, error) {
			if w.append {
				return issuedata.LakehouseAppend(ctx, scratch, rows)
			}
			return issuedata.LakehouseScan(ctx, table, w.filter, delta.ScanOptions{NoDictionaryFilter: true})
		}},
		{"lakehouse, 1 file at a time", func(ctx context.Context, w workload, scratch string) (time.Duration, int64, error) {
			if w.append {
				return issuedata.LakehouseAppend(ctx, scratch, rows)
			}
			return issuedata.LakehouseScan(ctx, table, w.filter, delta.ScanOptions{Parallelism: 1})
		}},
		{"lakehouse, no page index", func(ctx context.Context, w workload, scratch string) (time.Duration, int64, error) {
			if w.append {
				return issuedata.LakehouseAppend(ctx, scratch, rows)
			}
			return issuedata.LakehouseScan(ctx, table, w.filter, delta.ScanOptions{NoPageIndex: true})
		}},
		{"parquet floor", func(ctx context.Context, w workload, scratch string) (time.Duration, int64, error) {
			if w.append {
				return issuedata.FloorAppend(ctx, scratch, rows)
			}
			return issuedata.FloorScan(ctx, table, w.filter)
		}},
	}
	if python != "" {
		engines = append(engines, engine{"delta-rs", func(ctx context.Context, w workload, scratch string) (time.Duration, int64, error) {
			return deltaRS(ctx, python, w, table, scratch, rows)
		}})
	}
	fmt.Printf("| workload | %s |", strings.Join(names(engines), " | "))
	for _, e := range engines[1:] {
		fmt.Printf(" lakehouse / %s |", e.name)
	}
	fmt.Println()
	fmt.Println("|" + strings.Repeat("---|", 1+2*len(engines)-1))
	for wi, w := range workloads {
		if only != "" && !slices.Contains(strings.Split(only, ","), strconv.Itoa(wi)) {
			continue
		}
		times := make([][]time.Duration, len(engines))
		counts := make([]int64, len(engines))
		for r := 0; r < runs; r++ {
			for k := range engines {
				ei := (k + r) % len(engines)
				scratch := filepath.Join(dir, "scratch")
				_ = os.RemoveAll(scratch)
				d, n, err := engines[ei].run(ctx, w, scratch)
				if err != nil {
					return fmt.Errorf("%s, %s: %w", w.name, engines[ei].name, err)
				}
				times[ei] = append(times[ei], d)
				counts[ei] = n
			}
		}
		for i, n := range counts {
			if n != counts[0] {
				return fmt.Errorf("%s: %s counted %d rows, %s %d", w.name, engines[i].name, n, engines[0].name, counts[0])
			}
		}
		fmt.Printf("| %s (%d rows) |", w.name, counts[0])
		for _, ts := range times {
			slices.Sort(ts)
			fmt.Printf(" %s (%s–%s) |", ms(median(ts)), ms(ts[0]), ms(ts[len(ts)-1]))
		}
		for _, ts := range times[1:] {
			fmt.Printf(" %.2f |", float64(median(times[0]))/float64(median(ts)))
		}
		fmt.Println()
	}
	return nil
}

func names(es []engine) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.name
	}
	return out
}

func median(ts []time.Duration) time.Duration { return ts[len(ts)/2] }

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// pyScript runs one workload with deltalake and prints "ms rows".
const pyScript = `
import sys, time
import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder, write_deltalake
op, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if op == "append":
    ids = list(range(n))
    t = pa.table({
        "id": pa.array(ids, pa.int64()),
        "value": pa.array([((i * 2654435761) % 1000003) / 1000003.0 for i in ids], pa.float64()),
        "label": pa.array(["label-%04d" % ((i * 7919) % 1000) for i in ids], pa.string()),
        "ts": pa.array([1700000000000000 + i * 1000 for i in ids], pa.timestamp("us", tz="UTC")),
        "day": pa.array(["2024-01-%02d" % (1 + i * 10 // n) for i in ids], pa.string()),
    })
    start = time.perf_counter()
    write_deltalake(path, t, partition_by=["day"])
    rows = n
else:
    start = time.perf_counter()
    dt = DeltaTable(path)
    q = "select * from t" + ("" if op == "" else " where " + op)
    res = pa.table(QueryBuilder().register("t", dt).execute(q).read_all())
    rows = res.num_rows
print("%f %d" % ((time.perf_counter() - start) * 1000, rows))
`

func deltaRS(ctx context.Context, python string, w workload, table, scratch string, rows int64) (time.Duration, int64, error) {
	op, path := w.filter, table
	if w.append {
		op, path = "append", scratch
	}
	out, err := exec.CommandContext(ctx, python, "-c", pyScript, op, path, strconv.FormatInt(rows, 10)).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("delta-rs: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("delta-rs: unexpected output %q", out)
	}
	msv, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0, 0, err
	}
	n, err := strconv.ParseInt(f[1], 10, 64)
	return time.Duration(msv * float64(time.Millisecond)), n, err
}
