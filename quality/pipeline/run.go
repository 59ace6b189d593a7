package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/quality"
)

// RunOptions configure one update. A nil *RunOptions updates every table
// incrementally.
type RunOptions struct {
	// FullRefresh names tables to rebuild from scratch: a streaming table
	// is replaced by what its source holds from the beginning (a files
	// source lists every file again), a materialized view is recomputed.
	FullRefresh []string
	// FullRefreshAll rebuilds every table.
	FullRefreshAll bool
	// DryRun plans the graph, calls every definition, compiles every
	// expectation against the schema of the existing table, and writes
	// nothing: no table, no state, no event.
	DryRun bool
}

// Update describes a finished (or failed) update.
type Update struct {
	// ID is a UUID; Seq numbers the pipeline's updates from 0.
	ID  string
	Seq int64
	// Start and End bound the update in wall-clock time.
	Start, End time.Time
	DryRun     bool
	// Tables are the per-table results, in the order they ran.
	Tables []*TableUpdate
}

// Table returns the result for a table name (any of its spellings), or nil.
func (u *Update) Table(name string) *TableUpdate {
	for _, t := range u.Tables {
		if t.Name == name || t.short == name || t.twoPart == name {
			return t
		}
	}
	return nil
}

// TableUpdate is what one update did to one table.
type TableUpdate struct {
	// Name is the full name catalog.schema.table; Kind "streaming table"
	// or "materialized view".
	Name, Kind string
	// InputRows is the number of rows the definition produced; OutputRows
	// those written after expectations and deduplication.
	InputRows, OutputRows int64
	// DroppedRows failed a drop expectation; Duplicates were dropped by
	// Keys; Quarantined went to the quarantine table.
	DroppedRows, Duplicates, Quarantined int64
	// Expectations hold each expectation's passed and failed counts.
	Expectations []quality.ExpectationMetrics
	// Version is the table version the update committed; -1 when it
	// committed nothing (no new input).
	Version int64
	// FullRefresh is set when the table was rebuilt.
	FullRefresh bool
	// Incremental is set when a materialized view's query read its
	// inputs' changes (Input.Changes) rather than their whole contents.
	Incremental bool

	short, twoPart string
}

// tableRun is one table's part of a running update.
type tableRun struct {
	res *TableUpdate
	// startVersion is the table's version when the update began, -1 when
	// it did not exist.
	startVersion int64
	committed    int64 // the seq of its last committed update, -1 if none
	generation   int64
	flow         *flowState // what this update read; nil: nothing to commit
	rows         *staged    // rows to commit
	quarantine   *staged
	refresh      bool
	pendingSeq   int64 // the seq to commit under: this update's, or a re-run's
	// prevInputs are the input versions a materialized view's last
	// committed update read.
	prevInputs map[string]int64
	checks     *tableChecks
}

// update is a running update.
type update struct {
	p       *Pipeline
	seq     int64
	id      string
	st      *state
	spill   string
	tables  map[*node]*tableRun
	closers []func() error
	res     *Update
	failed  *node // the table whose error stopped the update
}

