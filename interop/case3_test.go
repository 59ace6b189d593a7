//go:build interop

package interop

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// timeTravelScenarios are the tables whose every version is also read by
// timestamp (reading all of them by timestamp on Spark would cost minutes).
var timeTravelScenarios = map[string][]string{
	DeltaRS: {"drs_dml", "drs_checkpoints"},
	Spark:   {"spark_dml_dv", "spark_many_versions"},
}

// travelPoint is one timestamp and the version it must resolve to.
type travelPoint struct {
	version int64
	rows    []string
	ts      string
}

// travelPoints picks, for every readable version but the last, a timestamp
// halfway to the next commit, so engines that date a commit a millisecond
// apart (commitInfo.timestamp vs the log file's mtime) still agree. The last
// version has no upper bound and engines differ by design there (Spark
// refuses a timestamp after its latest commit); it is checked by version.
func travelPoints(tbl *builtTable) []travelPoint {
	var pts []travelPoint
	for i, v := range tbl.Versions {
		if v.Error != "" || i+1 == len(tbl.Versions) {
			continue
		}
		ms, next := v.TimestampMs, tbl.Versions[i+1].TimestampMs
		if next-ms < 2 {
			continue // commits too close to separate by timestamp
		}
		ms += (next - ms) / 2
		pts = append(pts, travelPoint{version: v.Version, rows: v.Rows, ts: time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")})
	}
	return pts
}

// TestCase3TimeTravel: the same timestamp gives the same rows on all three
// engines (the same version is already checked version by version in case 2).
func TestCase3TimeTravel(t *testing.T) {
	for _, writer := range []string{DeltaRS, Spark} {
		t.Run(writer, func(t *testing.T) {
			t.Parallel()
			base := Result{Case: "3", Scenario: "(all)", Writer: writer}
			wp := s.peer(t, writer, withReader(base, writer), withReader(base, Lakehouse), withReader(base, otherPeer[writer]))
			known := map[string]scenarioInfo{}
			for _, sc := range s.scenarios(t, wp) {
				known[sc.Name] = sc
			}
			for _, name := range timeTravelScenarios[writer] {
				sc, ok := known[name]
				if !ok {
					t.Errorf("time-travel scenario %s is not one %s builds", name, writer)
					continue
				}
				t.Run(name, func(t *testing.T) { s.case3(t, wp, sc) })
			}
		})
	}
}

func (s *suite) case3(t *testing.T, wp *Peer, sc scenarioInfo) {
	ctx := ctxFor(t, 15*time.Minute)
	writer := wp.Engine
	base := Result{Case: "3", Scenario: sc.Name, Covers: "every version read by timestamp: " + sc.Covers, Writer: writer}
	tbl, err := s.build(t, wp, sc.Name)
	if err != nil {
		r := withReader(base, writer)
		r.Status, r.Detail = Fail, "writer could not build the table: "+err.Error()
		s.record(t, r)
		return
	}
	pts := travelPoints(tbl)
	readers := []string{writer, otherPeer[writer], Lakehouse}
	for _, name := range readers {
		r := withReader(base, name)
		var rd reader
		switch {
		case name == Lakehouse && s.cli == nil:
			s.record(t, Unavailable(r, s.cliErr.Error()))
			continue
		case name == Lakehouse:
			rd = s.cliReader()
		default:
			slot := s.peers[name]
			<-slot.ready
			if slot.peer == nil {
				s.record(t, Unavailable(r, s.peerMissing(name)))
				continue
			}
			rd = s.peerReader(slot.peer)
		}
		n, fails := s.travel(ctx, rd, tbl, pts)
		r.Status, r.Detail, r.Checked = statusOf(fails), summarize(fails), n
		s.record(t, r)
	}
}

func (s *suite) travel(ctx context.Context, rd reader, tbl *builtTable, pts []travelPoint) (int, []string) {
	var fails []string
	for _, p := range pts {
		rows, err := rd.read(ctx, tbl.Path, nil, p.ts)
		if err != nil {
			fails = append(fails, fmt.Sprintf("table %s, timestamp %s (version %d): %s read failed: %v", s.rel(tbl.Path), p.ts, p.version, rd.engine, err))
			continue
		}
		if d := CompareRows(p.rows, rows); d != nil {
			fails = append(fails, fmt.Sprintf("table %s, timestamp %s (version %d): %s", s.rel(tbl.Path), p.ts, p.version, d))
		}
	}
	return len(pts), fails
}
