//go:build interop

package interop

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// scenarioInfo is one table a peer knows how to write (peers/*_peer.py).
type scenarioInfo struct {
	Name   string `json:"name"`
	Covers string `json:"covers"`
	CDF    bool   `json:"cdf"`
}

// builtVersion is the writer's own reading of one version: the expected rows.
type builtVersion struct {
	Version     int64    `json:"version"`
	TimestampMs int64    `json:"timestamp_ms"`
	Operation   string   `json:"operation"`
	Rows        []string `json:"rows"`
	Error       string   `json:"error"`
}

type builtTable struct {
	Path     string         `json:"path"`
	Versions []builtVersion `json:"versions"`
	Notes    []string       `json:"notes"`
	CDF      *struct {
		Start int64    `json:"start"`
		End   int64    `json:"end"`
		Rows  []string `json:"rows"`
	} `json:"cdf"`
	// Expect are versions a RESTORE or CLONE made, with the rows of the
	// version they copy as the writer reads that one: every reader of the
	// restored or cloned version must see them.
	Expect []struct {
		Version int64    `json:"version"`
		Why     string   `json:"why"`
		Rows    []string `json:"rows"`
	} `json:"expect"`
	// Changes is the change feed a table lakehouse wrote must show,
	// computed while writing it (a peer's table carries CDF instead).
	Changes []string `json:"-"`
}

type buildSlot struct {
	once sync.Once
	tbl  *builtTable
	err  error
}

var otherPeer = map[string]string{Spark: DeltaRS, DeltaRS: Spark}

// scenarios lists the tables a writer peer builds.
func (s *suite) scenarios(t *testing.T, p *Peer) []scenarioInfo {
	t.Helper()
	var out []scenarioInfo
	if err := p.Call(ctxFor(t, time.Minute), "scenarios", nil, &out); err != nil {
		t.Fatalf("listing %s scenarios: %v", p.Engine, err)
	}
	return out
}

// build has the writer peer write one scenario table (once per run) and
// returns its own reading of every version, rows normalised.
func (s *suite) build(t *testing.T, p *Peer, scenario string) (*builtTable, error) {
	t.Helper()
	v, _ := s.builds.LoadOrStore(p.Engine+"/"+scenario, &buildSlot{})
	slot := v.(*buildSlot)
	slot.once.Do(func() {
		path := filepath.Join(s.tables, p.Engine, scenario)
		var tbl builtTable
		if err := p.Call(ctxFor(t, 10*time.Minute), "build", map[string]any{"scenario": scenario, "path": path}, &tbl); err != nil {
			slot.err = err
			return
		}
		for i := range tbl.Versions {
			rows, err := NormalizeRows(tbl.Versions[i].Rows)
			if err != nil {
				slot.err = fmt.Errorf("%s's own rows of version %d: %w", p.Engine, tbl.Versions[i].Version, err)
				return
			}
			tbl.Versions[i].Rows = rows
		}
		for i := range tbl.Expect {
			rows, err := NormalizeRows(tbl.Expect[i].Rows)
			if err != nil {
				slot.err = err
				return
			}
			tbl.Expect[i].Rows = rows
		}
		if tbl.CDF != nil {
			rows, err := NormalizeRows(tbl.CDF.Rows)
			if err != nil {
				slot.err = err
				return
			}
			tbl.CDF.Rows = rows
		}
		slot.tbl = &tbl
	})
	return slot.tbl, slot.err
}

// reader reads one version (or timestamp) of a table as normalised rows.
type reader struct {
	engine string
	read   func(ctx context.Context, path string, version *int64, timestamp string) ([]string, error)
}

func (s *suite) peerReader(p *Peer) reader {
	return reader{engine: p.Engine, read: func(ctx context.Context, path string, version *int64, ts string) ([]string, error) {
		args := map[string]any{"path": path}
		if version != nil {
			args["version"] = *version
		}
		if ts != "" {
			args["timestamp"] = ts
		}
		var out struct {
			Rows []string `json:"rows"`
		}
		if err := p.Call(ctx, "read", args, &out); err != nil {
			return nil, err
		}
		return NormalizeRows(out.Rows)
	}}
}

