package conflict

import (
	"fmt"
	"slices"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Isolation is the isolation level a transaction commits at.
type Isolation int

const (
	// WriteSerializable (Delta's default) lets a transaction that read the
	// table commit after concurrent blind appends: the result is as if the
	// appends ran after it.
	WriteSerializable Isolation = iota
	// Serializable treats every concurrently added file as a possible
	// change to what the transaction read.
	Serializable
)

func (i Isolation) String() string {
	if i == Serializable {
		return "Serializable"
	}
	return "WriteSerializable"
}

// Kind classifies a conflict, with the names Delta's exceptions use.
type Kind int

// Conflict kinds.
const (
	ProtocolChanged Kind = iota + 1
	MetadataChanged
	ConcurrentAppend
	ConcurrentDeleteRead
	ConcurrentDeleteDelete
	ConcurrentTransaction
	ConcurrentDomainMetadata
)

func (k Kind) String() string {
	switch k {
	case ProtocolChanged:
		return "ProtocolChanged"
	case MetadataChanged:
		return "MetadataChanged"
	case ConcurrentAppend:
		return "ConcurrentAppend"
	case ConcurrentDeleteRead:
		return "ConcurrentDeleteRead"
	case ConcurrentDeleteDelete:
		return "ConcurrentDeleteDelete"
	case ConcurrentTransaction:
		return "ConcurrentTransaction"
	case ConcurrentDomainMetadata:
		return "ConcurrentDomainMetadata"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// File is what a read predicate sees of a data file.
type File struct {
	Path            string
	PartitionValues map[string]*string
}

// Predicate reports whether a file may hold rows the transaction read. It
// must be conservative: when it cannot tell, it returns true.
type Predicate func(File) bool

// Txn describes the losing transaction: what it read and what it writes.
type Txn struct {
	Isolation Isolation
	// ReadWholeTable is set when the transaction's outcome depends on every
	// row (an overwrite without a predicate, or a scan without filters).
	ReadWholeTable bool
	// ReadPredicates cover the parts of the table read through a filter
	// (replaceWhere, dynamic partition overwrite).
	ReadPredicates []Predicate
	// ReadFiles are the paths of files the transaction read or rewrites.
	ReadFiles map[string]struct{}
	// Removes are the paths the transaction removes.
	Removes map[string]struct{}
	// AppIDs are the application ids of the transaction's txn actions.
	AppIDs []string
	// Domains are the metadata domains the transaction writes.
	Domains []string
}

// Commit is one winning commit.
type Commit struct {
	Version int64
	Actions []protocol.Action
}

// Conflict explains why a transaction cannot be rebased over a commit.
type Conflict struct {
	Kind    Kind
	Version int64  // the winning commit
	Path    string // the file involved, for file conflicts
	AppID   string // for ConcurrentTransaction
	Domain  string // for ConcurrentDomainMetadata
}

func (c *Conflict) Error() string {
	return fmt.Sprintf("conflict: %s with the commit at version %d%s: %s", c.Kind, c.Version, c.subject(), c.Kind.explain())
}

// Reason is the rule broken, what collided and why it matters, without the
// version, so that callers which report versions themselves don't repeat it.
func (c *Conflict) Reason() string {
	return c.Kind.String() + c.subject() + ": " + c.Kind.explain()
}

// subject names what collided, if the rule concerns one thing.
func (c *Conflict) subject() string {
	switch {
	case c.Path != "":
		return fmt.Sprintf(" (file %s)", c.Path)
	case c.AppID != "":
		return fmt.Sprintf(" (appId %q)", c.AppID)
	case c.Domain != "":
		return fmt.Sprintf(" (domain %q)", c.Domain)
	}
	return ""
}

func (k Kind) explain() string {
	switch k {
	case ProtocolChanged:
		return "the table protocol changed concurrently"
	case MetadataChanged:
		return "the table metadata (schema, partitioning or properties) changed concurrently"
	case ConcurrentAppend:
		return "files were added to the part of the table this transaction read"
	case ConcurrentDeleteRead:
		return "a file this transaction read was removed concurrently"
	case ConcurrentDeleteDelete:
		return "a file this transaction removes was removed concurrently"
	case ConcurrentTransaction:
		return "another transaction with the same application id committed"
	case ConcurrentDomainMetadata:
		return "a metadata domain this transaction changes was changed concurrently"
	}
	return "unknown conflict"
}

// Check applies the rules of the package doc to one winning commit, in
// order, and returns the first conflict found, or nil.
func Check(t *Txn, c Commit) *Conflict {
	blind := isBlindAppend(c.Actions)
	for i := range c.Actions {
		a := &c.Actions[i]
		switch {
		case a.Protocol != nil:
			return &Conflict{Kind: ProtocolChanged, Version: c.Version}
		case a.Metadata != nil:
			return &Conflict{Kind: MetadataChanged, Version: c.Version}
		}
	}
	for i := range c.Actions {
		a := &c.Actions[i]
		if a.Add == nil || !a.Add.DataChange {
			continue
		}
		if blind && t.Isolation == WriteSerializable {
			continue
		}
		if t.readsFile(File{Path: a.Add.Path, PartitionValues: a.Add.PartitionValues}) {
			return &Conflict{Kind: ConcurrentAppend, Version: c.Version, Path: a.Add.Path}
		}
	}
	for i := range c.Actions {
		r := c.Actions[i].Remove
		if r == nil {
			continue
		}
		if _, ok := t.Removes[r.Path]; ok {
			return &Conflict{Kind: ConcurrentDeleteDelete, Version: c.Version, Path: r.Path}
		}
		if !r.DataChange {
			continue // compaction rewrites the same rows elsewhere
		}
		if _, ok := t.ReadFiles[r.Path]; ok || t.readsFile(File{Path: r.Path, PartitionValues: r.PartitionValues}) {
			return &Conflict{Kind: ConcurrentDeleteRead, Version: c.Version, Path: r.Path}
		}
	}
	for i := range c.Actions {
		a := &c.Actions[i]
		if a.Txn != nil && slices.Contains(t.AppIDs, a.Txn.AppID) {
			return &Conflict{Kind: ConcurrentTransaction, Version: c.Version, AppID: a.Txn.AppID}
		}
		if a.DomainMetadata != nil && slices.Contains(t.Domains, a.DomainMetadata.Domain) {
			return &Conflict{Kind: ConcurrentDomainMetadata, Version: c.Version, Domain: a.DomainMetadata.Domain}
		}
	}
	return nil
}

// readsFile reports whether the transaction's reads cover a file.
func (t *Txn) readsFile(f File) bool {
	if t.ReadWholeTable {
		return true
	}
	for _, p := range t.ReadPredicates {
		if p(f) {
			return true
		}
	}
	return false
}

// isBlindAppend reads the commitInfo's isBlindAppend flag. A commit
// without it, or with removes, is not treated as blind.
func isBlindAppend(actions []protocol.Action) bool {
	blind := false
	for i := range actions {
		a := &actions[i]
		if a.Remove != nil {
			return false
		}
		if a.CommitInfo != nil {
			if b, ok := a.CommitInfo["isBlindAppend"].(bool); ok {
				blind = b
			}
		}
	}
	return blind
}
