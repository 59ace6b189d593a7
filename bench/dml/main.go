// Command dml measures DELETE, UPDATE and MERGE on a 10-million-row table,
// lakehouse beside delta-rs in the same run on the same data, with time
// and peak memory for each.
//
//	go run ./bench/dml [-rows 10000000] [-runs 5] [-python .cache/venv-interop/bin/python]
//
// The table (id int64, value double, label string with 1,000 values, ts
// timestamp, partitioned by 10 values of day — issue 16's shape) is
// generated once with lakehouse into DIR/cow (default $TMPDIR/lakehouse-
// bench-dml), and copied to DIR/dv with delta.enableDeletionVectors set.
// Each measurement copies one of them afresh and runs one operation in a
// child process — this binary re-invoked with -child for lakehouse, the
// given Python with deltalake for delta-rs — so that every engine's peak
// RSS (VmHWM, which each child reads at exit) is its own. Engines take turns in rotating
// order. The child reports the time of opening the table plus the
// operation; starting the interpreter or process is not counted.
//
// Every result is checked: the operation's own row counts, and the table
// it leaves (rows, sum of ids, rows with a negative value, read back with
// lakehouse) must equal what the workload must produce; on the first run
// delta-rs also reads the tables lakehouse wrote and must agree.
//
// -cpuprofile DIR writes a CPU profile of each lakehouse child there;
// -memprofile DIR a heap profile taken near its peak heap (the profiles
// perturb the timings: measure without them).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lakehouse-go/lakehouse/bench/internal/dmlwork"
)

// engine is one contestant: a child command on a fresh copy of a table.
type engine struct {
	name   string
	label  string
	source string // cow or dv
	python bool
	noSync bool
}

// measurement is one child run.
type measurement struct {
	ms  float64
	rss int64 // bytes
}

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "lakehouse-bench-dml"), "cache directory (the base tables are generated there once)")
	rows := flag.Int64("rows", 10_000_000, "rows in the table")
	upserts := flag.Int64("upserts", 0, "MERGE source rows, half matched (default rows/100)")
	runs := flag.Int("runs", 5, "measured runs of each workload and engine")
	only := flag.String("workloads", "", "comma-separated workloads to run (default all)")
	python := flag.String("python", os.Getenv("LAKEHOUSE_DELTALAKE_PYTHON"), "Python with deltalake 1.6.6 (empty: lakehouse only)")
	cpuprofile := flag.String("cpuprofile", "", "directory for CPU profiles of the lakehouse children")
	memprofile := flag.String("memprofile", "", "directory for heap profiles of the lakehouse children, taken at their peak heap")
	only2 := flag.String("engines", "", "comma-separated engines to run: dv, cow, dv-nosync, cow-nosync, delta-rs (default all)")
	noSync := flag.Bool("nosync", false, "internal: the lakehouse child skips fsync")
	child := flag.String("child", "", "internal: run one operation (delete, update, merge, idle) and print the result")
	table := flag.String("table", "", "internal: the child's table")
	spec := flag.String("workload", "", "internal: the child's workload")
	flag.Parse()
	if *upserts == 0 {
		*upserts = *rows / 100
	}
	if *child != "" {
		if err := runChild(*child, *table, *spec, *cpuprofile, *memprofile, *rows, *upserts, *noSync); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(*dir, *rows, *upserts, *runs, *only, *only2, *python, *cpuprofile, *memprofile); err != nil {
		log.Fatal(err)
	}
}