func (s *suite) cliReader() reader {
	return reader{engine: Lakehouse, read: func(ctx context.Context, path string, version *int64, ts string) ([]string, error) {
		lines, err := s.cli.Cat(ctx, path, CatOptions{Version: version, Timestamp: ts})
		if err != nil {
			return nil, err
		}
		return NormalizeRows(lines)
	}}
}

// compareVersions has r read every version the writer recorded and returns
// the number of comparisons and the failures, first one first.
func (s *suite) compareVersions(ctx context.Context, r reader, tbl *builtTable, writer string) (int, []string) {
	var fails []string
	n := 0
	for _, v := range tbl.Versions {
		ver := v.Version
		rows, err := r.read(ctx, tbl.Path, &ver, "")
		n++
		switch {
		case v.Error != "" && err == nil:
			fails = append(fails, fmt.Sprintf("table %s, version %d: %s cannot read it (%s) but %s returned %d rows",
				s.rel(tbl.Path), ver, writer, v.Error, r.engine, len(rows)))
		case v.Error != "":
			// Both refuse (e.g. files removed by VACUUM): agreement.
		case err != nil:
			fails = append(fails, fmt.Sprintf("table %s, version %d: %s read failed: %v", s.rel(tbl.Path), ver, r.engine, err))
		default:
			if d := CompareRows(v.Rows, rows); d != nil {
				fails = append(fails, fmt.Sprintf("table %s, version %d: %s", s.rel(tbl.Path), ver, d))
			}
		}
	}
	return n, fails
}

func summarize(fails []string) string {
	if len(fails) == 0 {
		return ""
	}
	if len(fails) == 1 {
		return fails[0]
	}
	return fmt.Sprintf("%s (and %d more failing versions)", fails[0], len(fails)-1)
}

func statusOf(fails []string) Status {
	if len(fails) > 0 {
		return Fail
	}
	return Pass
}

// TestCase2PeerWrites: delta-rs and Spark write tables covering their
// operations; lakehouse (through its CLI) and the other peer read every
// version and the change feed and must agree with the writer's own reading.
func TestCase2PeerWrites(t *testing.T) {
	for _, writer := range []string{DeltaRS, Spark} {
		t.Run(writer, func(t *testing.T) {
			t.Parallel()
			base := Result{Case: "2", Scenario: "(all)", Writer: writer}
			wp := s.peer(t, writer, withReader(base, Lakehouse), withReader(base, otherPeer[writer]))
			for _, sc := range s.scenarios(t, wp) {
				t.Run(sc.Name, func(t *testing.T) { s.case2(t, wp, sc) })
			}
		})
	}
}

func withReader(r Result, reader string) Result {
	r.Reader = reader
	return r
}

