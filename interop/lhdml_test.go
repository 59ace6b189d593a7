//go:build interop

package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// lhDML is a row-level operation lakehouse runs through its CLI
// (`lakehouse delete|update|merge … TABLE`), with the same operation
// written in Go over the expected rows (dmlmodel.go), so what the peers
// must read never comes from lakehouse's own reader.
type lhDML struct {
	cmd  string   // delete, update, merge or purge
	args []string // flags; a merge gets --source <exported step slice> appended
	// apply is the operation on the rows before it (and, for a merge, the
	// source rows): the rows after it and the changes it made.
	apply func(rows, source []Row) ([]Row, []Change, error)
	// dv is what the commit must hold: "file" (a deletion vector in a
	// file), "inline", "any" (either), "none" (no deletion vector: a
	// copy-on-write table) or "" (not checked).
	dv string
}

// runDML runs one DML step and returns the rows after it and its changes.
func (s *suite) runDML(ctx context.Context, dp *Peer, path string, st lhStep, state []string) ([]string, []Change, error) {
	args := append([]string{st.dml.cmd}, st.dml.args...)
	var source []Row
	if st.dml.cmd == "merge" {
		ex, err := s.export(ctx, dp, st.dataset, st.start, st.n, st.tag)
		if err != nil {
			return nil, nil, fmt.Errorf("exporting the merge source: %w", err)
		}
		if source, err = DecodeRows(ex.rows); err != nil {
			return nil, nil, err
		}
		args = append(args, "--source", ex.path)
	}
	if _, err := s.cli.Run(ctx, nil, append(args, path)...); err != nil {
		return nil, nil, err
	}
	before, err := DecodeRows(state)
	if err != nil {
		return nil, nil, err
	}
	after, changes, err := st.dml.apply(before, source)
	if err != nil {
		return nil, nil, fmt.Errorf("model of %s: %w", st.dml.cmd, err)
	}
	rows, err := EncodeRows(after)
	return rows, changes, err
}

// checkDeletionVectors checks the deletion vectors of the add actions in
// one commit against want (see lhDML.dv).
func checkDeletionVectors(path string, version int64, want string) error {
	if want == "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(path, "_delta_log", fmt.Sprintf("%020d.json", version)))
	if err != nil {
		return err
	}
	kinds := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var a struct {
			Add *struct {
				DeletionVector *struct {
					StorageType string `json:"storageType"`
				} `json:"deletionVector"`
			} `json:"add"`
		}
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return fmt.Errorf("interop: commit %d of %s: %w", version, path, err)
		}
		if a.Add != nil && a.Add.DeletionVector != nil {
			kinds[map[string]string{"u": "file", "p": "file", "i": "inline"}[a.Add.DeletionVector.StorageType]]++
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	ok := false
	switch want {
	case "none":
		ok = len(kinds) == 0
	case "any":
		ok = len(kinds) > 0
	default:
		ok = kinds[want] > 0
	}
	if !ok {
		return fmt.Errorf("interop: commit %d of %s: want deletion vectors %q, the commit's adds have %v", version, path, want, kinds)
	}
	return nil
}

// partitionedSchemaJSON is the Delta schema of the "partitioned" dataset.
const partitionedSchemaJSON = `{"type":"struct","fields":[` +
	`{"name":"id","type":"long","nullable":true,"metadata":{}},` +
	`{"name":"v","type":"string","nullable":true,"metadata":{}},` +
	`{"name":"p_str","type":"string","nullable":true,"metadata":{}},` +
	`{"name":"p_int","type":"integer","nullable":true,"metadata":{}},` +
	`{"name":"p_date","type":"date","nullable":true,"metadata":{}},` +
	`{"name":"p_bool","type":"boolean","nullable":true,"metadata":{}}]}`

