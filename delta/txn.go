package delta

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/lakehouse-go/lakehouse/internal/conflict"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// WriteMode says what a transaction does with the rows already in the
// table. The zero WriteMode is unset: Begin then appends, and the methods
// that imply a mode (Table.Append, Table.Overwrite, table changes and
// creation) use theirs. A mode set explicitly is never replaced: a method
// given options whose Mode contradicts it fails with ErrInvalidArgument.
type WriteMode int

const (
	// Append adds rows; existing rows stay.
	Append WriteMode = iota + 1
	// Overwrite replaces the table's rows (all of them, or only those
	// matching ReplaceWhere, or only the partitions written to with
	// PartitionOverwrite).
	Overwrite
)

func (m WriteMode) String() string {
	switch m {
	case 0:
		return "unset"
	case Append:
		return "Append"
	case Overwrite:
		return "Overwrite"
	}
	return fmt.Sprintf("WriteMode(%d)", int(m))
}

// Isolation is the isolation level a transaction commits at: which
// concurrent commits it can be rebased over. The zero value is
// WriteSerializable.
type Isolation int

// Isolation levels. WriteSerializable is the default, as in Delta.
const (
	// WriteSerializable lets a transaction that read the table commit
	// after concurrent blind appends: the result is as if the appends ran
	// after it, though a reader may have seen them first.
	WriteSerializable Isolation = iota
	// Serializable treats every concurrently added file as a possible
	// change to what the transaction read, so concurrent appends to what
	// it read are a conflict.
	Serializable
)

// String returns Delta's name of the level, as commitInfo records it.
func (i Isolation) String() string { return i.internal().String() }

func (i Isolation) internal() conflict.Isolation {
	if i == Serializable {
		return conflict.Serializable
	}
	return conflict.WriteSerializable
}

// TxnOptions configure a transaction. A nil *TxnOptions, like the zero
// value, is a plain append.
type TxnOptions struct {
	// Mode is Append or Overwrite; unset (zero) means Append for Begin and
	// the mode the called method implies elsewhere.
	Mode WriteMode
	// ReplaceWhere, with Overwrite, replaces only the rows matching this
	// SQL predicate; every written row must match it too.
	ReplaceWhere string
	// PartitionOverwrite, with Overwrite, replaces only the partitions the
	// written rows fall in (Spark's dynamic partition overwrite).
	PartitionOverwrite bool
	// MergeSchema lets written batches add columns (top-level or nested)
	// and widen types safely; the table schema is updated in the commit.
	MergeSchema bool
	// OverwriteSchema, with a full Overwrite, replaces the table schema
	// (and partitioning, see PartitionBy) with that of the written data.
	OverwriteSchema bool
	// PartitionBy sets the partition columns when OverwriteSchema replaces
	// the schema; ignored otherwise.
	PartitionBy []string
	// AppID and AppVersion make the write idempotent: a transaction whose
	// AppVersion is not above the version the table last recorded for
	// AppID commits nothing (CommitResult.Skipped).
	AppID      string
	AppVersion int64
	// Isolation is the isolation level; default WriteSerializable. A table
	// whose delta.isolationLevel property is Serializable commits every
	// transaction at Serializable, as Delta does: the property is a floor
	// a writer cannot lower.
	Isolation Isolation
	// MaxAttempts bounds commit attempts when concurrent commits force a
	// rebase; default 100.
	MaxAttempts int
	// TargetFileSize is the data-file size (bytes) at which a new file is
	// started; default delta.targetFileSize, else 128 MiB.
	TargetFileSize int64
	// RowGroupRows caps the rows of one Parquet row group in the data
	// files written; default 131,072. Smaller groups let filtered scans
	// skip more and copy-on-write DML copy more of a file unchanged;
	// larger ones compress a little better.
	RowGroupRows int64
	// Compression is the parquet codec: "snappy" (default), "zstd",
	// "gzip" or "uncompressed"; or "snappy-fast", snappy in the standard
	// mode Spark and delta-rs write, which spends about a tenth less CPU
	// on writing for files 10-15% larger than "snappy"'s.
	Compression string
	// UserMetadata is recorded in commitInfo.userMetadata.
	UserMetadata string
	// NoDataChange marks the files Write adds as dataChange=false: a
	// rewrite of rows the transaction removes with RemoveFiles (compaction).
	NoDataChange bool
	// OptimizeWrite shapes the write into as few files per partition as
	// the target size allows (Databricks' optimizeWrite write option; the
	// table property delta.autoOptimize.optimizeWrite=true turns it on for
	// every write): each partition's rows stream into one open file until
	// it reaches TargetFileSize, whose default becomes
	// OptimizeWriteBinSize unless delta.targetFileSize is set. Memory stays
	// bounded however many partitions are open, as in every write: past
	// 256 MiB of buffered rows, the largest row group is written out early.
	OptimizeWrite bool
}

