//go:build interop

package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// lhMaint is a maintenance command lakehouse runs on a table it wrote:
// `lakehouse restore` or `lakehouse vacuum`. What the table must hold
// afterwards comes from the suite's own records: a restore's rows are the
// rows recorded for the version it returns to, a vacuum's are the rows
// before it; which files a vacuum must have deleted comes from the log,
// replayed by the suite (logfiles.go).
type lhMaint struct {
	cmd string // restore or vacuum
	// restore: the version to return to, named by number or, with
	// byTimestamp, by a time between its commit and the next one.
	version     int64
	byTimestamp bool
	// vacuum: always --retain 0h --force; lite adds --lite. Before it
	// runs, a data file no commit names is planted (modified an hour
	// ago): a full vacuum must delete it, a lite one must leave it.
	lite bool
}

// lhBuilt holds the tables lakehouse wrote in this run, by scenario, so a
// clone scenario finds its source's recorded versions.
var lhBuilt sync.Map

// lhClone makes a scenario's table a clone of another lakehouse table
// (`lakehouse clone [--shallow] [--version N] SRC DST`) instead of
// creating it.
type lhClone struct {
	source  string // scenario of the source table, written earlier in the run
	version int64  // -1: the latest
	shallow bool
}

// lhMaintScenarios are the tables lakehouse restores, clones and vacuums.
func lhMaintScenarios() []lhScenario {
	dv, noDV := "delta.enableDeletionVectors=true", "delta.enableDeletionVectors=false"
	return []lhScenario{
		{name: "lh_restore_dv", covers: "RESTORE --version to before a DELETE (files re-added without vectors), UPDATE, RESTORE --timestamp to the DELETE (files re-added with file and inline vectors), deletion vectors on",
			create: []string{dv}, steps: restoreSteps(true)},
		{name: "lh_restore_cow", covers: "RESTORE --version to before a DELETE, UPDATE, RESTORE --timestamp, copy-on-write",
			create: []string{noDV}, steps: restoreSteps(false)},
		{name: "lh_clone_shallow", covers: "shallow CLONE of lh_restore_dv (file and inline vectors, absolute paths into the source), then append and DELETE on the clone",
			clone: &lhClone{source: "lh_restore_dv", version: -1, shallow: true}, steps: []lhStep{
				{mode: "append", dataset: "simple", start: 2000, n: 5},
				{dml: &lhDML{cmd: "delete", args: []string{"--where", "id < 6"}, apply: func(rows, _ []Row) ([]Row, []Change, error) {
					out, ch := ExpectDelete(rows, func(r Row) bool { return intIs(r, "id", func(id int64) bool { return id < 6 }) })
					return out, ch, nil
				}}},
			}},
		{name: "lh_clone_shallow_v3", covers: "shallow CLONE --version 3 of lh_restore_dv (the version with a file deletion vector)",
			clone: &lhClone{source: "lh_restore_dv", version: 3, shallow: true}},
		{name: "lh_clone_deep", covers: "deep CLONE of lh_restore_dv (data and deletion-vector files copied), then append",
			clone: &lhClone{source: "lh_restore_dv", version: -1}, steps: []lhStep{
				{mode: "append", dataset: "simple", start: 2000, n: 5},
			}},
		{name: "lh_clone_deep_v4", covers: "deep CLONE --version 4 of lh_restore_dv (file and inline vectors)",
			clone: &lhClone{source: "lh_restore_dv", version: 4}},
		{name: "lh_vacuum_dv", covers: "VACUUM --retain 0h --force, then --lite, after DELETEs replacing file deletion vectors and UPDATE; files checked against the log",
			create: []string{dv}, steps: vacuumSteps()},
		{name: "lh_vacuum_partitioned_cow", covers: "VACUUM --lite, then full, on a table partitioned by int (NULL partition) after DELETE of a partition, UPDATE, DELETE, copy-on-write; files checked against the log",
			create: []string{noDV}, schema: partitionedSchemaJSON, partitionBy: []string{"p_int"}, steps: vacuumPartitionedSteps()},
	}
}

func deleteWhere(where string, dv string, pred func(Row) bool) *lhDML {
	return &lhDML{cmd: "delete", args: []string{"--where", where}, dv: dv, apply: func(rows, _ []Row) ([]Row, []Change, error) {
		out, ch := ExpectDelete(rows, pred)
		return out, ch, nil
	}}
}

