package delta

import (
	"context"
	"errors"
	"iter"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/checkpoint"
	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Snapshot is the immutable state of a table at one version. It is safe
// for concurrent use; file lists are streamed from the log on each call,
// never cached whole.
type Snapshot struct {
	table      *Table
	segment    *logreplay.Segment
	state      *logreplay.State
	commitInfo protocol.CommitInfo

	// V2 checkpoints: sidecar files, and add actions held in a JSON
	// top-level checkpoint file.
	sidecars           []protocol.Sidecar
	jsonCheckpointAdds []*protocol.Add

	schema      *protocol.StructType
	arrowSchema *arrow.Schema
	mapping     protocol.ColumnMappingMode
	config      protocol.Config
}

func (s *Snapshot) init() error {
	if s.state.Protocol == nil {
		return corrupt("no protocol action at version %d", s.segment.Version)
	}
	if s.state.Metadata == nil {
		return corrupt("no metaData action at version %d", s.segment.Version)
	}
	if err := checkReadSupported(s.state.Protocol); err != nil {
		return err
	}
	schema, err := protocol.ParseSchema(s.state.Metadata.SchemaString)
	if err != nil {
		return corrupt("%v", err)
	}
	s.schema = schema
	if s.arrowSchema, err = protocol.ToArrowSchema(schema); err != nil {
		return corrupt("%v", err)
	}
	if s.mapping, err = protocol.ColumnMapping(s.state.Protocol, s.state.Metadata); err != nil {
		return corrupt("%v", err)
	}
	s.config = protocol.Config(s.state.Metadata.Configuration)
	for _, pc := range s.state.Metadata.PartitionColumns {
		if f, _ := schema.Field(pc); f == nil {
			return corrupt("partition column %q is not in the schema", pc)
		}
	}
	return nil
}

// Version is the snapshot's table version.
func (s *Snapshot) Version() int64 { return s.segment.Version }

// CheckpointVersion is the version of the checkpoint this snapshot was
// loaded from, or -1 when it was replayed from commits alone. Version()
// minus it is the number of commits a reader replays on top of the
// checkpoint: what table maintenance watches to decide on a checkpoint.
func (s *Snapshot) CheckpointVersion() int64 { return s.segment.CheckpointVersion }

// Protocol returns the table's protocol at this version.
func (s *Snapshot) Protocol() Protocol { return newProtocol(s.state.Protocol) }

// Metadata returns the table's metadata at this version.
func (s *Snapshot) Metadata() Metadata { return newMetadata(s.state.Metadata) }

// Schema returns the table schema in Arrow form (logical names; Delta
// column metadata on each field).
func (s *Snapshot) Schema() *arrow.Schema { return s.arrowSchema }

// SchemaString returns the Delta schema JSON as stored in the log.
func (s *Snapshot) SchemaString() string { return s.state.Metadata.SchemaString }

// PartitionColumns returns the partition columns in order.
func (s *Snapshot) PartitionColumns() []string {
	return slices.Clone(s.state.Metadata.PartitionColumns)
}

// Properties returns the table properties (metaData.configuration).
func (s *Snapshot) Properties() map[string]string {
	return maps.Clone(s.state.Metadata.Configuration)
}

// ColumnMapping returns the effective column mapping mode: "none", "name"
// or "id".
func (s *Snapshot) ColumnMapping() string { return s.mapping.String() }

// CommitInfo returns the commitInfo of the commit at this version, if the
// commit file is still present and recorded one.
func (s *Snapshot) CommitInfo() (CommitInfo, bool) {
	return CommitInfo(maps.Clone(s.commitInfo)), s.commitInfo != nil
}

// TxnVersion returns the latest version recorded for an application
// transaction id, for idempotent writers. Identifiers expired under
// delta.setTransactionRetentionDuration are not reported, as in Spark.
func (s *Snapshot) TxnVersion(appID string) (int64, bool) {
	t, ok := s.state.Txns[appID]
	if !ok || s.config.TxnExpired(t.LastUpdated, time.Now()) {
		return 0, false
	}
	return t.Version, true
}

// Txns returns every application transaction identifier that has not
// expired under delta.setTransactionRetentionDuration, by app id.
func (s *Snapshot) Txns() map[string]Txn {
	live := s.liveTxns()
	out := make(map[string]Txn, len(live))
	for id, t := range live {
		out[id] = newTxn(t)
	}
	return out
}

// liveTxns is Txns as the log's own actions.
func (s *Snapshot) liveTxns() map[string]protocol.Txn {
	out := make(map[string]protocol.Txn, len(s.state.Txns))
	now := time.Now()
	for id, t := range s.state.Txns {
		if !s.config.TxnExpired(t.LastUpdated, now) {
			out[id] = t
		}
	}
	return out
}

// DomainMetadata returns the live metadata domains, by name.
func (s *Snapshot) DomainMetadata() map[string]DomainMetadata {
	live := s.state.LiveDomains()
	out := make(map[string]DomainMetadata, len(live))
	for name, d := range live {
		out[name] = DomainMetadata{Domain: d.Domain, Configuration: d.Configuration}
	}
	return out
}

// Files yields the live data files (add actions), newest commits first,
// then the checkpoint's. It streams: a checkpoint with millions of files
// is read one batch at a time. Each AddFile is the caller's own copy.
func (s *Snapshot) Files(ctx context.Context) iter.Seq2[*AddFile, error] {
	return publicFiles(s.addFiles(ctx), newAddFile)
}

// publicFiles converts the actions an internal iterator yields.
func publicFiles[In, Out any](files iter.Seq2[In, error], convert func(In) Out) iter.Seq2[Out, error] {
	return func(yield func(Out, error) bool) {
		for f, err := range files {
			if err != nil {
				var zero Out
				yield(zero, err)
				return
			}
			if !yield(convert(f), nil) {
				return
			}
		}
	}
}

// addFiles is Files over the log's own actions, for this package's use:
// no copies, and checkpoint statistics stay parsed.
func (s *Snapshot) addFiles(ctx context.Context) iter.Seq2[*protocol.Add, error] {
	return func(yield func(*protocol.Add, error) bool) {
		for _, a := range s.state.DeltaAdds() {
			if !yield(a, nil) {
				return
			}
		}
		for _, a := range s.jsonCheckpointAdds {
			if s.state.Seen(a.Key()) {
				continue
			}
			if !yield(a, nil) {
				return
			}
		}
		emit := func(actions []protocol.Action) error {
			for i := range actions {
				a := actions[i].Add
				if a == nil || s.state.Seen(a.Key()) {
					continue
				}
				if !yield(a, nil) {
					return errStopIteration
				}
			}
			return nil
		}
		var files []checkpointRead
		for _, f := range s.segment.Checkpoint {
			if !strings.HasSuffix(f.Path, ".json") {
				files = append(files, checkpointRead{path: f.Path, size: f.Size, bytes: f.Size})
			}
		}
		for _, sc := range s.sidecars {
			p, err := protocol.DecodePath(sc.Path)
			if err != nil {
				yield(nil, corrupt("sidecar path %q: %v", sc.Path, err))
				return
			}
			rel, err := s.table.sidecarPath(p)
			if err != nil {
				yield(nil, err)
				return
			}
			files = append(files, checkpointRead{path: rel, bytes: sc.SizeInBytes})
		}
		// Parts and sidecars are fetched concurrently, yielded in order.
		err := s.table.readCheckpointFiles(ctx, files, checkpoint.AddColumns, func(_ string, actions []protocol.Action) error { return emit(actions) })
		if err != nil {
			yield(nil, err)
		}
	}
}

// Tombstones yields the remove actions still in the table state (for
// VACUUM and for CDF readers), newest first.
func (s *Snapshot) Tombstones(ctx context.Context) iter.Seq2[*RemoveFile, error] {
	return publicFiles(s.removeFiles(ctx), newRemoveFile)
}

// removeFiles is Tombstones over the log's own actions.
func (s *Snapshot) removeFiles(ctx context.Context) iter.Seq2[*protocol.Remove, error] {
	return func(yield func(*protocol.Remove, error) bool) {
		for _, r := range s.state.DeltaRemoves() {
			if !yield(r, nil) {
				return
			}
		}
		var files []checkpointRead
		for _, f := range s.segment.Checkpoint {
			files = append(files, checkpointRead{path: f.Path, size: f.Size, bytes: f.Size})
		}
		for _, sc := range s.sidecars {
			p, err := protocol.DecodePath(sc.Path)
			if err != nil {
				yield(nil, corrupt("sidecar path %q: %v", sc.Path, err))
				return
			}
			rel, err := s.table.sidecarPath(p)
			if err != nil {
				yield(nil, err)
				return
			}
			files = append(files, checkpointRead{path: rel, bytes: sc.SizeInBytes})
		}
		err := s.table.readCheckpointFiles(ctx, files, []string{"remove"}, func(_ string, actions []protocol.Action) error {
			for i := range actions {
				r := actions[i].Remove
				if r == nil || s.state.Seen(r.Key()) {
					continue
				}
				if !yield(r, nil) {
					return errStopIteration
				}
			}
			return nil
		})
		if err != nil {
			yield(nil, err)
		}
	}
}

// errStopIteration unwinds a checkpoint read when the consumer of an
// iterator stops early; it never reaches callers.
var errStopIteration = errors.New("delta: iteration stopped")

// FileStats summarises the live files of a snapshot.
type FileStats struct {
	NumFiles    int64
	SizeInBytes int64
	// NumRecords sums numRecords where every file has stats; -1 otherwise.
	NumRecords int64
}

// FileStats counts live files and bytes (one streaming pass).
func (s *Snapshot) FileStats(ctx context.Context) (FileStats, error) {
	var st FileStats
	for f, err := range s.addFiles(ctx) {
		if err != nil {
			return FileStats{}, err
		}
		st.NumFiles++
		st.SizeInBytes += f.Size
		if st.NumRecords >= 0 {
			n, ok := fileNumRecords(f)
			if !ok {
				st.NumRecords = -1
				continue
			}
			if f.DeletionVector != nil {
				n -= f.DeletionVector.Cardinality
			}
			st.NumRecords += n
		}
	}
	return st, nil
}

func fileNumRecords(f *protocol.Add) (int64, bool) {
	if st := f.StatsParsed; st != nil {
		if st.NumRecords == nil {
			return 0, false
		}
		return *st.NumRecords, true
	}
	return protocol.StatsNumRecords(f.Stats)
}

// Timestamp is the commit time of this version: its in-commit timestamp
// when the table records them, else the commit file's modification time.
func (s *Snapshot) Timestamp() time.Time {
	if ts, ok := s.commitInfo.InCommitTimestamp(); ok {
		return ts
	}
	for _, c := range s.segment.Commits {
		if c.Version == s.segment.Version {
			return time.UnixMilli(c.ModTime).UTC()
		}
	}
	for _, c := range s.segment.Checkpoint {
		return time.UnixMilli(c.ModTime).UTC()
	}
	return time.Time{}
}
