// Command bench is issue 16's one harness: it runs every workload through
// lakehouse, delta-rs (deltalake 1.6.6) and the floor — plain Parquet
// through the same encoder and reader, and DuckDB's read_parquet over the
// same data files — and regenerates the marked section of BENCHMARKS.md.
//
//	go run ./bench [-workloads append,scan-full,…] [-runs 5] [-quick] [-dir .cache/bench] [-out BENCHMARKS.md]
//
// Data is generated once per size and cached under -dir. Every
// measurement runs in its own child process — this binary re-executed for
// the Go engines, peers.py under -python (delta-rs) or -duckdb-python —
// so that each engine's peak RSS (VmHWM) is its own; each child times the
// operation alone. Engines take turns in rotating order, run after run,
// so that load from other processes falls on all of them alike. After the
// measured runs one more lakehouse run is profiled, and the top 10 of its
// CPU profile goes into the report.
//
// -quick uses small sizes (a few minutes in all); its section says so.
// The older per-workload programs (bench/scan, bench/snapshotload,
// bench/dml, bench/optimize, …) still run on their own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/lakehouse-go/lakehouse/bench/internal/dmlwork"
)

// errDisagree is engines returning different rows for one workload, or a
// DML changing other rows than it must.
var errDisagree = errors.New("bench: engines disagree")

// config is one harness run.
type config struct {
	Dir, Out     string
	Python       string // with deltalake; empty or missing: delta-rs not run
	DuckDBPython string // with duckdb; empty or missing: DuckDB not run
	Runs         int
	Quick        bool
	Workloads    []string // names; empty: all
	Command      string   // as reported
	Self         []string // the command that runs a Go child (argv)
	Log          func(format string, args ...any)
}

func main() {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := childMain(spec); err != nil {
			log.Fatal(err)
		}
		return
	}
	root := moduleRoot()
	var cfg config
	flag.StringVar(&cfg.Dir, "dir", filepath.Join(root, ".cache", "bench"), "cache directory for the generated tables")
	flag.StringVar(&cfg.Out, "out", filepath.Join(root, "BENCHMARKS.md"), "the Markdown file whose generated section is replaced")
	flag.StringVar(&cfg.Python, "python", filepath.Join(root, ".cache", "venv-interop", "bin", "python"), "Python with deltalake 1.6.6")
	flag.StringVar(&cfg.DuckDBPython, "duckdb-python", filepath.Join(root, ".cache", "venv-duckdb", "bin", "python"), "Python with duckdb (.ci/setup.d/duckdb.sh)")
	flag.IntVar(&cfg.Runs, "runs", 5, "measured runs of each workload and engine")
	flag.BoolVar(&cfg.Quick, "quick", false, "small sizes, to check the harness in a few minutes")
	only := flag.String("workloads", "", "comma-separated workloads (default all): "+strings.Join(workloadNames(), ","))
	flag.Parse()
	if *only != "" {
		cfg.Workloads = strings.Split(*only, ",")
	}
	cfg.Command = "go run ./bench " + strings.Join(os.Args[1:], " ")
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	cfg.Self = []string{self}
	cfg.Log = log.Printf
	if err := run(context.Background(), cfg); err != nil {
		log.Fatal(err)
	}
}

func workloadNames() []string {
	var out []string
	for _, w := range workloads(fullSizes) {
		out = append(out, w.Name)
	}
	return out
}

