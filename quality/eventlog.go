package quality

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/lakehouse-go/lakehouse/delta"
)

// Event types and levels written to the event log, named as in DLT.
const (
	EventCreateUpdate   = "create_update"
	EventUpdateProgress = "update_progress"
	EventFlowProgress   = "flow_progress"

	LevelInfo    = "INFO"
	LevelWarn    = "WARN"
	LevelError   = "ERROR"
	LevelMetrics = "METRICS"
)

// Origin says where an event comes from: the pipeline, the update (one
// run), and the flow and dataset when the event is about one table.
type Origin struct {
	PipelineID   string `json:"pipeline_id"`
	PipelineName string `json:"pipeline_name"`
	UpdateID     string `json:"update_id"`
	FlowName     string `json:"flow_name"`
	DatasetName  string `json:"dataset_name"`
}

// Event is one row of the event log, with the fields of DLT's event log.
// Sequence is a BIGINT here (DLT nests it in a struct); Details is a JSON
// object keyed by EventType, as in DLT.
type Event struct {
	ID        string
	Sequence  int64
	Origin    Origin
	Timestamp time.Time
	Message   string
	Level     string
	EventType string
	Details   string
}

var originType = arrow.StructOf(
	arrow.Field{Name: "pipeline_id", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "pipeline_name", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "update_id", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "flow_name", Type: arrow.BinaryTypes.String, Nullable: true},
	arrow.Field{Name: "dataset_name", Type: arrow.BinaryTypes.String, Nullable: true},
)

// EventLogSchema is the schema of the event log table.
func EventLogSchema() *arrow.Schema {
	str := arrow.BinaryTypes.String
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: str},
		{Name: "sequence", Type: arrow.PrimitiveTypes.Int64},
		{Name: "origin", Type: originType, Nullable: true},
		{Name: "timestamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "message", Type: str, Nullable: true},
		{Name: "level", Type: str},
		{Name: "event_type", Type: str},
		{Name: "details", Type: str, Nullable: true},
	}, nil)
}

// EventLogOptions tune OpenEventLog. A nil *EventLogOptions means defaults.
type EventLogOptions struct {
	// Table configures the Delta table (allocator, allowed roots).
	Table *delta.Options
	// Now stamps events without a Timestamp. Default time.Now.
	Now func() time.Time
}

// EventLog appends events to a Delta table. It is safe for concurrent
// use; each Append is one commit, and sequence numbers increase across
// appends (continuing from the table's largest when opened).
type EventLog struct {
	mu  sync.Mutex
	tbl *delta.Table
	seq int64
	now func() time.Time
	mem memory.Allocator
}

// OpenEventLog opens the event log table at url, creating it when there
// is no table there yet.
func OpenEventLog(ctx context.Context, url string, opts *EventLogOptions) (*EventLog, error) {
	var o EventLogOptions
	if opts != nil {
		o = *opts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	mem := memory.Allocator(memory.DefaultAllocator)
	if o.Table != nil && o.Table.Allocator != nil {
		mem = o.Table.Allocator
	}
	tbl, err := delta.Open(ctx, url, o.Table)
	if errors.Is(err, delta.ErrNotATable) {
		tbl, err = delta.Create(ctx, url, EventLogSchema(), &delta.CreateOptions{Table: o.Table, Name: "event_log",
			Description: "pipeline event log (DLT event log fields)"})
	}
	if err != nil {
		return nil, err
	}
	l := &EventLog{tbl: tbl, now: o.Now, mem: mem}
	if l.seq, err = l.lastSequence(ctx); err != nil {
		_ = tbl.Close()
		return nil, err
	}
	return l, nil
}

// lastSequence is the highest sequence number in the log. It comes from
// the files' statistics, so opening a long log reads no data; only when a
// file has no maximum for sequence (a writer that kept no stats) is the
// sequence column of the table read.
func (l *EventLog) lastSequence(ctx context.Context) (int64, error) {
	snap, err := l.tbl.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	var last int64
	for f, err := range snap.Files(ctx) {
		if err != nil {
			return 0, err
		}
		var st struct {
			MaxValues struct {
				Sequence *int64 `json:"sequence"`
			} `json:"maxValues"`
		}
		if f.Stats == "" || json.Unmarshal([]byte(f.Stats), &st) != nil || st.MaxValues.Sequence == nil {
			return scanLastSequence(ctx, snap)
		}
		last = max(last, *st.MaxValues.Sequence)
	}
	return last, nil
}

// scanLastSequence reads the sequence column alone for its maximum.
func scanLastSequence(ctx context.Context, snap *delta.Snapshot) (int64, error) {
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"sequence"}})
	if err != nil {
		return 0, err
	}
	defer rr.Release()
	var last int64
	for rr.Next() {
		col := rr.RecordBatch().Column(0).(*array.Int64)
		for i := range col.Len() {
			if col.IsValid(i) {
				last = max(last, col.Value(i))
			}
		}
	}
	return last, rr.Err()
}

