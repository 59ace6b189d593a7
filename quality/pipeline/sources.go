package pipeline

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/stream"
)

// tableOffset is the position of a tableSource: the upstream table's
// version read up to, and whether the upstream's rows staged by the
// current update come after it. Once the upstream commits them, the
// offset is resolved to the version that commit made (Staged false).
type tableOffset struct {
	Version int64 `json:"version"`
	Staged  bool  `json:"staged,omitempty"`
}

func parseTableOffset(o stream.Offset) (tableOffset, error) {
	if len(o) == 0 {
		return tableOffset{Version: -1}, nil
	}
	var t tableOffset
	if err := json.Unmarshal(o, &t); err != nil {
		return t, fmt.Errorf("pipeline: bad table offset %s: %w", o, err)
	}
	return t, nil
}

func (t tableOffset) encode() stream.Offset {
	b, _ := json.Marshal(t)
	return b
}

// tableSource streams the rows a pipeline streaming table appends: those
// of its commits after the start version (read through its change data
// feed, inserts only) and, within an update, the rows the update staged
// for it and has not committed yet.
type tableSource struct {
	r  *Reader
	up *node
}

// Kind is recorded in the checkpoint.
func (s *tableSource) Kind() string { return "pipeline-table" }

// Open does nothing: the update gives the source its context.
func (s *tableSource) Open(context.Context, *stream.SourceEnv) error { return nil }

// Close does nothing.
func (s *tableSource) Close() error { return nil }

// LatestOffset is the upstream's committed version plus its staged rows.
func (s *tableSource) LatestOffset(ctx context.Context, start stream.Offset, _ stream.Limit) (stream.Offset, error) {
	u := s.r.u
	if u == nil {
		return start, nil
	}
	st := u.tables[s.up]
	from, err := parseTableOffset(start)
	if err != nil {
		return nil, err
	}
	staged := st.rows != nil && st.rows.rows > 0
	if st.startVersion <= from.Version && !staged {
		return start, nil // nothing new upstream
	}
	return tableOffset{Version: st.startVersion, Staged: staged}.encode(), nil
}

// Read returns the upstream's appended rows in (start, end].
func (s *tableSource) Read(ctx context.Context, start, end stream.Offset) (array.RecordReader, error) {
	u := s.r.u
	from, err := parseTableOffset(start)
	if err != nil {
		return nil, err
	}
	to, err := parseTableOffset(end)
	if err != nil {
		return nil, err
	}
	st := u.tables[s.up]
	var parts []array.RecordReader
	release := func() {
		for _, p := range parts {
			p.Release()
		}
	}
	if to.Version > from.Version {
		tbl, err := u.p.openTable(ctx, s.up.def.name)
		if err != nil {
			return nil, err
		}
		u.closers = append(u.closers, tbl.Close)
		rr, err := insertsOf(ctx, tbl, from.Version+1, to.Version)
		if err != nil {
			return nil, err
		}
		parts = append(parts, rr)
	}
	if to.Staged && st.rows != nil {
		rr, err := st.rows.reader()
		if err != nil {
			release()
			return nil, err
		}
		if rr != nil {
			parts = append(parts, rr)
		}
	}
	return concatReaders(parts)
}

// insertsOf reads the rows versions from..to of tbl inserted, without the
// change feed's own columns.
func insertsOf(ctx context.Context, tbl *delta.Table, from, to int64) (array.RecordReader, error) {
	rr, err := tbl.Changes(ctx, from, &delta.ChangesOptions{EndVersion: &to})
	if err != nil {
		return nil, fmt.Errorf("pipeline: read the appends of %s: %w", tbl.URL(), err)
	}
	var keep []int
	var fields []arrow.Field
	for i, f := range rr.Schema().Fields() {
		switch f.Name {
		case "_change_type", "_commit_version", "_commit_timestamp":
			continue
		}
		keep = append(keep, i)
		fields = append(fields, f)
	}
	ct := rr.Schema().FieldIndices("_change_type")
	if len(ct) != 1 {
		rr.Release()
		return nil, fmt.Errorf("pipeline: change feed of %s has no _change_type", tbl.URL())
	}
	insert, err := expr.Compile(expr.Col("_change_type").Eq(expr.Lit("insert")), rr.Schema(), nil)
	if err != nil {
		rr.Release()
		return nil, err
	}
	out := arrow.NewSchema(fields, nil)
	return mapReader(rr, out, func(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
		ins, err := insert.Filter(ctx, rec)
		if err != nil {
			return nil, err
		}
		defer ins.Release()
		cols := make([]arrow.Array, len(keep))
		for i, j := range keep {
			cols[i] = ins.Column(j)
		}
		return array.NewRecordBatch(out, cols, ins.NumRows()), nil
	}), nil
}

// Input is a table a materialized view reads.
type Input struct {
	r  *Reader
	up *node
	// self marks the view's own table (Reader.Self): its committed rows.
	self bool
}