func idIs(f func(int64) bool) func(Row) bool {
	return func(r Row) bool { return intIs(r, "id", f) }
}

// restoreSteps: versions 1 and 2 append, 3 deletes twenty rows of the
// first file (a file vector), 4 one row of the second (inline), 5 restores
// version 2, 6 updates, 7 restores version 4 by timestamp (the files come
// back with their vectors), 8 appends.
func restoreSteps(dv bool) []lhStep {
	fileDV, inlineDV, _ := dvKinds(dv)
	return []lhStep{
		{mode: "append", dataset: "simple", start: 0, n: 40},
		{mode: "append", dataset: "simple", start: 40, n: 20},
		{dml: deleteWhere("id % 2 = 0 AND id < 40", fileDV, idIs(func(id int64) bool { return id%2 == 0 && id < 40 }))},
		{dml: deleteWhere("id = 45", inlineDV, idIs(func(id int64) bool { return id == 45 }))},
		{maint: &lhMaint{cmd: "restore", version: 2}},
		{dml: &lhDML{cmd: "update", args: []string{"--set", "name = concat(name, '-u')", "--where", "y > 40"},
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectUpdate(rows, func(r Row) bool { return intIs(r, "y", func(y int64) bool { return y > 40 }) }, func(r Row) Row {
					name, _ := r.Str("name")
					return r.With("name", name+"-u")
				})
				return out, ch, nil
			}}},
		{maint: &lhMaint{cmd: "restore", version: 4, byTimestamp: true}},
		{mode: "append", dataset: "simple", start: 1000, n: 5},
	}
}

// vacuumSteps: a deletion vector replaced (3 then 4: the first vector's
// file is removed), an UPDATE, a full vacuum (versions needing the
// replaced vector become unreadable), a DELETE replacing the second
// file's vector, an append, a lite vacuum, an append.
func vacuumSteps() []lhStep {
	return []lhStep{
		{mode: "append", dataset: "simple", start: 0, n: 40},
		{mode: "append", dataset: "simple", start: 40, n: 20},
		{dml: deleteWhere("id % 2 = 0 AND id < 40", "file", idIs(func(id int64) bool { return id%2 == 0 && id < 40 }))},
		{dml: deleteWhere("id % 3 = 0 AND id < 40", "file", idIs(func(id int64) bool { return id%3 == 0 && id < 40 }))},
		{dml: &lhDML{cmd: "update", args: []string{"--set", "amount = amount * 2", "--where", "y > 40"}, dv: "any",
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectUpdate(rows, func(r Row) bool { return intIs(r, "y", func(y int64) bool { return y > 40 }) }, func(r Row) Row {
					amount, _ := r.Float("amount")
					return r.With("amount", amount*2)
				})
				return out, ch, nil
			}}},
		{maint: &lhMaint{cmd: "vacuum"}},
		{dml: deleteWhere("id >= 50 AND id < 56", "any", idIs(func(id int64) bool { return id >= 50 && id < 56 }))},
		{mode: "append", dataset: "simple", start: 1000, n: 5},
		{maint: &lhMaint{cmd: "vacuum", lite: true}},
		{mode: "append", dataset: "simple", start: 2000, n: 3},
	}
}

// vacuumPartitionedSteps: a lite vacuum first (it must leave the planted
// file), then a full one (which must take it).
func vacuumPartitionedSteps() []lhStep {
	return []lhStep{
		{mode: "append", dataset: "partitioned", start: 0, n: 40},
		{mode: "append", dataset: "partitioned", start: 40, n: 20},
		{dml: deleteWhere("p_int = 1", "none", func(r Row) bool { return intIs(r, "p_int", func(p int64) bool { return p == 1 }) })},
		{dml: &lhDML{cmd: "update", args: []string{"--set", "v = concat(v, '-u')", "--where", "id % 5 = 0"}, dv: "none",
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectUpdate(rows, idIs(func(id int64) bool { return id%5 == 0 }), func(r Row) Row {
					v, _ := r.Str("v")
					return r.With("v", v+"-u")
				})
				return out, ch, nil
			}}},
		{maint: &lhMaint{cmd: "vacuum", lite: true}},
		{dml: deleteWhere("id % 4 = 0", "none", idIs(func(id int64) bool { return id%4 == 0 }))},
		{maint: &lhMaint{cmd: "vacuum"}},
		{mode: "append", dataset: "partitioned", start: 100, n: 10},
	}
}

