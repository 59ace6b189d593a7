package pipeline

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/stream"
)

// compute runs every table's definition in dependency order and stages
// the rows; nothing is committed.
func (u *update) compute(ctx context.Context, g *graph, all bool, refresh map[string]bool) error {
	for _, n := range g.order {
		t, err := u.tableStart(ctx, n)
		if err != nil {
			return err
		}
		u.tables[n] = t
		t.refresh = all || refresh[n.def.name.String()]
		t.res.FullRefresh = t.refresh
		t.checks = newTableChecks(n.def, u.p.o.Allocator)
		switch n.def.kind {
		case streamingTable:
			err = u.computeStream(ctx, n, t)
		case materializedView:
			err = u.computeView(ctx, n, t)
		}
		if err != nil {
			u.failed = n
			return fmt.Errorf("pipeline: %s: %w", n.def.name, err)
		}
	}
	return nil
}

// computeStream reads a streaming table's new input.
func (u *update) computeStream(ctx context.Context, n *node, t *tableRun) error {
	d := n.def
	var prev, pending *flowState
	var err error
	if t.committed >= 0 && !t.refresh {
		if prev, err = u.st.flow(ctx, d.name, t.committed); err != nil {
			return err
		}
		if prev == nil {
			return fmt.Errorf("the table records update %d, whose state under %s is gone; run a full refresh of it", t.committed, u.st.url)
		}
	}
	if !t.refresh {
		if pending, err = u.st.pendingFlow(ctx, d.name, t.committed); err != nil {
			return err
		}
	}
	if t.startVersion >= 0 && t.committed < 0 && !t.refresh && pending == nil {
		return fmt.Errorf("the table exists but was not written by this pipeline; run a full refresh of it to let the pipeline replace it")
	}
	flow := &flowState{Seq: u.seq, Generation: u.seq, FullRefresh: t.refresh}
	switch {
	case pending != nil:
		// A commit was prepared and did not happen: re-run it with the
		// same offsets, under the same number.
		*flow = *pending
		t.pendingSeq, t.refresh = pending.Seq, pending.FullRefresh
		t.res.FullRefresh = t.refresh
	case prev != nil:
		flow.Start, flow.Generation = prev.End, prev.Generation
	}
	src := n.pipe.Source()
	meta, err := stream.OpenMetaDir(ctx, joinLocation(u.st.url, sourceDir(d.name, flow.Generation)), &stream.MetaDirOptions{URLMux: u.p.storageOptions().URLMux})
	if err != nil {
		return err
	}
	u.closers = append(u.closers, meta.Close)
	if err := src.Open(ctx, &stream.SourceEnv{QueryID: u.p.appID(d.name), RunID: u.id, Meta: meta, Allocator: u.p.o.Allocator, Logger: u.p.o.Logger}); err != nil {
		return err
	}
	u.closers = append(u.closers, src.Close)
	if pending == nil {
		if flow.End, err = src.LatestOffset(ctx, flow.Start, stream.LimitAll); err != nil {
			return err
		}
	}
	if stream.SameOffset(flow.Start, flow.End) && !t.refresh {
		return nil // no new input
	}
	rr, err := src.Read(ctx, flow.Start, flow.End)
	if err != nil {
		return err
	}
	defer rr.Release()
	t.flow = flow
	t.rows = newStaged(u.spill, d.name.table, u.p.o.Allocator)
	dedup := newDeduper(d.Keys)
	for rr.Next() {
		out, err := n.pipe.Apply(ctx, rr.RecordBatch(), u.p.o.Allocator)
		if err != nil {
			return err
		}
		if out == nil {
			continue
		}
		err = u.checkAndStage(ctx, n, t, out, dedup)
		out.Release()
		if err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return err
	}
	if err := t.rows.finish(); err != nil {
		return err
	}
	if len(d.Keys) > 0 && t.startVersion >= 0 && !t.refresh && t.rows.rows > 0 {
		if err := u.dropExistingKeys(ctx, n, t, dedup); err != nil {
			return err
		}
	}
	return t.finishStage()
}

