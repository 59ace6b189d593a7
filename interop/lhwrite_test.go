//go:build interop

package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
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
// of one of the shared datasets to a Parquet file.
func (s *suite) export(ctx context.Context, p *Peer, dataset string, start, n int) (*exported, error) {
	dir := filepath.Join(s.out, "exports")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%d-%d.parquet", dataset, start, n))
	var out struct {
		Rows []string `json:"rows"`
	}
	if err := p.Call(ctx, "export", map[string]any{"dataset": dataset, "start": start, "n": n, "path": path}, &out); err != nil {
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

// lhStep is one lakehouse write of a dataset slice.
type lhStep struct {
	mode      string // append or overwrite
	dataset   string
	start, n  int
	partition []string
	after     []string // CLI commands run after the write, e.g. {"checkpoint"}
}

// writeWithLakehouse runs steps through the CLI and returns, per version,
// the rows the table must hold (append adds, overwrite replaces). After each
// step `lakehouse describe` names the version it produced; commits that
// change no data (set-property) carry the rows of the write before them.
func (s *suite) writeWithLakehouse(ctx context.Context, dp *Peer, path string, sc lhScenario) (*builtTable, error) {
	_ = os.RemoveAll(path)
	tbl := &builtTable{Path: path}
	var state []string
	steps, props := sc.steps, sc.props
	if len(sc.create) > 0 {
		schemaFile := filepath.Join(s.out, sc.name+".schema.json")
		if err := os.WriteFile(schemaFile, []byte(simpleSchemaJSON), 0o644); err != nil {
			return nil, err
		}
		args := []string{"create", "--schema", schemaFile}
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
		ex, err := s.export(ctx, dp, st.dataset, st.start, st.n)
		if err != nil {
			return nil, fmt.Errorf("exporting %s: %w", st.dataset, err)
		}
		if err := s.cli.Write(ctx, path, ex.data, WriteOptions{Mode: st.mode, PartitionBy: st.partition, Format: "parquet"}); err != nil {
			return nil, err
		}
		if st.mode == "overwrite" {
			state = nil
		}
		state = append(append([]string(nil), state...), ex.rows...)
		rows, err := NormalizeRows(state)
		if err != nil {
			return nil, err
		}
		if err := s.recordVersion(ctx, tbl, rows); err != nil {
			return nil, err
		}
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
	return tbl, nil
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