// Table is the event log's Delta table.
func (l *EventLog) Table() *delta.Table { return l.tbl }

// Close closes the table.
func (l *EventLog) Close() error { return l.tbl.Close() }

// Append writes events in one commit, filling in a missing ID (a random
// UUID), Sequence (the next number) and Timestamp (now).
func (l *EventLog) Append(ctx context.Context, events ...Event) error {
	if len(events) == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	seq := l.seq
	b := array.NewRecordBuilder(l.mem, EventLogSchema())
	defer b.Release()
	for _, e := range events {
		if e.ID == "" {
			e.ID = uuid.NewString()
		}
		if e.Sequence == 0 {
			seq++
			e.Sequence = seq
		}
		seq = max(seq, e.Sequence)
		if e.Timestamp.IsZero() {
			e.Timestamp = l.now()
		}
		appendEvent(b, e)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	if err != nil {
		return fmt.Errorf("quality: event log: %w", err)
	}
	defer rr.Release()
	if _, err := l.tbl.Append(ctx, rr, nil); err != nil {
		return err
	}
	l.seq = seq
	return nil
}

func appendEvent(b *array.RecordBuilder, e Event) {
	str := func(i int, v string) { b.Field(i).(*array.StringBuilder).Append(v) }
	optStr := func(sb *array.StringBuilder, v string) {
		if v == "" {
			sb.AppendNull()
		} else {
			sb.Append(v)
		}
	}
	str(0, e.ID)
	b.Field(1).(*array.Int64Builder).Append(e.Sequence)
	ob := b.Field(2).(*array.StructBuilder)
	ob.Append(true)
	for i, v := range []string{e.Origin.PipelineID, e.Origin.PipelineName, e.Origin.UpdateID, e.Origin.FlowName, e.Origin.DatasetName} {
		optStr(ob.FieldBuilder(i).(*array.StringBuilder), v)
	}
	b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(e.Timestamp.UnixMicro()))
	optStr(b.Field(4).(*array.StringBuilder), e.Message)
	str(5, e.Level)
	str(6, e.EventType)
	optStr(b.Field(7).(*array.StringBuilder), e.Details)
}

// Events reads every event of the latest version of the log, in sequence
// order.
func (l *EventLog) Events(ctx context.Context) ([]Event, error) {
	snap, err := l.tbl.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Columns: []string{"id", "sequence", "origin", "timestamp", "message", "level", "event_type", "details"}})
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var out []Event
	for rr.Next() {
		rec := rr.RecordBatch()
		origin := rec.Column(2).(*array.Struct)
		for i := range int(rec.NumRows()) {
			o := func(k int) string { return strAt(origin.Field(k), i) }
			out = append(out, Event{
				ID:        strAt(rec.Column(0), i),
				Sequence:  rec.Column(1).(*array.Int64).Value(i),
				Origin:    Origin{PipelineID: o(0), PipelineName: o(1), UpdateID: o(2), FlowName: o(3), DatasetName: o(4)},
				Timestamp: time.UnixMicro(int64(rec.Column(3).(*array.Timestamp).Value(i))).UTC(),
				Message:   strAt(rec.Column(4), i),
				Level:     strAt(rec.Column(5), i),
				EventType: strAt(rec.Column(6), i),
				Details:   strAt(rec.Column(7), i),
			})
		}
	}
	if err := rr.Err(); err != nil {
		return nil, err
	}
	sortEvents(out)
	return out, nil
}

