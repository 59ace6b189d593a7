package interop

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustRows(t *testing.T, lines ...string) []Row {
	t.Helper()
	rows, err := DecodeRows(lines)
	require.NoError(t, err)
	return rows
}

func TestExpectDeleteUpdate(t *testing.T) {
	rows := mustRows(t,
		`{"id":1,"name":"a","amount":1.25,"p":null}`,
		`{"id":2,"name":"b","amount":2.5,"p":1}`,
		`{"id":3,"name":"c","amount":3.75,"p":2}`)
	cases := []struct {
		name        string
		apply       func([]Row) ([]Row, []Change)
		rows, feed  []string
		feedVersion int64
	}{
		{"delete where p = 1 keeps the NULL row",
			func(r []Row) ([]Row, []Change) {
				return ExpectDelete(r, func(r Row) bool { p, ok := r.Int("p"); return ok && p == 1 })
			},
			[]string{`{"amount":1.25,"id":1,"name":"a","p":null}`, `{"amount":3.75,"id":3,"name":"c","p":2}`},
			[]string{`{"_change_type":"delete","_commit_version":4,"amount":2.5,"id":2,"name":"b","p":1}`}, 4},
		{"update doubles a double and renames",
			func(r []Row) ([]Row, []Change) {
				return ExpectUpdate(r, func(r Row) bool { id, _ := r.Int("id"); return id >= 2 }, func(r Row) Row {
					a, _ := r.Float("amount")
					n, _ := r.Str("name")
					return r.With("amount", a*2, "name", n+"-u")
				})
			},
			[]string{`{"amount":1.25,"id":1,"name":"a","p":null}`, `{"amount":5,"id":2,"name":"b-u","p":1}`, `{"amount":7.5,"id":3,"name":"c-u","p":2}`},
			[]string{
				`{"_change_type":"update_postimage","_commit_version":7,"amount":5,"id":2,"name":"b-u","p":1}`,
				`{"_change_type":"update_postimage","_commit_version":7,"amount":7.5,"id":3,"name":"c-u","p":2}`,
				`{"_change_type":"update_preimage","_commit_version":7,"amount":2.5,"id":2,"name":"b","p":1}`,
				`{"_change_type":"update_preimage","_commit_version":7,"amount":3.75,"id":3,"name":"c","p":2}`,
			}, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			after, ch := tc.apply(rows)
			got, err := EncodeRows(after)
			require.NoError(t, err)
			assert.Equal(t, tc.rows, got)
			feed, err := ChangeRows(ch, tc.feedVersion)
			require.NoError(t, err)
			assert.Equal(t, tc.feed, feed)
		})
	}
	// The input rows are not modified.
	got, err := EncodeRows(rows)
	require.NoError(t, err)
	assert.Equal(t, `{"amount":2.5,"id":2,"name":"b","p":1}`, got[1])
}

func TestMergeModel(t *testing.T) {
	target := mustRows(t, `{"id":1,"v":"a"}`, `{"id":2,"v":"b"}`, `{"id":3,"v":"c"}`, `{"id":null,"v":"n"}`)
	source := mustRows(t, `{"id":2,"v":"B"}`, `{"id":3,"v":"C"}`, `{"id":4,"v":"D"}`, `{"id":null,"v":"N"}`)
	setV := func(t, s Row) Row { return t.With("v", s["v"]) }
	insert := func(s Row) Row { return s }
	cases := []struct {
		name    string
		m       MergeModel
		source  []Row
		rows    []string
		changes int
		err     error
	}{
		{"upsert; a NULL key matches nothing",
			MergeModel{Key: "id", Matched: []MatchedClause{{Update: setV}}, NotMatched: []NotMatchedClause{{Insert: insert}}}, source,
			[]string{`{"id":1,"v":"a"}`, `{"id":2,"v":"B"}`, `{"id":3,"v":"C"}`, `{"id":4,"v":"D"}`, `{"id":null,"v":"N"}`, `{"id":null,"v":"n"}`},
			6, nil},
		{"first matching clause wins",
			MergeModel{Key: "id", Matched: []MatchedClause{
				{Cond: func(t, s Row) bool { v, _ := s.Str("v"); return v == "C" }, Delete: true},
				{Update: setV}}}, source,
			[]string{`{"id":1,"v":"a"}`, `{"id":2,"v":"B"}`, `{"id":null,"v":"n"}`},
			3, nil},
		{"not matched by source: conditional delete, then update",
			MergeModel{Key: "id", BySource: []BySourceClause{
				{Cond: func(t Row) bool { _, ok := t.Int("id"); return !ok }, Delete: true},
				{Update: func(t Row) Row { return t.With("v", "gone") }}}}, source,
			[]string{`{"id":1,"v":"gone"}`, `{"id":2,"v":"b"}`, `{"id":3,"v":"c"}`},
			3, nil},
		{"several source rows for one target row",
			MergeModel{Key: "id", Matched: []MatchedClause{{Update: setV}}}, append(source, mustRows(t, `{"id":2,"v":"BB"}`)...),
			nil, 0, ErrModelCardinality},
		{"several source rows, unconditional delete only: deleted once",
			MergeModel{Key: "id", Matched: []MatchedClause{{Delete: true}}}, append(source, mustRows(t, `{"id":2,"v":"BB"}`)...),
			[]string{`{"id":1,"v":"a"}`, `{"id":null,"v":"n"}`}, 2, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			after, ch, err := tc.m.Apply(target, tc.source)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			got, err := EncodeRows(after)
			require.NoError(t, err)
			assert.Equal(t, tc.rows, got)
			assert.Len(t, ch, tc.changes)
		})
	}
}
