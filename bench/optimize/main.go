// Command optimize measures issue 11's two benchmarks, lakehouse beside
// delta-rs in the same run:
//
//	go run ./bench/optimize [-python .cache/venv-interop/bin/python] [-workloads compact,quality]
//
// compact: a table of -files small files (-rows rows in all, one commit)
// is compacted into files of -target bytes by optimize.Compact, by
// delta-rs's DeltaTable.optimize.compact and by the floor: the same files
// read and written again as plain Parquet with the same encoder, one
// goroutine per core, without Delta. Each engine runs in a child process
// on its own fresh copy of the table, the engines taking turns for -runs
// rounds; time is taken inside the child around the operation only, peak
// memory is the child's peak RSS (VmHWM; for delta-rs it includes the
// Python interpreter and pyarrow, measured on its own and shown).
//
// quality: a table of -quality-rows rows whose id is Zipf-distributed and
// whose event time arrives out of order is written in 100 appends, then
// copied and rearranged four ways: bin-packing, our Z-order, our Hilbert
// liquid clustering (both by id, ts) and delta-rs's z_order by the same
// columns, all to -quality-target bytes per file. For each layout it
// counts the files whose statistics (min/max as each engine wrote them in
// its add actions) cannot exclude a point query and a range query
// covering 1% of the rows, on each column.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
)

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "lakehouse-bench-optimize"), "work directory (generated tables are kept there)")
	python := flag.String("python", os.Getenv("LAKEHOUSE_DELTALAKE_PYTHON"), "Python with deltalake 1.6.6 (empty: lakehouse and the floor only)")
	workloads := flag.String("workloads", "compact,quality", "comma-separated: compact, quality")
	files := flag.Int("files", 10_000, "compact: small files in the table")
	rows := flag.Int64("rows", 5_000_000, "compact: rows in the table")
	runs := flag.Int("runs", 3, "compact: measured runs per engine")
	target := flag.Int64("target", 128<<20, "compact: target file size in bytes")
	qrows := flag.Int64("quality-rows", 10_000_000, "quality: rows in the table")
	qtarget := flag.Int64("quality-target", 2<<20, "quality: target file size in bytes")
	child := flag.String("child", "", "internal: run one measurement in this process (compact, floor)")
	table := flag.String("table", "", "internal: the child's table")
	out := flag.String("out", "", "internal: the floor's output directory")
	cpuprofile := flag.String("cpuprofile", "", "compact: write a CPU profile of each lakehouse run here (the last run's is kept)")
	flag.Parse()
	ctx := context.Background()

	if *child != "" {
		if *cpuprofile != "" {
			f, err := os.Create(*cpuprofile)
			if err != nil {
				log.Fatal(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				log.Fatal(err)
			}
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
		if err := runChild(ctx, *child, *table, *out, *target); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, w := range strings.Split(*workloads, ",") {
		var err error
		switch strings.TrimSpace(w) {
		case "compact":
			err = benchCompact(ctx, *dir, *python, *files, *rows, *runs, *target, *cpuprofile)
		case "quality":
			err = benchQuality(ctx, *dir, *python, *qrows, *qtarget)
		default:
			err = fmt.Errorf("unknown workload %q", w)
		}
		if err != nil {
			log.Fatal(err)
		}
	}
}
