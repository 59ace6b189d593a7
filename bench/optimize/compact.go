package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/lakehouse-go/lakehouse/bench/internal/compactwork"
)

// measurement is what a child reports: the operation's time, the files it
// removed and added; the parent adds the child's peak RSS.
type measurement struct {
	Ms      float64 `json:"ms"`
	Removed int64   `json:"removed"`
	Added   int64   `json:"added"`
	RSSKB   int64   `json:"rss_kb"`
}

// runChild is the child side: one operation on table, timed.
func runChild(ctx context.Context, kind, table, out string, target int64) error {
	var m measurement
	start := time.Now()
	switch kind {
	case "compact":
		var err error
		if m.Removed, m.Added, err = compactwork.Compact(ctx, table, target); err != nil {
			return err
		}
	case "floor":
		var err error
		if m.Removed, m.Added, err = compactwork.FloorCompact(ctx, table, out, target); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unknown child %q", kind)
	}
	m.Ms = float64(time.Since(start).Microseconds()) / 1000
	m.RSSKB = peakRSSKB()
	return json.NewEncoder(os.Stdout).Encode(m)
}

// peakRSSKB is this process's peak resident set (VmHWM). The rusage a
// parent gets from wait4 is no good here: its maxrss includes the
// parent's memory at fork, before exec.
func peakRSSKB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(strings.TrimSpace(rest), "%d", &kb)
			return kb
		}
	}
	return 0
}

const pythonBaseline = `
import json, deltalake, pyarrow
def _hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
print(json.dumps({"ms": 0, "rss_kb": _hwm()}))
`

// runMeasured runs a child command and returns its report with its peak RSS.
func runMeasured(cmd *exec.Cmd) (measurement, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return measurement{}, fmt.Errorf("%s: %v: %s", cmd.Args[0], err, lastLines(stderr.String()))
	}
	var m measurement
	if err := json.Unmarshal(bytes.TrimSpace(lastLine(stdout.Bytes())), &m); err != nil {
		return measurement{}, fmt.Errorf("%s printed %q: %v", cmd.Args[0], stdout.String(), err)
	}
	return m, nil
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

func lastLines(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-5):], "\n")
}

// copyTable copies a table directory for one run (not timed).
func copyTable(src, dst string) error {
	_ = os.RemoveAll(dst)
	if out, err := exec.Command("cp", "-a", src, dst).CombinedOutput(); err != nil {
		return fmt.Errorf("cp: %v: %s", err, out)
	}
	return nil
}

func benchCompact(ctx context.Context, dir, python string, files int, rows int64, runs int, target int64, cpuprofile string) error {
	src, err := compactwork.SmallFilesTable(ctx, dir, files, rows)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	engines := []string{"lakehouse", "floor"}
	if python != "" {
		engines = append(engines, "delta-rs")
	}
	results := map[string][]measurement{}
	work := filepath.Join(dir, "compact-run")
	for r := range runs {
		for i := range engines {
			e := engines[(i+r)%len(engines)] // rotate the order each round
			if err := copyTable(src, work); err != nil {
				return err
			}
			var cmd *exec.Cmd
			switch e {
			case "lakehouse":
				cmd = exec.CommandContext(ctx, self, "-child", "compact", "-table", work, "-target", fmt.Sprint(target), "-cpuprofile", cpuprofile)
			case "floor":
				cmd = exec.CommandContext(ctx, self, "-child", "floor", "-table", work, "-out", work+"-floor", "-target", fmt.Sprint(target))
			case "delta-rs":
				cmd = exec.CommandContext(ctx, python, "-c", compactwork.DeltaRSScript, work, fmt.Sprint(target))
			}
			m, err := runMeasured(cmd)
			if err != nil {
				return fmt.Errorf("%s: %w", e, err)
			}
			if e != "floor" {
				if err := compactwork.CheckRows(ctx, work, rows); err != nil {
					return fmt.Errorf("%s: %w", e, err)
				}
			}
			_ = os.RemoveAll(work + "-floor")
			fmt.Fprintf(os.Stderr, "compact run %d %-9s %8.0f ms %6d MB rss, %d files → %d\n", r+1, e, m.Ms, m.RSSKB/1024, m.Removed, m.Added)
			results[e] = append(results[e], m)
		}
	}
	_ = os.RemoveAll(work)
	var baseline measurement
	if python != "" {
		if baseline, err = runMeasured(exec.CommandContext(ctx, python, "-c", pythonBaseline)); err != nil {
			return err
		}
	}
	printCompact(files, rows, target, runs, engines, results, baseline)
	return nil
}

func median(ms []measurement, f func(measurement) float64) (med, lo, hi float64) {
	v := make([]float64, len(ms))
	for i, m := range ms {
		v[i] = f(m)
	}
	slices.Sort(v)
	return v[len(v)/2], v[0], v[len(v)-1]
}

func printCompact(files int, rows, target int64, runs int, engines []string, res map[string][]measurement, baseline measurement) {
	fmt.Printf("\n### Compacting %d small files (%d rows) to %d MiB files, %d runs each, cores %d\n\n", files, rows, target>>20, runs, runtime.NumCPU())
	fmt.Println("| engine | time median (min–max) | peak RSS median | files removed → added | time / floor | time / delta-rs |")
	fmt.Println("|---|---|---|---|---|---|")
	floor, _, _ := median(res["floor"], func(m measurement) float64 { return m.Ms })
	var drs float64
	if len(res["delta-rs"]) > 0 {
		drs, _, _ = median(res["delta-rs"], func(m measurement) float64 { return m.Ms })
	}
	for _, e := range engines {
		med, lo, hi := median(res[e], func(m measurement) float64 { return m.Ms })
		rss, _, _ := median(res[e], func(m measurement) float64 { return float64(m.RSSKB) / 1024 })
		last := res[e][len(res[e])-1]
		ratio := "—"
		if drs > 0 {
			ratio = fmt.Sprintf("%.2f", med/drs)
		}
		fmt.Printf("| %s | %.0f ms (%.0f–%.0f) | %.0f MB | %d → %d | %.2f | %s |\n", e, med, lo, hi, rss, last.Removed, last.Added, med/floor, ratio)
	}
	if baseline.RSSKB > 0 {
		fmt.Printf("\nA Python process that only imports deltalake and pyarrow peaks at %d MB; delta-rs's RSS above includes it.\n", baseline.RSSKB/1024)
	}
}
