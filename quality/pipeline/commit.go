package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
)

// commit writes every staged table, in dependency order. Each table's
// flow file is written first and its commit carries the update number as
// its transaction version, so a crash between the two is re-run with the
// same input, and a repeated commit is skipped by Delta's idempotent
// transactions.
func (u *update) commit(ctx context.Context, g *graph, events *eventBuffer) error {
	for _, n := range g.order {
		t := u.tables[n]
		if t.flow == nil {
			u.res.Tables = append(u.res.Tables, t.res)
			continue
		}
		if err := u.resolveInputs(n, t); err != nil {
			return err
		}
		if err := u.st.putFlow(ctx, n.def.name, t.flow); err != nil {
			return err
		}
		if err := u.p.hook("before-commit", n.def.name.String()); err != nil {
			return err
		}
		if t.quarantine != nil && t.quarantine.rows > 0 {
			if _, err := u.write(ctx, *n.def.quarantine, u.p.appID(n.def.name)+"/quarantine", t.quarantine, false, n.def.quarantineProperties(), "", t.pendingSeq); err != nil {
				return fmt.Errorf("pipeline: %s: quarantine: %w", n.def.name, err)
			}
		}
		u.failed = n
		res, err := u.write(ctx, n.def.name, u.p.appID(n.def.name), t.rows, t.refresh, n.def.tableProperties(), n.def.Comment, t.pendingSeq)
		if err != nil {
			return fmt.Errorf("pipeline: %s: %w", n.def.name, err)
		}
		if res != nil {
			t.res.Version = res.Version
		}
		u.failed = nil
		if err := u.p.hook("after-commit", n.def.name.String()); err != nil {
			return err
		}
		u.res.Tables = append(u.res.Tables, t.res)
		events.flowProgress(n, t)
		u.p.o.Logger.Info("pipeline: table updated", "pipeline", u.p.name, "update", u.seq, "table", t.res.Name,
			"version", t.res.Version, "input_rows", t.res.InputRows, "output_rows", t.res.OutputRows,
			"dropped_rows", t.res.DroppedRows, "duplicates", t.res.Duplicates)
	}
	return nil
}

// resolveInputs replaces, in a table's flow, the offsets that pointed at
// rows an upstream table staged in this update by the version the
// upstream's commit made.
func (u *update) resolveInputs(n *node, t *tableRun) error {
	versionAfter := func(up *node) int64 {
		ut := u.tables[up]
		if ut.res.Version >= 0 {
			return ut.res.Version
		}
		return ut.startVersion
	}
	switch n.def.kind {
	case streamingTable:
		if src, ok := n.pipe.Source().(*tableSource); ok {
			end, err := parseTableOffset(t.flow.End)
			if err != nil {
				return err
			}
			if end.Staged {
				t.flow.End = tableOffset{Version: versionAfter(src.up)}.encode()
			}
		}
	case materializedView:
		t.flow.Inputs = map[string]int64{}
		for _, in := range n.inputs {
			t.flow.Inputs[in.up.def.name.String()] = versionAfter(in.up)
		}
	}
	return nil
}

// write commits staged rows to a table, creating it when needed: an
// append, or with replace a replacement of its rows and schema.
func (u *update) write(ctx context.Context, name tableName, appID string, rows *staged, replace bool, props map[string]string, comment string, seq int64) (*delta.CommitResult, error) {
	rr, err := rows.reader()
	if err != nil {
		return nil, err
	}
	if rr != nil {
		defer rr.Release()
	}
	txn := &delta.TxnOptions{AppID: appID, AppVersion: seq,
		UserMetadata: fmt.Sprintf(`{"pipeline":%q,"update_id":%q,"update":%d}`, u.p.name, u.id, u.seq)}
	tbl, err := u.p.openTable(ctx, name)
	switch {
	case errors.Is(err, delta.ErrNotATable) || errors.Is(err, fs.ErrNotExist):
		if rr == nil {
			// No batch at all, so no schema to create the table with: the
			// next update reads the same input again.
			return nil, nil
		}
		tbl, res, err := delta.CreateAsSelect(ctx, name.location(u.p.o.Warehouse), rr, &delta.CreateOptions{
			Table: u.p.o.Table, PartitionBy: u.partitionBy(name), ClusterBy: u.clusterBy(name), Properties: props,
			Name: name.table, Description: comment, Txn: txn,
		})
		if err != nil {
			return nil, err
		}
		_ = tbl.Close()
		return res, nil
	case err != nil:
		return nil, err
	}
	defer tbl.Close()
	if rr == nil {
		// The input produced no batch: commit the progress alone, so the
		// next update does not read it again.
		snap, err := tbl.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		rr = emptyReader(snap.Schema())
		defer rr.Release()
	}
	if replace {
		txn.OverwriteSchema = true
		txn.PartitionBy = u.partitionBy(name)
		return tbl.Overwrite(ctx, rr, txn)
	}
	txn.MergeSchema = true
	return tbl.Append(ctx, rr, txn)
}

func (u *update) clusterBy(name tableName) []string {
	if d, ok := u.p.names[name.String()]; ok {
		return d.ClusterBy
	}
	return nil
}

func (u *update) partitionBy(name tableName) []string {
	if d, ok := u.p.names[name.String()]; ok {
		return d.PartitionBy
	}
	return nil
}

// tableProperties are the Delta table's properties: the declared ones,
// and for a streaming table the change data feed, through which tables
// that stream from it read its appends.
func (d *definition) tableProperties() map[string]string {
	props := maps.Clone(d.Properties)
	if props == nil {
		props = map[string]string{}
	}
	if d.kind == streamingTable {
		if _, set := props["delta.enableChangeDataFeed"]; !set {
			props["delta.enableChangeDataFeed"] = "true"
		}
	}
	return props
}

func (d *definition) quarantineProperties() map[string]string {
	return map[string]string{"quality": "quarantine", "pipelines.quarantineOf": d.name.String()}
}

var _ array.RecordReader = (*chainReader)(nil)
