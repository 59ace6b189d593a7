package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lakehouse-go/lakehouse/bench/internal/compactwork"
	"github.com/lakehouse-go/lakehouse/bench/internal/dmlwork"
	"github.com/lakehouse-go/lakehouse/bench/internal/issuedata"
	"github.com/lakehouse-go/lakehouse/bench/internal/snapdata"
)

// tables are the generated tables of a run, cached under the run's dir.
type tables struct {
	Issue, CDF, Snap string
	DMLCow, DMLDV    string // the DML table without and with deletion vectors
	Small            string // the compaction table
}

// ensureTables generates the tables the chosen workloads need, unless the
// cache already holds them at these sizes.
func ensureTables(ctx context.Context, dir string, s sizes, ws []workload) (tables, error) {
	var t tables
	need := map[string]bool{}
	for _, w := range ws {
		need[w.Kind] = true
	}
	var err error
	if need[kindScan] {
		if t.Issue, err = issuedata.EnsureTable(ctx, filepath.Join(dir, fmt.Sprintf("issue-%d", s.Rows)), s.Rows); err != nil {
			return t, err
		}
	}
	if need[kindCDF] {
		if t.CDF, err = issuedata.EnsureChangeTable(ctx, filepath.Join(dir, fmt.Sprintf("cdf-%d", s.CDFRows)), s.CDFRows); err != nil {
			return t, err
		}
	}
	if need[kindDML] {
		if t.DMLCow, t.DMLDV, err = dmlwork.EnsureTables(ctx, filepath.Join(dir, fmt.Sprintf("dml-%d", s.DMLRows)), s.DMLRows); err != nil {
			return t, err
		}
	}
	if need[kindCompact] {
		if t.Small, err = compactwork.SmallFilesTable(ctx, dir, s.SmallFiles, s.SmallRows); err != nil {
			return t, err
		}
	}
	if need[kindSnapshot] || need[kindCommit] {
		t.Snap = filepath.Join(dir, fmt.Sprintf("snapshot-%d-%d", s.SnapCommits, s.SnapFiles))
		if err := snapdata.EnsureTable(ctx, t.Snap, s.SnapCommits, s.SnapFiles); err != nil {
			return t, err
		}
		// A commit workload interrupted before its cleanup leaves commits
		// behind; drop them so the table is the generated one.
		if err := trimLog(t.Snap, int64(s.SnapCommits)+9, snapHint(s)); err != nil {
			return t, err
		}
	}
	return t, nil
}

// hooks are what a workload does around its runs.
type hooks struct {
	prepare       func(engine string, spec *childSpec) error // before each run: a DML or compaction gets a fresh copy
	afterRun      func() error                               // after each run: the commit workload drops its commit
	afterWorkload func() error                               // after the last run
}

// setup is the child spec of a workload's runs and its hooks.
func setup(cfg config, s sizes, t tables, w workload) (childSpec, hooks, error) {
	spec := childSpec{Kind: w.Kind, Filter: w.Filter, Rows: s.Rows, SnapCommits: s.SnapCommits,
		Scratch: filepath.Join(cfg.Dir, "scratch")}
	switch w.Kind {
	case kindScan:
		spec.Table = t.Issue
	case kindSnapshot, kindCommit:
		spec.Table = t.Snap
	case kindCDF:
		spec.Table = t.CDF
	}
	nothing := func() error { return nil }
	h := hooks{prepare: func(string, *childSpec) error { return nil }, afterRun: nothing, afterWorkload: nothing}
	if w.Kind == kindDML {
		spec.Rows, spec.DML, spec.Upserts = s.DMLRows, w.DML, s.DMLRows/100
		spec.Table = filepath.Join(cfg.Dir, "dml-run")
		h.prepare = func(e string, spec *childSpec) error {
			src := t.DMLCow
			if e == engLakehouseDV {
				src = t.DMLDV
			}
			if err := os.RemoveAll(spec.Table); err != nil {
				return err
			}
			return dmlwork.CopyTree(src, spec.Table)
		}
		h.afterWorkload = func() error { return os.RemoveAll(spec.Table) }
	}
	if w.Kind == kindCompact {
		spec.Rows, spec.Target = s.SmallRows, compactTarget
		spec.Table = filepath.Join(cfg.Dir, "compact-run")
		h.prepare = func(_ string, spec *childSpec) error {
			if err := os.RemoveAll(spec.Table); err != nil {
				return err
			}
			return dmlwork.CopyTree(t.Small, spec.Table)
		}
		h.afterWorkload = func() error { return os.RemoveAll(spec.Table) }
	}
	if w.Kind == kindCommit {
		var err error
		if h.afterRun, h.afterWorkload, err = prepareCommits(t.Snap, s); err != nil {
			return spec, h, err
		}
	}
	return spec, h, nil
}