// moduleRoot is the nearest directory up from the working directory that
// holds go.mod, so that the defaults work from the root and from bench/.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// run measures the chosen workloads and rewrites cfg.Out's section.
func run(ctx context.Context, cfg config) error {
	s := fullSizes
	if cfg.Quick {
		s = quickSizes
	}
	var ws []workload
	for _, w := range workloads(s) {
		if len(cfg.Workloads) == 0 || slices.Contains(cfg.Workloads, w.Name) {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return fmt.Errorf("bench: no workload named in %q (have %s)", cfg.Workloads, strings.Join(workloadNames(), ","))
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return err
	}
	peers, err := newPeers(cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	info := runInfo{
		Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Command: cfg.Command, Quick: cfg.Quick, Runs: cfg.Runs,
		Machine: machine(), LoadBefore: loadAvg(),
	}
	cfg.Log("bench: generating or finding the tables in %s", cfg.Dir)
	tbls, err := ensureTables(ctx, cfg.Dir, s, ws)
	if err != nil {
		return err
	}
	var results []workloadResult
	for _, w := range ws {
		cfg.Log("bench: %s", w.Title)
		t0 := time.Now()
		res, err := runWorkload(ctx, cfg, peers, s, tbls, w)
		if err != nil {
			return fmt.Errorf("bench: %s: %w", w.Name, err)
		}
		cfg.Log("bench: %s took %s (load average %s)", w.Name, time.Since(t0).Round(time.Second), loadAvg())
		results = append(results, res)
	}
	info.LoadAfter = loadAvg()
	info.Elapsed = time.Since(start).Round(time.Second).String()
	doc, err := os.ReadFile(cfg.Out)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	out, err := replaceSection(string(doc), renderSection(info, results))
	if err != nil {
		return err
	}
	cfg.Log("bench: writing %s", cfg.Out)
	return os.WriteFile(cfg.Out, []byte(out), 0o644)
}

// runWorkload measures one workload: runs rounds of every engine in
// rotating order, then one profiled lakehouse run.
func runWorkload(ctx context.Context, cfg config, p *peers, s sizes, t tables, w workload) (workloadResult, error) {
	spec, h, err := setup(cfg, s, t, w)
	if err != nil {
		return workloadResult{}, err
	}
	var engines []string
	notes := map[string]string{}
	for _, e := range w.Engines {
		if why := p.missing(e); why != "" {
			notes[e] = why
			continue
		}
		engines = append(engines, e)
	}
	samples := map[string][]sample{}
	one := func(e string, spec childSpec) (sample, error) {
		spec.Engine = e
		if err := os.RemoveAll(spec.Scratch); err != nil {
			return sample{}, err
		}
		if err := h.prepare(e, &spec); err != nil {
			return sample{}, err
		}
		smp, err := p.run(ctx, cfg, spec)
		if err != nil {
			return sample{}, fmt.Errorf("%s: %w", e, err)
		}
		return smp, h.afterRun()
	}
	for r := 0; r < cfg.Runs; r++ {
		for k := range engines {
			e := engines[(k+r)%len(engines)]
			smp, err := one(e, spec)
			if err != nil {
				return workloadResult{}, err
			}
			samples[e] = append(samples[e], smp)
		}
	}
	res := workloadResult{Title: w.Title}
	if res.Rows, err = agreedRows(s, w, engines, samples); err != nil {
		return res, err
	}
	prof := filepath.Join(cfg.Dir, "profile-"+w.Name+".pprof")
	spec.CPUProfile = prof
	if _, err := one(engLakehouse, spec); err != nil {
		return res, err
	}
	res.Profile = pprofTop(ctx, cfg.Self[0], prof)
	if err := h.afterWorkload(); err != nil {
		return res, err
	}
	if err := os.RemoveAll(spec.Scratch); err != nil {
		return res, err
	}
	for _, e := range w.Engines {
		res.Engines = append(res.Engines, engineResult{Engine: e, Summary: summarize(samples[e]), Note: notes[e]})
	}
	return res, nil
}

// agreedRows checks that every counted engine returned, wrote or changed
// the same rows in every run (for a DML, the rows dmlwork.Expected works
// out) and returns that count; -1 when no engine counted.
func agreedRows(s sizes, w workload, engines []string, samples map[string][]sample) (int64, error) {
	var want int64 = -1
	first := ""
	for _, e := range engines {
		if slices.Contains(w.Uncounted, e) {
			continue
		}
		for _, smp := range samples[e] {
			if want < 0 {
				want, first = smp.Rows, e
			}
			if smp.Rows != want {
				return 0, fmt.Errorf("%w: %s returned %d rows, %s %d", errDisagree, e, smp.Rows, first, want)
			}
		}
	}
	if w.Kind == kindDML && want >= 0 {
		o := dmlwork.Expected(dmlWorkload(s, w.DML), s.DMLRows, s.DMLRows/100)
		if n := o.Deleted + o.Updated + o.Inserted; want != n {
			return 0, fmt.Errorf("%w: the engines changed %d rows, want %d", errDisagree, want, n)
		}
	}
	return want, nil
}

// dmlWorkload is dmlwork's workload of that name at the run's sizes.
func dmlWorkload(s sizes, name string) dmlwork.Workload {
	for _, w := range dmlwork.Workloads(s.DMLRows, s.DMLRows/100) {
		if w.Name == name {
			return w
		}
	}
	return dmlwork.Workload{Name: name}
}

// machine describes the host for the report header.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s/%s, %d cores (%s), %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), model, runtime.Version())
}

// loadAvg is /proc/loadavg's three load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