func run(dir string, rows, upserts int64, runs int, only, onlyEngines, python, cpuprofile, memprofile string) error {
	ctx := context.Background()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cow, dv, err := dmlwork.EnsureTables(ctx, dir, rows)
	if err != nil {
		return err
	}
	for _, d := range []*string{&cpuprofile, &memprofile} {
		if *d == "" {
			continue
		}
		if *d, err = filepath.Abs(*d); err != nil {
			return err
		}
		if err := os.MkdirAll(*d, 0o755); err != nil {
			return err
		}
	}
	// delta-rs's local store never fsyncs (it writes, renames and
	// links); lakehouse fsyncs files and directories unless NoSync. Both
	// lakehouse settings run: the default, and the durability delta-rs has.
	var engines []engine
	for _, e := range []engine{
		{name: "dv", label: "lakehouse, deletion vectors", source: dv},
		{name: "cow", label: "lakehouse, copy-on-write", source: cow},
		{name: "dv-nosync", label: "lakehouse, deletion vectors, NoSync", source: dv, noSync: true},
		{name: "cow-nosync", label: "lakehouse, copy-on-write, NoSync", source: cow, noSync: true},
		{name: "delta-rs", label: "delta-rs 1.6.6 (copy-on-write: it cannot write DVs; no fsync)", source: cow, python: true},
	} {
		if e.python && python == "" {
			continue
		}
		if onlyEngines == "" || slices.Contains(strings.Split(onlyEngines, ","), e.name) {
			engines = append(engines, e)
		}
	}
	var ws []dmlwork.Workload
	for _, w := range dmlwork.Workloads(rows, upserts) {
		if only == "" || slices.Contains(strings.Split(only, ","), w.Name) {
			ws = append(ws, w)
		}
	}
	load0 := loadAvg()
	idle := map[string]measurement{}
	for _, e := range engines {
		m, _, err := childRun(e, self, python, "idle", dmlwork.Workload{Name: "delete"}, dir, rows, upserts, "", "")
		if err != nil {
			return err
		}
		idle[e.name] = m
	}
	results := map[string]map[string][]measurement{}
	runsDir := filepath.Join(dir, "runs")
	for _, w := range ws {
		want := dmlwork.Expected(w, rows, upserts)
		results[w.Name] = map[string][]measurement{}
		for r := 0; r < runs; r++ {
			order := append(slices.Clone(engines[r%len(engines):]), engines[:r%len(engines)]...)
			for _, e := range order {
				if err := os.RemoveAll(runsDir); err != nil {
					return err
				}
				path := filepath.Join(runsDir, e.name)
				if err := dmlwork.CopyTree(e.source, path); err != nil {
					return err
				}
				var profs []string
				for _, d := range []string{cpuprofile, memprofile} {
					p := ""
					if d != "" && !e.python {
						p = filepath.Join(d, fmt.Sprintf("%s-%s-%d.pprof", w.Name, e.name, r))
					}
					profs = append(profs, p)
				}
				m, counts, err := childRun(e, self, python, w.Op, w, path, rows, upserts, profs[0], profs[1])
				if err != nil {
					return fmt.Errorf("%s on %s: %w", w.Name, e.name, err)
				}
				if err := dmlwork.CheckCounts(counts, want); err != nil {
					return fmt.Errorf("%s on %s: %w", w.Name, e.name, err)
				}
				got, err := dmlwork.ReadBack(ctx, path)
				if err != nil {
					return fmt.Errorf("%s on %s: reading the result: %w", w.Name, e.name, err)
				}
				if got != want.State {
					return fmt.Errorf("%s on %s: the table holds %+v, want %+v", w.Name, e.name, got, want.State)
				}
				if r == 0 && python != "" && !e.python {
					if err := crossRead(python, path, want.State); err != nil {
						return fmt.Errorf("%s on %s: delta-rs reading our result: %w", w.Name, e.name, err)
					}
				}
				results[w.Name][e.name] = append(results[w.Name][e.name], m)
				fmt.Fprintf(os.Stderr, "%-12s %-10s run %d: %8.0f ms %7.0f MiB  (load %s)\n", w.Name, e.name, r, m.ms, mib(m.rss), loadAvg())
			}
		}
	}
	_ = os.RemoveAll(runsDir)
	report(os.Stdout, rows, upserts, runs, engines, ws, results, idle, load0, loadAvg())
	return nil
}

// childRun runs one operation in a child and returns its time, peak RSS
// and reported counts.
func childRun(e engine, self, python, op string, w dmlwork.Workload, path string, rows, upserts int64, prof, memprof string) (measurement, map[string]int64, error) {
	var cmd *exec.Cmd
	if e.python {
		spec, err := json.Marshal(map[string]any{"where": w.Where, "set": w.Set, "on": w.On})
		if err != nil {
			return measurement{}, nil, err
		}
		cmd = exec.Command(python, "-c", dmlwork.DeltaRSScript, op, path, string(spec), strconv.FormatInt(rows, 10), strconv.FormatInt(upserts, 10))
	} else {
		args := []string{"-child", op, "-table", path, "-workload", w.Name,
			"-rows", strconv.FormatInt(rows, 10), "-upserts", strconv.FormatInt(upserts, 10)}
		if prof != "" {
			args = append(args, "-cpuprofile", prof)
		}
		if memprof != "" {
			args = append(args, "-memprofile", memprof)
		}
		if e.noSync {
			args = append(args, "-nosync")
		}
		cmd = exec.Command(self, args...)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return measurement{}, nil, fmt.Errorf("%v\n%s", err, stderr.String())
	}
	var res childResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return measurement{}, nil, fmt.Errorf("child output %q: %v", stdout.String(), err)
	}
	if res.PeakRSS <= 0 {
		return measurement{}, nil, fmt.Errorf("child reported no peak RSS")
	}
	return measurement{ms: res.Ms, rss: res.PeakRSS}, res.Counts, nil
}

// crossRead has delta-rs read a table and compares with the expected state.
func crossRead(python, path string, want dmlwork.TableState) error {
	var stderr bytes.Buffer
	cmd := exec.Command(python, "-c", dmlwork.DeltaRSScript, "count", path, "{}", "0", "0")
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, stderr.String())
	}
	var res childResult
	if err := json.Unmarshal(out, &res); err != nil {
		return err
	}
	got := dmlwork.TableState{Rows: res.Counts["rows"], IDSum: res.Counts["idsum"], Negative: res.Counts["negative"]}
	if got != want {
		return fmt.Errorf("delta-rs reads %+v, want %+v", got, want)
	}
	return nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
