package pipeline

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/lakehouse-go/lakehouse/quality"
)

// eventBuffer collects an update's events; they are appended to the event
// log (quality.EventLog, a Delta table with DLT's event log fields) in one
// commit when the update ends.
type eventBuffer struct {
	p         *Pipeline
	u         *update
	events    []quality.Event
	committed bool // some table committed in this update
}

func newEventBuffer(p *Pipeline, u *update) *eventBuffer { return &eventBuffer{p: p, u: u} }

// pipelineID is stable for a pipeline name, as DLT's pipeline id is for a
// pipeline.
func (p *Pipeline) pipelineID() string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("lakehouse-pipeline:"+p.name)).String()
}

func (b *eventBuffer) origin(n *node) quality.Origin {
	o := quality.Origin{PipelineID: b.p.pipelineID(), PipelineName: b.p.name, UpdateID: b.u.id}
	if n != nil {
		o.FlowName, o.DatasetName = n.def.name.String(), n.def.name.table
	}
	return o
}

func (b *eventBuffer) createUpdate(o RunOptions) {
	b.events = append(b.events, quality.CreateUpdateEvent(b.origin(nil), o.FullRefreshAll || len(o.FullRefresh) > 0))
}

func (b *eventBuffer) flowProgress(n *node, t *tableRun) {
	b.committed = true
	b.events = append(b.events, quality.FlowProgressEvent(b.origin(n), "COMPLETED", t.checks.metrics()))
}

// finish ends the update's events. A failed update that committed nothing
// logs only its error, so the event log, like the tables, shows no other
// trace of it.
func (b *eventBuffer) finish(err error, failed *node) {
	if err == nil {
		b.events = append(b.events, quality.UpdateProgressEvent(b.origin(nil), "COMPLETED"))
		return
	}
	if !b.committed {
		b.events = nil
	}
	b.events = append(b.events, quality.ErrorEvent(b.origin(failed), err))
	if b.committed {
		b.events = append(b.events, quality.UpdateProgressEvent(b.origin(nil), "FAILED"))
	}
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
	log, err := quality.OpenEventLog(ctx, name.location(b.p.o.Warehouse), &quality.EventLogOptions{Table: b.p.o.Table})
	if err != nil {
		return fmt.Errorf("pipeline: event log: %w", err)
	}
	defer log.Close()
	if err := log.Append(ctx, b.events...); err != nil {
		return fmt.Errorf("pipeline: event log: %w", err)
	}
	return nil
}