// recordedRows are the rows recorded for one version of a table.
func recordedRows(tbl *builtTable, version int64) ([]string, error) {
	for _, v := range tbl.Versions {
		if v.Version == version {
			if v.Error != "" {
				return nil, fmt.Errorf("interop: version %d of %s is recorded unreadable (%s)", version, tbl.Path, v.Error)
			}
			return v.Rows, nil
		}
	}
	return nil, fmt.Errorf("interop: version %d of %s was not recorded", version, tbl.Path)
}

// runMaint runs one maintenance step and returns the rows after it.
func (s *suite) runMaint(ctx context.Context, path string, m *lhMaint, tbl *builtTable, state []string) ([]string, error) {
	switch m.cmd {
	case "restore":
		rows, err := recordedRows(tbl, m.version)
		if err != nil {
			return nil, err
		}
		args := []string{"restore", "--version", strconv.FormatInt(m.version, 10)}
		if m.byTimestamp {
			ts, err := timestampBetween(path, m.version)
			if err != nil {
				return nil, err
			}
			args = []string{"restore", "--timestamp", ts}
		}
		if _, err := s.cli.Run(ctx, nil, append(args, path)...); err != nil {
			return nil, err
		}
		return rows, nil
	case "vacuum":
		return state, s.runVacuum(ctx, path, m, tbl, state)
	}
	return nil, fmt.Errorf("interop: unknown maintenance step %q", m.cmd)
}

// maintOperation is the history operation of the version a step leaves
// last.
func maintOperation(m *lhMaint) string {
	if m.cmd == "vacuum" {
		return "VACUUM END"
	}
	return strings.ToUpper(m.cmd)
}