// lhDMLScenarios are the tables lakehouse runs DELETE, UPDATE and MERGE on:
// deletion vectors on and off, change data feed on and off, partitioned
// and not.
func lhDMLScenarios() []lhScenario {
	dv, noDV := "delta.enableDeletionVectors=true", "delta.enableDeletionVectors=false"
	cdf := "delta.enableChangeDataFeed=true"
	return []lhScenario{
		{name: "lh_dml_dv", covers: "DELETE (file and inline deletion vectors), UPDATE, MERGE with deletion vectors on",
			create: []string{dv}, steps: simpleDMLSteps(true)},
		{name: "lh_dml_cow", covers: "DELETE, UPDATE, MERGE with deletion vectors off (copy-on-write)",
			create: []string{noDV}, steps: simpleDMLSteps(false)},
		{name: "lh_dml_cdf_dv", covers: "change data feed through DELETE, UPDATE, MERGE with deletion vectors on", cdf: true,
			create: []string{dv, cdf}, steps: simpleDMLSteps(true)},
		{name: "lh_dml_cdf_cow", covers: "change data feed through DELETE, UPDATE, MERGE, copy-on-write", cdf: true,
			create: []string{noDV, cdf}, steps: simpleDMLSteps(false)},
		{name: "lh_dml_cow_row_groups", covers: "copy-on-write DELETE and UPDATE on files of many row groups: row groups without a matching row copied as they are, UPDATE's SET columns encoded alone",
			create: []string{noDV}, steps: rowGroupDMLSteps()},
		{name: "lh_dml_cdf_cow_row_groups", covers: "copy-on-write DELETE and UPDATE on files of many row groups with the change data feed: untouched row groups copied, updated rows rewritten whole", cdf: true,
			create: []string{noDV, cdf}, steps: rowGroupDMLSteps()},
		{name: "lh_dml_partitioned_dv_cdf", covers: "partitioned by int and date: DELETE of whole partitions and of rows, UPDATE, MERGE with deletion vectors and change data feed", cdf: true,
			create: []string{dv, cdf}, schema: partitionedSchemaJSON, partitionBy: []string{"p_int", "p_date"}, steps: partitionedDMLSteps(true)},
		{name: "lh_dml_partitioned_cow_cdf", covers: "partitioned by int and bool: DELETE of whole partitions, UPDATE and MERGE moving rows between partitions, copy-on-write, change data feed", cdf: true,
			create: []string{noDV, cdf}, schema: partitionedSchemaJSON, partitionBy: []string{"p_int", "p_bool"}, steps: partitionedDMLSteps(false)},
		{name: "lh_dml_partitioned_special_cdf", covers: "partitioned by strings with special characters (escaped in paths): DELETE, UPDATE, MERGE with deletion vectors and change data feed", cdf: true,
			create: []string{dv, cdf}, schema: partitionedSchemaJSON, partitionBy: []string{"p_str"}, steps: partitionedDMLSteps(true)},
		{name: "lh_purge_cdf", covers: "REORG … APPLY (PURGE) after DELETEs with file and inline deletion vectors: files rewritten without their deleted rows and vectors, invisible to the change feed; then a DELETE on a purged file and a second purge", cdf: true,
			create: []string{dv, cdf}, steps: purgeSteps()},
	}
}

// purgeSteps deletes rows of two files (a file and an inline vector),
// purges them, deletes a row of a purged file and purges again. A purge
// changes no row: the model keeps the rows and records no change.
func purgeSteps() []lhStep {
	purge := &lhDML{cmd: "purge", dv: "none", apply: func(rows, _ []Row) ([]Row, []Change, error) { return rows, nil, nil }}
	deleteIDs := func(where string, dv string, pred func(int64) bool) *lhDML {
		return &lhDML{cmd: "delete", args: []string{"--where", where}, dv: dv, apply: func(rows, _ []Row) ([]Row, []Change, error) {
			out, ch := ExpectDelete(rows, func(r Row) bool { return intIs(r, "id", pred) })
			return out, ch, nil
		}}
	}
	return []lhStep{
		{mode: "append", dataset: "simple", start: 0, n: 40},
		{mode: "append", dataset: "simple", start: 40, n: 20},
		{dml: deleteIDs("id % 2 = 0 AND id < 40", "file", func(id int64) bool { return id%2 == 0 && id < 40 })},
		{dml: deleteIDs("id = 45", "inline", func(id int64) bool { return id == 45 })},
		{dml: purge},
		{dml: deleteIDs("id = 7", "inline", func(id int64) bool { return id == 7 })},
		{dml: purge},
		{mode: "append", dataset: "simple", start: 60, n: 5},
	}
}

// dvKinds are the deletion vectors steps expect: file, inline and any on a
// deletion-vector table, none at all otherwise.
func dvKinds(on bool) (file, inline, anyKind string) {
	if !on {
		return "none", "none", "none"
	}
	return "file", "inline", "any"
}

// mergeArgs are the flags every model merge shares: aliases t and s, joined
// on id.
func mergeArgs(clauses ...string) []string {
	return append([]string{"--target-alias", "t", "--source-alias", "s", "--on", "t.id = s.id"}, clauses...)
}

func intIs(r Row, col string, f func(int64) bool) bool {
	v, ok := r.Int(col)
	return ok && f(v)
}

