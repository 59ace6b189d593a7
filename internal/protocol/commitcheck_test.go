package protocol

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckCommit(t *testing.T) {
	dv := func(id string) *DeletionVector {
		return &DeletionVector{StorageType: "u", PathOrInlineDv: id, SizeInBytes: 10, Cardinality: 1}
	}
	add := func(p string, d *DeletionVector) Action { return Action{Add: &Add{Path: p, DeletionVector: d}} }
	rm := func(p string, d *DeletionVector) Action { return Action{Remove: &Remove{Path: p, DeletionVector: d}} }
	meta := Action{Metadata: &Metadata{ID: "m"}}
	proto := Action{Protocol: &Protocol{MinReaderVersion: 1, MinWriterVersion: 2}}
	for _, tc := range []struct {
		name    string
		actions []Action
		bad     string // "" when valid
	}{
		{"plain append", []Action{add("a", nil), add("b", nil)}, ""},
		{"metadata and protocol once", []Action{meta, proto, add("a", nil)}, ""},
		{"new deletion vector for a file", []Action{rm("a", nil), add("a", dv("ab^-aqEH.-t@S}K{vb[*k^"))}, ""},
		{"compaction", []Action{rm("a", nil), rm("b", nil), add("c", nil)}, ""},
		{"cdc beside add", []Action{add("a", nil), {CDC: &CDC{Path: "a"}}}, ""},
		{"two metaData", []Action{meta, meta}, "two metaData"},
		{"two protocol", []Action{proto, proto}, "two protocol"},
		{"same add twice", []Action{add("a", nil), add("a", nil)}, "added twice"},
		{"same path added with two vectors", []Action{add("a", dv("ab^-aqEH.-t@S}K{vb[*k^")), add("a", nil)}, "added twice"},
		{"same remove twice", []Action{rm("a", nil), rm("a", nil)}, "removed twice"},
		{"added and removed", []Action{add("a", nil), rm("a", nil)}, "both added and removed"},
		{"absolute spellings of one file", []Action{add("file:///t/a", nil), rm("/t/a", nil)}, "both added and removed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckCommit(tc.actions)
			if tc.bad == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrMalformed)
			assert.Contains(t, err.Error(), tc.bad)
		})
	}
}
