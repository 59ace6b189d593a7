package delta

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteModeNotOverridden checks that Append, Overwrite, table changes
// and table creation take the TxnOptions.Mode they are given as a
// constraint: unset or matching works, a contradicting Mode is
// ErrInvalidArgument and leaves the table as it was (log, files, rows).
func TestWriteModeNotOverridden(t *testing.T) {
	type call func(ctx context.Context, tbl *Table, opts *TxnOptions) error
	appendRows := func(ctx context.Context, tbl *Table, opts *TxnOptions) error {
		rr := eventsReader(t, tbl.opts.Allocator, 100, 5, 2)
		defer rr.Release()
		_, err := tbl.Append(ctx, rr, opts)
		return err
	}
	overwriteRows := func(ctx context.Context, tbl *Table, opts *TxnOptions) error {
		rr := eventsReader(t, tbl.opts.Allocator, 100, 5, 2)
		defer rr.Release()
		_, err := tbl.Overwrite(ctx, rr, opts)
		return err
	}
	setProperty := func(ctx context.Context, tbl *Table, opts *TxnOptions) error {
		_, err := tbl.SetProperties(ctx, map[string]string{"k": "v"}, opts)
		return err
	}
	replaceTable := func(ctx context.Context, tbl *Table, opts *TxnOptions) error {
		rr := eventsReader(t, tbl.opts.Allocator, 100, 5, 2)
		defer rr.Release()
		created, _, err := CreateOrReplaceAsSelect(ctx, tbl.url, rr, &CreateOptions{Table: &Options{Allocator: tbl.opts.Allocator}, Txn: opts})
		if err == nil {
			require.NoError(t, created.Close())
		}
		return err
	}
	tests := []struct {
		name    string
		call    call
		opts    *TxnOptions
		wantErr bool
		// wantRows are the eventsBatch ranges the table holds afterwards.
		wantRows [][3]int
	}{
		{"Append, nil options", appendRows, nil, false, [][3]int{{0, 10, 2}, {100, 5, 2}}},
		{"Append, Mode unset", appendRows, &TxnOptions{}, false, [][3]int{{0, 10, 2}, {100, 5, 2}}},
		{"Append, Mode Append", appendRows, &TxnOptions{Mode: Append}, false, [][3]int{{0, 10, 2}, {100, 5, 2}}},
		{"Append, Mode Overwrite", appendRows, &TxnOptions{Mode: Overwrite}, true, nil},
		{"Append, Mode Overwrite with ReplaceWhere", appendRows, &TxnOptions{Mode: Overwrite, ReplaceWhere: "day = 'd0'"}, true, nil},
		{"Append, unknown Mode", appendRows, &TxnOptions{Mode: WriteMode(9)}, true, nil},
		{"Overwrite, nil options", overwriteRows, nil, false, [][3]int{{100, 5, 2}}},
		{"Overwrite, Mode Overwrite", overwriteRows, &TxnOptions{Mode: Overwrite}, false, [][3]int{{100, 5, 2}}},
		{"Overwrite, Mode Append", overwriteRows, &TxnOptions{Mode: Append}, true, nil},
		{"SetProperties, Mode unset", setProperty, &TxnOptions{}, false, [][3]int{{0, 10, 2}}},
		{"SetProperties, Mode Overwrite", setProperty, &TxnOptions{Mode: Overwrite}, true, nil},
		{"CreateOrReplace, Mode unset", replaceTable, &TxnOptions{}, false, [][3]int{{100, 5, 2}}},
		{"CreateOrReplace, Mode Overwrite", replaceTable, &TxnOptions{Mode: Overwrite}, true, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			dir := filepath.Join(t.TempDir(), "tbl")
			rr := eventsReader(t, mem, 0, 10, 2)
			tbl, _, err := CreateAsSelect(ctx, dir, rr, &CreateOptions{Table: &Options{Allocator: mem}})
			rr.Release()
			require.NoError(t, err)
			defer tbl.Close()
			before := listTree(t, dir)

			err = tc.call(ctx, tbl, tc.opts)
			if !tc.wantErr {
				require.NoError(t, err)
				snap, err := tbl.Snapshot(ctx)
				require.NoError(t, err)
				assert.Equal(t, int64(1), snap.Version())
				assert.Equal(t, expectedRows(t, tc.wantRows...), snapshotRows(t, snap))
				return
			}
			require.ErrorIs(t, err, ErrInvalidArgument)
			assert.Regexp(t, `^delta: invalid argument: .*Mode`, err.Error())
			assert.Equal(t, before, listTree(t, dir), "no commit and no data file left behind")
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(0), snap.Version())
			assert.Equal(t, expectedRows(t, [3]int{0, 10, 2}), snapshotRows(t, snap))
		})
	}
}

// listTree returns every file path under root, relative and sorted.
func listTree(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		files = append(files, rel)
		return err
	})
	require.NoError(t, err)
	slices.Sort(files)
	return files
}

func TestWriteModeString(t *testing.T) {
	tests := map[WriteMode]string{0: "unset", Append: "Append", Overwrite: "Overwrite", 9: "WriteMode(9)"}
	for m, want := range tests {
		assert.Equal(t, want, m.String())
	}
}