// Run performs one update of every table, in dependency order: each
// streaming table reads what arrived since its last update, each
// materialized view whose inputs changed is recomputed, and every table's
// expectations are checked. Nothing is committed until every table's rows
// are computed; then the tables commit one by one, each atomically with
// the record of what it read. So a failing expectation (quality.Fail), or
// any error before the commits, leaves every table as it was, and the
// event log gains only the error; a crash or error during the commits
// leaves the tables already committed whole, and the next Run commits the
// rest with exactly the input they had read.
func (p *Pipeline) Run(ctx context.Context, opts *RunOptions) (*Update, error) {
	var o RunOptions
	if opts != nil {
		o = *opts
	}
	refresh := map[string]bool{}
	for _, name := range o.FullRefresh {
		n, err := parseName(name, p.o.Catalog, p.o.Schema)
		if err != nil {
			return nil, err
		}
		if _, ok := p.names[n.String()]; !ok {
			return nil, fmt.Errorf("%w: full refresh of %s, which the pipeline does not define", ErrInvalidDefinition, n)
		}
		refresh[n.String()] = true
	}
	u := &update{p: p, id: uuid.NewString(), tables: map[*node]*tableRun{}, res: &Update{Start: time.Now().UTC(), DryRun: o.DryRun}}
	u.res.ID = u.id
	defer u.close()
	g, err := p.plan(u)
	if err != nil {
		return nil, err
	}
	if o.DryRun {
		return u.res, p.validate(ctx, g, u)
	}
	stateURL := joinLocation(p.o.Warehouse, "_pipelines", p.name)
	if u.st, err = openState(ctx, stateURL, p.storageOptions()); err != nil {
		return nil, err
	}
	u.closers = append(u.closers, u.st.close)
	rec := updateRecord{ID: u.id, StartedAt: u.res.Start.Format(time.RFC3339Nano), Refresh: o.FullRefresh}
	if o.FullRefreshAll {
		rec.Refresh = []string{"*"}
	}
	if u.seq, err = u.st.beginUpdate(ctx, rec); err != nil {
		return nil, err
	}
	u.res.Seq = u.seq
	if u.spill, err = os.MkdirTemp(p.o.SpillDir, "lakehouse-pipeline-*"); err != nil {
		return nil, fmt.Errorf("pipeline: spill directory: %w", err)
	}
	events := newEventBuffer(p, u)
	events.createUpdate(o)
	err = u.compute(ctx, g, o.FullRefreshAll, refresh)
	if err == nil {
		err = u.commit(ctx, g, events)
	}
	u.res.End = time.Now().UTC()
	events.finish(err, u.failed)
	if werr := events.write(ctx); werr != nil {
		err = errors.Join(err, werr)
	}
	if err != nil {
		return u.res, fmt.Errorf("%w: %w", ErrUpdateFailed, err)
	}
	return u.res, nil
}

func (p *Pipeline) storageOptions() *storage.OpenOptions {
	o := &storage.OpenOptions{}
	if p.o.Table != nil {
		o.URLMux, o.NoSync = p.o.Table.URLMux, p.o.Table.NoSync
	}
	return o
}

func (u *update) close() {
	for _, t := range u.tables {
		if t.rows != nil {
			t.rows.discard()
		}
		if t.quarantine != nil {
			t.quarantine.discard()
		}
	}
	for _, c := range slices.Backward(u.closers) {
		_ = c()
	}
	if u.spill != "" {
		_ = os.RemoveAll(u.spill)
	}
}

// openTable opens a pipeline table; fs.ErrNotExist-matching
// delta.ErrNotATable when it was never created.
func (p *Pipeline) openTable(ctx context.Context, n tableName) (*delta.Table, error) {
	return delta.Open(ctx, n.location(p.o.Warehouse), p.o.Table)
}

// appID is the transaction id under which the pipeline commits a table.
func (p *Pipeline) appID(n tableName) string {
	return "lakehouse-pipeline/" + p.name + "/" + n.String()
}

// tableStart reads what an update needs to know of a table before it runs.
func (u *update) tableStart(ctx context.Context, n *node) (*tableRun, error) {
	d := n.def
	t := &tableRun{
		res:          &TableUpdate{Name: d.name.String(), Kind: d.kind.String(), Version: -1, short: d.name.table, twoPart: d.name.schema + "." + d.name.table},
		startVersion: -1, committed: -1, pendingSeq: u.seq,
	}
	tbl, err := u.p.openTable(ctx, d.name)
	switch {
	case errors.Is(err, delta.ErrNotATable) || errors.Is(err, fs.ErrNotExist):
		return t, nil
	case err != nil:
		return nil, err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	t.startVersion = snap.Version()
	if v, ok := snap.TxnVersion(u.p.appID(d.name)); ok {
		t.committed = v
	}
	return t, nil
}
