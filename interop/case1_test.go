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
	"testing"
	"time"
)

// lhScenario is a table lakehouse writes through its CLI for the peers to read.
type lhScenario struct {
	name, covers string
	steps        []lhStep
	props        []string // set after the first write
	create       []string // when set: `lakehouse create --schema <schema> --property p…` first
	schema       string   // Delta schema JSON for create; default the simple dataset's
	partitionBy  []string // partition columns for create
	cdf          bool     // compare the change feed too
	clone        *lhClone // when set: the table is a clone of another (lhmaint_test.go)
}

// simpleSchemaJSON is the Delta schema of the "simple" dataset (data.py).
const simpleSchemaJSON = `{"type":"struct","fields":[` +
	`{"name":"id","type":"long","nullable":true,"metadata":{}},` +
	`{"name":"x","type":"integer","nullable":true,"metadata":{}},` +
	`{"name":"y","type":"integer","nullable":true,"metadata":{}},` +
	`{"name":"name","type":"string","nullable":true,"metadata":{}},` +
	`{"name":"amount","type":"double","nullable":true,"metadata":{}}]}`

var partCols = []string{"p_str", "p_int", "p_date", "p_bool"}

var lhScenarios = []lhScenario{
	{name: "lh_types", covers: "every type (nested, specials, nulls); append, overwrite; snappy-fast pages", steps: []lhStep{
		{mode: "append", dataset: "all_types", start: 0, n: 10},
		{mode: "append", dataset: "all_types", start: 10, n: 10, codec: "snappy-fast"},
		{mode: "overwrite", dataset: "all_types", start: 100, n: 7},
		{mode: "append", dataset: "all_types", start: 200, n: 5},
	}},
	{name: "lh_partitioned", covers: "partitioned by string/int/date/bool with nulls and special characters", steps: []lhStep{
		{mode: "append", dataset: "partitioned", start: 0, n: 30, partition: partCols},
		{mode: "append", dataset: "partitioned", start: 30, n: 20},
		{mode: "overwrite", dataset: "partitioned", start: 50, n: 15},
	}},
	{name: "lh_column_mapping", covers: "column mapping mode=name declared at creation; append, overwrite",
		create: []string{"delta.columnMapping.mode=name"}, steps: []lhStep{
			{mode: "append", dataset: "simple", start: 0, n: 10},
			{mode: "append", dataset: "simple", start: 10, n: 5},
			{mode: "overwrite", dataset: "simple", start: 20, n: 5},
		}},
	{name: "lh_cdf", covers: "change data feed enabled at creation; append, overwrite", cdf: true,
		create: []string{"delta.enableChangeDataFeed=true"}, steps: []lhStep{
			{mode: "append", dataset: "simple", start: 0, n: 6},
			{mode: "append", dataset: "simple", start: 6, n: 4},
			{mode: "overwrite", dataset: "simple", start: 20, n: 3},
		}},
	{name: "lh_many_versions", covers: "twelve versions alternating append and overwrite; classic checkpoints", steps: manyVersionSteps()},
	{name: "lh_checkpoint_v2", covers: "V2 checkpoint (checkpointPolicy=v2)", props: []string{"delta.checkpointPolicy=v2"}, steps: []lhStep{
		{mode: "append", dataset: "simple", start: 0, n: 5},
		{mode: "append", dataset: "simple", start: 5, n: 5, after: []string{"checkpoint"}},
		{mode: "append", dataset: "simple", start: 10, n: 5},
	}},
}

func manyVersionSteps() []lhStep {
	var steps []lhStep
	for k := 0; k < 12; k++ {
		st := lhStep{mode: "append", dataset: "simple", start: k * 3, n: 3 + k%2}
		if k%4 == 3 {
			st.mode = "overwrite"
		}
		if k == 5 || k == 10 {
			st.after = []string{"checkpoint"}
		}
		steps = append(steps, st)
	}
	return steps
}

