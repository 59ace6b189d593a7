package conflict

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

func str(s string) *string { return &s }

func add(path, day string) protocol.Action {
	return protocol.Action{Add: &protocol.Add{Path: path, DataChange: true, PartitionValues: map[string]*string{"day": str(day)}}}
}

func remove(path, day string, dataChange bool) protocol.Action {
	return protocol.Action{Remove: &protocol.Remove{Path: path, DataChange: dataChange, PartitionValues: map[string]*string{"day": str(day)}}}
}

func commitInfo(blind bool) protocol.Action {
	return protocol.Action{CommitInfo: protocol.CommitInfo{"operation": "WRITE", "isBlindAppend": blind}}
}

func dayIs(day string) Predicate {
	return func(f File) bool {
		v := f.PartitionValues["day"]
		return v != nil && *v == day
	}
}

func set(paths ...string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, p := range paths {
		m[p] = struct{}{}
	}
	return m
}

func TestCheck(t *testing.T) {
	blindAppend := []protocol.Action{commitInfo(true), add("a.parquet", "1")}
	nonBlindAppend := []protocol.Action{commitInfo(false), add("a.parquet", "1")}
	tests := []struct {
		name   string
		txn    Txn
		winner []protocol.Action
		want   Kind // 0 = no conflict
		path   string
	}{
		{name: "append vs append", txn: Txn{}, winner: blindAppend},
		{name: "append vs append serializable", txn: Txn{Isolation: Serializable}, winner: blindAppend},
		{name: "append vs protocol", txn: Txn{}, winner: []protocol.Action{{Protocol: &protocol.Protocol{MinReaderVersion: 1, MinWriterVersion: 2}}}, want: ProtocolChanged},
		{name: "append vs metadata", txn: Txn{}, winner: []protocol.Action{{Metadata: &protocol.Metadata{ID: "x"}}}, want: MetadataChanged},
		{name: "overwrite vs blind append, write serializable", txn: Txn{ReadWholeTable: true}, winner: blindAppend},
		{name: "overwrite vs blind append, serializable", txn: Txn{ReadWholeTable: true, Isolation: Serializable}, winner: blindAppend, want: ConcurrentAppend, path: "a.parquet"},
		{name: "overwrite vs non-blind append", txn: Txn{ReadWholeTable: true}, winner: nonBlindAppend, want: ConcurrentAppend, path: "a.parquet"},
		{name: "partition overwrite vs add elsewhere", txn: Txn{ReadPredicates: []Predicate{dayIs("2")}}, winner: nonBlindAppend},
		{name: "partition overwrite vs add in partition", txn: Txn{ReadPredicates: []Predicate{dayIs("1")}}, winner: nonBlindAppend, want: ConcurrentAppend, path: "a.parquet"},
		{name: "read file removed", txn: Txn{ReadFiles: set("f1")}, winner: []protocol.Action{commitInfo(false), remove("f1", "1", true)}, want: ConcurrentDeleteRead, path: "f1"},
		{name: "whole-table read vs any removal", txn: Txn{ReadWholeTable: true}, winner: []protocol.Action{commitInfo(false), remove("f9", "9", true)}, want: ConcurrentDeleteRead, path: "f9"},
		{name: "predicate read vs removal elsewhere", txn: Txn{ReadPredicates: []Predicate{dayIs("1")}}, winner: []protocol.Action{commitInfo(false), remove("f9", "9", true)}},
		{name: "predicate read vs removal inside", txn: Txn{ReadPredicates: []Predicate{dayIs("9")}}, winner: []protocol.Action{commitInfo(false), remove("f9", "9", true)}, want: ConcurrentDeleteRead, path: "f9"},
		{name: "compaction does not break reads", txn: Txn{ReadWholeTable: true}, winner: []protocol.Action{commitInfo(false), remove("f1", "1", false)}},
		{name: "delete vs delete", txn: Txn{Removes: set("f1")}, winner: []protocol.Action{commitInfo(false), remove("f1", "1", false)}, want: ConcurrentDeleteDelete, path: "f1"},
		{name: "blind append with removes is not blind", txn: Txn{ReadWholeTable: true}, winner: []protocol.Action{commitInfo(true), add("a", "1"), remove("zz", "2", false)}, want: ConcurrentAppend, path: "a"},
		{name: "same app id", txn: Txn{AppIDs: []string{"job"}}, winner: []protocol.Action{commitInfo(true), {Txn: &protocol.Txn{AppID: "job", Version: 3}}}, want: ConcurrentTransaction},
		{name: "other app id", txn: Txn{AppIDs: []string{"job"}}, winner: []protocol.Action{commitInfo(true), {Txn: &protocol.Txn{AppID: "other", Version: 3}}}},
		{name: "same domain", txn: Txn{Domains: []string{"d"}}, winner: []protocol.Action{{DomainMetadata: &protocol.DomainMetadata{Domain: "d"}}}, want: ConcurrentDomainMetadata},
		{name: "other domain", txn: Txn{Domains: []string{"d"}}, winner: []protocol.Action{{DomainMetadata: &protocol.DomainMetadata{Domain: "e"}}}},
		{name: "commit info only", txn: Txn{ReadWholeTable: true, Removes: set("x")}, winner: []protocol.Action{commitInfo(false)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Check(&tc.txn, Commit{Version: 7, Actions: tc.winner})
			if tc.want == 0 {
				assert.Nil(t, got)
				return
			}
			require.NotNil(t, got)
			assert.Equal(t, tc.want, got.Kind)
			assert.Equal(t, int64(7), got.Version)
			assert.Equal(t, tc.path, got.Path)
			assert.Contains(t, got.Error(), "conflict: "+tc.want.String())
		})
	}
}

func TestIsolationString(t *testing.T) {
	assert.Equal(t, "WriteSerializable", WriteSerializable.String())
	assert.Equal(t, "Serializable", Serializable.String())
	assert.Equal(t, "Kind(99)", Kind(99).String())
}