// Changes returns the rows the input appended since the view's last
// update — through the change data feed for committed versions, plus
// those the running update staged — so that a view can update its result
// from its previous one (Reader.Self) instead of reading the whole input.
// ok is false, and the view must recompute from Scan, when that is not
// possible: the view has no previous result (first update, full refresh),
// the input is itself a materialized view, or one of its commits since
// then did more than append (a delete, an update, a full refresh). A
// view whose query used Changes reports TableUpdate.Incremental.
func (in *Input) Changes(ctx context.Context) (rr array.RecordReader, ok bool, err error) {
	u := in.r.u
	if u == nil || in.up == nil || in.self {
		return nil, false, fmt.Errorf("pipeline: Input.Changes is for a materialized view's inputs while an update runs")
	}
	view := u.tables[in.r.self]
	st := u.tables[in.up]
	from, known := view.prevInputs[in.up.def.name.String()]
	if view.refresh || !known || in.up.def.kind != streamingTable || from > st.startVersion {
		return nil, false, nil
	}
	var parts []array.RecordReader
	if st.startVersion > from {
		tbl, err := u.p.openTable(ctx, in.up.def.name)
		if err != nil {
			return nil, false, err
		}
		u.closers = append(u.closers, tbl.Close)
		for v := from + 1; v <= st.startVersion; v++ {
			_, removes, err := tbl.CommitFiles(ctx, v)
			if err != nil {
				return nil, false, err
			}
			for _, r := range removes {
				if r.DataChange {
					return nil, false, nil // not an append: recompute
				}
			}
		}
		rr, err := insertsOf(ctx, tbl, from+1, st.startVersion)
		if err != nil {
			return nil, false, err
		}
		parts = append(parts, rr)
	}
	if st.rows != nil {
		rr, err := st.rows.reader()
		if err != nil {
			for _, p := range parts {
				p.Release()
			}
			return nil, false, err
		}
		if rr != nil {
			parts = append(parts, rr)
		}
	}
	if len(parts) == 0 {
		return nil, false, nil
	}
	rr, err = concatReaders(parts)
	if err != nil {
		return nil, false, err
	}
	view.res.Incremental = true
	return rr, true, nil
}

// Scan reads the table as the running update leaves it: its committed
// rows and the rows the update staged for it (for a materialized view
// upstream, only those when it was recomputed). opts.Columns and
// opts.Filter apply to both.
func (in *Input) Scan(ctx context.Context, opts *delta.ScanOptions) (array.RecordReader, error) {
	u := in.r.u
	if u == nil || in.up == nil {
		return nil, fmt.Errorf("pipeline: Input.Scan is for a materialized view's query while an update runs")
	}
	st := u.tables[in.up]
	var o delta.ScanOptions
	if opts != nil {
		o = *opts
	}
	if in.self {
		// The view's own result as its last update left it.
		if st.startVersion < 0 {
			return nil, fmt.Errorf("pipeline: %s has no previous result", in.up.def.name)
		}
		tbl, err := u.p.openTable(ctx, in.up.def.name)
		if err != nil {
			return nil, err
		}
		u.closers = append(u.closers, tbl.Close)
		snap, err := tbl.SnapshotAt(ctx, st.startVersion)
		if err != nil {
			return nil, err
		}
		return snap.Scan(ctx, &o)
	}
	var parts []array.RecordReader
	release := func() {
		for _, p := range parts {
			p.Release()
		}
	}
	replaced := in.up.def.kind == materializedView && st.rows != nil
	if !replaced && st.startVersion >= 0 {
		tbl, err := u.p.openTable(ctx, in.up.def.name)
		if err != nil {
			return nil, err
		}
		u.closers = append(u.closers, tbl.Close)
		snap, err := tbl.SnapshotAt(ctx, st.startVersion)
		if err != nil {
			return nil, err
		}
		rr, err := snap.Scan(ctx, &o)
		if err != nil {
			return nil, err
		}
		parts = append(parts, rr)
	}
	if st.rows != nil {
		rr, err := st.rows.reader()
		if err != nil {
			release()
			return nil, err
		}
		if rr != nil {
			if rr, err = projectFilter(ctx, rr, o.Columns, o.Filter); err != nil {
				release()
				return nil, err
			}
			parts = append(parts, rr)
		}
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("pipeline: %s has no rows yet: it was never updated", in.up.def.name)
	}
	return concatReaders(parts)
}

// projectFilter applies a scan's column list and filter to staged rows.
func projectFilter(ctx context.Context, rr array.RecordReader, columns []string, filter expr.Expr) (array.RecordReader, error) {
	if len(columns) == 0 && filter == nil {
		return rr, nil
	}
	in := rr.Schema()
	var prog *expr.Program
	if filter != nil {
		p, err := expr.Compile(filter, in, nil)
		if err != nil {
			rr.Release()
			return nil, fmt.Errorf("pipeline: filter: %w", err)
		}
		prog = p
	}
	idx := make([]int, 0, in.NumFields())
	if len(columns) == 0 {
		for i := range in.NumFields() {
			idx = append(idx, i)
		}
	}
	for _, c := range columns {
		is := in.FieldIndices(c)
		if len(is) != 1 {
			rr.Release()
			return nil, fmt.Errorf("pipeline: column %q not found", c)
		}
		idx = append(idx, is[0])
	}
	fields := make([]arrow.Field, len(idx))
	for i, j := range idx {
		fields[i] = in.Field(j)
	}
	out := arrow.NewSchema(fields, nil)
	return mapReader(rr, out, func(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
		if prog != nil {
			f, err := prog.Filter(ctx, rec)
			if err != nil {
				return nil, err
			}
			defer f.Release()
			rec = f
		}
		cols := make([]arrow.Array, len(idx))
		for i, j := range idx {
			cols[i] = rec.Column(j)
		}
		return array.NewRecordBatch(out, cols, rec.NumRows()), nil
	}), nil
}
