//go:build interop

package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	writeProbeOnce sync.Once
	writeProbeErr  error
)

// lakehouseWrites reports why lakehouse cannot write tables through its
// CLI yet ("" when `lakehouse write` works): cases 1, 4 and 5 need it.
func (s *suite) lakehouseWrites(t *testing.T) string {
	t.Helper()
	if s.cli == nil {
		return s.cliErr.Error()
	}
	writeProbeOnce.Do(func() {
		dir := filepath.Join(s.out, "probe")
		_ = os.RemoveAll(dir)
		writeProbeErr = s.cli.Write(ctxFor(t, time.Minute), filepath.Join(dir, "t"), []byte("{\"id\":1}\n"), WriteOptions{Format: "jsonl"})
	})
	if writeProbeErr != nil {
		return "lakehouse write not yet available (" + writeProbeErr.Error() + ")"
	}
	return ""
}

// exported is one data file made by a peer for `lakehouse write`, with the
// canonical rows it holds.
type exported struct {
	path string
	data []byte
	rows []string
}

// export has the delta-rs peer (pure pyarrow, no engine involved) write rows
// of one of the shared datasets to a Parquet file; tag, when not empty, is
// the name prefix of the simple dataset's rows (a merge source's differ).
func (s *suite) export(ctx context.Context, p *Peer, dataset string, start, n int, tag string) (*exported, error) {
	dir := filepath.Join(s.out, "exports")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%d-%d%s.parquet", dataset, start, n, tag))
	args := map[string]any{"dataset": dataset, "start": start, "n": n, "path": path}
	if tag != "" {
		args["tag"] = tag
	}
	var out struct {
		Rows []string `json:"rows"`
	}
	if err := p.Call(ctx, "export", args, &out); err != nil {
		return nil, err
	}
	rows, err := NormalizeRows(out.Rows)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return &exported{path: path, data: b, rows: rows}, nil
}

// lhStep is one lakehouse write of a dataset slice or, with dml set, one
// row-level operation (for a merge, the slice is its source).
type lhStep struct {
	mode      string // append or overwrite
	dataset   string
	start, n  int
	tag       string // simple dataset: name prefix of the rows ("r" when empty)
	partition []string
	codec     string   // the write's parquet codec; empty: the default
	groupRows int      // rows per Parquet row group; 0: the default
	after     []string // CLI commands run after the write, e.g. {"checkpoint"}
	dml       *lhDML
	maint     *lhMaint // restore or vacuum (lhmaint_test.go); no write
}