// prepareCommits readies the snapshot table for the commit workload and
// returns the cleanup to run after each measurement and the one to run
// after the workload. The commits measured must not land on a checkpoint
// version (lakehouse checkpoints every 10 versions by default, delta-rs
// every 100), or the latency measured would be a 1M-file checkpoint's:
// commitInfo-only commits pad the log until the next version is not a
// multiple of 10.
func prepareCommits(table string, s sizes) (afterRun, afterWorkload func() error, err error) {
	hint := snapHint(s)
	latest := int64(s.SnapCommits) + 9
	padded := latest
	for (padded+1)%10 == 0 {
		padded++
		line := fmt.Sprintf(`{"commitInfo":{"timestamp":%d,"operation":"WRITE"}}`+"\n", 1_700_000_000_000+padded)
		if err := os.WriteFile(filepath.Join(table, "_delta_log", fmt.Sprintf("%020d.json", padded)), []byte(line), 0o644); err != nil {
			return nil, nil, err
		}
	}
	afterRun = func() error { return trimLog(table, padded, hint) }
	afterWorkload = func() error { return trimLog(table, latest, hint) }
	return afterRun, afterWorkload, nil
}

// snapHint is the _last_checkpoint snapdata.EnsureTable writes.
func snapHint(s sizes) []byte {
	return fmt.Appendf(nil, `{"version":%d,"size":%d}`, s.SnapCommits-1, s.SnapFiles+2)
}

// trimLog returns a generated snapshot table to version latest: it removes
// later commits, any checkpoint or other file written into _delta_log
// after generation, anything beside _delta_log (the data files appended),
// and restores the _last_checkpoint hint.
func trimLog(table string, latest int64, hint []byte) error {
	top, err := os.ReadDir(table)
	if err != nil {
		return err
	}
	for _, e := range top {
		if e.Name() == "_delta_log" || strings.HasPrefix(e.Name(), ".complete") {
			continue
		}
		if err := os.RemoveAll(filepath.Join(table, e.Name())); err != nil {
			return err
		}
	}
	logDir := filepath.Join(table, "_delta_log")
	entries, err := os.ReadDir(logDir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if name == "_last_checkpoint" {
			continue
		}
		v, err := strconv.ParseInt(strings.SplitN(name, ".", 2)[0], 10, 64)
		keep := err == nil && len(name) > 20 && v <= latest &&
			(strings.HasSuffix(name, ".json") || (v == checkpointOf(entries) && strings.HasSuffix(name, ".checkpoint.parquet")))
		if !keep {
			if err := os.RemoveAll(filepath.Join(logDir, name)); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(logDir, "_last_checkpoint"), hint, 0o644)
}

// checkpointOf is the version of the oldest checkpoint in a listing: the
// generated one (trimLog runs before any later checkpoint could be kept).
func checkpointOf(entries []os.DirEntry) int64 {
	var vs []int64
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".checkpoint.parquet") {
			if v, err := strconv.ParseInt(strings.SplitN(e.Name(), ".", 2)[0], 10, 64); err == nil {
				vs = append(vs, v)
			}
		}
	}
	if len(vs) == 0 {
		return -1
	}
	return slices.Min(vs)
}
