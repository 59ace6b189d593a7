// Command snapshotload measures how long lakehouse takes to load the
// snapshot of a table with a long history and a very large checkpoint,
// and how much memory it holds while doing so.
//
//	go run ./bench/snapshotload [-dir DIR] [-commits 100000] [-files 1000000]
//
// The table is generated once into DIR (default $TMPDIR/lakehouse-bench-
// snapshotload) and reused: commits 0..N-1 each add files/N files, a
// classic checkpoint at version N-1 holds every file, and ten small
// commits follow it. Three things are timed: loading the latest snapshot
// (log listing from the _last_checkpoint hint, the commits after the
// checkpoint, the checkpoint's protocol/metadata columns), one full pass
// over the live files (streaming the 1M-row checkpoint), and — as a
// baseline in the same run — the time to read the checkpoint file's add
// column with plain pqarrow, the least any reader must do. When
// LAKEHOUSE_DELTALAKE_PYTHON names a Python with the deltalake package,
// delta-rs loading the same table is timed too.
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
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lakehouse-go/lakehouse/bench/internal/snapdata"
	"github.com/lakehouse-go/lakehouse/delta"
)

func main() {
	dir := flag.String("dir", filepath.Join(os.TempDir(), "lakehouse-bench-snapshotload"), "table directory (generated if absent)")
	commits := flag.Int("commits", 100_000, "commits before the checkpoint")
	files := flag.Int("files", 1_000_000, "files in the checkpoint")
	runs := flag.Int("runs", 3, "measured runs (the best is reported)")
	flag.Parse()
	ctx := context.Background()

	if err := snapdata.EnsureTable(ctx, *dir, *commits, *files); err != nil {
		log.Fatal(err)
	}
	var best struct{ load, pass, base time.Duration }
	var peakLoad, peakPass uint64
	var numFiles int64
	for r := 0; r < *runs; r++ {
		runtime.GC()
		stop, peak := sampleHeap()
		start := time.Now()
		tbl, err := delta.Open(ctx, *dir, nil)
		if err != nil {
			log.Fatal(err)
		}
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			log.Fatal(err)
		}
		load := time.Since(start)
		loadPeak := stop()
		_ = peak

		runtime.GC()
		stop, _ = sampleHeap()
		start = time.Now()
		st, err := snap.FileStats(ctx)
		if err != nil {
			log.Fatal(err)
		}
		pass := time.Since(start)
		passPeak := stop()
		numFiles = st.NumFiles
		_ = tbl.Close()

		start = time.Now()
		if err := snapdata.BaselineReadAdds(ctx, *dir, *commits-1); err != nil {
			log.Fatal(err)
		}
		base := time.Since(start)
		if r == 0 || load < best.load {
			best.load = load
		}
		if r == 0 || pass < best.pass {
			best.pass = pass
		}
		if r == 0 || base < best.base {
			best.base = base
		}
		peakLoad, peakPass = max(peakLoad, loadPeak), max(peakPass, passPeak)
	}
	fmt.Printf("table: %d commits, checkpoint of %d files at version %d, %d live files\n", *commits+10, *files, *commits-1, numFiles)
	fmt.Printf("snapshot load:        %8.1f ms   peak heap %6.1f MiB\n", ms(best.load), mib(peakLoad))
	fmt.Printf("full file pass:       %8.1f ms   peak heap %6.1f MiB\n", ms(best.pass), mib(peakPass))
	fmt.Printf("baseline pqarrow read of the checkpoint's add column: %8.1f ms\n", ms(best.base))
	fmt.Printf("ratio (load + pass) / baseline: %.2fx\n", float64(best.load+best.pass)/float64(best.base))
	if py := os.Getenv("LAKEHOUSE_DELTALAKE_PYTHON"); py != "" {
		out, err := exec.Command(py, "-c", deltaRSScript, *dir).CombinedOutput()
		if err != nil {
			log.Fatalf("delta-rs baseline: %v\n%s", err, out)
		}
		fmt.Printf("delta-rs (deltalake) load + file count: %s", out)
		var rs float64
		if _, err := fmt.Sscanf(strings.TrimSpace(string(out)), "%f", &rs); err == nil && rs > 0 {
			fmt.Printf("ratio lakehouse (load + pass) / delta-rs: %.2fx\n", ms(best.load+best.pass)/rs)
		}
	}
}

const deltaRSScript = `
import sys, time
from deltalake import DeltaTable
best = None
for _ in range(3):
    t = time.perf_counter()
    dt = DeltaTable(sys.argv[1])
    n = len(dt.file_uris())
    d = (time.perf_counter() - t) * 1000
    best = d if best is None or d < best else best
print("%.1f ms (%d files)" % (best, n))
`

// sampleHeap samples the live heap every millisecond until stop is called,
// and returns the peak seen.
func sampleHeap() (stop func() uint64, peak *atomic.Uint64) {
	peak = &atomic.Uint64{}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		var m runtime.MemStats
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}, peak
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(b uint64) float64       { return float64(b) / (1 << 20) }