func (s *suite) case2(t *testing.T, wp *Peer, sc scenarioInfo) {
	ctx := ctxFor(t, 15*time.Minute)
	writer := wp.Engine
	base := Result{Case: "2", Scenario: sc.Name, Covers: sc.Covers, Writer: writer}
	tbl, err := s.build(t, wp, sc.Name)
	if err != nil {
		r := withReader(base, writer)
		r.Status, r.Detail = Fail, "writer could not build the table: "+err.Error()
		s.record(t, r)
		return
	}
	if len(tbl.Notes) > 0 {
		t.Logf("%s notes: %s", sc.Name, strings.Join(tbl.Notes, "; "))
	}

	// lakehouse reads every version, and its history names the
	// writer's operations.
	r := withReader(base, Lakehouse)
	if s.cli == nil {
		r = Unavailable(r, s.cliErr.Error())
	} else {
		n, fails := s.compareVersions(ctx, s.cliReader(), tbl, writer)
		en, efails := s.compareExpected(ctx, s.cliReader(), tbl)
		hn, hfails := s.compareOperations(ctx, Lakehouse, nil, tbl)
		fails = slices.Concat(fails, efails, hfails)
		r.Status, r.Detail, r.Checked = statusOf(fails), summarize(fails), n+en+hn
	}
	s.record(t, r)

	// The other peer reads every version.
	other := otherPeer[writer]
	r = withReader(base, other)
	op := s.peers[other]
	<-op.ready
	if op.peer == nil {
		r = Unavailable(r, s.peerMissing(other))
	} else {
		n, fails := s.compareVersions(ctx, s.peerReader(op.peer), tbl, writer)
		en, efails := s.compareExpected(ctx, s.peerReader(op.peer), tbl)
		fails = append(fails, efails...)
		r.Status, r.Detail, r.Checked = statusOf(fails), summarize(fails), n+en
	}
	s.record(t, r)

	if tbl.CDF == nil {
		return
	}
	cdfBase := base
	cdfBase.Scenario = sc.Name + " (change feed)"
	cdfBase.Covers = fmt.Sprintf("change feed of versions %d..%d", tbl.CDF.Start, tbl.CDF.End)
	r = withReader(cdfBase, Lakehouse)
	if s.cli == nil {
		r = Unavailable(r, s.cliErr.Error())
	} else {
		lines, err := s.cli.Changes(ctx, tbl.Path, tbl.CDF.Start, tbl.CDF.End)
		var rows []string
		if err == nil {
			rows, err = NormalizeRowsDropping(lines, "_commit_timestamp")
		}
		r.Status, r.Detail, r.Checked = cdfOutcome(s.rel(tbl.Path), tbl.CDF.Start, tbl.CDF.End, tbl.CDF.Rows, rows, err)
	}
	s.record(t, r)
	r = withReader(cdfBase, other)
	if op.peer == nil {
		r = Unavailable(r, s.peerMissing(other))
	} else {
		var out struct {
			Rows []string `json:"rows"`
		}
		err := op.peer.Call(ctx, "cdf", map[string]any{"path": tbl.Path, "start": tbl.CDF.Start, "end": tbl.CDF.End}, &out)
		var rows []string
		if err == nil {
			rows, err = NormalizeRows(out.Rows)
		}
		r.Status, r.Detail, r.Checked = cdfOutcome(s.rel(tbl.Path), tbl.CDF.Start, tbl.CDF.End, tbl.CDF.Rows, rows, err)
	}
	s.record(t, r)
}

// compareExpected has r read the versions a RESTORE or CLONE made and
// compares them with the rows of the version they copy.
func (s *suite) compareExpected(ctx context.Context, r reader, tbl *builtTable) (int, []string) {
	var fails []string
	for _, e := range tbl.Expect {
		ver := e.Version
		rows, err := r.read(ctx, tbl.Path, &ver, "")
		if err != nil {
			fails = append(fails, fmt.Sprintf("table %s, version %d (%s): %s read failed: %v", s.rel(tbl.Path), ver, e.Why, r.engine, err))
		} else if d := CompareRows(e.Rows, rows); d != nil {
			fails = append(fails, fmt.Sprintf("table %s, version %d (%s): %s", s.rel(tbl.Path), ver, e.Why, d))
		}
	}
	return len(tbl.Expect), fails
}

// cdfOutcome judges one reader's change feed against the writer's.
func cdfOutcome(table string, start, end int64, want, got []string, err error) (Status, string, int) {
	if err != nil {
		return Fail, fmt.Sprintf("table %s, change feed %d..%d: %v", table, start, end, err), 1
	}
	if d := CompareRows(want, got); d != nil {
		return Fail, fmt.Sprintf("table %s, change feed %d..%d: %s", table, start, end, d), 1
	}
	return Pass, "", 1
}
