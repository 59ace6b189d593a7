package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/delta"
)

// DefaultMaxFilesPerTrigger is the Delta source's file limit per batch
// when none is set, as in Spark.
const DefaultMaxFilesPerTrigger = 1000

// DeltaSourceOptions configure a DeltaSource. A nil *DeltaSourceOptions
// means the defaults: start with the table's current contents, then
// follow its new commits, at most 1000 files per batch.
type DeltaSourceOptions struct {
	// Table configures opening the table.
	Table *delta.Options
	// StartingVersion, when set, starts the stream with the changes of
	// that version (no initial snapshot).
	StartingVersion *int64
	// StartingTimestamp, when not zero (and StartingVersion is nil),
	// starts with the first version committed at or after it.
	StartingTimestamp time.Time
	// MaxFilesPerTrigger caps the files per batch (default 1000);
	// MaxBytesPerTrigger caps their bytes, softly: a batch holds at least
	// one file. Both are ignored by Trigger Once.
	MaxFilesPerTrigger int
	MaxBytesPerTrigger int64
	// IgnoreDeletes lets commits that only remove files (deletes of whole
	// files or partitions) pass without output, as Spark's ignoreDeletes.
	IgnoreDeletes bool
	// SkipChangeCommits skips, entirely, every commit that removed or
	// rewrote rows (DELETE, UPDATE, MERGE), as Spark's skipChangeCommits.
	SkipChangeCommits bool
	// ReadChangeFeed streams the change data feed: the table's columns
	// plus _change_type, _commit_version and _commit_timestamp. Without
	// StartingVersion the first batch holds the current contents as
	// inserts.
	ReadChangeFeed bool
}

// DeltaSource streams a Delta table's new data: an initial snapshot (or
// a starting version), then each new commit's added files, as Spark's
// Delta streaming source does. Its offsets have Spark's shape:
// {"sourceVersion":1,"reservoirId":…,"reservoirVersion":v,"index":i,
// "isStartingVersion":…}, meaning every file up to index i of version v
// has been read (index -1: none of version v).
type DeltaSource struct {
	url  string
	opts DeltaSourceOptions

	tbl      *delta.Table
	mem      memory.Allocator
	tableID  string
	capAt    int64 // AvailableNow: the last version to read; -1 for none
	meta     *MetaDir
	mu       sync.Mutex
	versions map[int64][]*delta.AddFile // planned files per commit (cache)
}

// NewDeltaSource returns a source reading the table at url.
func NewDeltaSource(url string, opts *DeltaSourceOptions) *DeltaSource {
	s := &DeltaSource{url: url, capAt: -1, versions: map[int64][]*delta.AddFile{}}
	if opts != nil {
		s.opts = *opts
	}
	if s.opts.MaxFilesPerTrigger <= 0 {
		s.opts.MaxFilesPerTrigger = DefaultMaxFilesPerTrigger
	}
	return s
}

// Kind implements Source.
func (s *DeltaSource) Kind() string {
	if s.opts.ReadChangeFeed {
		return "delta-cdf"
	}
	return "delta"
}

// String describes the source in Progress.Sources.
func (s *DeltaSource) String() string { return "DeltaSource[" + s.url + "]" }

type deltaOffset struct {
	SourceVersion     int    `json:"sourceVersion"`
	ReservoirID       string `json:"reservoirId"`
	ReservoirVersion  int64  `json:"reservoirVersion"`
	Index             int64  `json:"index"`
	IsStartingVersion bool   `json:"isStartingVersion"`
}

// Open implements Source.
func (s *DeltaSource) Open(ctx context.Context, env *SourceEnv) error {
	opts := s.opts.Table
	if opts == nil && env.Allocator != nil {
		opts = &delta.Options{Allocator: env.Allocator}
	}
	tbl, err := delta.Open(ctx, s.url, opts)
	if err != nil {
		return err
	}
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		_ = tbl.Close()
		return err
	}
	s.tbl, s.tableID = tbl, snap.Metadata().ID
	s.mem = tbl.Allocator()
	s.meta = env.Meta
	return nil
}

// initialSnapshotFile records, in the source's checkpoint directory, the
// version of the snapshot the stream starts with.
const initialSnapshotFile = "initialSnapshotVersion"

