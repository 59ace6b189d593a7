package delta_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// TestErrorsCarryOnePrefix breaks tables in the ways users meet and
// checks each error matches its sentinels yet reads "delta: ..." once:
// context added on the way up must not stack "delta: a: delta: b".
func TestErrorsCarryOnePrefix(t *testing.T) {
	ctx := context.Background()
	schema, err := delta.ParseSchemaJSON(`{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}}]}`)
	require.NoError(t, err)
	// newTable creates a table at version 0 and lets breakLog damage it.
	newTable := func(t *testing.T, breakLog func(log string)) string {
		dir := t.TempDir()
		tbl, err := delta.Create(ctx, dir, schema, nil)
		require.NoError(t, err)
		require.NoError(t, tbl.Close())
		breakLog(filepath.Join(dir, "_delta_log"))
		return dir
	}
	commit := func(v string) string { return strings.Repeat("0", 20-len(v)) + v + ".json" }
	copyCommit := func(log, from, to string) {
		data, err := os.ReadFile(filepath.Join(log, commit(from)))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(log, commit(to)), data, 0o644))
	}

	tests := []struct {
		name  string
		table func(t *testing.T) string
		call  func(tbl *delta.Table) error
		is    []error
		want  string
	}{
		{
			name:  "gap in commit versions",
			table: func(t *testing.T) string { return newTable(t, func(log string) { copyCommit(log, "0", "2") }) },
			call:  func(tbl *delta.Table) error { _, err := tbl.Snapshot(ctx); return err },
			is:    []error{delta.ErrCorruptLog, delta.ErrLogGap},
			want:  ": corrupt transaction log: gap in commit versions: expected commit 1, found 2",
		},
		{
			name: "commit that is not JSON",
			table: func(t *testing.T) string {
				return newTable(t, func(log string) {
					require.NoError(t, os.WriteFile(filepath.Join(log, commit("1")), []byte("not json\n"), 0o644))
				})
			},
			call: func(tbl *delta.Table) error { _, err := tbl.Snapshot(ctx); return err },
			is:   []error{delta.ErrCorruptLog},
			want: " version 1: corrupt transaction log: 00000000000000000001.json: line 1: ",
		},
		{
			name: "history over a commit that is not JSON",
			table: func(t *testing.T) string {
				return newTable(t, func(log string) {
					require.NoError(t, os.WriteFile(filepath.Join(log, commit("1")), []byte("not json\n"), 0o644))
				})
			},
			call: func(tbl *delta.Table) error { _, err := tbl.History(ctx, nil); return err },
			is:   []error{delta.ErrCorruptLog},
			want: "corrupt transaction log: 00000000000000000001.json",
		},
		{
			name:  "version not found",
			table: func(t *testing.T) string { return newTable(t, func(string) {}) },
			call:  func(tbl *delta.Table) error { _, err := tbl.SnapshotAt(ctx, 9); return err },
			is:    []error{delta.ErrVersionNotFound},
			want:  "version not found: version 9",
		},
		{
			name: "log without commits",
			table: func(t *testing.T) string {
				return newTable(t, func(log string) {
					require.NoError(t, os.Rename(filepath.Join(log, commit("0")), filepath.Join(log, "00000000000000000000.crc")))
				})
			},
			call: func(tbl *delta.Table) error { _, err := tbl.Snapshot(ctx); return err },
			is:   []error{delta.ErrNotATable},
			want: ": not a Delta table: _delta_log holds no commits",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.table(t)
			tbl, err := delta.Open(ctx, dir, nil)
			require.NoError(t, err)
			defer tbl.Close()
			err = tc.call(tbl)
			require.Error(t, err)
			for _, target := range tc.is {
				assert.ErrorIs(t, err, target)
			}
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "delta: "), msg)
			assert.Equal(t, 1, strings.Count(msg, "delta: "), "one prefix: %s", msg)
			assert.Contains(t, msg, tc.want)
			assert.False(t, errors.Is(err, delta.ErrInvalidArgument), "no stray sentinel: %s", msg)
		})
	}
}
