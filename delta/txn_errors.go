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
type ConflictKind = conflict.Kind

// Conflict kinds, with the names of Delta's concurrency exceptions.
const (
	ConflictProtocolChanged        = conflict.ProtocolChanged
	ConflictMetadataChanged        = conflict.MetadataChanged
	ConflictConcurrentAppend       = conflict.ConcurrentAppend
	ConflictConcurrentDeleteRead   = conflict.ConcurrentDeleteRead
	ConflictConcurrentDeleteDelete = conflict.ConcurrentDeleteDelete
	ConflictConcurrentTransaction  = conflict.ConcurrentTransaction
	ConflictConcurrentDomain       = conflict.ConcurrentDomainMetadata
)

// ConflictError reports a transaction that lost the race for a version to
// a commit it conflicts with. It matches ErrConflict.
type ConflictError struct {
	// Version is the winning commit the transaction conflicts with.
	Version int64
	// ReadVersion is the snapshot version the transaction started from.
	ReadVersion int64
	Kind        ConflictKind
	// Path is the data file involved, for file-level conflicts.
	Path string
	// Detail is the conflict rule's explanation.
	Detail string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("delta: transaction read at version %d conflicts with version %d: %s", e.ReadVersion, e.Version, e.Detail)
}

// Is makes errors.Is(err, ErrConflict) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }
