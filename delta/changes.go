package delta

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Change-feed metadata columns, as Spark names them.
const (
	ChangeTypeColumn      = "_change_type"
	CommitVersionColumn   = "_commit_version"
	CommitTimestampColumn = "_commit_timestamp"
)

// Change types in the _change_type column.
const (
	ChangeInsert          = "insert"
	ChangeDelete          = "delete"
	ChangeUpdatePreimage  = "update_preimage"
	ChangeUpdatePostimage = "update_postimage"
)

// ErrChangeFeedDisabled is returned when a version in the requested range
// was written without delta.enableChangeDataFeed.
var ErrChangeFeedDisabled = fmt.Errorf("%w: change data feed is not enabled", ErrInvalidArgument)

// ChangesOptions bound a change-feed read. A nil *ChangesOptions reads to
// the latest version.
//
// Either bound may be a time instead of a version, resolved as Spark
// resolves startingTimestamp and endingTimestamp, with the commit times
// SnapshotAsOf uses (in-commit timestamps where the table has them,
// commit-file times otherwise).
type ChangesOptions struct {
	// EndVersion is the last version read, inclusive; nil means the latest.
	EndVersion *int64
	// StartTimestamp, when not zero, starts the feed at the first version
	// committed at or after it, in place of Changes' start argument (which
	// must then be 0). A time before the earliest commit starts at the
	// earliest version; one after the latest commit is ErrVersionNotFound.
	StartTimestamp time.Time
	// EndTimestamp, when not zero, ends the feed at the last version
	// committed at or before it; a time after the latest commit means the
	// latest version, as for SnapshotAsOf (Spark errs there unless
	// spark.databricks.delta.changeDataFeed.timestampOutOfRange.enabled is
	// set), and one before the earliest commit is ErrVersionNotFound. It
	// excludes EndVersion.
	EndTimestamp time.Time
	// Parallelism is how many files are opened and decoded at once, ahead
	// of the caller, as in ScanOptions; rows still come in version and
	// file order. 0 means GOMAXPROCS; 1 reads one file at a time on the
	// caller's goroutine.
	Parallelism int
}

// Changes returns the row-level changes of versions start..end (the table's
// change data feed), as Spark's table_changes does: every column of the
// table schema at the end version, then _change_type, _commit_version and
// _commit_timestamp. Versions that wrote change data files are read from
// them; other versions' added and removed files are inserts and deletes,
// and a deletion vector that grew on a file yields exactly the rows it
// newly deletes. Files added or removed without dataChange produce
// nothing. Every version in the range must have the change data feed
// enabled (ErrChangeFeedDisabled); start after end, or past the latest
// version, is ErrVersionNotFound. A bound given both as a version and as a
// time is ErrInvalidArgument.
func (t *Table) Changes(ctx context.Context, start int64, opts *ChangesOptions) (array.RecordReader, error) {
	var o ChangesOptions
	if opts != nil {
		o = *opts
	}
	latest, err := t.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	// Commit times are only needed up front to resolve a time bound.
	var times []commitTime
	if !o.StartTimestamp.IsZero() || !o.EndTimestamp.IsZero() {
		if times, err = t.commitTimes(ctx, latest); err != nil {
			return nil, err
		}
	}
	start, end, err := changeRange(times, ictLookupOf(latest), latest.Version(), start, o)
	if err != nil {
		return nil, err
	}
	endSnap := latest
	if end != latest.Version() {
		if endSnap, err = t.SnapshotAt(ctx, end); err != nil {
			return nil, err
		}
	}
	startSnap, err := t.SnapshotAt(ctx, start)
	if err != nil {
		return nil, err
	}
	if times == nil {
		// Without a time bound, the end version says which commits carry
		// in-commit timestamps (with one, the latest did, as for the
		// resolution, and reading every commit twice is avoided).
		if times, err = t.commitTimes(ctx, endSnap); err != nil {
			return nil, err
		}
	}
	commitTS := map[int64]time.Time{}
	for _, c := range times {
		commitTS[c.version] = c.ts
	}

	// Plan every version's change units up front from the (small) commit
	// files; data is read lazily, one file at a time.
	var units []changeUnit
	meta := startSnap.state.Metadata
	for v := start; v <= end; v++ {
		f := logreplay.LogFile{Path: logDir + logreplay.CommitName(v), Name: logreplay.CommitName(v), Version: v, Kind: logreplay.KindCommit}
		actions, err := t.readCommit(ctx, f)
		if err != nil {
			return nil, wrapf(err, "change feed version %d", v)
		}
		for _, a := range actions {
			if a.Metadata != nil {
				meta = a.Metadata
			}
		}
		vu := changeUnitsOf(v, actions)
		if len(vu) > 0 && !protocol.Config(meta.Configuration).Bool(protocol.PropEnableCDF, false) {
			return nil, fmt.Errorf("%w at version %d (set delta.enableChangeDataFeed=true before writing the versions to read)", ErrChangeFeedDisabled, v)
		}
		ts, ok := commitTS[v]
		if !ok {
			return nil, fmt.Errorf("%w: commit %d", ErrVersionNotFound, v)
		}
		for i := range vu {
			vu[i].timestamp = ts
		}
		units = append(units, vu...)
	}

	plans, err := endSnap.changePlans()
	if err != nil {
		return nil, err
	}
	if o.Parallelism < 0 {
		return nil, fmt.Errorf("%w: negative parallelism %d", ErrInvalidArgument, o.Parallelism)
	}
	// Every unit decodes with one recycler, closed with the reader: the
	// feed's files are many and small, like a table's after many commits.
	pool := newRecycler(plans.data.mem)
	plans.data.pool, plans.cdc.pool = pool, pool
	r := &changeReader{ctx: ctx, snap: endSnap, plans: plans, units: units, refs: 1,
		consts: newConstColumns(t.opts.Allocator, 3)}
	if n := (&ScanOptions{Parallelism: o.Parallelism}).parallelism(); n > 1 && len(units) > 1 {
		r.pf = r.startPrefetch(n)
	}
	return r, nil
}

