package quality

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

func TestEventLog(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	url := filepath.Join(t.TempDir(), "event_log")
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	opts := &EventLogOptions{Table: &delta.Options{Allocator: mem}, Now: func() time.Time { return clock }}
	log, err := OpenEventLog(ctx, url, opts)
	require.NoError(t, err)
	o := Origin{PipelineID: "p1", PipelineName: "transactions", UpdateID: "u1"}
	flow := o
	flow.FlowName, flow.DatasetName = "silver", "silver"
	m := Metrics{InputRecords: 10, OutputRecords: 8, DroppedRecords: 2, Expectations: []ExpectationMetrics{
		{Name: "positive", Dataset: "silver", Action: ActionDrop, PassedRecords: 8, FailedRecords: 2},
		{Name: "has_date", Action: ActionWarn, PassedRecords: 9, FailedRecords: 1}}}
	require.NoError(t, log.Append(ctx, CreateUpdateEvent(o, false)))
	require.NoError(t, log.Append(ctx, FlowProgressEvent(flow, "COMPLETED", m), UpdateProgressEvent(o, "COMPLETED")))
	require.NoError(t, log.Close())

	// Reopened, sequence numbers continue.
	log, err = OpenEventLog(ctx, url, opts)
	require.NoError(t, err)
	defer log.Close()
	failure := &ExpectationError{Dataset: "silver", Expectation: "positive", Condition: "amount > 0", Row: "{id: 1}"}
	require.NoError(t, log.Append(ctx, ErrorEvent(flow, failure), UpdateProgressEvent(o, "FAILED")))

	events, err := log.Events(ctx)
	require.NoError(t, err)
	require.Len(t, events, 5)
	type brief struct {
		Seq              int64
		Type, Level, Flw string
	}
	var got []brief
	for _, e := range events {
		got = append(got, brief{e.Sequence, e.EventType, e.Level, e.Origin.FlowName})
		assert.Equal(t, clock, e.Timestamp)
		assert.Len(t, e.ID, 36)
		assert.Equal(t, "transactions", e.Origin.PipelineName)
	}
	assert.Equal(t, []brief{
		{1, EventCreateUpdate, LevelInfo, ""},
		{2, EventFlowProgress, LevelMetrics, "silver"},
		{3, EventUpdateProgress, LevelInfo, ""},
		{4, EventFlowProgress, LevelError, "silver"},
		{5, EventUpdateProgress, LevelError, ""},
	}, got)

	var d struct {
		FlowProgress struct {
			Status      string `json:"status"`
			DataQuality struct {
				DroppedRecords int64             `json:"dropped_records"`
				Expectations   []expectationJSON `json:"expectations"`
			} `json:"data_quality"`
			Error map[string]any `json:"error"`
		} `json:"flow_progress"`
	}
	require.NoError(t, json.Unmarshal([]byte(events[1].Details), &d))
	assert.Equal(t, "COMPLETED", d.FlowProgress.Status)
	assert.Equal(t, int64(2), d.FlowProgress.DataQuality.DroppedRecords)
	assert.Equal(t, []expectationJSON{{"positive", "silver", 8, 2}, {"has_date", "silver", 9, 1}}, d.FlowProgress.DataQuality.Expectations)
	require.NoError(t, json.Unmarshal([]byte(events[3].Details), &d))
	assert.Equal(t, "FAILED", d.FlowProgress.Status)
	assert.Equal(t, "positive", d.FlowProgress.Error["expectation"])
	assert.JSONEq(t, `{"update_progress":{"state":"FAILED"}}`, events[4].Details)
}

// TestEventLogSequenceWithoutStats: sequence numbers continue on a log whose
// files carry no column statistics (the last sequence is then read from the
// sequence column instead of the stats).
func TestEventLogSequenceWithoutStats(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	url := filepath.Join(t.TempDir(), "event_log")
	tbl, err := delta.Create(ctx, url, EventLogSchema(), &delta.CreateOptions{Table: &delta.Options{Allocator: mem},
		Properties: map[string]string{"delta.dataSkippingNumIndexedCols": "0"}})
	require.NoError(t, err)
	require.NoError(t, tbl.Close())
	o := Origin{PipelineID: "p1", PipelineName: "transactions", UpdateID: "u1"}
	for range 2 {
		log, err := OpenEventLog(ctx, url, &EventLogOptions{Table: &delta.Options{Allocator: mem}})
		require.NoError(t, err)
		require.NoError(t, log.Append(ctx, CreateUpdateEvent(o, false), UpdateProgressEvent(o, "COMPLETED")))
		require.NoError(t, log.Close())
	}
	log, err := OpenEventLog(ctx, url, &EventLogOptions{Table: &delta.Options{Allocator: mem}})
	require.NoError(t, err)
	defer log.Close()
	events, err := log.Events(ctx)
	require.NoError(t, err)
	var seqs []int64
	for _, e := range events {
		seqs = append(seqs, e.Sequence)
	}
	assert.Equal(t, []int64{1, 2, 3, 4}, seqs)
	snap, err := log.Table().Snapshot(ctx)
	require.NoError(t, err)
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		assert.NotContains(t, f.Stats, "sequence", "the table should keep no column stats")
	}
}