func strAt(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return ""
	}
	return a.(*array.String).Value(i)
}

func sortEvents(es []Event) {
	slices.SortFunc(es, func(a, b Event) int { return cmp.Compare(a.Sequence, b.Sequence) })
}

func detailsJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil { // only plain maps and structs are marshalled here
		panic(err)
	}
	return string(b)
}

// CreateUpdateEvent is the create_update event that starts an update.
func CreateUpdateEvent(o Origin, fullRefresh bool) Event {
	return Event{Origin: o, Level: LevelInfo, EventType: EventCreateUpdate,
		Message: fmt.Sprintf("Update %s started.", o.UpdateID),
		Details: detailsJSON(map[string]any{"create_update": map[string]any{"cause": "API_CALL", "full_refresh": fullRefresh}})}
}

// UpdateProgressEvent reports the update's state: RUNNING, COMPLETED or
// FAILED (the update's end).
func UpdateProgressEvent(o Origin, state string) Event {
	level := LevelInfo
	if state == "FAILED" {
		level = LevelError
	}
	return Event{Origin: o, Level: level, EventType: EventUpdateProgress,
		Message: fmt.Sprintf("Update %s is %s.", o.UpdateID, state),
		Details: detailsJSON(map[string]any{"update_progress": map[string]any{"state": state}})}
}

// expectationJSON is one entry of flow_progress.data_quality.expectations.
type expectationJSON struct {
	Name          string `json:"name"`
	Dataset       string `json:"dataset"`
	PassedRecords int64  `json:"passed_records"`
	FailedRecords int64  `json:"failed_records"`
}

// FlowProgressEvent reports a flow's metrics: details carry
// flow_progress.metrics.num_output_rows and
// flow_progress.data_quality.{dropped_records, expectations[{name,
// dataset, passed_records, failed_records}]}, as DLT writes them.
func FlowProgressEvent(o Origin, status string, m Metrics) Event {
	exps := make([]expectationJSON, len(m.Expectations))
	for i, e := range m.Expectations {
		ds := e.Dataset
		if ds == "" {
			ds = o.DatasetName
		}
		exps[i] = expectationJSON{Name: e.Name, Dataset: ds, PassedRecords: e.PassedRecords, FailedRecords: e.FailedRecords}
	}
	return Event{Origin: o, Level: LevelMetrics, EventType: EventFlowProgress,
		Message: fmt.Sprintf("Flow '%s' is %s.", o.FlowName, status),
		Details: detailsJSON(map[string]any{"flow_progress": map[string]any{
			"status":       status,
			"metrics":      map[string]any{"num_output_rows": m.OutputRecords},
			"data_quality": map[string]any{"dropped_records": m.DroppedRecords, "expectations": exps},
		}})}
}

// ErrorEvent reports a failed flow (a flow_progress event with status
// FAILED and level ERROR) carrying the error message; when err is an
// *ExpectationError, the expectation and offending row too.
func ErrorEvent(o Origin, err error) Event {
	e := map[string]any{"fatal": true, "message": err.Error()}
	var ee *ExpectationError
	if errors.As(err, &ee) {
		e["expectation"] = ee.Expectation
		e["row"] = ee.Row
	}
	return Event{Origin: o, Level: LevelError, EventType: EventFlowProgress,
		Message: fmt.Sprintf("Flow '%s' has FAILED: %s", o.FlowName, err),
		Details: detailsJSON(map[string]any{"flow_progress": map[string]any{"status": "FAILED", "error": e}})}
}