// simpleDMLSteps run on the simple dataset (id, x, y, name, amount; data.py):
// x = id*37 % 101, y = id*11 % 53, name "r<id>", amount id*1.25.
func simpleDMLSteps(dv bool) []lhStep {
	fileDV, inlineDV, anyDV := dvKinds(dv)
	return []lhStep{
		{mode: "append", dataset: "simple", start: 0, n: 40},
		{mode: "append", dataset: "simple", start: 40, n: 20},
		// Twenty scattered rows of the first file: a bitmap too large to
		// keep inline (more than 64 bytes serialized), so a DV file.
		{dml: &lhDML{cmd: "delete", args: []string{"--where", "id % 2 = 0 AND id < 40"}, dv: fileDV,
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectDelete(rows, func(r Row) bool { return intIs(r, "id", func(id int64) bool { return id%2 == 0 && id < 40 }) })
				return out, ch, nil
			}}},
		// One row: an inline vector.
		{dml: &lhDML{cmd: "delete", args: []string{"--where", "id = 45"}, dv: inlineDV,
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectDelete(rows, func(r Row) bool { return intIs(r, "id", func(id int64) bool { return id == 45 }) })
				return out, ch, nil
			}}},
		// Rows of both files, whose vectors grow.
		{dml: &lhDML{cmd: "update", args: []string{"--set", "name = concat(name, '-u')", "--set", "amount = amount * 2", "--where", "y > 40"}, dv: anyDV,
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectUpdate(rows, func(r Row) bool { return intIs(r, "y", func(y int64) bool { return y > 40 }) }, func(r Row) Row {
					name, _ := r.Str("name")
					amount, _ := r.Float("amount")
					return r.With("name", name+"-u", "amount", amount*2)
				})
				return out, ch, nil
			}}},
		// Source ids 50..79 named "m<id>": 50..59 match (57 has x = 89 and
		// is deleted), 60..79 are inserted, and the target's odd ids below
		// 10, which no source row matches, are deleted.
		{dataset: "simple", start: 50, n: 30, tag: "m", dml: &lhDML{cmd: "merge", dv: anyDV,
			args: mergeArgs("--matched-delete=AND s.x > 80", "--matched-update", "SET name = s.name, amount = s.amount + 0.5",
				"--not-matched-insert-all", "--not-matched-by-source-delete=AND t.id < 10"),
			apply: MergeModel{Key: "id",
				Matched: []MatchedClause{
					{Cond: func(_, s Row) bool { return intIs(s, "x", func(x int64) bool { return x > 80 }) }, Delete: true},
					{Update: func(t, s Row) Row {
						amount, _ := s.Float("amount")
						return t.With("name", s["name"], "amount", amount+0.5)
					}},
				},
				NotMatched: []NotMatchedClause{{Insert: func(s Row) Row { return s }}},
				BySource:   []BySourceClause{{Cond: func(t Row) bool { return intIs(t, "id", func(id int64) bool { return id < 10 }) }, Delete: true}},
			}.Apply}},
		{mode: "append", dataset: "simple", start: 1000, n: 5},
	}
}

// rowGroupDMLSteps write 64 rows in row groups of 8, then change a few
// row groups of them (see delta/dml_copy.go), then most.
func rowGroupDMLSteps() []lhStep {
	return []lhStep{
		{mode: "append", dataset: "simple", start: 0, n: 64, groupRows: 8},
		{dml: &lhDML{cmd: "delete", args: []string{"--where", "id >= 20 AND id < 23"}, dv: "none",
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectDelete(rows, func(r Row) bool { return intIs(r, "id", func(id int64) bool { return id >= 20 && id < 23 }) })
				return out, ch, nil
			}}},
		{dml: &lhDML{cmd: "update", args: []string{"--set", "amount = amount * 2", "--where", "id >= 40 AND id < 42"}, dv: "none",
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectUpdate(rows, func(r Row) bool { return intIs(r, "id", func(id int64) bool { return id >= 40 && id < 42 }) }, func(r Row) Row {
					amount, _ := r.Float("amount")
					return r.With("amount", amount*2)
				})
				return out, ch, nil
			}}},
		{dml: &lhDML{cmd: "update", args: []string{"--set", "name = concat(name, '-u')", "--where", "id % 9 = 0"}, dv: "none",
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectUpdate(rows, func(r Row) bool { return intIs(r, "id", func(id int64) bool { return id%9 == 0 }) }, func(r Row) Row {
					name, _ := r.Str("name")
					return r.With("name", name+"-u")
				})
				return out, ch, nil
			}}},
		{dml: &lhDML{cmd: "delete", args: []string{"--where", "id % 10 = 5"}, dv: "none",
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectDelete(rows, func(r Row) bool { return intIs(r, "id", func(id int64) bool { return id%10 == 5 }) })
				return out, ch, nil
			}}},
	}
}

