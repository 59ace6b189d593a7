package delta

import (
	"errors"
	"fmt"

	"github.com/lakehouse-go/lakehouse/internal/conflict"
)

// Errors returned by the write side of this package (transactions, table
// creation and table changes). Each can be matched with errors.Is.
var (
	// ErrConflict matches every *ConflictError: a concurrent commit changed
	// what the transaction depends on, so it could not be rebased. The table
	// is unchanged by the failed transaction; retrying it from Begin re-reads
	// the new state.
	ErrConflict = errors.New("delta: concurrent transaction conflict")

	// ErrTxnDone is returned by Write and Commit on a transaction that was
	// already committed or rolled back.
	ErrTxnDone = errors.New("delta: transaction already committed or rolled back")

	// ErrSchemaMismatch is returned when written data does not fit the table
	// schema (and neither MergeSchema nor OverwriteSchema allows the
	// change). The message lists the offending columns.
	ErrSchemaMismatch = errors.New("delta: schema mismatch")

	// ErrConstraintViolation is returned when written rows break a NOT NULL
	// column, a CHECK constraint, a generated column or a replaceWhere
	// predicate. Nothing is committed.
	ErrConstraintViolation = errors.New("delta: constraint violation")

	// ErrAppendOnly is returned when a transaction would remove data from a
	// table with delta.appendOnly=true.
	ErrAppendOnly = errors.New("delta: table is append-only")

	// ErrTableExists is returned by Create when the location already holds
	// a Delta table.
	ErrTableExists = errors.New("delta: table already exists")

	// ErrCommitStateUnknown is returned when writing the commit file failed
	// in a way that leaves it unknown whether the commit happened (a
	// timeout on a remote store, say). Staged data files are kept, since a
	// commit may reference them; re-open the table to find out.
	ErrCommitStateUnknown = errors.New("delta: commit state unknown")
)

// ConflictKind names the Delta conflict rule a transaction broke.
type ConflictKind int

// Conflict kinds, with the names of Delta's concurrency exceptions.
const (
	// ConflictProtocolChanged: a concurrent commit changed the table's
	// protocol (versions or features).
	ConflictProtocolChanged ConflictKind = iota + 1
	// ConflictMetadataChanged: a concurrent commit changed the schema,
	// partitioning or properties.
	ConflictMetadataChanged
	// ConflictConcurrentAppend: files were added to the part of the table
	// the transaction read.
	ConflictConcurrentAppend
	// ConflictConcurrentDeleteRead: a file the transaction read was
	// removed concurrently.
	ConflictConcurrentDeleteRead
	// ConflictConcurrentDeleteDelete: a file the transaction removes was
	// removed concurrently.
	ConflictConcurrentDeleteDelete
	// ConflictConcurrentTransaction: another transaction with the same
	// TxnOptions.AppID committed.
	ConflictConcurrentTransaction
	// ConflictConcurrentDomain: a metadata domain the transaction changes
	// was changed concurrently.
	ConflictConcurrentDomain
)

// String returns the kind's name, as in Delta's exception names
// ("ConcurrentAppend", …).
func (k ConflictKind) String() string {
	if c, ok := conflictKinds[k]; ok {
		return c.String()
	}
	return fmt.Sprintf("ConflictKind(%d)", int(k))
}

// conflictKinds maps each kind to the conflict rule that reports it.
var conflictKinds = map[ConflictKind]conflict.Kind{
	ConflictProtocolChanged:        conflict.ProtocolChanged,
	ConflictMetadataChanged:        conflict.MetadataChanged,
	ConflictConcurrentAppend:       conflict.ConcurrentAppend,
	ConflictConcurrentDeleteRead:   conflict.ConcurrentDeleteRead,
	ConflictConcurrentDeleteDelete: conflict.ConcurrentDeleteDelete,
	ConflictConcurrentTransaction:  conflict.ConcurrentTransaction,
	ConflictConcurrentDomain:       conflict.ConcurrentDomainMetadata,
}

// newConflictKind is the public kind of a conflict rule's result.
func newConflictKind(k conflict.Kind) ConflictKind {
	for pub, in := range conflictKinds {
		if in == k {
			return pub
		}
	}
	return 0
}

// ConflictError reports a transaction that lost the race for a version to
// a commit it conflicts with. It matches ErrConflict.
type ConflictError struct {
	// Version is the winning commit the transaction conflicts with.
	Version int64
	// ReadVersion is the snapshot version the transaction started from.
	ReadVersion int64
	// Kind is the conflict rule the transaction broke.
	Kind ConflictKind
	// Path is the data file involved, for file-level conflicts.
	Path string
	// Detail is the conflict rule's explanation.
	Detail string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("delta: transaction read at version %d conflicts with version %d: %s; retry it on a fresh snapshot", e.ReadVersion, e.Version, e.Detail)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
