package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/uuid"

	"github.com/lakehouse-go/lakehouse/internal/checkpoint"
	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// CheckpointOptions tune Checkpoint. A nil *CheckpointOptions picks the
// checkpoint kind from the table: V2 (with a sidecar) when the table has
// the v2Checkpoint feature, classic otherwise, multi-part beyond
// ActionsPerPart actions.
type CheckpointOptions struct {
	// ActionsPerPart splits a classic checkpoint into parts of at most this
	// many actions (and a V2 checkpoint's file actions into as many
	// sidecars). Default 1,000,000.
	ActionsPerPart int64
	// Version checkpoints this version instead of the latest.
	Version *int64
}

// CheckpointInfo describes a written checkpoint.
type CheckpointInfo struct {
	Version int64
	Kind    string // "classic", "multi-part" or "v2"
	Parts   int    // files written (parts, or sidecars for V2)
	Actions int64  // actions in the checkpoint
	Size    int64  // bytes written
}

// Checkpoint writes a checkpoint of the latest version (or opts.Version)
// and updates _last_checkpoint. Add actions carry the stats JSON,
// stats_parsed and partitionValues_parsed (as the table's
// delta.checkpoint.writeStatsAs* properties say); live tombstones within
// delta.deletedFileRetentionDuration are kept for VACUUM.
func (t *Table) Checkpoint(ctx context.Context, opts *CheckpointOptions) (*CheckpointInfo, error) {
	var snap *Snapshot
	var err error
	if opts != nil && opts.Version != nil {
		snap, err = t.SnapshotAt(ctx, *opts.Version)
	} else {
		snap, err = t.Snapshot(ctx)
	}
	if err != nil {
		return nil, err
	}
	return t.writeCheckpoint(ctx, snap, opts)
}

// checkpointAfterCommit checkpoints a version just committed and cleans
// up expired log files.
func (t *Table) checkpointAfterCommit(ctx context.Context, version int64) error {
	snap, err := t.SnapshotAt(ctx, version)
	if err != nil {
		return err
	}
	if _, err := t.writeCheckpoint(ctx, snap, nil); err != nil {
		return err
	}
	return t.cleanupLog(ctx, snap)
}

func (t *Table) writeCheckpoint(ctx context.Context, snap *Snapshot, opts *CheckpointOptions) (*CheckpointInfo, error) {
	perPart := int64(1_000_000)
	if opts != nil && opts.ActionsPerPart > 0 {
		perPart = opts.ActionsPerPart
	}
	v := snap.Version()
	wopts, err := snap.checkpointWriterOptions(t.opts)
	if err != nil {
		return nil, err
	}
	var state []protocol.Action
	p, m := *snap.state.Protocol, *snap.state.Metadata
	state = append(state, protocol.Action{Protocol: &p}, protocol.Action{Metadata: &m})
	for _, txn := range snap.liveTxns() {
		tx := txn
		state = append(state, protocol.Action{Txn: &tx})
	}
	for _, d := range snap.state.Domains {
		dm := d
		if !dm.Removed {
			state = append(state, protocol.Action{DomainMetadata: &dm})
		}
	}
	var files []protocol.Action
	for f, err := range snap.addFiles(ctx) {
		if err != nil {
			return nil, err
		}
		a := *f
		a.DataChange = false
		files = append(files, protocol.Action{Add: &a})
	}
	cutoff := time.Now().Add(-snap.config.DeletedFileRetention()).UnixMilli()
	for r, err := range snap.removeFiles(ctx) {
		if err != nil {
			return nil, err
		}
		if tombstoneExpired(r.DeletionTimestamp, cutoff) {
			continue
		}
		rm := *r
		rm.DataChange = false
		files = append(files, protocol.Action{Remove: &rm})
	}
	info := &CheckpointInfo{Version: v, Actions: int64(len(state) + len(files))}
	lc := checkpoint.LastCheckpoint{Version: v, Size: info.Actions}
	var numAdds int64
	for _, f := range files {
		if f.Add != nil {
			numAdds++
		}
	}
	lc.NumOfAddFiles = &numAdds

	if snap.state.Protocol.SupportsFeature("v2Checkpoint") {
		if err := t.writeV2Checkpoint(ctx, v, state, files, perPart, wopts, info); err != nil {
			return nil, err
		}
		lc.SizeInBytes = &info.Size
	} else {
		all := append(state, files...)
		parts := int((int64(len(all)) + perPart - 1) / perPart)
		if parts <= 1 {
			info.Kind, info.Parts = "classic", 1
			n, err := t.writeCheckpointFile(ctx, logDir+logreplay.CheckpointName(v), all, wopts)
			if err != nil {
				return nil, err
			}
			info.Size = n
		} else {
			info.Kind, info.Parts = "multi-part", parts
			lc.Parts = &parts
			for i := 0; i < parts; i++ {
				lo, hi := int64(i)*perPart, min(int64(i+1)*perPart, int64(len(all)))
				n, err := t.writeCheckpointFile(ctx, logDir+logreplay.MultiPartCheckpointName(v, i+1, parts), all[lo:hi], wopts)
				if err != nil {
					return nil, err
				}
				info.Size += n
			}
		}
		lc.SizeInBytes = &info.Size
	}
	data, err := json.Marshal(lc)
	if err != nil {
		return nil, err
	}
	if err := t.updateLastCheckpoint(ctx, v, data); err != nil {
		return nil, err
	}
	return info, nil
}