func (o *TxnOptions) withDefaults() TxnOptions {
	var out TxnOptions
	if o != nil {
		out = *o
	}
	if out.MaxAttempts <= 0 {
		out.MaxAttempts = 100
	}
	if out.Compression == "" {
		out.Compression = "snappy"
	}
	if out.Mode == 0 {
		out.Mode = Append
	}
	return out
}

// withMode is withDefaults for a method that implies mode m (op names it
// in the error). A Mode the caller set to something else is an error, not
// silently replaced: Append called with Mode Overwrite would otherwise
// quietly keep rows the caller meant to replace.
func (o *TxnOptions) withMode(m WriteMode, op string) (TxnOptions, error) {
	if o != nil && o.Mode != 0 && o.Mode != m {
		return TxnOptions{}, fmt.Errorf("%w: %s with TxnOptions.Mode %s (leave Mode unset or set it to %s)", ErrInvalidArgument, op, o.Mode, m)
	}
	out := o.withDefaults()
	out.Mode = m
	return out, nil
}

func (o *TxnOptions) validate() error {
	if o.Mode != Append && o.Mode != Overwrite {
		return fmt.Errorf("%w: write mode %s", ErrInvalidArgument, o.Mode)
	}
	if o.Mode == Append && (o.ReplaceWhere != "" || o.PartitionOverwrite || o.OverwriteSchema) {
		return fmt.Errorf("%w: ReplaceWhere, PartitionOverwrite and OverwriteSchema need Mode Overwrite", ErrInvalidArgument)
	}
	if o.ReplaceWhere != "" && o.PartitionOverwrite {
		return fmt.Errorf("%w: ReplaceWhere and PartitionOverwrite cannot be combined", ErrInvalidArgument)
	}
	if o.OverwriteSchema && (o.ReplaceWhere != "" || o.PartitionOverwrite) {
		return fmt.Errorf("%w: OverwriteSchema needs a full overwrite", ErrInvalidArgument)
	}
	if o.AppID == "" && o.AppVersion != 0 {
		return fmt.Errorf("%w: AppVersion without AppID", ErrInvalidArgument)
	}
	if o.AppVersion < 0 {
		return fmt.Errorf("%w: AppVersion %d is negative", ErrInvalidArgument, o.AppVersion)
	}
	switch strings.ToLower(o.Compression) {
	case "snappy", "snappy-fast", "zstd", "gzip", "uncompressed", "none":
	default:
		return fmt.Errorf("%w: compression %q (want snappy, snappy-fast, zstd, gzip or uncompressed)", ErrInvalidArgument, o.Compression)
	}
	return nil
}

