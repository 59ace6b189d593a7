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
// the rows the table must hold (append adds, overwrite replaces).
func (s *suite) writeWithLakehouse(ctx context.Context, dp *Peer, path string, steps []lhStep, props []string) (*builtTable, error) {
	_ = os.RemoveAll(path)
	tbl := &builtTable{Path: path}
	var state []string
	for i, st := range steps {
		ex, err := s.export(ctx, dp, st.dataset, st.start, st.n)
		if err != nil {
			return nil, fmt.Errorf("exporting %s: %w", st.dataset, err)
		}
		if err := s.cli.Write(ctx, path, ex.data, WriteOptions{Mode: st.mode, PartitionBy: st.partition, Format: "parquet"}); err != nil {
			return nil, err
		}
		if i == 0 && len(props) > 0 {
			if _, err := s.cli.Run(ctx, nil, append([]string{"set-property", path}, props...)...); err != nil {
				return nil, err
			}
		}
		for _, c := range st.after {
			if _, err := s.cli.Run(ctx, nil, c, path); err != nil {
				return nil, err
			}
		}
		if st.mode == "overwrite" {
			state = nil
		}
		state = append(append([]string(nil), state...), ex.rows...)
		sorted, _ := NormalizeRows(state)
		tbl.Versions = append(tbl.Versions, builtVersion{Rows: sorted})
	}
	// Map the expected states onto the versions the log really has: each
	// write is one commit; set-property and checkpoint commands may add
	// metadata-only commits that keep the rows of the version before.
	hist, err := s.cli.Run(ctx, nil, "history", "--format", "jsonl", path)
	if err != nil {
		return nil, err
	}
	return mapWritesToVersions(tbl, string(hist))
}

// mapWritesToVersions assigns the expected states (one per WRITE commit, in
// order) to the versions listed in `lakehouse history`, carrying the rows
// forward over commits that change no data.
func mapWritesToVersions(tbl *builtTable, historyJSONL string) (*builtTable, error) {
	type entry struct {
		Version   int64  `json:"version"`
		Operation string `json:"operation"`
	}
	var entries []entry
	for _, l := range splitLines([]byte(historyJSONL)) {
		var e entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			return nil, fmt.Errorf("history line %q: %w", truncate(l, 200), err)
		}
		entries = append(entries, e)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Version < entries[j].Version })
	writes := tbl.Versions
	var out []builtVersion
	next := 0
	var cur []string
	for _, e := range entries {
		op := strings.ToUpper(e.Operation)
		if strings.Contains(op, "WRITE") || strings.Contains(op, "CREATE") || strings.Contains(op, "APPEND") || strings.Contains(op, "OVERWRITE") {
			if next < len(writes) {
				cur = writes[next].Rows
				next++
			}
		}
		out = append(out, builtVersion{Version: e.Version, Operation: e.Operation, Rows: cur})
	}
	if next != len(writes) {
		return nil, fmt.Errorf("history shows %d data commits, %d writes were made", next, len(writes))
	}
	tbl.Versions = out
	return tbl, nil
}
