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

	"github.com/lakehouse-go/lakehouse/bench/internal/dmlwork"
	"github.com/lakehouse-go/lakehouse/delta"
)

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
	var w dmlwork.Workload
	for _, c := range dmlwork.Workloads(rows, upserts) {
		if c.Name == spec {
			w = c
		}
	}
	if op == "idle" {
		return json.NewEncoder(os.Stdout).Encode(childResult{PeakRSS: peakRSS()})
	}
	if w.Name == "" {
		return fmt.Errorf("dml: unknown workload %q", spec)
	}
	var src array.RecordReader
	if w.Op == "merge" {
		src = dmlwork.MergeSource(memory.DefaultAllocator, rows, upserts)
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
	counts, m, err := dmlwork.Apply(ctx, tbl, w, src)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
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
