//go:build interop

package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// skipPredicate selects one row of the skipping tables: eight files of
// disjoint id ranges, so statistics-based skipping must keep exactly one.
const skipPredicate = "id = 150"

type skipOutcome struct {
	FilesTotal   int      `json:"files_total"`
	FilesScanned *int     `json:"files_scanned"`
	Rows         []string `json:"rows"`
}

// TestCase5DataSkipping: each engine skips, by file statistics, the files
// the others wrote for a selective filter; its plan or metrics must show it.
func TestCase5DataSkipping(t *testing.T) {
	for _, writer := range []string{DeltaRS, Spark} {
		t.Run(writer, func(t *testing.T) {
			scenario := map[string]string{DeltaRS: "drs_skipping", Spark: "spark_skipping"}[writer]
			base := Result{Case: "5", Scenario: scenario, Covers: "filter `" + skipPredicate + "` over 8 files with disjoint id ranges", Writer: writer}
			wp := s.peer(t, writer, withReader(base, Lakehouse), withReader(base, otherPeer[writer]))
			tbl, err := s.build(t, wp, scenario)
			if err != nil {
				r := withReader(base, writer)
				r.Status, r.Detail = Fail, "writer could not build the table: "+err.Error()
				s.record(t, r)
				return
			}
			ctx := ctxFor(t, 10*time.Minute)
			want := s.filteredRows(tbl)

			r := withReader(base, Lakehouse)
			if s.cli == nil {
				r = Unavailable(r, s.cliErr.Error())
			} else {
				r.Status, r.Detail = s.lakehouseSkips(ctx, tbl.Path, want)
				r.Checked = 1
			}
			s.record(t, r)

			other := otherPeer[writer]
			r = withReader(base, other)
			r.Status, r.Detail = s.peerSkips(ctx, s.peer(t, other, r), tbl.Path, want)
			r.Checked = 1
			s.record(t, r)
		})
	}
	t.Run(Lakehouse, s.case5OurFiles)
}

// filteredRows are the writer's own latest rows that match skipPredicate.
func (s *suite) filteredRows(tbl *builtTable) []string {
	var out []string
	for _, line := range tbl.Versions[len(tbl.Versions)-1].Rows {
		var row struct {
			ID json.Number `json:"id"`
		}
		if json.Unmarshal([]byte(line), &row) == nil && row.ID.String() == "150" {
			out = append(out, line)
		}
	}
	return out
}

// lakehouseSkips asks the library which files a scan with the filter reads
// (Snapshot.FilesMatching: the CLI has no plan output) and checks the
// filtered rows through the CLI.
func (s *suite) lakehouseSkips(ctx context.Context, path string, want []string) (Status, string) {
	tbl, err := delta.Open(ctx, path, nil)
	if err != nil {
		return Fail, fmt.Sprintf("table %s: open: %v", s.rel(path), err)
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return Fail, fmt.Sprintf("table %s: snapshot: %v", s.rel(path), err)
	}
	filter, err := expr.Parse(skipPredicate)
	if err != nil {
		return Fail, fmt.Sprintf("parsing %q: %v", skipPredicate, err)
	}
	count := func(f expr.Expr) (int, error) {
		n := 0
		for _, err := range snap.FilesMatching(ctx, f) {
			if err != nil {
				return 0, err
			}
			n++
		}
		return n, nil
	}
	total, err := count(nil)
	if err != nil {
		return Fail, fmt.Sprintf("table %s: listing files: %v", s.rel(path), err)
	}
	kept, err := count(filter)
	if err != nil {
		return Fail, fmt.Sprintf("table %s: planning %q: %v", s.rel(path), skipPredicate, err)
	}
	if kept >= total || kept == 0 {
		return Fail, fmt.Sprintf("table %s, version %d: filter %q kept %d of %d files (want 1: statistics not used)", s.rel(path), snap.Version(), skipPredicate, kept, total)
	}
	lines, err := s.cli.Cat(ctx, path, CatOptions{Where: skipPredicate})
	if err != nil {
		return Fail, err.Error()
	}
	got, err := NormalizeRows(lines)
	if err != nil {
		return Fail, err.Error()
	}
	if d := CompareRows(want, got); d != nil {
		return Fail, fmt.Sprintf("table %s, cat --where %q: %s", s.rel(path), skipPredicate, d)
	}
	return Pass, fmt.Sprintf("lakehouse planned %d of %d files", kept, total)
}

// peerSkips asks a peer to run the filter and report the files its scan read.
func (s *suite) peerSkips(ctx context.Context, p *Peer, path string, want []string) (Status, string) {
	var out skipOutcome
	if err := p.Call(ctx, "skipping", map[string]any{"path": path, "where": skipPredicate}, &out); err != nil {
		return Fail, fmt.Sprintf("table %s: %v", s.rel(path), err)
	}
	if out.FilesScanned == nil {
		return Fail, fmt.Sprintf("table %s: %s's plan shows no file count", s.rel(path), p.Engine)
	}
	if *out.FilesScanned >= out.FilesTotal || *out.FilesScanned == 0 {
		return Fail, fmt.Sprintf("table %s: %s read %d of %d files for %q (statistics not used)", s.rel(path), p.Engine, *out.FilesScanned, out.FilesTotal, skipPredicate)
	}
	got, err := NormalizeRows(out.Rows)
	if err != nil {
		return Fail, err.Error()
	}
	if d := CompareRows(want, got); d != nil {
		return Fail, fmt.Sprintf("table %s, filter %q read by %s: %s", s.rel(path), skipPredicate, p.Engine, d)
	}
	return Pass, fmt.Sprintf("%s read %d of %d files", p.Engine, *out.FilesScanned, out.FilesTotal)
}

// case5OurFiles: files lakehouse wrote are skipped by Spark's and delta-rs's data skipping.
func (s *suite) case5OurFiles(t *testing.T) {
	base := Result{Case: "5", Scenario: "lh_skipping", Covers: "filter `" + skipPredicate + "` over 8 files with disjoint id ranges", Writer: Lakehouse}
	if reason := s.lakehouseWrites(t); reason != "" {
		for _, rd := range []string{DeltaRS, Spark} {
			s.record(t, Unavailable(withReader(base, rd), reason))
		}
		return
	}
	ctx := ctxFor(t, 10*time.Minute)
	dp := s.peer(t, DeltaRS, withReader(base, DeltaRS))
	var steps []lhStep
	for k := 0; k < 8; k++ {
		steps = append(steps, lhStep{mode: "append", dataset: "simple", start: k * 100, n: 100})
	}
	tbl, err := s.writeWithLakehouse(ctx, dp, filepath.Join(s.tables, Lakehouse, "lh_skipping"), lhScenario{name: "lh_skipping", steps: steps})
	if err != nil {
		r := withReader(base, Lakehouse)
		r.Status, r.Detail = Fail, "lakehouse could not write the table: "+err.Error()
		s.record(t, r)
		return
	}
	want := s.filteredRows(tbl)
	for _, rd := range []string{DeltaRS, Spark} {
		r := withReader(base, rd)
		r.Status, r.Detail = s.peerSkips(ctx, s.peer(t, rd, r), tbl.Path, want)
		r.Checked = 1
		s.record(t, r)
	}
}
