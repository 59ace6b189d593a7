package logreplay

import (
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// State accumulates reconciled table state while commits are fed to it
// newest first (R3). After the deltas, checkpoint actions may be fed too;
// they only fill what the deltas left unset, and their file actions are
// filtered through Live / Seen.
type State struct {
	Protocol *protocol.Protocol
	Metadata *protocol.Metadata
	// Txns and Domains hold the winning action per app id / domain,
	// tombstoned domains included (Removed=true) so older ones stay hidden.
	Txns    map[string]protocol.Txn
	Domains map[string]protocol.DomainMetadata

	seen    map[protocol.FileKey]struct{}
	adds    []*protocol.Add
	removes []*protocol.Remove
}

// NewState returns an empty state.
func NewState() *State {
	return &State{
		Txns:    map[string]protocol.Txn{},
		Domains: map[string]protocol.DomainMetadata{},
		seen:    map[protocol.FileKey]struct{}{},
	}
}

// ApplyCommit feeds one commit's (or one log compaction's) actions.
// Commits must come newest first. Lines are applied last to first, each
// deciding its key at once: a commit holds at most one action per key, so
// for commits the order is immaterial, and a log compaction that lists its
// range's actions in commit order (rather than reconciled) still resolves
// to the newest action per key.
func (s *State) ApplyCommit(actions []protocol.Action) {
	for i := len(actions) - 1; i >= 0; i-- {
		a := &actions[i]
		switch {
		case a.Add != nil:
			k := a.Add.Key()
			if _, dup := s.seen[k]; !dup {
				s.adds = append(s.adds, a.Add)
				s.seen[k] = struct{}{}
			}
		case a.Remove != nil:
			k := a.Remove.Key()
			if _, dup := s.seen[k]; !dup {
				s.removes = append(s.removes, a.Remove)
				s.seen[k] = struct{}{}
			}
		default:
			s.applyNonFile(a)
		}
	}
}

// ApplyCheckpointNonFile feeds a checkpoint's protocol, metadata, txn and
// domain actions (file actions go through Seen instead).
func (s *State) ApplyCheckpointNonFile(a *protocol.Action) { s.applyNonFile(a) }

func (s *State) applyNonFile(a *protocol.Action) {
	switch {
	case a.Protocol != nil:
		if s.Protocol == nil {
			s.Protocol = a.Protocol
		}
	case a.Metadata != nil:
		if s.Metadata == nil {
			s.Metadata = a.Metadata
		}
	case a.Txn != nil:
		if _, ok := s.Txns[a.Txn.AppID]; !ok {
			s.Txns[a.Txn.AppID] = *a.Txn
		}
	case a.DomainMetadata != nil:
		if _, ok := s.Domains[a.DomainMetadata.Domain]; !ok {
			s.Domains[a.DomainMetadata.Domain] = *a.DomainMetadata
		}
	}
}

// Seen reports whether a newer delta already decided the fate of this
// logical file, so a checkpoint entry for it must be ignored.
func (s *State) Seen(k protocol.FileKey) bool {
	_, ok := s.seen[k]
	return ok
}

// DeltaAdds returns the live add actions decided by the deltas, newest first.
func (s *State) DeltaAdds() []*protocol.Add { return s.adds }

// DeltaRemoves returns the tombstones decided by the deltas, newest first.
func (s *State) DeltaRemoves() []*protocol.Remove { return s.removes }

// LiveDomains returns domain metadata without tombstones.
func (s *State) LiveDomains() map[string]protocol.DomainMetadata {
	out := make(map[string]protocol.DomainMetadata, len(s.Domains))
	for k, d := range s.Domains {
		if !d.Removed {
			out[k] = d
		}
	}
	return out
}

// ApplyState feeds what an older state decided — its file actions,
// protocol, metadata, transactions and domains — as if it were one more
// commit, older than every commit applied so far. A snapshot update uses
// it to put new commits on top of a previous replay without reading the
// commits that replay already read. Keys decided by newer commits win.
func (s *State) ApplyState(older *State) {
	for _, a := range older.adds {
		if k := a.Key(); !s.Seen(k) {
			s.adds = append(s.adds, a)
			s.seen[k] = struct{}{}
		}
	}
	for _, r := range older.removes {
		if k := r.Key(); !s.Seen(k) {
			s.removes = append(s.removes, r)
			s.seen[k] = struct{}{}
		}
	}
	if s.Protocol == nil {
		s.Protocol = older.Protocol
	}
	if s.Metadata == nil {
		s.Metadata = older.Metadata
	}
	for k, v := range older.Txns {
		if _, ok := s.Txns[k]; !ok {
			s.Txns[k] = v
		}
	}
	for k, v := range older.Domains {
		if _, ok := s.Domains[k]; !ok {
			s.Domains[k] = v
		}
	}
}
