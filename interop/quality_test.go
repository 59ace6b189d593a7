//go:build interop

package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/lakehouse-go/lakehouse/quality"
)

// TestQualityEventLog: the pipeline event log package quality writes (a
// Delta table with DLT's event-log fields) must read the same in Spark,
// delta-rs and lakehouse's CLI as the events written; Spark must also
// answer the usual DLT data-quality query over its details JSON.
func TestQualityEventLog(t *testing.T) {
	base := Result{Case: "1", Scenario: "lh_quality_event_log", Writer: Lakehouse,
		Covers: "quality.EventLog: create_update, flow_progress with data_quality expectations, update_progress, an expectation failure event; two commits"}
	ctx := ctxFor(t, 10*time.Minute)
	path := filepath.Join(s.tables, Lakehouse, base.Scenario)
	want, err := writeEventLog(ctx, path)
	if err != nil {
		r := withReader(base, Lakehouse)
		r.Status, r.Detail = Fail, "quality could not write the event log: "+err.Error()
		s.record(t, r)
		return
	}
	for _, rd := range []string{Lakehouse, DeltaRS, Spark} {
		t.Run(rd, func(t *testing.T) {
			r := withReader(base, rd)
			var lines []string
			var err error
			switch rd {
			case Lakehouse:
				if s.cliErr != nil {
					s.record(t, Unavailable(r, s.cliErr.Error()))
					return
				}
				lines, err = s.cli.Cat(ctx, path, CatOptions{})
			default:
				var out struct {
					Rows []string `json:"rows"`
				}
				err = s.peer(t, rd, r).Call(ctx, "read", map[string]any{"path": path}, &out)
				lines = out.Rows
			}
			r.Status, r.Detail, r.Checked = eventLogOutcome(s.rel(path), want, lines, err)
			if rd == Spark && r.Status == Pass {
				st, detail := s.sparkExpectationQuery(ctx, t, path)
				if st != Pass {
					r.Status, r.Detail = st, detail
				}
				r.Checked++
			}
			s.record(t, r)
		})
	}
}

// writeEventLog writes two updates' events (the second fails on an
// expectation) and returns them as canonical rows.
func writeEventLog(ctx context.Context, path string) ([]string, error) {
	clock := time.Date(2026, 12, 4, 10, 0, 0, 123456000, time.UTC)
	elog, err := quality.OpenEventLog(ctx, path, &quality.EventLogOptions{Now: func() time.Time {
		clock = clock.Add(time.Second)
		return clock
	}})
	if err != nil {
		return nil, err
	}
	defer elog.Close()
	o := quality.Origin{PipelineID: "p-1", PipelineName: "transactions", UpdateID: "u-1"}
	silver := o
	silver.FlowName, silver.DatasetName = "silver", "silver"
	m := quality.Metrics{InputRecords: 10, OutputRecords: 7, DroppedRecords: 3, Expectations: []quality.ExpectationMetrics{
		{Name: "positive_amount", Dataset: "silver", Action: quality.ActionDrop, PassedRecords: 8, FailedRecords: 2},
		{Name: "has_date", Dataset: "silver", Action: quality.ActionDrop, PassedRecords: 8, FailedRecords: 2},
	}}
	if err := elog.Append(ctx, quality.CreateUpdateEvent(o, false), quality.FlowProgressEvent(silver, "COMPLETED", m),
		quality.UpdateProgressEvent(o, "COMPLETED")); err != nil {
		return nil, err
	}
	o.UpdateID, silver.UpdateID = "u-2", "u-2"
	failure := &quality.ExpectationError{Dataset: "silver", Expectation: "positive_amount", Condition: "amount > 0", Row: "{id: 4, amount: -1}"}
	if err := elog.Append(ctx, quality.CreateUpdateEvent(o, true), quality.ErrorEvent(silver, failure),
		quality.UpdateProgressEvent(o, "FAILED")); err != nil {
		return nil, err
	}
	events, err := elog.Events(ctx)
	if err != nil {
		return nil, err
	}
	var rows []string
	for _, e := range events {
		null := func(s string) any {
			if s == "" {
				return nil
			}
			return s
		}
		b, err := json.Marshal(map[string]any{
			"id": e.ID, "sequence": e.Sequence,
			"origin": map[string]any{"pipeline_id": null(e.Origin.PipelineID), "pipeline_name": null(e.Origin.PipelineName),
				"update_id": null(e.Origin.UpdateID), "flow_name": null(e.Origin.FlowName), "dataset_name": null(e.Origin.DatasetName)},
			"timestamp": e.Timestamp.UTC().Format("2006-01-02T15:04:05.000000Z"),
			"message":   null(e.Message), "level": e.Level, "event_type": e.EventType, "details": null(e.Details),
		})
		if err != nil {
			return nil, err
		}
		rows = append(rows, string(b))
	}
	return NormalizeRows(rows)
}

func eventLogOutcome(table string, want, lines []string, err error) (Status, string, int) {
	if err != nil {
		return Fail, fmt.Sprintf("table %s: %v", table, err), 0
	}
	got, err := NormalizeRows(lines)
	if err != nil {
		return Fail, err.Error(), 0
	}
	if d := CompareRows(want, got); d != nil {
		return Fail, fmt.Sprintf("table %s: %s", table, d), len(want)
	}
	return Pass, "", len(want)
}

// sparkExpectationQuery runs the query DLT users run over an event log:
// expectation counts exploded from details.flow_progress.data_quality.
func (s *suite) sparkExpectationQuery(ctx context.Context, t *testing.T, path string) (Status, string) {
	q := fmt.Sprintf("SELECT e.name, e.dataset, e.passed_records, e.failed_records FROM ("+
		"SELECT explode(from_json(get_json_object(details, '$.flow_progress.data_quality.expectations'), "+
		"'array<struct<name:string,dataset:string,passed_records:bigint,failed_records:bigint>>')) AS e "+
		"FROM delta.`%s` WHERE event_type = 'flow_progress' AND level = 'METRICS')", path)
	var out struct {
		Rows []string `json:"rows"`
	}
	if err := s.peer(t, Spark).Call(ctx, "sql", map[string]any{"statements": []string{q}}, &out); err != nil {
		return Fail, "Spark querying the event log's expectations: " + err.Error()
	}
	got, err := NormalizeRows(out.Rows)
	if err != nil {
		return Fail, err.Error()
	}
	want, _ := NormalizeRows([]string{
		`{"name":"positive_amount","dataset":"silver","passed_records":8,"failed_records":2}`,
		`{"name":"has_date","dataset":"silver","passed_records":8,"failed_records":2}`,
	})
	if d := CompareRows(want, got); d != nil {
		return Fail, "Spark's expectation query over the event log: " + d.String()
	}
	return Pass, ""
}