// updateLastCheckpoint writes _last_checkpoint unless it already points at
// a newer checkpoint that exists (a concurrent writer checkpointed
// further). A hint that is corrupt, older, or names a checkpoint that is
// not there is replaced.
func (t *Table) updateLastCheckpoint(ctx context.Context, v int64, data []byte) error {
	if old, err := t.store.Get(ctx, logDir+"_last_checkpoint"); err == nil {
		if lc, err := checkpoint.ParseLastCheckpoint(old); err == nil && lc.Version > v && t.hasCheckpoint(ctx, lc.Version) {
			return nil
		}
	}
	if err := t.store.Put(ctx, logDir+"_last_checkpoint", data); err != nil {
		return fmt.Errorf("delta: write _last_checkpoint: %w", err)
	}
	return nil
}

// hasCheckpoint reports whether a complete checkpoint of version v is in
// the log. A listing error counts as absent: the caller then rewrites
// the hint to a checkpoint it just wrote, which is always valid.
func (t *Table) hasCheckpoint(ctx context.Context, v int64) bool {
	files, err := t.listLogPrefix(ctx, logDir+logreplay.VersionPrefix(v, 20)+".checkpoint", nil)
	if err != nil {
		return false
	}
	seg, err := logreplay.BuildSegment(files, v)
	return err == nil && seg.CheckpointVersion == v
}

// writeV2Checkpoint writes the file actions into sidecars and a top-level
// UUID-named checkpoint with the state, checkpointMetadata and sidecar
// actions.
func (t *Table) writeV2Checkpoint(ctx context.Context, v int64, state, files []protocol.Action, perPart int64, wopts checkpoint.WriterOptions, info *CheckpointInfo) error {
	info.Kind = "v2"
	top := append([]protocol.Action(nil), state...)
	top = append(top, protocol.Action{CheckpointMetadata: &protocol.CheckpointMetadata{Version: v}})
	sideOpts := wopts
	sideOpts.Columns = checkpoint.SidecarColumns
	for lo := int64(0); lo < int64(len(files)); lo += perPart {
		hi := min(lo+perPart, int64(len(files)))
		name := uuid.NewString() + ".parquet"
		n, err := t.writeCheckpointFile(ctx, logDir+"_sidecars/"+name, files[lo:hi], sideOpts)
		if err != nil {
			return err
		}
		info.Parts++
		info.Size += n
		top = append(top, protocol.Action{Sidecar: &protocol.Sidecar{Path: name, SizeInBytes: n, ModificationTime: time.Now().UnixMilli()}})
	}
	topOpts := wopts
	topOpts.Columns = checkpoint.V2TopColumns
	n, err := t.writeCheckpointFile(ctx, logDir+logreplay.V2CheckpointName(v, uuid.NewString(), "parquet"), top, topOpts)
	if err != nil {
		return err
	}
	info.Size += n
	return nil
}

