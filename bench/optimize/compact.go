package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/optimize"
)

var smallSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
}, nil)

// measurement is what a child reports: the operation's time, the files it
// removed and added; the parent adds the child's peak RSS.
type measurement struct {
	Ms      float64 `json:"ms"`
	Removed int64   `json:"removed"`
	Added   int64   `json:"added"`
	RSSKB   int64   `json:"rss_kb"`
}

// smallFilesTable writes rows in files small files with one commit (a
// target size of one byte makes every batch its own file), once.
func smallFilesTable(ctx context.Context, dir string, files int, rows int64) (string, error) {
	path := filepath.Join(dir, fmt.Sprintf("small-%d-%d", files, rows))
	if _, err := os.Stat(filepath.Join(path, ".complete")); err == nil {
		return path, nil
	}
	_ = os.RemoveAll(path)
	fmt.Fprintf(os.Stderr, "generating %d small files (%d rows) in %s …\n", files, rows, path)
	tbl, err := delta.Create(ctx, path, smallSchema, &delta.CreateOptions{Table: &delta.Options{NoSync: true}})
	if err != nil {
		return "", err
	}
	defer tbl.Close()
	per := rows / int64(files)
	var batches []arrow.RecordBatch
	for f := range int64(files) {
		b := array.NewRecordBuilder(memory.DefaultAllocator, smallSchema)
		for i := f * per; i < (f+1)*per; i++ {
			b.Field(0).(*array.Int64Builder).Append(i)
			b.Field(1).(*array.Float64Builder).Append(float64((i*2654435761)%1000003) / 1000003.0)
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("label-%04d", (i*7919)%1000))
			b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + i*1000))
		}
		batches = append(batches, b.NewRecordBatch())
		b.Release()
	}
	rr, err := array.NewRecordReader(smallSchema, batches)
	if err != nil {
		return "", err
	}
	defer rr.Release()
	for _, b := range batches {
		b.Release()
	}
	if _, err := tbl.Append(ctx, rr, &delta.TxnOptions{TargetFileSize: 1}); err != nil {
		return "", err
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return "", err
	}
	st, err := snap.FileStats(ctx)
	if err != nil {
		return "", err
	}
	if st.NumFiles != int64(files) {
		return "", fmt.Errorf("generated %d files, wanted %d", st.NumFiles, files)
	}
	return path, os.WriteFile(filepath.Join(path, ".complete"), nil, 0o644)
}

// runChild is the child side: one operation on table, timed.
func runChild(ctx context.Context, kind, table, out string, target int64) error {
	var m measurement
	start := time.Now()
	switch kind {
	case "compact":
		tbl, err := delta.Open(ctx, table, &delta.Options{NoSync: true})
		if err != nil {
			return err
		}
		res, err := optimize.Compact(ctx, tbl, &optimize.Options{TargetFileSize: target})
		if err != nil {
			return err
		}
		m.Removed, m.Added = res.Metrics.NumFilesRemoved, res.Metrics.NumFilesAdded
		if err := tbl.Close(); err != nil {
			return err
		}
	case "floor":
		var err error
		if m.Removed, m.Added, err = floorCompact(ctx, table, out, target); err != nil {
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

// floorCompact reads every data file of table as plain Parquet and writes
// the rows again into files of target bytes with the same encoder, one
// goroutine per core, each taking a contiguous share of the files.
func floorCompact(ctx context.Context, table, out string, target int64) (removed, added int64, err error) {
	var files []string
	err = filepath.WalkDir(table, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, "_delta_log") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, 0, err
	}
	workers := runtime.GOMAXPROCS(0)
	written := make([]int64, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		share := files[w*len(files)/workers : (w+1)*len(files)/workers]
		wg.Add(1)
		go func() {
			defer wg.Done()
			written[w], errs[w] = floorRewrite(ctx, share, out, w, target)
		}()
	}
	wg.Wait()
	for w := range workers {
		if errs[w] != nil {
			return 0, 0, errs[w]
		}
		added += written[w]
	}
	return int64(len(files)), added, nil
}

func floorRewrite(ctx context.Context, files []string, out string, worker int, target int64) (int64, error) {
	n := 0
	open := func(context.Context) (parquetio.Sink, error) {
		n++
		return os.Create(filepath.Join(out, fmt.Sprintf("part-%d-%d.parquet", worker, n)))
	}
	w, err := parquetio.NewRollingWriter(smallSchema, open, &parquetio.WriteOptions{TargetFileSize: target, RowGroupSize: 128 << 10})
	if err != nil {
		return 0, err
	}
	for _, path := range files {
		if err := copyRows(ctx, path, w); err != nil {
			w.Abort()
			return 0, err
		}
	}
	done, err := w.Close()
	return int64(len(done)), err
}

func copyRows(ctx context.Context, path string, w *parquetio.RollingWriter) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	rr, err := parquetio.NewRecordReader(ctx, sizedFile{f, st.Size()}, &parquetio.ReadOptions{Schema: smallSchema})
	if err != nil {
		return err
	}
	defer rr.Release()
	return w.WriteReader(ctx, rr)
}

// sizedFile is a local file as the Parquet reader wants it.
type sizedFile struct {
	*os.File
	size int64
}

func (f sizedFile) Size() int64 { return f.size }

const deltaRSCompact = `
import json, sys, time
def _hwm():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0

from deltalake import DeltaTable
path, target = sys.argv[1], int(sys.argv[2])
dt = DeltaTable(path)
start = time.perf_counter()
m = dt.optimize.compact(target_size=target)
ms = (time.perf_counter() - start) * 1000
print(json.dumps({"ms": ms, "removed": m["numFilesRemoved"], "added": m["numFilesAdded"], "rss_kb": _hwm()}))
`

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
	src, err := smallFilesTable(ctx, dir, files, rows)
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
				cmd = exec.CommandContext(ctx, python, "-c", deltaRSCompact, work, fmt.Sprint(target))
			}
			m, err := runMeasured(cmd)
			if err != nil {
				return fmt.Errorf("%s: %w", e, err)
			}
			if e != "floor" {
				if err := checkRows(ctx, work, rows); err != nil {
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

// checkRows reads the compacted table with lakehouse and counts its rows.
func checkRows(ctx context.Context, path string, want int64) error {
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"id"}})
	if err != nil {
		return err
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		n += rr.RecordBatch().NumRows()
	}
	if err := rr.Err(); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("the compacted table reads %d rows, wrote %d", n, want)
	}
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