// Transaction is a write transaction on one table: data files are written (staged)
// by Write and become part of the table only when Commit succeeds.
// Rollback, or a failed Commit, deletes the staged files, leaving the
// table exactly as it was. A Transaction is not safe for concurrent use.
type Transaction struct {
	table *Table
	// snap is the snapshot the transaction read; nil when it creates the
	// table.
	snap        *Snapshot
	readVersion int64 // -1 when creating
	opts        TxnOptions

	// The table state this transaction commits. meta/proto start as the
	// snapshot's; metaChanged/protoChanged say whether to write them.
	meta         *protocol.Metadata
	proto        *protocol.Protocol
	metaChanged  bool
	protoChanged bool
	// autoCompaction marks the compaction commit auto compaction makes,
	// which must not trigger another.
	autoCompaction bool
	schema         *protocol.StructType
	mapping        protocol.ColumnMappingMode

	adds    []*protocol.Add
	removes []*protocol.Remove
	domains []protocol.DomainMetadata
	staged  []string // data files written, deleted on failure

	// What the transaction read, for conflict detection.
	readWholeTable bool
	readPredicates []conflict.Predicate
	// readFiles are files read without being removed (a DML scan that
	// found no match in them): removing them concurrently is a conflict.
	readFiles map[string]struct{}
	// dynamicPartitions collects the partitions a dynamic partition
	// overwrite wrote to (non-nil only for that mode).
	dynamicPartitions map[string]bool

	operation string
	opParams  map[string]any
	metrics   writeMetrics
	// dml and mergeRun are the row-level operation staged in this
	// transaction, for its metrics.
	dml      *dml
	mergeRun *mergeRun
	// maint, set by RESTORE, CLONE and VACUUM, replaces the write metrics
	// in commitInfo with the operation's own.
	maint *maintInfo

	// ictEnablement: this commit turns in-commit timestamps on for an
	// existing table, so it records the enablement version and time.
	ictEnablement bool

	// changes writes change data files (DML on a change-feed table); cdcs
	// are the cdc actions of the finished ones.
	changes *dataWriter
	cdcs    []*protocol.CDC
	// identity are the table's identity columns, whose values inserted
	// rows get; identityUsed says new values were generated, so the
	// high-water marks change in the commit.
	identity     []identityColumn
	identityUsed bool
	// insertChanges records written rows as change data inserts: set when
	// the commit has other change data (readers then use nothing else).
	insertChanges bool

	writer  *dataWriter // open data-file writer, nil until the first Write
	done    bool
	skipped bool // idempotent replay: commit nothing

	// fileWriters are the open FileWriters; fileMu guards them and what a
	// FileWriter records when it closes (adds, staged files, metrics).
	fileMu      sync.Mutex
	fileWriters map[*FileWriter]struct{}
	// opMetrics are the caller's operationMetrics (SetOperationMetrics).
	opMetrics map[string]string
}

// writeMetrics are counted as files are written and removed.
type writeMetrics struct {
	numFiles, numOutputRows, numOutputBytes int64
	numRemovedFiles, numRemovedBytes        int64
	numDeletedRows, numCopiedRows           int64
	numDeletedRowsKnown                     bool
	numChangeFiles                          int64
}

// Begin starts a transaction on the latest snapshot. It fails with
// *UnsupportedFeatureError when the table needs a writer feature this
// library does not implement, and with ErrAppendOnly for an overwrite of
// an append-only table.
func (t *Table) Begin(ctx context.Context, opts *TxnOptions) (*Transaction, error) {
	o := opts.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return t.beginAt(ctx, snap, o)
}

func (t *Table) beginAt(ctx context.Context, snap *Snapshot, o TxnOptions) (*Transaction, error) {
	if err := checkWritable(snap.state.Protocol, snap.state.Metadata); err != nil {
		return nil, err
	}
	meta := *snap.state.Metadata
	proto := *snap.state.Protocol
	if strings.EqualFold(meta.Configuration[protocol.PropIsolationLevel], Serializable.String()) {
		o.Isolation = Serializable
	}
	x := &Transaction{
		table:       t,
		snap:        snap,
		readVersion: snap.Version(),
		opts:        o,
		meta:        &meta,
		proto:       &proto,
		schema:      snap.schema,
		mapping:     snap.mapping,
		operation:   "WRITE",
	}
	ids, err := identityColumns(snap.schema)
	if err != nil {
		return nil, err
	}
	x.identity = ids
	if o.AppID != "" {
		if v, ok := snap.TxnVersion(o.AppID); ok && v >= o.AppVersion {
			x.skipped = true
		}
	}
	if o.Mode == Overwrite {
		if snap.config.Bool(protocol.PropAppendOnly, false) {
			return nil, fmt.Errorf("%w: %s has delta.appendOnly=true; overwrite would remove data", ErrAppendOnly, t.name())
		}
		if err := x.planOverwrite(ctx); err != nil {
			return nil, err
		}
	}
	x.opParams = x.writeParams()
	return x, nil
}

