package logreplay

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

func add(path string, dv string) protocol.Action {
	a := &protocol.Add{Path: path}
	if dv != "" {
		a.DeletionVector = &protocol.DeletionVector{StorageType: "i", PathOrInlineDv: dv}
	}
	return protocol.Action{Add: a}
}

func remove(path string, dv string) protocol.Action {
	r := &protocol.Remove{Path: path}
	if dv != "" {
		r.DeletionVector = &protocol.DeletionVector{StorageType: "i", PathOrInlineDv: dv}
	}
	return protocol.Action{Remove: r}
}

// replay feeds commits given oldest first, the way the log reads, to a
// State newest first, the way snapshots are built.
func replay(commits ...[]protocol.Action) *State {
	s := NewState()
	for i := len(commits) - 1; i >= 0; i-- {
		s.ApplyCommit(commits[i])
	}
	return s
}

func livePaths(s *State) []string {
	var out []string
	for _, a := range s.DeltaAdds() {
		out = append(out, a.Path+"#"+dvID(a))
	}
	return out
}

func dvID(a *protocol.Add) string { return a.Key().DV }

func TestReconciliation(t *testing.T) {
	t.Run("remove hides an older add", func(t *testing.T) {
		s := replay([]protocol.Action{add("a", ""), add("b", "")}, []protocol.Action{remove("a", "")})
		assert.Equal(t, []string{"b#"}, livePaths(s))
		assert.True(t, s.Seen(protocol.FileKey{Path: "a"}))
	})
	t.Run("re-add after remove is live", func(t *testing.T) {
		s := replay([]protocol.Action{add("a", "")}, []protocol.Action{remove("a", "")}, []protocol.Action{add("a", "")})
		assert.Equal(t, []string{"a#"}, livePaths(s))
	})
	t.Run("DV update in one commit: remove old key, add new key", func(t *testing.T) {
		s := replay([]protocol.Action{add("a", "")}, []protocol.Action{remove("a", ""), add("a", "X")})
		assert.Equal(t, []string{"a#iX"}, livePaths(s))
		assert.Len(t, s.DeltaRemoves(), 1)
	})
	t.Run("latest protocol, metadata, txn and domain win; tombstoned domain is hidden", func(t *testing.T) {
		p1, p2 := &protocol.Protocol{MinReaderVersion: 1}, &protocol.Protocol{MinReaderVersion: 3}
		s := replay(
			[]protocol.Action{{Protocol: p1}, {Txn: &protocol.Txn{AppID: "app", Version: 1}}, {DomainMetadata: &protocol.DomainMetadata{Domain: "d", Configuration: "1"}}},
			[]protocol.Action{{Protocol: p2}, {Txn: &protocol.Txn{AppID: "app", Version: 2}}, {DomainMetadata: &protocol.DomainMetadata{Domain: "d", Removed: true}}},
		)
		assert.Equal(t, int32(3), s.Protocol.MinReaderVersion)
		assert.Equal(t, int64(2), s.Txns["app"].Version)
		assert.Empty(t, s.LiveDomains())
		// A checkpoint's older values never override the deltas'.
		s.ApplyCheckpointNonFile(&protocol.Action{Protocol: p1})
		assert.Equal(t, int32(3), s.Protocol.MinReaderVersion)
	})
}

func TestCompactionInCommitOrder(t *testing.T) {
	// A compaction listing its range's actions in commit order: b is added
	// then removed, c removed then re-added.
	s := replay([]protocol.Action{add("a", ""), add("c", "")}, []protocol.Action{add("b", ""), remove("b", ""), remove("c", ""), add("c", "")})
	assert.ElementsMatch(t, []string{"c#", "a#"}, livePaths(s))
}

// TestApplyStateEqualsFullReplay: replaying the newer commits and then
// the older commits' state gives the state a replay of all commits gives,
// at every split point of a history with removes, deletion-vector
// updates, re-adds, protocol, transaction and domain changes.
func TestApplyStateEqualsFullReplay(t *testing.T) {
	p1, p2 := &protocol.Protocol{MinReaderVersion: 1}, &protocol.Protocol{MinReaderVersion: 3}
	m1, m2 := &protocol.Metadata{ID: "m1"}, &protocol.Metadata{ID: "m2"}
	history := [][]protocol.Action{
		{{Protocol: p1}, {Metadata: m1}, add("a", ""), add("b", "")},
		{remove("a", ""), add("c", ""), {Txn: &protocol.Txn{AppID: "app", Version: 1}}},
		{remove("b", ""), add("b", "X"), {DomainMetadata: &protocol.DomainMetadata{Domain: "d", Configuration: "1"}}},
		{{Metadata: m2}, add("a", ""), {Txn: &protocol.Txn{AppID: "app", Version: 2}}},
		{{Protocol: p2}, remove("c", ""), {DomainMetadata: &protocol.DomainMetadata{Domain: "d", Removed: true}}, {DomainMetadata: &protocol.DomainMetadata{Domain: "e", Configuration: "2"}}},
	}
	full := replay(history...)
	for split := 0; split <= len(history); split++ {
		older := replay(history[:split]...)
		layered := replay(history[split:]...)
		layered.ApplyState(older)
		assert.ElementsMatch(t, livePaths(full), livePaths(layered), "split %d", split)
		assert.Len(t, layered.DeltaRemoves(), len(full.DeltaRemoves()), "split %d", split)
		for _, k := range []protocol.FileKey{{Path: "a"}, {Path: "b"}, {Path: "c"}, {Path: "z"}} {
			assert.Equal(t, full.Seen(k), layered.Seen(k), "split %d key %v", split, k)
		}
		assert.Equal(t, full.Protocol, layered.Protocol, "split %d", split)
		assert.Equal(t, full.Metadata, layered.Metadata, "split %d", split)
		assert.Equal(t, full.Txns, layered.Txns, "split %d", split)
		assert.Equal(t, full.LiveDomains(), layered.LiveDomains(), "split %d", split)
	}
}
