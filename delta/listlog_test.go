package delta

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/logreplay"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// TestListLogFromReadsLocalDirectoryOnce: on local disk a log of more than
// one 10,000-version block is listed with one read of _delta_log, and the
// result is what listing block by block returns from version on.
func TestListLogFromReadsLocalDirectoryOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "_delta_log")
	require.NoError(t, os.MkdirAll(filepath.Join(logPath, "_sidecars"), 0o755))
	for v := range 20_005 {
		require.NoError(t, os.WriteFile(filepath.Join(logPath, fmt.Sprintf("%020d.json", v)), nil, 0o644))
	}
	for _, name := range []string{"_last_checkpoint", "00000000000000012000.checkpoint.parquet", "00000000000000019999.crc", "_sidecars/x.parquet"} {
		require.NoError(t, os.WriteFile(filepath.Join(logPath, name), nil, 0o644))
	}
	tbl, err := Open(ctx, dir, &Options{NoSync: true})
	require.NoError(t, err)
	defer tbl.Close()
	require.True(t, storage.ListsWholeDirectory(tbl.store))

	for _, from := range []int64{0, 9_999, 10_000, 15_000, 20_004} {
		once, err := tbl.listLogFrom(ctx, from)
		require.NoError(t, err)
		blockwise := &Table{url: tbl.url, store: &recordingStore{Store: tbl.store}, opts: tbl.opts}
		require.False(t, storage.ListsWholeDirectory(blockwise.store))
		blocks, err := blockwise.listLogFrom(ctx, from)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("%020d.json", from/10_000*10_000), blocks[0].Name)
		var want []logreplay.LogFile
		for _, f := range blocks {
			if f.Version >= from {
				want = append(want, f)
			}
		}
		require.Equal(t, len(want), len(once), "from %d", from)
		assert.Equal(t, want, once, "from %d", from)
		assert.Equal(t, fmt.Sprintf("%020d.json", from), once[0].Name)
	}
}