// startingSnapshot returns the version of the initial snapshot: chosen
// once, when the query first needs it, and kept in the checkpoint. Taking
// "the latest version" again later (when a batch that read the snapshot
// re-runs after a crash, or between planning a batch and reading it)
// would start after rows the planned batch covers, and lose them.
func (s *DeltaSource) startingSnapshot(ctx context.Context) (int64, error) {
	if s.meta != nil {
		b, err := s.meta.Get(ctx, initialSnapshotFile)
		if err == nil {
			v, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			if perr != nil {
				return 0, fmt.Errorf("%w: %s: %q", ErrCorruptCheckpoint, initialSnapshotFile, b)
			}
			return v, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return 0, err
		}
	}
	snap, err := s.tbl.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	v := snap.Version()
	if s.capAt >= 0 && s.capAt < v {
		v = s.capAt
	}
	if s.meta == nil {
		return v, nil
	}
	err = s.meta.PutIfAbsent(ctx, initialSnapshotFile, []byte(strconv.FormatInt(v, 10)))
	if errors.Is(err, fs.ErrExist) {
		return s.startingSnapshot(ctx) // another run chose first
	}
	return v, err
}

// Close implements Source.
func (s *DeltaSource) Close() error {
	if s.tbl == nil {
		return nil
	}
	return s.tbl.Close()
}

// PrepareAvailableNow implements AvailableNowSource: the stream stops at
// the version that is the latest now.
func (s *DeltaSource) PrepareAvailableNow(ctx context.Context) error {
	snap, err := s.tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	s.capAt = snap.Version()
	return nil
}

func (s *DeltaSource) parse(o Offset) (deltaOffset, error) {
	var d deltaOffset
	if err := json.Unmarshal(o, &d); err != nil {
		return d, &IncompatibleCheckpointError{Reason: "delta source offset: " + err.Error()}
	}
	if d.ReservoirID != s.tableID {
		return d, &IncompatibleCheckpointError{Reason: fmt.Sprintf("the checkpoint read table %s, %s is table %s", d.ReservoirID, s.url, s.tableID)}
	}
	return d, nil
}

// initial is the position before anything was read.
func (s *DeltaSource) initial(ctx context.Context) (deltaOffset, error) {
	if v := s.opts.StartingVersion; v != nil {
		return deltaOffset{SourceVersion: 1, ReservoirID: s.tableID, ReservoirVersion: *v, Index: -1}, nil
	}
	if ts := s.opts.StartingTimestamp; !ts.IsZero() {
		v, err := s.firstVersionFrom(ctx, ts)
		if err != nil {
			return deltaOffset{}, err
		}
		return deltaOffset{SourceVersion: 1, ReservoirID: s.tableID, ReservoirVersion: v, Index: -1}, nil
	}
	v, err := s.startingSnapshot(ctx)
	if err != nil {
		return deltaOffset{}, err
	}
	return deltaOffset{SourceVersion: 1, ReservoirID: s.tableID, ReservoirVersion: v, Index: -1, IsStartingVersion: true}, nil
}

