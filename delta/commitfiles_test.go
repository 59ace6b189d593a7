package delta_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

func TestCommitFiles(t *testing.T) {
	ctx := context.Background()
	url := filepath.Join(t.TempDir(), "t")
	rr := orders([]int64{1, 2}, []string{"a", "b"}, []float64{1, 2})
	tbl, _, err := delta.CreateAsSelect(ctx, url, rr, &delta.CreateOptions{Properties: map[string]string{"delta.enableDeletionVectors": "false"}})
	rr.Release()
	require.NoError(t, err)
	defer tbl.Close()
	rr = orders([]int64{3}, []string{"c"}, []float64{3})
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	where, err := expr.Parse("id = 1")
	require.NoError(t, err)
	_, err = tbl.Delete(ctx, where, nil)
	require.NoError(t, err)

	cases := []struct {
		version          int64
		adds, removes    int
		addDataChange    bool
		removeDataChange bool
		err              error
	}{
		{version: 0, adds: 1, addDataChange: true},
		{version: 1, adds: 1, addDataChange: true},
		{version: 2, adds: 1, removes: 1, addDataChange: true, removeDataChange: true}, // copy-on-write rewrite
		{version: 3, err: delta.ErrVersionNotFound},
		{version: -1, err: delta.ErrInvalidArgument},
	}
	for _, tc := range cases {
		adds, removes, err := tbl.CommitFiles(ctx, tc.version)
		if tc.err != nil {
			require.ErrorIs(t, err, tc.err, "version %d", tc.version)
			continue
		}
		require.NoError(t, err)
		require.Len(t, adds, tc.adds, "version %d", tc.version)
		require.Len(t, removes, tc.removes, "version %d", tc.version)
		for _, a := range adds {
			assert.Equal(t, tc.addDataChange, a.DataChange)
			assert.Positive(t, a.Size)
		}
		for _, r := range removes {
			assert.Equal(t, tc.removeDataChange, r.DataChange)
		}
	}
}