// timestampBetween is a time (RFC 3339) after version v's commit and
// before v+1's, by every clock an engine may date a commit with (the
// commitInfo timestamp, an in-commit timestamp, the file's modification
// time), so restoring "as of" it must land on v.
func timestampBetween(path string, v int64) (string, error) {
	times := func(v int64) ([]int64, error) {
		file := filepath.Join(path, "_delta_log", fmt.Sprintf("%020d.json", v))
		st, err := os.Stat(file)
		if err != nil {
			return nil, err
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		out := []int64{st.ModTime().UnixMilli()}
		for _, line := range strings.Split(string(b), "\n") {
			var a struct {
				CommitInfo *struct {
					Timestamp         *int64 `json:"timestamp"`
					InCommitTimestamp *int64 `json:"inCommitTimestamp"`
				} `json:"commitInfo"`
			}
			if json.Unmarshal([]byte(line), &a) != nil || a.CommitInfo == nil {
				continue
			}
			for _, t := range []*int64{a.CommitInfo.Timestamp, a.CommitInfo.InCommitTimestamp} {
				if t != nil {
					out = append(out, *t)
				}
			}
		}
		return out, nil
	}
	lo, err := times(v)
	if err != nil {
		return "", err
	}
	hi, err := times(v + 1)
	if err != nil {
		return "", err
	}
	from, to := slices.Max(lo), slices.Min(hi)
	if to-from < 2 {
		return "", fmt.Errorf("interop: %s: versions %d and %d are too close in time to restore between them (%d, %d ms)", path, v, v+1, from, to)
	}
	return time.UnixMilli(from + (to-from)/2).UTC().Format("2006-01-02T15:04:05.000Z07:00"), nil
}

// runVacuum plants a file no commit names, runs `lakehouse vacuum
// --retain 0h --force [--lite]`, records the VACUUM START version (the
// caller records VACUUM END) and checks the files against the log: every
// file the latest version needs is there; every file a commit named that
// the latest version does not need is gone; the planted file is gone
// after a full vacuum and still there after a lite one; nothing else is
// left. Versions recorded before the vacuum that needed a deleted file are
// marked unreadable: every reader must refuse them.
func (s *suite) runVacuum(ctx context.Context, path string, m *lhMaint, tbl *builtTable, state []string) error {
	orphan := filepath.Join(path, fmt.Sprintf("part-00000-%s-orphan-%d.snappy.parquet", strings.ReplaceAll(filepath.Base(path), "_", "-"), len(tbl.Versions)))
	if err := os.WriteFile(orphan, []byte("PAR1 written by no commit"), 0o644); err != nil {
		return err
	}
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(orphan, hourAgo, hourAgo); err != nil {
		return err
	}
	args := []string{"vacuum", "--retain", "0h", "--force"}
	if m.lite {
		args = append(args, "--lite")
	}
	if _, err := s.cli.Run(ctx, nil, append(args, path)...); err != nil {
		return err
	}
	cmd := "`lakehouse " + strings.Join(args, " ") + "`"
	log, err := ReplayLog(path)
	if err != nil {
		return err
	}
	n := len(log)
	if n < 2 || log[n-2].Operation != "VACUUM START" || log[n-1].Operation != "VACUUM END" {
		return fmt.Errorf("interop: %s: after %s the last two commits are not VACUUM START and VACUUM END", s.rel(path), cmd)
	}
	latest := log[n-1]
	need, err := Files(path, latest.LiveFiles())
	if err != nil {
		return err
	}
	named := map[string]bool{}
	for _, v := range log {
		for _, set := range [][]LogFile{v.LiveFiles(), v.Removed} {
			files, err := Files(path, set)
			if err != nil {
				return err
			}
			for _, f := range files {
				named[f] = true
			}
		}
	}
	listed, err := ListDataFiles(path)
	if err != nil {
		return err
	}
	var problems []string
	for _, f := range need {
		if !exists(f) {
			problems = append(problems, "deleted "+s.rel(f)+", which version "+strconv.FormatInt(latest.Version, 10)+" needs")
		}
	}
	for _, f := range listed {
		switch {
		case slices.Contains(need, f):
		case named[f]:
			problems = append(problems, "left "+s.rel(f)+", which a commit removed and the latest version does not need")
		case m.lite: // never committed: a lite vacuum does not see it
		default:
			problems = append(problems, "left "+s.rel(f)+", which no commit names")
		}
	}
	if m.lite && !exists(orphan) {
		problems = append(problems, "deleted "+s.rel(orphan)+", which no commit names (a lite vacuum reads only the log)")
	}
	if len(problems) > 0 {
		return fmt.Errorf("interop: %s: %s %s", s.rel(path), cmd, strings.Join(problems, "; "))
	}
	for i := range tbl.Versions {
		bv := &tbl.Versions[i]
		if bv.Error != "" {
			continue
		}
		files, err := Files(path, log[bv.Version].LiveFiles())
		if err != nil {
			return err
		}
		for _, f := range files {
			if !exists(f) {
				bv.Error = "needs " + s.rel(f) + ", deleted by " + cmd
				break
			}
		}
	}
	tbl.Versions = append(tbl.Versions, builtVersion{Version: log[n-2].Version, Operation: "VACUUM START", Rows: state})
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// cloneWithLakehouse makes the scenario's table a clone of its source's
// recorded version and returns the rows it must hold: that version's.
// The clone's log is checked: one CLONE commit with as many files as the
// source version has live, named by absolute path into the source
// (shallow; file vectors by absolute path too) or copied under the clone
// (deep), every one of them present.
func (s *suite) cloneWithLakehouse(ctx context.Context, path string, c *lhClone, tbl *builtTable) ([]string, error) {
	v, ok := lhBuilt.Load(c.source)
	if !ok {
		return nil, fmt.Errorf("interop: clone source %s was not written in this run (run its scenario first)", c.source)
	}
	src := v.(*builtTable)
	version := c.version
	if version < 0 {
		version = src.Versions[len(src.Versions)-1].Version
	}
	rows, err := recordedRows(src, version)
	if err != nil {
		return nil, err
	}
	args := []string{"clone"}
	if c.shallow {
		args = append(args, "--shallow")
	}
	if c.version >= 0 {
		args = append(args, "--version", strconv.FormatInt(c.version, 10))
	}
	if _, err := s.cli.Run(ctx, nil, append(args, src.Path, path)...); err != nil {
		return nil, err
	}
	if err := s.recordVersion(ctx, tbl, rows); err != nil {
		return nil, err
	}
	tbl.Versions[len(tbl.Versions)-1].Operation = "CLONE"
	srcLog, err := ReplayLog(src.Path)
	if err != nil {
		return nil, err
	}
	log, err := ReplayLog(path)
	if err != nil {
		return nil, err
	}
	if len(log) != 1 || log[0].Operation != "CLONE" {
		return nil, fmt.Errorf("interop: %s: the clone's log is not one CLONE commit", s.rel(path))
	}
	want, got := len(srcLog[version].Live), len(log[0].Live)
	if want != got {
		return nil, fmt.Errorf("interop: %s: clone of version %d of %s has %d files, the source version %d", s.rel(path), version, s.rel(src.Path), got, want)
	}
	srcRoot, _ := filepath.Abs(src.Path)
	for _, f := range log[0].Live {
		switch {
		case c.shallow && !IsAbsolutePath(f.Path):
			return nil, fmt.Errorf("interop: %s: shallow clone names %s relatively", s.rel(path), f.Path)
		case c.shallow && f.DV != nil && f.DV.StorageType == "u":
			return nil, fmt.Errorf("interop: %s: shallow clone names the deletion vector of %s relatively", s.rel(path), f.Path)
		case !c.shallow && IsAbsolutePath(f.Path):
			return nil, fmt.Errorf("interop: %s: deep clone names %s absolutely", s.rel(path), f.Path)
		}
		files, err := Files(path, []LogFile{f})
		if err != nil {
			return nil, err
		}
		for _, p := range files {
			if under := strings.HasPrefix(p, srcRoot+string(filepath.Separator)); under != c.shallow {
				return nil, fmt.Errorf("interop: %s: clone file %s is not where a %s clone keeps it", s.rel(path), p, map[bool]string{true: "shallow", false: "deep"}[c.shallow])
			}
			if !exists(p) {
				return nil, fmt.Errorf("interop: %s: clone file %s does not exist", s.rel(path), p)
			}
		}
	}
	return rows, nil
}

// historyOps is one engine's history of a table: operation by version.
func (s *suite) historyOps(ctx context.Context, rd string, p *Peer, path string) (map[int64]string, error) {
	out := map[int64]string{}
	if rd == Lakehouse {
		b, err := s.cli.Run(ctx, nil, "history", "--format", "jsonl", path)
		if err != nil {
			return nil, err
		}
		for _, l := range splitLines(b) {
			var h struct {
				Version   int64   `json:"version"`
				Operation *string `json:"operation"`
			}
			if err := json.Unmarshal([]byte(l), &h); err != nil {
				return nil, fmt.Errorf("interop: lakehouse history line %q: %w", truncate(l, 200), err)
			}
			if h.Operation != nil {
				out[h.Version] = *h.Operation
			}
		}
		return out, nil
	}
	var hist []struct {
		Version   int64  `json:"version"`
		Operation string `json:"operation"`
	}
	if err := p.Call(ctx, "history", map[string]any{"path": path}, &hist); err != nil {
		return nil, err
	}
	for _, h := range hist {
		out[h.Version] = h.Operation
	}
	return out, nil
}

// compareOperations checks that a reader's history names the operation
// recorded for every version that has one (for a lakehouse table, the
// maintenance commits; for a peer's, every commit): one comparison, or
// none when no version has an operation recorded.
func (s *suite) compareOperations(ctx context.Context, rd string, p *Peer, tbl *builtTable) (int, []string) {
	var want []builtVersion
	for _, v := range tbl.Versions {
		if v.Operation != "" {
			want = append(want, v)
		}
	}
	if len(want) == 0 {
		return 0, nil
	}
	got, err := s.historyOps(ctx, rd, p, tbl.Path)
	if err != nil {
		return 1, []string{fmt.Sprintf("table %s: %s history failed: %v", s.rel(tbl.Path), rd, err)}
	}
	var fails []string
	for _, v := range want {
		if got[v.Version] != v.Operation {
			fails = append(fails, fmt.Sprintf("version %d is %q, %s's history says %q", v.Version, v.Operation, rd, got[v.Version]))
		}
	}
	if len(fails) > 0 {
		return 1, []string{fmt.Sprintf("table %s, history: %s", s.rel(tbl.Path), strings.Join(fails, "; "))}
	}
	return 1, nil
}