// TestCase1LakehouseWrites: lakehouse writes, delta-rs and Spark read every
// version and must see the rows we wrote.
func TestCase1LakehouseWrites(t *testing.T) {
	readers := []string{Lakehouse, DeltaRS, Spark}
	for _, sc := range slices.Concat(lhScenarios, lhDMLScenarios(), lhMaintScenarios()) {
		t.Run(sc.name, func(t *testing.T) {
			base := Result{Case: "1", Scenario: sc.name, Covers: sc.covers, Writer: Lakehouse}
			if reason := s.lakehouseWrites(t); reason != "" {
				for _, rd := range readers {
					s.record(t, Unavailable(withReader(base, rd), reason))
				}
				return
			}
			ctx := ctxFor(t, 15*time.Minute)
			dp := s.peer(t, DeltaRS, withReader(base, DeltaRS))
			tbl, err := s.writeWithLakehouse(ctx, dp, filepath.Join(s.tables, Lakehouse, sc.name), sc)
			if err != nil {
				r := withReader(base, Lakehouse)
				r.Status, r.Detail = Fail, "lakehouse could not write the table: "+err.Error()
				s.record(t, r)
				return
			}
			for _, rd := range readers {
				r := withReader(base, rd)
				var n int
				var fails []string
				var p *Peer
				if rd == Lakehouse {
					n, fails = s.compareVersions(ctx, s.cliReader(), tbl, "the expected rows")
				} else {
					p = s.peer(t, rd, r)
					n, fails = s.compareVersions(ctx, s.peerReader(p), tbl, "the expected rows")
				}
				// Restore, clone and vacuum commits must show in every
				// reader's history under Spark's operation names.
				hn, hfails := s.compareOperations(ctx, rd, p, tbl)
				n, fails = n+hn, append(fails, hfails...)
				r.Status, r.Detail, r.Checked = statusOf(fails), summarize(fails), n
				s.record(t, r)
			}
			if sc.cdf {
				s.case1ChangeFeed(t, ctx, base, tbl)
			}
		})
	}
	t.Run("constraints", s.case1Constraints)
	t.Run("typed_rows", s.case1TypedRows)
	t.Run("domain_metadata", s.case1DomainMetadata)
	t.Run("auto_compaction", s.case1AutoCompaction)
}

// case1Constraints: Spark must enforce the CHECK constraint and generated
// column lakehouse declared, and lakehouse must enforce Spark's.
func (s *suite) case1Constraints(t *testing.T) {
	ours := Result{Case: "1", Scenario: "lh_constraints", Covers: "CHECK constraint and generated column declared by lakehouse, enforced by Spark", Writer: Lakehouse, Reader: Spark}
	theirs := Result{Case: "1", Scenario: "spark_constraints_enforced", Covers: "NOT NULL, CHECK and generated column declared by Spark, enforced by lakehouse", Writer: Spark, Reader: Lakehouse}
	if reason := s.lakehouseWrites(t); reason != "" {
		s.record(t, Unavailable(ours, reason))
		s.record(t, Unavailable(theirs, reason))
		return
	}
	ctx := ctxFor(t, 10*time.Minute)
	sp := s.peer(t, Spark, ours, theirs)
	ours.Status, ours.Detail, ours.Checked = s.sparkEnforcesOurs(ctx, sp)
	s.record(t, ours)
	theirs.Status, theirs.Detail, theirs.Checked = s.weEnforceSparks(ctx, sp)
	s.record(t, theirs)
}

const constrainedSchema = `{"type":"struct","fields":[` +
	`{"name":"id","type":"long","nullable":false,"metadata":{}},` +
	`{"name":"x","type":"integer","nullable":true,"metadata":{}},` +
	`{"name":"x2","type":"integer","nullable":true,"metadata":{"delta.generationExpression":"x * 2"}}]}`

func (s *suite) sparkEnforcesOurs(ctx context.Context, sp *Peer) (Status, string, int) {
	path := filepath.Join(s.tables, Lakehouse, "lh_constraints")
	_ = os.RemoveAll(path)
	schemaFile := filepath.Join(s.out, "lh_constraints.schema.json")
	if err := os.WriteFile(schemaFile, []byte(constrainedSchema), 0o644); err != nil {
		return Fail, err.Error(), 0
	}
	// The CHECK constraint is declared at creation (set-property refuses
	// delta.constraints.*: adding one to a table with rows must check them).
	if _, err := s.cli.Run(ctx, nil, "create", "--schema", schemaFile, "--property", "delta.constraints.x_nonneg=x >= 0", path); err != nil {
		return Fail, "lakehouse create: " + err.Error(), 0
	}
	tbl := "delta.`" + path + "`"
	checks := []struct {
		sql     string
		mustErr bool
	}{
		{"INSERT INTO " + tbl + " (id, x) VALUES (1, 3)", false},
		{"INSERT INTO " + tbl + " (id, x) VALUES (2, -1)", true},         // CHECK x >= 0
		{"INSERT INTO " + tbl + " (id, x, x2) VALUES (3, 4, 9)", true},   // generated x2 must be 8
		{"INSERT INTO " + tbl + " (id, x, x2) VALUES (4, 5, 10)", false}, // matches the generation expression
	}
	for _, c := range checks {
		err := sp.Call(ctx, "sql", map[string]any{"statements": []string{c.sql}}, nil)
		if c.mustErr && err == nil {
			return Fail, fmt.Sprintf("table %s: Spark accepted %q, which lakehouse's constraints forbid", s.rel(path), c.sql), len(checks)
		}
		if !c.mustErr && err != nil {
			return Fail, fmt.Sprintf("table %s: Spark rejected valid %q: %v", s.rel(path), c.sql, err), len(checks)
		}
	}
	rows, err := s.cliReader().read(ctx, path, nil, "")
	if err != nil {
		return Fail, "lakehouse reading Spark's inserts: " + err.Error(), len(checks)
	}
	want, _ := NormalizeRows([]string{`{"id":1,"x":3,"x2":6}`, `{"id":4,"x":5,"x2":10}`})
	if d := CompareRows(want, rows); d != nil {
		return Fail, fmt.Sprintf("table %s, latest version: %s", s.rel(path), d), len(checks)
	}
	return Pass, "", len(checks) + 1
}