// computeView recomputes a materialized view when an input changed.
func (u *update) computeView(ctx context.Context, n *node, t *tableRun) error {
	d := n.def
	changed := t.refresh || t.startVersion < 0 || t.committed < 0
	if !changed {
		prev, err := u.st.flow(ctx, d.name, t.committed)
		if err != nil {
			return err
		}
		if prev != nil {
			t.prevInputs = prev.Inputs
		}
		for _, in := range n.inputs {
			ut := u.tables[in.up]
			if ut.rows != nil || prev == nil || prev.Inputs[in.up.def.name.String()] != ut.startVersion {
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	for _, in := range n.inputs {
		if ut := u.tables[in.up]; ut.startVersion < 0 && ut.rows == nil {
			return nil // an input has never had rows: nothing to compute yet
		}
	}
	rr, err := n.query(ctx)
	if err != nil {
		return err
	}
	defer rr.Release()
	t.flow = &flowState{Seq: u.seq, Generation: u.seq, FullRefresh: true}
	t.res.FullRefresh = t.refresh
	t.refresh = true // the view's commit replaces its rows either way
	t.rows = newStaged(u.spill, d.name.table, u.p.o.Allocator)
	t.rows.schema = rr.Schema()
	for rr.Next() {
		if err := u.checkAndStage(ctx, n, t, rr.RecordBatch(), nil); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil {
		return err
	}
	if err := t.rows.finish(); err != nil {
		return err
	}
	return t.finishStage()
}

// checkAndStage applies the expectations (and deduplication) to one batch
// and stages what passes; dropped rows go to the quarantine stage.
func (u *update) checkAndStage(ctx context.Context, n *node, t *tableRun, rec arrow.RecordBatch, dedup *deduper) error {
	t.res.InputRows += rec.NumRows()
	kept, quarantined, err := t.checks.apply(ctx, rec)
	if err != nil {
		return err
	}
	defer kept.Release()
	if quarantined != nil {
		defer quarantined.Release()
		t.res.DroppedRows += quarantined.NumRows()
		if n.def.quarantine != nil {
			if t.quarantine == nil {
				t.quarantine = newStaged(u.spill, n.def.quarantine.table, u.p.o.Allocator)
			}
			if err := t.quarantine.write(quarantined); err != nil {
				return err
			}
			t.res.Quarantined += quarantined.NumRows()
		}
	}
	if dedup != nil && dedup.active() {
		unique, dups, err := dedup.firstSeen(kept, u.p.o.Allocator)
		if err != nil {
			return err
		}
		defer unique.Release()
		t.res.Duplicates += dups
		kept = unique
	}
	if t.rows.schema == nil {
		t.rows.schema = kept.Schema()
	}
	return t.rows.write(kept)
}

// finishStage closes the quarantine stage and fills the result counts.
func (t *tableRun) finishStage() error {
	if t.quarantine != nil {
		if err := t.quarantine.finish(); err != nil {
			return err
		}
	}
	t.res.OutputRows = t.rows.rows
	t.res.Expectations = t.checks.metrics().Expectations
	return nil
}

// validate is the dry run: the graph planned (done by the caller), and
// each table's expectations compiled against its existing schema.
func (p *Pipeline) validate(ctx context.Context, g *graph, u *update) error {
	for _, n := range g.order {
		res := &TableUpdate{Name: n.def.name.String(), Kind: n.def.kind.String(), Version: -1}
		u.res.Tables = append(u.res.Tables, res)
		tbl, err := p.openTable(ctx, n.def.name)
		if err != nil {
			continue // created by the first update: checked then
		}
		snap, err := tbl.Snapshot(ctx)
		_ = tbl.Close()
		if err != nil {
			return fmt.Errorf("pipeline: %s: %w", n.def.name, err)
		}
		res.Version = snap.Version()
		if _, err := bindExpectations(n.def, snap.Schema(), p.o.Allocator); err != nil {
			return err
		}
	}
	return nil
}

// emptyReader is a reader of no rows, for a refresh that leaves a table
// empty.
func emptyReader(schema *arrow.Schema) array.RecordReader {
	rr, _ := array.NewRecordReader(schema, nil)
	return rr
}