// partitionedDMLSteps run on the partitioned dataset (data.py): p_str cycles
// through eleven strings (NULL and special characters), p_int = id % 3
// (NULL when id % 7 = 3), p_date 2024-01-0(1 + id % 3) (NULL when id % 6 =
// 5), p_bool = id even (NULL when id % 4 = 1).
func partitionedDMLSteps(dv bool) []lhStep {
	_, _, anyDV := dvKinds(dv)
	partDelete := "" // whole files may go without any vector
	if !dv {
		partDelete = "none"
	}
	inSet := func(r Row, col string, set ...string) bool {
		v, ok := r.Str(col)
		if !ok {
			return false
		}
		for _, s := range set {
			if v == s {
				return true
			}
		}
		return false
	}
	return []lhStep{
		{mode: "append", dataset: "partitioned", start: 0, n: 40},
		{mode: "append", dataset: "partitioned", start: 40, n: 20},
		// Whole partitions when partitioned by p_int; rows in files otherwise.
		{dml: &lhDML{cmd: "delete", args: []string{"--where", "p_int = 1"}, dv: partDelete,
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectDelete(rows, func(r Row) bool { return intIs(r, "p_int", func(p int64) bool { return p == 1 }) })
				return out, ch, nil
			}}},
		// Some rows of most files (p_int and p_date follow id % 3, p_bool id % 2).
		{dml: &lhDML{cmd: "delete", args: []string{"--where", "id % 4 = 0"}, dv: anyDV,
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectDelete(rows, func(r Row) bool { return intIs(r, "id", func(id int64) bool { return id%4 == 0 }) })
				return out, ch, nil
			}}},
		// Flips p_bool (NULL stays NULL): rows move between partitions.
		{dml: &lhDML{cmd: "update", args: []string{"--set", "v = concat(v, '-u')", "--set", "p_bool = NOT p_bool",
			"--where", "p_str IN ('a b', 'a/b', '100%') OR p_date IS NULL"},
			apply: func(rows, _ []Row) ([]Row, []Change, error) {
				out, ch := ExpectUpdate(rows, func(r Row) bool {
					return inSet(r, "p_str", "a b", "a/b", "100%") || r["p_date"] == nil
				}, func(r Row) Row {
					v, _ := r.Str("v")
					var flipped any
					if b, ok := r.Bool("p_bool"); ok {
						flipped = !b
					}
					return r.With("v", v+"-u", "p_bool", flipped)
				})
				return out, ch, nil
			}}},
		// Source ids 50..69: matches with p_bool false are deleted, other
		// matches get v "<v>-m" and move to p_int 2; unmatched source rows
		// are inserted with three columns (the rest NULL); target rows no
		// source row matches are deleted in the 'plain' partition and
		// renamed below id 5.
		{dataset: "partitioned", start: 50, n: 20, dml: &lhDML{cmd: "merge", dv: anyDV,
			args: mergeArgs("--matched-delete=AND s.p_bool = false", "--matched-update", "SET v = concat(s.v, '-m'), p_int = 2",
				"--not-matched-insert", "(id, v, p_str) VALUES (s.id, s.v, s.p_str)",
				"--not-matched-by-source-delete=AND t.p_str = 'plain'", "--not-matched-by-source-update", "AND t.id < 5 SET v = 'nbs'"),
			apply: MergeModel{Key: "id",
				Matched: []MatchedClause{
					{Cond: func(_, s Row) bool { b, ok := s.Bool("p_bool"); return ok && !b }, Delete: true},
					{Update: func(t, s Row) Row {
						v, _ := s.Str("v")
						return t.With("v", v+"-m", "p_int", 2)
					}},
				},
				NotMatched: []NotMatchedClause{{Insert: func(s Row) Row {
					return Row{"id": s["id"], "v": s["v"], "p_str": s["p_str"], "p_int": nil, "p_date": nil, "p_bool": nil}
				}}},
				BySource: []BySourceClause{
					{Cond: func(t Row) bool { return inSet(t, "p_str", "plain") }, Delete: true},
					{Cond: func(t Row) bool { return intIs(t, "id", func(id int64) bool { return id < 5 }) },
						Update: func(t Row) Row { return t.With("v", "nbs") }},
				},
			}.Apply}},
		{mode: "append", dataset: "partitioned", start: 100, n: 10},
	}
}
