package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/google/uuid"

	"github.com/lakehouse-go/lakehouse/delta"
)

// The event log is a Delta table with the columns of DLT's event log, so
// queries written for one read the other: details is a JSON string, as
// DLT stores it, read with details:flow_progress.data_quality.expectations
// in Databricks SQL or get_json_object elsewhere.
var eventSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String},
	{Name: "sequence", Type: arrow.StructOf(
		arrow.Field{Name: "control_plane_seq_no", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	), Nullable: true},
	{Name: "origin", Type: arrow.StructOf(
		arrow.Field{Name: "pipeline_id", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "pipeline_name", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "update_id", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "flow_name", Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: "dataset_name", Type: arrow.BinaryTypes.String, Nullable: true},
	), Nullable: true},
	{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "message", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "level", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "maturity_level", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "error", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "details", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "event_type", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

type event struct {
	at          time.Time
	eventType   string
	level       string
	message     string
	flow        string
	dataset     string
	details     any
	errorDetail any
}

// eventBuffer collects an update's events; they are appended to the event
// log in one commit when the update ends.
type eventBuffer struct {
	p         *Pipeline
	u         *update
	events    []event
	committed bool // some table committed in this update
}

func newEventBuffer(p *Pipeline, u *update) *eventBuffer { return &eventBuffer{p: p, u: u} }

// pipelineID is stable for a pipeline name, as DLT's pipeline id is for a
// pipeline.
func (p *Pipeline) pipelineID() string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("lakehouse-pipeline:"+p.name)).String()
}

func (b *eventBuffer) createUpdate(o RunOptions) {
	b.events = append(b.events, event{
		at: time.Now().UTC(), eventType: "create_update", level: "INFO",
		message: fmt.Sprintf("Update %s started by API call.", b.u.id[:6]),
		details: map[string]any{"create_update": map[string]any{
			"cause": "API_CALL", "full_refresh": o.FullRefreshAll, "full_refresh_selection": o.FullRefresh,
		}},
	})
}

func (b *eventBuffer) flowProgress(n *node, t *tableRun) {
	b.committed = true
	exps := make([]map[string]any, 0, len(t.res.Expectations))
	for _, e := range t.res.Expectations {
		exps = append(exps, map[string]any{
			"name": e.Name, "dataset": n.def.name.table,
			"passed_records": e.Passed, "failed_records": e.Failed,
		})
	}
	b.events = append(b.events, event{
		at: time.Now().UTC(), eventType: "flow_progress", level: "METRICS",
		message: fmt.Sprintf("Flow '%s' has COMPLETED.", n.def.name),
		flow:    n.def.name.String(), dataset: n.def.name.table,
		details: map[string]any{"flow_progress": map[string]any{
			"status":  "COMPLETED",
			"metrics": map[string]any{"num_output_rows": t.res.OutputRows},
			"data_quality": map[string]any{
				"dropped_records": t.res.DroppedRows,
				"expectations":    exps,
			},
		}},
	})
}

// finish ends the update's events. A failed update that committed nothing
// logs only its error, so the event log, like the tables, shows no trace
// of it beyond that.
func (b *eventBuffer) finish(res *Update, err error) {
	if err == nil {
		b.events = append(b.events, event{
			at: time.Now().UTC(), eventType: "update_progress", level: "INFO",
			message: fmt.Sprintf("Update %s is COMPLETED.", b.u.id[:6]),
			details: map[string]any{"update_progress": map[string]any{"state": "COMPLETED"}},
		})
		return
	}
	if !b.committed {
		b.events = nil
	}
	b.events = append(b.events, event{
		at: time.Now().UTC(), eventType: "update_progress", level: "ERROR",
		message:     fmt.Sprintf("Update %s is FAILED.", b.u.id[:6]),
		details:     map[string]any{"update_progress": map[string]any{"state": "FAILED"}},
		errorDetail: map[string]any{"fatal": true, "exceptions": []map[string]any{{"message": err.Error()}}},
	})
}

// write appends the events to the event log table, creating it on first
// use.
func (b *eventBuffer) write(ctx context.Context) error {
	if len(b.events) == 0 {
		return nil
	}
	name, err := parseName(b.p.o.EventLog, b.p.o.Catalog, b.p.o.Schema)
	if err != nil {
		return err
	}
	rec, err := b.batch()
	if err != nil {
		return err
	}
	defer rec.Release()
	rr, err := array.NewRecordReader(eventSchema, []arrow.RecordBatch{rec})
	if err != nil {
		return err
	}
	defer rr.Release()
	tbl, err := b.p.openTable(ctx, name)
	switch {
	case errors.Is(err, delta.ErrNotATable) || errors.Is(err, fs.ErrNotExist):
		tbl, _, err = delta.CreateAsSelect(ctx, name.location(b.p.o.Warehouse), rr, &delta.CreateOptions{
			Table: b.p.o.Table, Name: name.table, Description: "event log of pipeline " + b.p.name,
			Properties: map[string]string{"pipelines.pipelineName": b.p.name, "pipelines.pipelineId": b.p.pipelineID()},
		})
		if err != nil {
			return fmt.Errorf("pipeline: event log: %w", err)
		}
		return tbl.Close()
	case err != nil:
		return fmt.Errorf("pipeline: event log: %w", err)
	}
	defer tbl.Close()
	if _, err := tbl.Append(ctx, rr, nil); err != nil {
		return fmt.Errorf("pipeline: event log: %w", err)
	}
	return nil
}

func (b *eventBuffer) batch() (arrow.RecordBatch, error) {
	rb := array.NewRecordBuilder(b.p.o.Allocator, eventSchema)
	defer rb.Release()
	str := func(i int, s string) {
		bld := rb.Field(i).(*array.StringBuilder)
		if s == "" {
			bld.AppendNull()
			return
		}
		bld.Append(s)
	}
	for i, e := range b.events {
		rb.Field(0).(*array.StringBuilder).Append(uuid.NewString())
		seq := rb.Field(1).(*array.StructBuilder)
		seq.Append(true)
		seq.FieldBuilder(0).(*array.Int64Builder).Append(b.u.seq*1_000_000 + int64(i))
		origin := rb.Field(2).(*array.StructBuilder)
		origin.Append(true)
		for j, v := range []string{b.p.pipelineID(), b.p.name, b.u.id, e.flow, e.dataset} {
			ob := origin.FieldBuilder(j).(*array.StringBuilder)
			if v == "" {
				ob.AppendNull()
			} else {
				ob.Append(v)
			}
		}
		rb.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(e.at.UnixMicro()))
		str(4, e.message)
		str(5, e.level)
		str(6, "STABLE")
		str(7, jsonText(e.errorDetail))
		str(8, jsonText(e.details))
		str(9, e.eventType)
	}
	return rb.NewRecordBatch(), nil
}

func jsonText(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
