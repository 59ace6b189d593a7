//go:build interop

package interop

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// mixedCommits is how many appends each writer makes in case 4.
const mixedCommits = 8

// TestCase4MixedWriters: lakehouse and delta-rs append to one local table at
// the same time; no commit may be lost and all three engines read the same rows.
func TestCase4MixedWriters(t *testing.T) {
	base := Result{Case: "4", Scenario: "lh_drs_concurrent_appends",
		Covers: fmt.Sprintf("lakehouse and delta-rs each append %d commits concurrently", mixedCommits), Writer: "lakehouse+delta-rs"}
	readers := []string{Lakehouse, DeltaRS, Spark}
	if reason := s.lakehouseWrites(t); reason != "" {
		for _, rd := range readers {
			s.record(t, Unavailable(withReader(base, rd), reason))
		}
		return
	}
	ctx := ctxFor(t, 10*time.Minute)
	dp := s.peer(t, DeltaRS, withReader(base, DeltaRS))
	path := filepath.Join(s.tables, "mixed", base.Scenario)
	want, err := s.mixedAppends(ctx, dp, path)
	if err != nil {
		r := withReader(base, Lakehouse)
		r.Status, r.Detail = Fail, err.Error()
		s.record(t, r)
		return
	}
	for _, rd := range readers {
		r := withReader(base, rd)
		var got []string
		var err error
		if rd == Lakehouse {
			got, err = s.cliReader().read(ctx, path, nil, "")
		} else {
			got, err = s.peerReader(s.peer(t, rd, r)).read(ctx, path, nil, "")
		}
		r.Checked = 1
		switch {
		case err != nil:
			r.Status, r.Detail = Fail, fmt.Sprintf("table %s, latest version: %v", s.rel(path), err)
		case CompareRows(want, got) != nil:
			r.Status, r.Detail = Fail, fmt.Sprintf("table %s, latest version: %s", s.rel(path), CompareRows(want, got))
		default:
			r.Status = Pass
		}
		s.record(t, r)
	}
}

// mixedAppends creates the table with one row, then runs both writers at
// once; it returns the rows the table must end with and checks the log has
// one version per commit.
func (s *suite) mixedAppends(ctx context.Context, dp *Peer, path string) ([]string, error) {
	if err := s.cli.Write(ctx, path, []byte(`{"id":0,"who":"seed"}`+"\n"), WriteOptions{Format: "jsonl"}); err != nil {
		return nil, fmt.Errorf("creating the table: %w", err)
	}
	rows := []string{`{"id":0,"who":"seed"}`}
	var batches [][]map[string]any
	for k := 0; k < mixedCommits; k++ {
		lh := fmt.Sprintf(`{"id":%d,"who":"lakehouse"}`, 1000+k)
		rows = append(rows, lh, fmt.Sprintf(`{"id":%d,"who":"delta-rs"}`, 2000+k))
		batches = append(batches, []map[string]any{{"id": 2000 + k, "who": "delta-rs"}})
	}
	var wg sync.WaitGroup
	var lhErr, drsErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		for k := 0; k < mixedCommits && lhErr == nil; k++ {
			lhErr = s.cli.Write(ctx, path, []byte(fmt.Sprintf(`{"id":%d,"who":"lakehouse"}`, 1000+k)+"\n"), WriteOptions{Mode: "append", Format: "jsonl"})
		}
	}()
	go func() {
		defer wg.Done()
		drsErr = dp.Call(ctx, "append", map[string]any{"path": path, "batches": batches}, nil)
	}()
	wg.Wait()
	if lhErr != nil {
		return nil, fmt.Errorf("lakehouse append: %w", lhErr)
	}
	if drsErr != nil {
		return nil, fmt.Errorf("delta-rs append: %w", drsErr)
	}
	hist, err := s.cli.Run(ctx, nil, "history", "--format", "jsonl", path)
	if err != nil {
		return nil, err
	}
	if n := len(splitLines(hist)); n != 1+2*mixedCommits {
		return nil, fmt.Errorf("table %s: history has %d versions, want %d (a commit was lost or merged)", s.rel(path), n, 1+2*mixedCommits)
	}
	return NormalizeRows(rows)
}