// writeCheckpointFile writes one parquet checkpoint file atomically.
func (t *Table) writeCheckpointFile(ctx context.Context, path string, actions []protocol.Action, opts checkpoint.WriterOptions) (int64, error) {
	out, err := t.store.Create(ctx, path)
	if err != nil {
		return 0, fmt.Errorf("delta: checkpoint %s: %w", path, err)
	}
	cw := &byteCounter{w: out}
	w, err := checkpoint.NewWriter(cw, &opts)
	if err != nil {
		_ = out.Abort()
		return 0, err
	}
	if err := w.Write(actions...); err != nil {
		_ = w.Close()
		_ = out.Abort()
		return 0, fmt.Errorf("delta: checkpoint %s: %w", path, err)
	}
	if err := w.Close(); err != nil {
		_ = out.Abort()
		return 0, fmt.Errorf("delta: checkpoint %s: %w", path, err)
	}
	if cw.err != nil {
		_ = out.Abort()
		return 0, fmt.Errorf("delta: checkpoint %s: %w", path, cw.err)
	}
	if err := out.Close(); err != nil {
		return 0, fmt.Errorf("delta: checkpoint %s: %w", path, err)
	}
	return cw.n, nil
}

// byteCounter counts bytes and absorbs the first write error (see
// countingWriter).
type byteCounter struct {
	w   storage.Writer
	n   int64
	err error
}

