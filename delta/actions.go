package delta

import (
	"maps"
	"slices"
	"time"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// The log actions as this package hands them out. They are copies: changing
// one never changes a snapshot. Times are time.Time in UTC (the log stores
// Unix milliseconds); a zero time means the writer did not record one.

// Protocol is the table's protocol action: what a client must implement to
// read or write the table.
type Protocol struct {
	// MinReaderVersion is the reader protocol version (1, 2 or 3) a client
	// needs to read the table. Version 3 adds ReaderFeatures.
	MinReaderVersion int32
	// MinWriterVersion is the writer protocol version (1 to 7) a client
	// needs to write the table. Version 7 adds WriterFeatures.
	MinWriterVersion int32
	// ReaderFeatures names the table features a reader must support
	// (deletionVectors, columnMapping, …); set only with reader version 3.
	ReaderFeatures []string
	// WriterFeatures names the table features a writer must support,
	// reader features included; set only with writer version 7.
	WriterFeatures []string
}

// SupportsFeature reports whether the protocol enables a table feature,
// by listing it (reader 3 / writer 7) or through a legacy writer version
// that implies it (for example changeDataFeed from writer version 4).
func (p Protocol) SupportsFeature(name string) bool {
	ip := p.internal()
	return ip.SupportsFeature(name)
}

func (p Protocol) internal() protocol.Protocol {
	return protocol.Protocol{
		MinReaderVersion: p.MinReaderVersion,
		MinWriterVersion: p.MinWriterVersion,
		ReaderFeatures:   p.ReaderFeatures,
		WriterFeatures:   p.WriterFeatures,
	}
}

func newProtocol(p *protocol.Protocol) Protocol {
	return Protocol{
		MinReaderVersion: p.MinReaderVersion,
		MinWriterVersion: p.MinWriterVersion,
		ReaderFeatures:   slices.Clone(p.ReaderFeatures),
		WriterFeatures:   slices.Clone(p.WriterFeatures),
	}
}

// Metadata is the table's metaData action: identity, schema, partitioning
// and properties.
type Metadata struct {
	// ID identifies the table (a UUID chosen at creation); it survives
	// renames and moves of the table's location.
	ID string
	// Name and Description are free text, empty when unset.
	Name        string
	Description string
	// Provider is the data file format; always "parquet" in Delta.
	Provider string
	// FormatOptions are options of that format; Delta defines none.
	FormatOptions map[string]string
	// SchemaString is the table schema as Delta's schema JSON. Snapshot.Schema
	// gives the same schema in Arrow form.
	SchemaString string
	// PartitionColumns are the partition columns, in order.
	PartitionColumns []string
	// CreatedTime is when the table was created, zero if not recorded.
	CreatedTime time.Time
	// Configuration holds the table properties (delta.appendOnly,
	// delta.enableChangeDataFeed, …, and any user-defined key).
	Configuration map[string]string
}

func newMetadata(m *protocol.Metadata) Metadata {
	out := Metadata{
		ID:               m.ID,
		Name:             m.Name,
		Description:      m.Description,
		Provider:         m.Format.Provider,
		FormatOptions:    maps.Clone(m.Format.Options),
		SchemaString:     m.SchemaString,
		PartitionColumns: slices.Clone(m.PartitionColumns),
		Configuration:    maps.Clone(m.Configuration),
	}
	if m.CreatedTime != nil {
		out.CreatedTime = time.UnixMilli(*m.CreatedTime).UTC()
	}
	return out
}

// AddFile is a live data file of the table (an add action).
type AddFile struct {
	// Path locates the data file: relative to the table root, or an
	// absolute URI. It is decoded: the log's %-escapes are resolved.
	Path string
	// PartitionValues maps each partition column to the file's value in
	// its string form (nil for null). Keys are physical column names,
	// which differ from the schema's names under column mapping.
	PartitionValues map[string]*string
	// Size is the file's size in bytes.
	Size int64
	// ModificationTime is when the file was written.
	ModificationTime time.Time
	// DataChange is false when the file only rearranges existing rows
	// (compaction, for instance), so change-feed readers skip it.
	DataChange bool
	// Stats is the file's statistics JSON (numRecords, minValues,
	// maxValues, nullCount), "" when the writer recorded none. Statistics
	// a checkpoint kept only in parsed form are re-encoded here.
	Stats string
	// Tags are free-form key/value pairs the writer attached.
	Tags map[string]string
	// DeletionVector marks rows of the file as deleted; nil when none are.
	DeletionVector *DeletionVector
	// BaseRowID is the row id of the file's first row, with row tracking.
	BaseRowID *int64
	// DefaultRowCommitVersion is the version that first committed the
	// file's rows, with row tracking.
	DefaultRowCommitVersion *int64
	// ClusteringProvider names the clustering implementation that laid
	// out the file, with clustered tables; "" otherwise.
	ClusteringProvider string
}

// newAddFile copies an add action out of the log state.
func newAddFile(a *protocol.Add) *AddFile {
	f := &AddFile{
		Path:                    a.Path,
		PartitionValues:         maps.Clone(a.PartitionValues),
		Size:                    a.Size,
		ModificationTime:        time.UnixMilli(a.ModificationTime).UTC(),
		DataChange:              a.DataChange,
		Stats:                   a.Stats,
		Tags:                    maps.Clone(a.Tags),
		DeletionVector:          newDeletionVector(a.DeletionVector),
		BaseRowID:               clonePtr(a.BaseRowID),
		DefaultRowCommitVersion: clonePtr(a.DefaultRowCommitVersion),
		ClusteringProvider:      a.ClusteringProvider,
	}
	if f.Stats == "" && a.StatsParsed != nil {
		// Statistics decoded from a checkpoint's stats_parsed always
		// re-encode; on the impossible failure Stats stays empty, which
		// only means "no statistics".
		f.Stats, _ = a.StatsParsed.Encode()
	}
	return f
}

// internal turns a caller's AddFile back into an add action, for
// Transaction.RemoveFiles.
func (f *AddFile) internal() *protocol.Add {
	a := &protocol.Add{
		Path:                    f.Path,
		PartitionValues:         f.PartitionValues,
		Size:                    f.Size,
		DataChange:              f.DataChange,
		Stats:                   f.Stats,
		Tags:                    f.Tags,
		DeletionVector:          f.DeletionVector.internal(),
		BaseRowID:               f.BaseRowID,
		DefaultRowCommitVersion: f.DefaultRowCommitVersion,
		ClusteringProvider:      f.ClusteringProvider,
	}
	if !f.ModificationTime.IsZero() {
		a.ModificationTime = f.ModificationTime.UnixMilli()
	}
	return a
}

// RemoveFile is a tombstone: a file removed from the table whose data
// file may still exist until VACUUM deletes it (a remove action).
type RemoveFile struct {
	// Path locates the removed data file, as in AddFile.Path.
	Path string
	// DeletionTimestamp is when the file was removed, zero if not recorded.
	DeletionTimestamp time.Time
	// DataChange is false when the removal only rearranged rows.
	DataChange bool
	// ExtendedFileMetadata is true when the writer recorded
	// PartitionValues, Size and Tags for the file.
	ExtendedFileMetadata bool
	// PartitionValues are the file's partition values, as in AddFile.
	PartitionValues map[string]*string
	// Size is the file's size in bytes; nil when not recorded.
	Size *int64
	// Stats is the file's statistics JSON, "" when not recorded.
	Stats string
	// Tags are the file's key/value tags.
	Tags map[string]string
	// DeletionVector is the deletion vector the removed file had.
	DeletionVector *DeletionVector
	// BaseRowID and DefaultRowCommitVersion are the file's row tracking
	// fields, as in AddFile.
	BaseRowID               *int64
	DefaultRowCommitVersion *int64
}

func newRemoveFile(r *protocol.Remove) *RemoveFile {
	f := &RemoveFile{
		Path:                    r.Path,
		DataChange:              r.DataChange,
		ExtendedFileMetadata:    r.ExtendedFileMetadata != nil && *r.ExtendedFileMetadata,
		PartitionValues:         maps.Clone(r.PartitionValues),
		Size:                    clonePtr(r.Size),
		Stats:                   r.Stats,
		Tags:                    maps.Clone(r.Tags),
		DeletionVector:          newDeletionVector(r.DeletionVector),
		BaseRowID:               clonePtr(r.BaseRowID),
		DefaultRowCommitVersion: clonePtr(r.DefaultRowCommitVersion),
	}
	if r.DeletionTimestamp != nil {
		f.DeletionTimestamp = time.UnixMilli(*r.DeletionTimestamp).UTC()
	}
	return f
}

// DeletionVector describes the rows deleted from a data file: a set of row
// indexes stored inline in the log or in a deletion vector file.
type DeletionVector struct {
	// StorageType says where the vector is: "u" in a file under the table
	// root named after a UUID, "i" inline in PathOrInlineDv, "p" in a file
	// at an absolute path.
	StorageType string
	// PathOrInlineDv is, by storage type, the Z85-encoded UUID with an
	// optional directory prefix ("u"), the Z85-encoded vector itself ("i"),
	// or the file's absolute path ("p").
	PathOrInlineDv string
	// Offset is the vector's byte offset in its file; nil for inline vectors.
	Offset *int32
	// SizeInBytes is the size of the serialised vector.
	SizeInBytes int32
	// Cardinality is the number of deleted rows.
	Cardinality int64
}

// UniqueID identifies the vector as the protocol does: storage type and
// PathOrInlineDv, followed by "@offset" when there is an offset. A data
// file's path and this id together identify a logical file.
func (d *DeletionVector) UniqueID() string { return d.internal().UniqueID() }

func newDeletionVector(d *protocol.DeletionVector) *DeletionVector {
	if d == nil {
		return nil
	}
	return &DeletionVector{
		StorageType:    d.StorageType,
		PathOrInlineDv: d.PathOrInlineDv,
		Offset:         clonePtr(d.Offset),
		SizeInBytes:    d.SizeInBytes,
		Cardinality:    d.Cardinality,
	}
}

func (d *DeletionVector) internal() *protocol.DeletionVector {
	if d == nil {
		return nil
	}
	return &protocol.DeletionVector{
		StorageType:    d.StorageType,
		PathOrInlineDv: d.PathOrInlineDv,
		Offset:         d.Offset,
		SizeInBytes:    d.SizeInBytes,
		Cardinality:    d.Cardinality,
	}
}

// CommitInfo is the provenance a writer recorded with one commit (the
// commitInfo action). Delta leaves its content to the writer: common keys
// are operation, operationParameters, operationMetrics, timestamp,
// engineInfo and inCommitTimestamp. Values are as decoded from JSON, with
// numbers as json.Number.
type CommitInfo map[string]any

// Operation returns the operation name ("WRITE", "MERGE", …), or "".
func (c CommitInfo) Operation() string { return protocol.CommitInfo(c).Operation() }

// Timestamp returns the writer's clock at commit time, if recorded.
func (c CommitInfo) Timestamp() (time.Time, bool) { return protocol.CommitInfo(c).Timestamp() }

// InCommitTimestamp returns the commit's in-commit timestamp, which tables
// with the inCommitTimestamp feature use as the version's time, if
// recorded.
func (c CommitInfo) InCommitTimestamp() (time.Time, bool) {
	return protocol.CommitInfo(c).InCommitTimestamp()
}

// Txn records the last version an application committed through an
// idempotent writer (a txn action); see TxnOptions.AppID.
type Txn struct {
	// AppID identifies the application.
	AppID string
	// Version is the application's own version of its latest commit.
	Version int64
	// LastUpdated is when the application committed it, zero if not
	// recorded.
	LastUpdated time.Time
}

func newTxn(t protocol.Txn) Txn {
	out := Txn{AppID: t.AppID, Version: t.Version}
	if t.LastUpdated != nil {
		out.LastUpdated = time.UnixMilli(*t.LastUpdated).UTC()
	}
	return out
}

// DomainMetadata is one live metadata domain: configuration a system or
// an application keeps in the log under its own name (a domainMetadata
// action). Domains starting with "delta." belong to Delta features.
type DomainMetadata struct {
	// Domain is the domain's name.
	Domain string
	// Configuration is the domain's content, usually JSON; Delta does not
	// interpret it.
	Configuration string
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