// firstVersionFrom resolves a starting timestamp: the first version
// committed at or after ts (a time before the first commit is version 0 of
// what remains; after the latest, the next version to come).
func (s *DeltaSource) firstVersionFrom(ctx context.Context, ts time.Time) (int64, error) {
	snap, err := s.tbl.SnapshotAsOf(ctx, ts)
	if errors.Is(err, delta.ErrVersionNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	at, err := s.tbl.CommitTimestamp(ctx, snap.Version())
	if err != nil {
		return 0, err
	}
	if at.Before(ts) {
		return snap.Version() + 1, nil
	}
	return snap.Version(), nil
}

// files returns the data files a position's version contributes, in the
// order batches take them: the snapshot's files sorted by modification
// time and path for the starting version, the commit's data-changing adds
// otherwise (none for commits skipped by the change options).
func (s *DeltaSource) files(ctx context.Context, v int64, starting bool) ([]*delta.AddFile, error) {
	key := v
	if starting {
		key = -v - 1
	}
	s.mu.Lock()
	if f, ok := s.versions[key]; ok {
		s.mu.Unlock()
		return f, nil
	}
	s.mu.Unlock()
	var out []*delta.AddFile
	if starting {
		snap, err := s.tbl.SnapshotAt(ctx, v)
		if err != nil {
			return nil, err
		}
		for f, err := range snap.Files(ctx) {
			if err != nil {
				return nil, err
			}
			out = append(out, f)
		}
		sort.Slice(out, func(i, j int) bool {
			if !out[i].ModificationTime.Equal(out[j].ModificationTime) {
				return out[i].ModificationTime.Before(out[j].ModificationTime)
			}
			return out[i].Path < out[j].Path
		})
	} else {
		adds, removes, err := s.tbl.CommitFiles(ctx, v)
		if err != nil {
			return nil, err
		}
		var changed bool
		for _, r := range removes {
			changed = changed || r.DataChange
		}
		for _, a := range adds {
			if a.DataChange {
				out = append(out, a)
			}
		}
		if s.opts.ReadChangeFeed {
			// Change-feed units are whole commits; count what changed.
			for _, r := range removes {
				if r.DataChange {
					out = append(out, &delta.AddFile{Path: r.Path})
				}
			}
		} else if changed {
			switch {
			case s.opts.SkipChangeCommits:
				out = nil
			case s.opts.IgnoreDeletes && len(out) == 0:
			default:
				return nil, fmt.Errorf("%w: version %d of %s removed data files (set IgnoreDeletes for deletes of whole files, SkipChangeCommits to skip such commits)", ErrChangeCommit, v, s.url)
			}
		}
	}
	s.mu.Lock()
	if len(s.versions) > 64 {
		clear(s.versions)
	}
	s.versions[key] = out
	s.mu.Unlock()
	return out, nil
}

// latestVersion is the newest version the source may read.
func (s *DeltaSource) latestVersion(ctx context.Context) (int64, error) {
	snap, err := s.tbl.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	v := snap.Version()
	if s.capAt >= 0 && s.capAt < v {
		v = s.capAt
	}
	return v, nil
}

// LatestOffset implements Source.
func (s *DeltaSource) LatestOffset(ctx context.Context, start Offset, limit Limit) (Offset, error) {
	pos, err := s.startPos(ctx, start)
	if err != nil {
		return nil, err
	}
	latest, err := s.latestVersion(ctx)
	if err != nil {
		return nil, err
	}
	var nFiles int
	var nBytes int64
	full := func() bool {
		if limit == LimitAll || nFiles == 0 {
			return false
		}
		return nFiles >= s.opts.MaxFilesPerTrigger || (s.opts.MaxBytesPerTrigger > 0 && nBytes >= s.opts.MaxBytesPerTrigger)
	}
	cur := pos
	for cur.ReservoirVersion <= latest && !full() {
		files, err := s.files(ctx, cur.ReservoirVersion, cur.IsStartingVersion)
		if err != nil {
			return nil, err
		}
		i := cur.Index + 1
		if s.opts.ReadChangeFeed && !cur.IsStartingVersion {
			// Whole commits only: the change feed reads versions.
			nFiles += len(files)
			i = int64(len(files))
		}
		for ; i < int64(len(files)) && !full(); i++ {
			nFiles++
			nBytes += files[i].Size
		}
		if i < int64(len(files)) {
			cur.Index = i - 1
			break
		}
		cur = deltaOffset{SourceVersion: 1, ReservoirID: s.tableID, ReservoirVersion: cur.ReservoirVersion + 1, Index: -1}
	}
	if cur == pos {
		return start, nil // nothing new (nil before the first batch)
	}
	return json.Marshal(cur)
}

func (s *DeltaSource) startPos(ctx context.Context, start Offset) (deltaOffset, error) {
	if start == nil {
		return s.initial(ctx)
	}
	return s.parse(start)
}

// span is a run of files of one version that a batch reads.
type span struct {
	version  int64
	starting bool
	files    []*delta.AddFile
}

// spans lists what lies between two positions.
func (s *DeltaSource) spans(ctx context.Context, from, to deltaOffset) ([]span, error) {
	var out []span
	cur := from
	for cur.ReservoirVersion < to.ReservoirVersion || (cur.ReservoirVersion == to.ReservoirVersion && cur.Index < to.Index) {
		files, err := s.files(ctx, cur.ReservoirVersion, cur.IsStartingVersion)
		if err != nil {
			return nil, err
		}
		hi := int64(len(files))
		if cur.ReservoirVersion == to.ReservoirVersion {
			hi = to.Index + 1
		}
		out = append(out, span{version: cur.ReservoirVersion, starting: cur.IsStartingVersion, files: files[cur.Index+1 : hi]})
		cur = deltaOffset{ReservoirVersion: cur.ReservoirVersion + 1, Index: -1}
	}
	return out, nil
}

// Read implements Source.
func (s *DeltaSource) Read(ctx context.Context, start, end Offset) (array.RecordReader, error) {
	from, err := s.startPos(ctx, start)
	if err != nil {
		return nil, err
	}
	to, err := s.parse(end)
	if err != nil {
		return nil, err
	}
	spans, err := s.spans(ctx, from, to)
	if err != nil {
		return nil, err
	}
	lastVersion := to.ReservoirVersion
	if to.Index < 0 {
		lastVersion--
	}
	// A batch without data (the watermark moved) starts and ends after the
	// last version: the version before "from" is then the one to describe.
	fromVersion := from.ReservoirVersion
	if from.Index < 0 && !from.IsStartingVersion && fromVersion > 0 {
		fromVersion--
	}
	last, err := s.tbl.SnapshotAt(ctx, max(lastVersion, fromVersion))
	if err != nil {
		return nil, err
	}
	schema := last.Schema()
	if s.opts.ReadChangeFeed {
		schema = changeSchema(schema)
		return s.readChanges(ctx, schema, spans)
	}
	var parts []func(context.Context) (array.RecordReader, error)
	for _, sp := range spans {
		if len(sp.files) == 0 {
			continue
		}
		parts = append(parts, func(ctx context.Context) (array.RecordReader, error) {
			snap, err := s.tbl.SnapshotAt(ctx, sp.version)
			if err != nil {
				return nil, err
			}
			return snap.ScanFiles(ctx, sp.files, nil)
		})
	}
	return newChainReader(ctx, schema, parts), nil
}

func changeSchema(table *arrow.Schema) *arrow.Schema {
	fields := append([]arrow.Field(nil), table.Fields()...)
	fields = append(fields,
		arrow.Field{Name: delta.ChangeTypeColumn, Type: arrow.BinaryTypes.String, Nullable: true},
		arrow.Field{Name: delta.CommitVersionColumn, Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: delta.CommitTimestampColumn, Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true})
	return arrow.NewSchema(fields, nil)
}

// readChanges reads the change feed of the spans: the starting snapshot as
// inserts, and each later version through Table.Changes.
func (s *DeltaSource) readChanges(ctx context.Context, schema *arrow.Schema, spans []span) (array.RecordReader, error) {
	var parts []func(context.Context) (array.RecordReader, error)
	var lo, hi int64 = -1, -1
	flush := func() {
		if lo < 0 {
			return
		}
		a, b := lo, hi
		parts = append(parts, func(ctx context.Context) (array.RecordReader, error) {
			return s.tbl.Changes(ctx, a, &delta.ChangesOptions{EndVersion: &b})
		})
		lo, hi = -1, -1
	}
	for _, sp := range spans {
		if sp.starting {
			flush()
			if len(sp.files) == 0 {
				continue
			}
			parts = append(parts, func(ctx context.Context) (array.RecordReader, error) {
				snap, err := s.tbl.SnapshotAt(ctx, sp.version)
				if err != nil {
					return nil, err
				}
				rr, err := snap.ScanFiles(ctx, sp.files, nil)
				if err != nil {
					return nil, err
				}
				return &insertsReader{RecordReader: rr, schema: changeSchema(rr.Schema()), version: sp.version, ts: snap.Timestamp(), mem: s.mem}, nil
			})
			continue
		}
		if lo < 0 {
			lo = sp.version
		}
		hi = sp.version
	}
	flush()
	return newChainReader(ctx, schema, parts), nil
}

// insertsReader decorates a snapshot scan as change-feed inserts.
type insertsReader struct {
	array.RecordReader
	schema  *arrow.Schema
	version int64
	ts      time.Time
	rec     arrow.RecordBatch
	mem     memory.Allocator
}

func (r *insertsReader) Schema() *arrow.Schema          { return r.schema }
func (r *insertsReader) RecordBatch() arrow.RecordBatch { return r.rec }
func (r *insertsReader) Record() arrow.RecordBatch      { return r.rec }

func (r *insertsReader) Next() bool {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	if !r.RecordReader.Next() {
		return false
	}
	in := r.RecordReader.RecordBatch()
	n := int(in.NumRows())
	mem := r.mem
	tb := array.NewStringBuilder(mem)
	vb := array.NewInt64Builder(mem)
	sb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
	defer tb.Release()
	defer vb.Release()
	defer sb.Release()
	for range n {
		tb.Append(delta.ChangeInsert)
		vb.Append(r.version)
		sb.Append(arrow.Timestamp(r.ts.UnixMicro()))
	}
	cols := append([]arrow.Array(nil), in.Columns()...)
	extra := []arrow.Array{tb.NewArray(), vb.NewArray(), sb.NewArray()}
	r.rec = array.NewRecordBatch(r.schema, append(cols, extra...), int64(n))
	for _, a := range extra {
		a.Release()
	}
	return true
}

func (r *insertsReader) Release() {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	r.RecordReader.Release()
}