func (c *byteCounter) Write(p []byte) (int, error) {
	if c.err != nil {
		return len(p), nil
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return len(p), nil
}

// checkpointWriterOptions derives the parsed-stats and parsed-partition
// column types from the table schema.
func (s *Snapshot) checkpointWriterOptions(o Options) (checkpoint.WriterOptions, error) {
	w := checkpoint.WriterOptions{Allocator: o.Allocator, MaxStatsBytes: effective(o.Limits.MaxStatsBytes)}
	w.OmitStatsJSON = !s.config.Bool(protocol.PropWriteStatsAsJSON, true)
	if !s.config.Bool(protocol.PropWriteStatsAsStruct, true) {
		return w, nil
	}
	table := s.arrowSchema
	parts := s.state.Metadata.PartitionColumns
	if len(parts) > 0 {
		var fs []arrow.Field
		for _, pc := range parts {
			f, _ := s.schema.Field(pc)
			i := fieldIndexFold(table, pc)
			if f == nil || i < 0 {
				return w, corrupt("partition column %q is not in the schema", pc)
			}
			fs = append(fs, arrow.Field{Name: f.PhysicalName(s.mapping), Type: table.Field(i).Type, Nullable: true})
		}
		w.PartitionValuesParsed = arrow.StructOf(fs...)
	}
	var minMax, nulls []statsLeaf
	for _, l := range statsLeaves(dataSchema(table, parts), s.mapping, s.config) {
		nulls = append(nulls, statsLeaf{keys: l.keys, typ: arrow.PrimitiveTypes.Int64})
		if hasMinMax(l.typ) {
			minMax = append(minMax, l)
		}
	}
	fields := []arrow.Field{{Name: "numRecords", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}
	if len(minMax) > 0 {
		mm := nestLeaves(minMax)
		fields = append(fields, arrow.Field{Name: "minValues", Type: mm, Nullable: true}, arrow.Field{Name: "maxValues", Type: mm, Nullable: true})
	}
	if len(nulls) > 0 {
		fields = append(fields, arrow.Field{Name: "nullCount", Type: nestLeaves(nulls), Nullable: true})
	}
	fields = append(fields, arrow.Field{Name: "tightBounds", Type: arrow.FixedWidthTypes.Boolean, Nullable: true})
	w.StatsParsed = arrow.StructOf(fields...)
	return w, nil
}

type statsLeaf struct {
	keys []string // physical names from the top-level column down
	typ  arrow.DataType
}

// statsLeaves lists the columns data files keep statistics for, as the
// writer chooses them: the first delta.dataSkippingNumIndexedCols leaves
// (default 32; structs flattened, arrays and maps count as one), or the
// columns named by delta.dataSkippingStatsColumns.
func statsLeaves(s *arrow.Schema, mode protocol.ColumnMappingMode, cfg protocol.Config) []statsLeaf {
	limit := cfg.Int(protocol.PropDataSkippingNumIndexedCols, 32)
	var only map[string]bool
	if cols := strings.TrimSpace(cfg[protocol.PropDataSkippingStatsColumns]); cols != "" {
		only = map[string]bool{}
		for _, p := range strings.Split(cols, ",") {
			only[strings.ToLower(strings.Trim(strings.TrimSpace(p), "`"))] = true
		}
	}
	var out []statsLeaf
	seen := int64(0)
	var walk func(fields []arrow.Field, keys, names []string, forced bool)
	walk = func(fields []arrow.Field, keys, names []string, forced bool) {
		for _, f := range fields {
			key := f.Name
			if mode != protocol.ColumnMappingNone {
				if p, ok := f.Metadata.GetValue(protocol.MetaPhysicalName); ok && p != "" {
					key = p
				}
			}
			ks := append(append([]string(nil), keys...), key)
			ns := append(append([]string(nil), names...), f.Name)
			selected := forced || (only != nil && only[strings.ToLower(strings.Join(ns, "."))])
			if st, ok := f.Type.(*arrow.StructType); ok {
				walk(st.Fields(), ks, ns, selected)
				continue
			}
			if only != nil {
				if selected {
					out = append(out, statsLeaf{keys: ks, typ: f.Type})
				}
				continue
			}
			if limit >= 0 && seen >= limit {
				return
			}
			seen++
			out = append(out, statsLeaf{keys: ks, typ: f.Type})
		}
	}
	walk(s.Fields(), nil, nil, false)
	return out
}

func hasMinMax(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64,
		arrow.STRING, arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL128:
		return true
	}
	return false
}

// nestLeaves builds the nested struct type the leaves' key paths describe.
func nestLeaves(leaves []statsLeaf) *arrow.StructType {
	var order []string
	groups := map[string][]statsLeaf{}
	direct := map[string]arrow.DataType{}
	for _, l := range leaves {
		k := l.keys[0]
		if _, seen := groups[k]; !seen {
			if _, seen := direct[k]; !seen {
				order = append(order, k)
			}
		}
		if len(l.keys) == 1 {
			direct[k] = l.typ
			continue
		}
		groups[k] = append(groups[k], statsLeaf{keys: l.keys[1:], typ: l.typ})
	}
	fields := make([]arrow.Field, 0, len(order))
	for _, k := range order {
		if t, ok := direct[k]; ok {
			fields = append(fields, arrow.Field{Name: k, Type: t, Nullable: true})
			continue
		}
		fields = append(fields, arrow.Field{Name: k, Type: nestLeaves(groups[k]), Nullable: true})
	}
	return arrow.StructOf(fields...)
}

// tombstoneExpired reports whether a remove deleted at deletionTimestamp
// (milliseconds; nil when unknown) falls out of a checkpoint whose
// retention cutoff is cutoff. Tombstones are kept only while newer than
// the cutoff, as Spark keeps them: one of the cutoff's own millisecond has
// expired (with a zero retention, a file removed just before the
// checkpoint). A tombstone without a time is kept.
func tombstoneExpired(deletionTimestamp *int64, cutoff int64) bool {
	return deletionTimestamp != nil && *deletionTimestamp <= cutoff
}