// startPrefetch decodes the change units ahead of the caller, n at once.
func (r *changeReader) startPrefetch(n int) *prefetcher {
	i := 0
	return startPrefetch(r.ctx, (*ScanOptions)(nil).prefetchConfig(n), func() (prefetchItem, error, bool) {
		if i >= len(r.units) {
			return prefetchItem{}, nil, false
		}
		u := &r.units[i]
		i++
		return prefetchItem{
			open:  func(context.Context) (*fileBatches, error) { return r.open(u) },
			batch: func(rec arrow.RecordBatch) (arrow.RecordBatch, error) { return r.decorate(rec, u) },
		}, nil, true
	}, func() {})
}

// changeRange resolves a change feed's bounds to versions: start (or
// o.StartTimestamp) to the end version, o.EndVersion or o.EndTimestamp,
// the latest version when neither is set. commits are the table's commit
// times, needed only when a bound is a time.
func changeRange(commits []commitTime, l ictLookup, latest, start int64, o ChangesOptions) (int64, int64, error) {
	var err error
	if !o.StartTimestamp.IsZero() {
		if start != 0 {
			return 0, 0, fmt.Errorf("%w: change feed start given both as version %d and as time %s", ErrInvalidArgument, start, o.StartTimestamp.Format(time.RFC3339Nano))
		}
		if start, err = firstVersionFrom(commits, l, o.StartTimestamp); err != nil {
			return 0, 0, err
		}
	}
	end := latest
	switch {
	case !o.EndTimestamp.IsZero():
		if o.EndVersion != nil {
			return 0, 0, fmt.Errorf("%w: change feed end given both as version %d and as time %s", ErrInvalidArgument, *o.EndVersion, o.EndTimestamp.Format(time.RFC3339Nano))
		}
		if end, err = versionAt(commits, l, o.EndTimestamp); err != nil {
			return 0, 0, err
		}
	case o.EndVersion != nil:
		end = *o.EndVersion
	}
	if end > latest {
		return 0, 0, fmt.Errorf("%w: change feed to version %d, latest is %d", ErrVersionNotFound, end, latest)
	}
	if start < 0 || start > end {
		return 0, 0, fmt.Errorf("%w: change feed from version %d to %d%s", ErrVersionNotFound, start, end, boundTimes(o))
	}
	return start, end, nil
}

