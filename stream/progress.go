package stream

import (
	"log/slog"
	"time"
)

// Progress describes one micro-batch, with the fields (and JSON names) of
// Spark's StreamingQueryProgress.
type Progress struct {
	ID        string    `json:"id"`
	RunID     string    `json:"runId"`
	Name      string    `json:"name,omitempty"`
	Timestamp time.Time `json:"timestamp"`
	BatchID   int64     `json:"batchId"`
	// BatchDuration is the batch's wall time in milliseconds.
	BatchDuration int64 `json:"batchDuration"`
	NumInputRows  int64 `json:"numInputRows"`
	// InputRowsPerSecond is rows over the time since the previous batch
	// started; ProcessedRowsPerSecond rows over this batch's duration.
	InputRowsPerSecond     float64 `json:"inputRowsPerSecond"`
	ProcessedRowsPerSecond float64 `json:"processedRowsPerSecond"`
	// DurationMs splits the batch by phase: latestOffset, walCommit
	// (offsets written), getBatch, addBatch (transformations and sink),
	// commitOffsets, triggerExecution (all of it).
	DurationMs map[string]int64 `json:"durationMs"`
	// EventTime has max, min and watermark (ISO-8601) when the query has
	// a watermark.
	EventTime map[string]string `json:"eventTime,omitempty"`
	// StateOperators describe the state of stateful operators.
	StateOperators []StateOperatorProgress `json:"stateOperators"`
	Sources        []SourceProgress        `json:"sources"`
	Sink           SinkProgress            `json:"sink"`
	// NumOutputRows is what the sink was given.
	NumOutputRows int64 `json:"numOutputRows"`
	// Rerun is set when the batch re-ran offsets planned by an earlier
	// run that did not commit them.
	Rerun bool `json:"rerun,omitempty"`
}

// SourceProgress is a source's part of a Progress.
type SourceProgress struct {
	Description            string  `json:"description"`
	StartOffset            Offset  `json:"startOffset"`
	EndOffset              Offset  `json:"endOffset"`
	NumInputRows           int64   `json:"numInputRows"`
	InputRowsPerSecond     float64 `json:"inputRowsPerSecond"`
	ProcessedRowsPerSecond float64 `json:"processedRowsPerSecond"`
}

// SinkProgress is the sink's part of a Progress.
type SinkProgress struct {
	Description   string `json:"description"`
	NumOutputRows int64  `json:"numOutputRows"`
}

// Listener receives query events, like Spark's StreamingQueryListener.
// Calls come from the query's goroutine, one at a time; a slow listener
// slows the query.
type Listener interface {
	OnStarted(id, runID string)
	OnProgress(p *Progress)
	// OnTerminated gets nil after a clean stop.
	OnTerminated(id, runID string, err error)
}

func (p *Progress) logAttrs() []slog.Attr {
	attrs := []slog.Attr{
		slog.String("id", p.ID), slog.String("runId", p.RunID),
		slog.Int64("batchId", p.BatchID), slog.Int64("numInputRows", p.NumInputRows),
		slog.Float64("inputRowsPerSecond", p.InputRowsPerSecond),
		slog.Float64("processedRowsPerSecond", p.ProcessedRowsPerSecond),
		slog.Int64("triggerExecutionMs", p.DurationMs["triggerExecution"]),
	}
	if len(p.Sources) > 0 {
		attrs = append(attrs, slog.String("startOffset", string(p.Sources[0].StartOffset)), slog.String("endOffset", string(p.Sources[0].EndOffset)))
	}
	if w, ok := p.EventTime["watermark"]; ok {
		attrs = append(attrs, slog.String("watermark", w))
	}
	return attrs
}

// Status is what a query is doing now (Spark's StreamingQueryStatus).
type Status struct {
	Message         string `json:"message"`
	IsDataAvailable bool   `json:"isDataAvailable"`
	IsTriggerActive bool   `json:"isTriggerActive"`
}
