package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/bench/internal/compactwork"
	"github.com/lakehouse-go/lakehouse/bench/internal/dmlwork"
	"github.com/lakehouse-go/lakehouse/bench/internal/issuedata"
	"github.com/lakehouse-go/lakehouse/bench/internal/snapdata"
	"github.com/lakehouse-go/lakehouse/delta"
)

// childEnv carries a child's spec: the harness re-executes its own binary
// (or the test binary) with it set, so every measurement runs in a fresh
// process whose peak RSS is its own.
const childEnv = "LAKEHOUSE_BENCH_CHILD"

// errChild is a child spec this binary cannot run.
var errChild = errors.New("bench: bad child spec")

// childSpec is one measurement, as JSON in childEnv (Go engines) or in
// peers.py's argv (Python engines).
type childSpec struct {
	Engine      string `json:"engine"`
	Kind        string `json:"kind"`
	Table       string `json:"table"`
	Scratch     string `json:"scratch"` // where an append writes
	Filter      string `json:"filter"`
	Rows        int64  `json:"rows"`
	SnapCommits int    `json:"snap_commits"`
	DML         string `json:"dml,omitempty"`     // the dmlwork workload
	Upserts     int64  `json:"upserts,omitempty"` // MERGE's source rows
	Target      int64  `json:"target,omitempty"`  // compaction's target file size
	CPUProfile  string `json:"cpuprofile,omitempty"`
}