func (s *suite) weEnforceSparks(ctx context.Context, sp *Peer) (Status, string, int) {
	path := filepath.Join(s.tables, Spark, "spark_constraints_enforced")
	_ = os.RemoveAll(path)
	tbl := "delta.`" + path + "`"
	err := sp.Call(ctx, "sql", map[string]any{"statements": []string{
		"CREATE TABLE " + tbl + " (id BIGINT NOT NULL, x INT, x2 INT GENERATED ALWAYS AS (x * 2)) USING delta",
		"ALTER TABLE " + tbl + " ADD CONSTRAINT x_nonneg CHECK (x >= 0)",
		"INSERT INTO " + tbl + " (id, x) VALUES (1, 3)",
	}}, nil)
	if err != nil {
		return Fail, "Spark could not create the constrained table: " + err.Error(), 0
	}
	checks := []struct {
		row     string
		mustErr bool
	}{
		{`{"id":2,"x":-1,"x2":-2}`, true},  // CHECK x >= 0
		{`{"id":null,"x":1,"x2":2}`, true}, // NOT NULL id
		{`{"id":3,"x":4,"x2":9}`, true},    // generated x2 must be 8
		{`{"id":4,"x":5,"x2":10}`, false},
	}
	for _, c := range checks {
		err := s.cli.Write(ctx, path, []byte(c.row+"\n"), WriteOptions{Mode: "append", Format: "jsonl"})
		if c.mustErr && err == nil {
			return Fail, fmt.Sprintf("table %s: lakehouse accepted %s, which Spark's constraints forbid", s.rel(path), c.row), len(checks)
		}
		if !c.mustErr && err != nil {
			return Fail, fmt.Sprintf("table %s: lakehouse rejected valid %s: %v", s.rel(path), c.row, err), len(checks)
		}
		if c.mustErr && !strings.HasPrefix(errLine(err), "lakehouse:") {
			return Fail, fmt.Sprintf("table %s: rejection of %s is not a `lakehouse:` error line: %v", s.rel(path), c.row, err), len(checks)
		}
	}
	var out struct {
		Rows []string `json:"rows"`
	}
	if err := sp.Call(ctx, "read", map[string]any{"path": path}, &out); err != nil {
		return Fail, "Spark reading lakehouse's insert: " + err.Error(), len(checks)
	}
	got, err := NormalizeRows(out.Rows)
	if err != nil {
		return Fail, err.Error(), len(checks)
	}
	want, _ := NormalizeRows([]string{`{"id":1,"x":3,"x2":6}`, `{"id":4,"x":5,"x2":10}`})
	if d := CompareRows(want, got); d != nil {
		return Fail, fmt.Sprintf("table %s, latest version read by Spark: %s", s.rel(path), d), len(checks)
	}
	return Pass, "", len(checks) + 1
}

// errLine is the CLI's stderr line inside an ErrCLI error.
func errLine(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": lakehouse:"); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// case1ChangeFeed: the change feed of a table lakehouse wrote, read by all
// three, must be the changes computed while writing it: the inserts of every
// append, the deletes of the rows an overwrite replaced, and what each DML
// step's model changed (update pre- and post-images included).
func (s *suite) case1ChangeFeed(t *testing.T, ctx context.Context, base Result, tbl *builtTable) {
	base.Scenario += " (change feed)"
	start, end := tbl.Versions[0].Version, tbl.Versions[len(tbl.Versions)-1].Version
	base.Covers = fmt.Sprintf("change feed of versions %d..%d", start, end)
	want := tbl.Changes
	for _, rd := range []string{Lakehouse, DeltaRS, Spark} {
		r := withReader(base, rd)
		var rows []string
		var err error
		if rd == Lakehouse {
			var lines []string
			lines, err = s.cli.Changes(ctx, tbl.Path, start, end)
			if err == nil {
				rows, err = NormalizeRowsDropping(lines, "_commit_timestamp")
			}
		} else {
			var out struct {
				Rows []string `json:"rows"`
			}
			err = s.peer(t, rd, r).Call(ctx, "cdf", map[string]any{"path": tbl.Path, "start": start, "end": end}, &out)
			if err == nil {
				rows, err = NormalizeRows(out.Rows)
			}
		}
		r.Status, r.Detail, r.Checked = cdfOutcome(s.rel(tbl.Path), start, end, want, rows, err)
		s.record(t, r)
	}
}

func withChange(row, kind string, version int64) (string, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(row), &m); err != nil {
		return "", fmt.Errorf("interop: expected row %q: %w", truncate(row, 200), err)
	}
	m["_change_type"] = json.RawMessage(strconv.Quote(kind))
	m["_commit_version"] = json.RawMessage(strconv.FormatInt(version, 10))
	b, err := json.Marshal(m)
	return string(b), err
}