// writeWithLakehouse runs steps through the CLI and returns, per version,
// the rows the table must hold (append adds, overwrite replaces, a DML step
// applies its Go model) and the change feed it must show. After each step
// `lakehouse describe` names the version it produced; commits that change
// no data (set-property) carry the rows of the write before them.
func (s *suite) writeWithLakehouse(ctx context.Context, dp *Peer, path string, sc lhScenario) (*builtTable, error) {
	_ = os.RemoveAll(path)
	tbl := &builtTable{Path: path}
	var state []string
	steps, props := sc.steps, sc.props
	if sc.clone != nil {
		rows, err := s.cloneWithLakehouse(ctx, path, sc.clone, tbl)
		if err != nil {
			return nil, err
		}
		state = rows
	}
	if len(sc.create) > 0 {
		schemaFile := filepath.Join(s.out, sc.name+".schema.json")
		schema := sc.schema
		if schema == "" {
			schema = simpleSchemaJSON
		}
		if err := os.WriteFile(schemaFile, []byte(schema), 0o644); err != nil {
			return nil, err
		}
		args := []string{"create", "--schema", schemaFile}
		if len(sc.partitionBy) > 0 {
			args = append(args, "--partition-by", strings.Join(sc.partitionBy, ","))
		}
		for _, p := range sc.create {
			args = append(args, "--property", p)
		}
		if _, err := s.cli.Run(ctx, nil, append(args, path)...); err != nil {
			return nil, err
		}
		if err := s.recordVersion(ctx, tbl, nil); err != nil {
			return nil, err
		}
	}
	for i, st := range steps {
		var rows []string
		var changes []Change
		var err error
		switch {
		case st.dml != nil:
			rows, changes, err = s.runDML(ctx, dp, path, st, state)
		case st.maint != nil:
			rows, err = s.runMaint(ctx, path, st.maint, tbl, state)
		default:
			rows, err = s.runWrite(ctx, dp, path, st, state)
		}
		if err != nil {
			return nil, err
		}
		prev := state
		state = rows
		if err := s.recordVersion(ctx, tbl, rows); err != nil {
			return nil, err
		}
		version := tbl.Versions[len(tbl.Versions)-1].Version
		if st.maint != nil {
			tbl.Versions[len(tbl.Versions)-1].Operation = maintOperation(st.maint)
		}
		var feed []string
		if st.dml != nil {
			feed, err = ChangeRows(changes, version)
			if err == nil {
				err = checkDeletionVectors(path, version, st.dml.dv)
			}
		} else {
			feed, err = diffChanges(prev, rows, version)
		}
		if err != nil {
			return nil, err
		}
		tbl.Changes = append(tbl.Changes, feed...)
		if i == 0 && len(props) > 0 {
			if _, err := s.cli.Run(ctx, nil, append([]string{"set-property", path}, props...)...); err != nil {
				return nil, err
			}
			if err := s.recordVersion(ctx, tbl, rows); err != nil {
				return nil, err
			}
		}
		for _, c := range st.after {
			if _, err := s.cli.Run(ctx, nil, c, path); err != nil {
				return nil, err
			}
		}
	}
	sort.Strings(tbl.Changes)
	lhBuilt.Store(sc.name, tbl)
	return tbl, nil
}

// runWrite runs one `lakehouse write` step and returns the rows the table
// holds after it.
func (s *suite) runWrite(ctx context.Context, dp *Peer, path string, st lhStep, state []string) ([]string, error) {
	ex, err := s.export(ctx, dp, st.dataset, st.start, st.n, st.tag)
	if err != nil {
		return nil, fmt.Errorf("exporting %s: %w", st.dataset, err)
	}
	if err := s.cli.Write(ctx, path, ex.data, WriteOptions{Mode: st.mode, PartitionBy: st.partition, Format: "parquet", Compression: st.codec, RowGroupRows: st.groupRows}); err != nil {
		return nil, err
	}
	if st.mode == "overwrite" {
		state = nil
	}
	return NormalizeRows(append(append([]string(nil), state...), ex.rows...))
}

// diffChanges is the change feed of a write: rows that appear are inserts,
// rows that vanish (an overwrite) deletes.
func diffChanges(before, after []string, version int64) ([]string, error) {
	count := func(rows []string) map[string]int {
		m := map[string]int{}
		for _, r := range rows {
			m[r]++
		}
		return m
	}
	b, a := count(before), count(after)
	var out []string
	for _, d := range []struct {
		from, to map[string]int
		kind     string
	}{{b, a, "insert"}, {a, b, "delete"}} {
		for r, n := range d.to {
			for i := d.from[r]; i < n; i++ {
				line, err := withChange(r, d.kind, version)
				if err != nil {
					return nil, err
				}
				out = append(out, line)
			}
		}
	}
	return NormalizeRows(out)
}

// recordVersion notes that the table's current version must hold rows.
func (s *suite) recordVersion(ctx context.Context, tbl *builtTable, rows []string) error {
	out, err := s.cli.Run(ctx, nil, "describe", "--format", "json", tbl.Path)
	if err != nil {
		return err
	}
	var d struct {
		Version *int64 `json:"version"`
	}
	if err := json.Unmarshal(out, &d); err != nil || d.Version == nil {
		return fmt.Errorf("interop: describe of %s has no version: %v", tbl.Path, err)
	}
	if n := len(tbl.Versions); n > 0 && tbl.Versions[n-1].Version >= *d.Version {
		return fmt.Errorf("interop: table %s: version %d after a commit that followed version %d", tbl.Path, *d.Version, tbl.Versions[n-1].Version)
	}
	tbl.Versions = append(tbl.Versions, builtVersion{Version: *d.Version, Rows: rows})
	return nil
}