// childMain runs the measurement in childEnv and prints its sample as one
// JSON line.
func childMain(specJSON string) error {
	var spec childSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		return fmt.Errorf("%w: %v", errChild, err)
	}
	ctx := context.Background()
	// An append's input is generated before the profile starts, so that
	// the profile shows the write alone.
	var in input
	switch spec.Kind {
	case kindAppend:
		in.parts = issuedata.Partitions(memory.DefaultAllocator, spec.Rows)
		defer issuedata.Release(in.parts)
	case kindCommit:
		// The commit latency is the append's alone: the table is opened
		// and its snapshot loaded before the clock and the profile.
		tbl, err := delta.Open(ctx, spec.Table, nil)
		if err != nil {
			return err
		}
		defer tbl.Close()
		if _, err := tbl.Snapshot(ctx); err != nil {
			return err
		}
		in.tbl = tbl
	case kindDML:
		in.dml = dmlWorkload(sizes{DMLRows: spec.Rows}, spec.DML)
		if in.dml.Op == "merge" {
			in.src = dmlwork.MergeSource(memory.DefaultAllocator, spec.Rows, spec.Upserts)
			defer in.src.Release()
		}
	}
	if spec.CPUProfile != "" {
		f, err := os.Create(spec.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	d, rows, err := measure(ctx, spec, in)
	if spec.CPUProfile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	out, err := json.Marshal(sample{Ms: float64(d) / float64(time.Millisecond), Rows: rows, PeakRSS: peakRSS()})
	if err != nil {
		return err
	}
	fmt.Println(string(out))
	return nil
}

// measure runs one workload with a Go engine and returns the time of the
// operation alone and the rows it returned or wrote (-1: not counted).
func measure(ctx context.Context, s childSpec, in input) (time.Duration, int64, error) {
	switch {
	case s.Kind == kindAppend && s.Engine == engLakehouse:
		d, err := issuedata.WriteDelta(ctx, s.Scratch, in.parts, nil)
		return d, s.Rows, err
	case s.Kind == kindAppend && s.Engine == engFloor:
		d, err := issuedata.WriteFloor(ctx, s.Scratch, in.parts)
		return d, s.Rows, err
	case s.Kind == kindCompact && s.Engine == engLakehouse:
		start := time.Now()
		removed, _, err := compactwork.Compact(ctx, s.Table, s.Target)
		return time.Since(start), removed, err
	case s.Kind == kindCompact && s.Engine == engFloor:
		start := time.Now()
		removed, _, err := compactwork.FloorCompact(ctx, s.Table, s.Scratch, s.Target)
		return time.Since(start), removed, err
	case s.Kind == kindDML && (s.Engine == engLakehouse || s.Engine == engLakehouseDV):
		return applyDML(ctx, s.Table, in)
	case s.Kind == kindScan && s.Engine == engLakehouse:
		return issuedata.LakehouseScan(ctx, s.Table, s.Filter, delta.ScanOptions{})
	case s.Kind == kindScan && s.Engine == engFloor:
		return issuedata.FloorScan(ctx, s.Table, s.Filter)
	case s.Kind == kindSnapshot && s.Engine == engLakehouse:
		return snapshotLoad(ctx, s.Table)
	case s.Kind == kindSnapshot && s.Engine == engFloor:
		start := time.Now()
		err := snapdata.BaselineReadAdds(ctx, s.Table, s.SnapCommits-1)
		return time.Since(start), -1, err
	case s.Kind == kindCommit && s.Engine == engLakehouse:
		return blindAppend(ctx, in.tbl)
	case s.Kind == kindCDF && s.Engine == engLakehouse:
		return changeFeed(ctx, s.Table)
	}
	return 0, 0, fmt.Errorf("%w: engine %q has no workload kind %q", errChild, s.Engine, s.Kind)
}

// input is what a child builds before its clock and profile start.
type input struct {
	parts [][]arrow.RecordBatch // an append's batches
	dml   dmlwork.Workload
	src   array.RecordReader // MERGE's source
	tbl   *delta.Table       // the commit workload's table, loaded
}

// applyDML opens the table and runs the DML statement on it, timing both,
// and returns the rows it deleted, updated and inserted.
func applyDML(ctx context.Context, path string, in input) (time.Duration, int64, error) {
	start := time.Now()
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tbl.Close()
	counts, _, err := dmlwork.Apply(ctx, tbl, in.dml, in.src)
	if err != nil {
		return 0, 0, err
	}
	return time.Since(start), counts["deleted"] + counts["updated"] + counts["inserted"], nil
}

// snapshotLoad opens the table, loads its latest snapshot and makes one
// pass over its live files — what delta-rs does when it opens a table.
func snapshotLoad(ctx context.Context, path string) (time.Duration, int64, error) {
	start := time.Now()
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return 0, 0, err
	}
	st, err := snap.FileStats(ctx)
	if err != nil {
		return 0, 0, err
	}
	return time.Since(start), st.NumFiles, nil
}

// blindAppend times one append of one row to a table loaded beforehand.
func blindAppend(ctx context.Context, tbl *delta.Table) (time.Duration, int64, error) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	b.Field(0).(*array.Int64Builder).Append(1)
	rec := b.NewRecordBatch()
	b.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	rec.Release()
	if err != nil {
		return 0, 0, err
	}
	defer rr.Release()
	start := time.Now()
	res, err := tbl.Append(ctx, rr, nil)
	d := time.Since(start)
	if err != nil {
		return 0, 0, err
	}
	if res.CheckpointErr != nil {
		return 0, 0, res.CheckpointErr
	}
	return d, 1, nil
}

// changeFeed reads the table's change data feed from version 0.
func changeFeed(ctx context.Context, path string) (time.Duration, int64, error) {
	start := time.Now()
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return 0, 0, err
	}
	defer tbl.Close()
	rr, err := tbl.Changes(ctx, 0, nil)
	if err != nil {
		return 0, 0, err
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		n += rr.RecordBatch().NumRows()
	}
	return time.Since(start), n, rr.Err()
}

// peakRSS is this process's peak resident set (VmHWM), in bytes. wait4's
// ru_maxrss would not do: Linux carries the parent's high-water mark into
// a forked child until exec replaces its image.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
			n, _ := strconv.ParseInt(f[1], 10, 64)
			return n * 1024
		}
	}
	return 0
}