// checkWritable refuses tables this writer cannot write correctly.
func checkWritable(p *protocol.Protocol, m *protocol.Metadata) error {
	if err := checkWriteSupported(p); err != nil {
		return err
	}
	// Features this writer cannot produce data for, whatever the list of
	// honoured features says.
	if p.SupportsFeature("rowTracking") || protocol.Config(m.Configuration).Bool("delta.enableRowTracking", false) {
		return &UnsupportedFeatureError{Feature: "rowTracking", Writer: true}
	}
	return nil
}

// Snapshot returns the snapshot the transaction read (nil for a
// transaction creating the table).
func (x *Transaction) Snapshot() *Snapshot { return x.snap }

// ReadVersion is the version the transaction read, or -1 when it creates
// the table.
func (x *Transaction) ReadVersion() int64 { return x.readVersion }

// Rollback abandons the transaction and deletes its staged data files. It
// is a no-op after Commit, so `defer txn.Rollback()` is always safe.
func (x *Transaction) Rollback() error {
	if x.done {
		return nil
	}
	x.done = true
	return x.cleanup(context.Background())
}

// cleanup deletes every staged data file (best effort: an orphaned file is
// harmless, VACUUM removes it, but a missing one would corrupt the table,
// so this only ever runs when no commit can reference them).
func (x *Transaction) cleanup(ctx context.Context) error {
	x.abortFileWriters()
	for _, w := range []*dataWriter{x.writer, x.changes} {
		if w != nil {
			w.abort()
			x.staged = append(x.staged, w.staged...)
		}
	}
	x.writer, x.changes = nil, nil
	var first error
	for _, p := range x.staged {
		if err := x.table.store.Delete(ctx, p); err != nil && first == nil && !isNotExist(err) {
			first = fmt.Errorf("delta: rollback: delete staged file %s: %w", p, err)
		}
	}
	x.staged = nil
	x.adds = nil
	x.cdcs = nil
	return first
}

// writeParams are the operationParameters Spark records for a WRITE.
func (x *Transaction) writeParams() map[string]any {
	params := map[string]any{
		"mode":        x.opts.Mode.String(),
		"partitionBy": jsonString(x.meta.PartitionColumns),
	}
	if x.opts.ReplaceWhere != "" {
		params["predicate"] = jsonString([]string{x.opts.ReplaceWhere})
	}
	if x.opts.PartitionOverwrite {
		params["mode"] = "Overwrite"
		params["partitionOverwriteMode"] = "DYNAMIC"
	}
	return params
}

// conflictTxn describes this transaction to the conflict rules.
func (x *Transaction) conflictTxn() *conflict.Txn {
	ct := &conflict.Txn{
		Isolation:      x.opts.Isolation.internal(),
		ReadWholeTable: x.readWholeTable,
		ReadPredicates: x.readPredicates,
	}
	if len(x.removes) > 0 {
		ct.Removes = make(map[string]struct{}, len(x.removes))
		ct.ReadFiles = make(map[string]struct{}, len(x.removes))
		for _, r := range x.removes {
			ct.Removes[r.Path] = struct{}{}
			ct.ReadFiles[r.Path] = struct{}{}
		}
	}
	for p := range x.readFiles {
		if ct.ReadFiles == nil {
			ct.ReadFiles = map[string]struct{}{}
		}
		ct.ReadFiles[p] = struct{}{}
	}
	if x.opts.AppID != "" {
		ct.AppIDs = []string{x.opts.AppID}
	}
	for _, d := range x.domains {
		ct.Domains = append(ct.Domains, d.Domain)
	}
	return ct
}

// markRead records a file the transaction read.
func (x *Transaction) markRead(path string) {
	if x.readFiles == nil {
		x.readFiles = map[string]struct{}{}
	}
	x.readFiles[path] = struct{}{}
}

// isBlindAppend reports whether the transaction only adds files without
// reading the table.
func (x *Transaction) isBlindAppend() bool {
	return len(x.removes) == 0 && !x.readWholeTable && len(x.readPredicates) == 0 && len(x.readFiles) == 0 && !x.metaChanged && !x.protoChanged && x.readVersion >= 0
}

func partitionColumnsEqual(a, b []string) bool { return slices.Equal(a, b) }