// boundTimes names the times a range was given by, for error messages.
func boundTimes(o ChangesOptions) string {
	var parts []string
	if !o.StartTimestamp.IsZero() {
		parts = append(parts, "start "+o.StartTimestamp.Format(time.RFC3339Nano))
	}
	if !o.EndTimestamp.IsZero() {
		parts = append(parts, "end "+o.EndTimestamp.Format(time.RFC3339Nano))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (resolved from " + strings.Join(parts, ", ") + ")"
}

// changeUnit is one file's contribution to the change feed.
type changeUnit struct {
	version    int64
	timestamp  time.Time
	path       string
	partitions map[string]*string
	cdc        bool   // a change data file: _change_type comes from the file
	changeType string // for data files
	// keepOnly, when set, restricts the rows read to these row indexes
	// (the rows a grown deletion vector newly deletes); otherwise the rows
	// read are all rows less dropDV's.
	keepOnly *roaring64.Bitmap
	dropDV   *protocol.DeletionVector
	// newDV and oldDV describe a deletion-vector change to resolve lazily.
	newDV, oldDV *protocol.DeletionVector
}

// changeUnitsOf turns one commit into change units.
func changeUnitsOf(v int64, actions []protocol.Action) []changeUnit {
	var out []changeUnit
	for _, a := range actions {
		if a.CDC != nil {
			out = append(out, changeUnit{version: v, path: a.CDC.Path, partitions: a.CDC.PartitionValues, cdc: true})
		}
	}
	if len(out) > 0 {
		return out // cdc files describe the version exactly
	}
	removed := map[string]*protocol.Remove{}
	for _, a := range actions {
		if a.Remove != nil && a.Remove.DataChange {
			removed[a.Remove.Path] = a.Remove
		}
	}
	for _, a := range actions {
		ad := a.Add
		if ad == nil || !ad.DataChange {
			continue
		}
		if r, ok := removed[ad.Path]; ok {
			// Same data file, new deletion vector: the change is the
			// difference of the two DVs.
			delete(removed, ad.Path)
			out = append(out, changeUnit{version: v, path: ad.Path, partitions: ad.PartitionValues, changeType: ChangeDelete, newDV: ad.DeletionVector, oldDV: r.DeletionVector})
			out = append(out, changeUnit{version: v, path: ad.Path, partitions: ad.PartitionValues, changeType: ChangeInsert, newDV: r.DeletionVector, oldDV: ad.DeletionVector})
			continue
		}
		out = append(out, changeUnit{version: v, path: ad.Path, partitions: ad.PartitionValues, changeType: ChangeInsert, dropDV: ad.DeletionVector})
	}
	for _, a := range actions {
		r := a.Remove
		if r == nil || removed[r.Path] != r {
			continue
		}
		out = append(out, changeUnit{version: v, path: r.Path, partitions: r.PartitionValues, changeType: ChangeDelete, dropDV: r.DeletionVector})
	}
	return out
}

// changePlans are the scan plans for change data files (which carry a
// _change_type column) and for plain data files.
type changePlans struct {
	cdc, data *scanPlan
	out       *arrow.Schema
}

func (s *Snapshot) changePlans() (*changePlans, error) {
	base, err := s.planScan(nil)
	if err != nil {
		return nil, err
	}
	withType := append(append([]arrow.Field(nil), base.read.Fields()...), arrow.Field{Name: ChangeTypeColumn, Type: arrow.BinaryTypes.String, Nullable: true})
	cdc := *base
	cdc.read = arrow.NewSchema(withType, nil)
	cdc.out = cdc.read
	cdc.outIdx = append(append([]int(nil), base.outIdx...), len(withType)-1)
	cdc.dataRead = arrow.NewSchema(append(append([]arrow.Field(nil), base.dataRead.Fields()...), withType[len(withType)-1]), nil)
	// Partition indexes are unchanged: _change_type is appended last.
	out := arrow.NewSchema(append(withType,
		arrow.Field{Name: CommitVersionColumn, Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: CommitTimestampColumn, Type: protocol.ArrowTimestampUTC, Nullable: true}), nil)
	return &changePlans{cdc: &cdc, data: base, out: out}, nil
}

// changeReader streams the change feed unit by unit.
type changeReader struct {
	ctx   context.Context
	snap  *Snapshot
	plans *changePlans
	units []changeUnit
	next  int
	cur   *fileBatches
	unit  *changeUnit
	rec   arrow.RecordBatch
	err   error
	refs  int64
	pf    *prefetcher // nil: units are read one at a time on Next
	// consts shares the constant columns' arrays between batches.
	consts *constColumns
}

func (r *changeReader) Retain()                        { atomic.AddInt64(&r.refs, 1) }
func (r *changeReader) Schema() *arrow.Schema          { return r.plans.out }
func (r *changeReader) RecordBatch() arrow.RecordBatch { return r.rec }

// Record returns the current batch.
//
// Deprecated: use RecordBatch.
func (r *changeReader) Record() arrow.RecordBatch { return r.rec }
func (r *changeReader) Err() error                { return r.err }

func (r *changeReader) Release() {
	if atomic.AddInt64(&r.refs, -1) == 0 {
		r.clear()
		if r.cur != nil {
			r.cur.close()
			r.cur = nil
		}
		if r.pf != nil {
			r.pf.close()
		}
		r.consts.close() // after the prefetch workers that use it stopped
		r.plans.data.pool.close()
	}
}

func (r *changeReader) clear() {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
}

func (r *changeReader) Next() bool {
	r.clear()
	if r.pf != nil {
		if r.err != nil {
			return false
		}
		r.rec, r.err = r.pf.next()
		return r.rec != nil
	}
	for r.err == nil {
		if r.cur == nil {
			if r.next >= len(r.units) {
				return false
			}
			u := &r.units[r.next]
			r.next++
			fb, err := r.open(u)
			if err != nil {
				r.err = err
				return false
			}
			if fb == nil {
				continue
			}
			r.cur, r.unit = fb, u
		}
		rec, err := r.cur.next(r.ctx)
		if err != nil {
			r.err = err
			return false
		}
		if rec == nil {
			r.cur.close()
			r.cur = nil
			continue
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		r.rec, r.err = r.decorate(rec, r.unit)
		rec.Release()
		return r.err == nil
	}
	return false
}

// open starts reading one unit; nil when it contributes no rows.
func (r *changeReader) open(u *changeUnit) (*fileBatches, error) {
	t := r.snap.table
	if u.cdc {
		return r.snap.openFileRows(r.ctx, r.plans.cdc, u.path, u.partitions, nil)
	}
	var deleted *roaring64.Bitmap
	var err error
	switch {
	case u.newDV != nil || u.oldDV != nil:
		newRows, err := t.deletedRows(r.ctx, u.path, u.newDV)
		if err != nil {
			return nil, err
		}
		oldRows, err := t.deletedRows(r.ctx, u.path, u.oldDV)
		if err != nil {
			return nil, err
		}
		keep := roaring64.New()
		if newRows != nil {
			keep = newRows.Clone()
		}
		if oldRows != nil {
			keep.AndNot(oldRows)
		}
		if keep.IsEmpty() {
			return nil, nil
		}
		// Read only the kept rows: everything else counts as deleted.
		ra, err := t.openDataFile(r.ctx, u.path)
		if err != nil {
			return nil, err
		}
		info, err := parquetio.ReadFileInfo(ra)
		_ = ra.Close()
		if err != nil {
			return nil, readErr(u.path, err)
		}
		deleted = roaring64.New()
		deleted.AddRange(0, uint64(info.NumRows))
		deleted.AndNot(keep)
	default:
		if deleted, err = t.deletedRows(r.ctx, u.path, u.dropDV); err != nil {
			return nil, err
		}
	}
	return r.snap.openFileRows(r.ctx, r.plans.data, u.path, u.partitions, deleted)
}

// decorate appends the change-type (for data files) and commit columns.
func (r *changeReader) decorate(rec arrow.RecordBatch, u *changeUnit) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	cols := make([]arrow.Array, 0, r.plans.out.NumFields())
	for i := 0; i < int(rec.NumCols()); i++ {
		c := rec.Column(i)
		c.Retain()
		cols = append(cols, c)
	}
	type constCol struct {
		key any
		sc  scalar.Scalar
	}
	consts := make([]constCol, 0, 3)
	if !u.cdc {
		consts = append(consts, constCol{u.changeType, scalar.NewStringScalar(u.changeType)})
	}
	micros := u.timestamp.UnixMicro()
	consts = append(consts,
		constCol{u.version, scalar.NewInt64Scalar(u.version)},
		constCol{micros, scalar.NewTimestampScalar(arrow.Timestamp(micros), protocol.ArrowTimestampUTC)})
	for i, cc := range consts {
		slot := i + 3 - len(consts) // the change type's slot is 0 even when the file supplies it
		a, err := r.consts.column(slot, cc.key, cc.sc, n)
		if err != nil {
			for _, c := range cols {
				c.Release()
			}
			return nil, err
		}
		cols = append(cols, a)
	}
	out := array.NewRecordBatch(r.plans.out, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}
