package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/dv"
)

// TestDeletionVectorMismatchIsCorrupt: a vector whose rows or cardinality
// cannot belong to its data file is an ErrCorruptLog error naming the file,
// never rows kept or dropped by guesswork.
func TestDeletionVectorMismatchIsCorrupt(t *testing.T) {
	inline := func(rows ...uint64) dv.Descriptor {
		d, err := dv.EncodeInline(roaring64.BitmapOf(rows...))
		require.NoError(t, err)
		return d
	}
	wrongCardinality := inline(1, 2)
	wrongCardinality.Cardinality = 3
	tests := []struct {
		name    string
		vector  dv.Descriptor
		wantErr bool
		want    int // rows left when wantErr is false
	}{
		{"valid", inline(0, 9), false, 8},
		{"row index equal to the row count", inline(1, 10), true, 0},
		{"row index far beyond the file", inline(28168), true, 0},
		{"cardinality differs from the bitmap", wrongCardinality, true, 0},
		{"padding that is not Z85", dv.Descriptor{StorageType: "i", PathOrInlineDv: "^Bg9^0rr910000000000iXQKl0rr91000005c8Xg%nSc1", SizeInBytes: 34, Cardinality: 1}, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{
				Table:      &Options{Allocator: mem},
				Properties: map[string]string{"delta.enableDeletionVectors": "true"},
			})
			require.NoError(t, err)
			defer tbl.Close()
			rr := eventsReader(t, mem, 0, 10, 1)
			defer rr.Release()
			_, err = tbl.Append(ctx, rr, nil)
			require.NoError(t, err)
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			var file *AddFile
			for f, err := range snap.Files(ctx) {
				require.NoError(t, err)
				file = f
			}
			require.NotNil(t, file)
			writeDVCommit(t, dir, snap.Version()+1, file.Path, file.Size, tc.vector)

			rows, err := scanCount(ctx, tbl)
			if !tc.wantErr {
				require.NoError(t, err)
				assert.Equal(t, tc.want, rows)
				return
			}
			require.ErrorIs(t, err, ErrCorruptLog)
			assert.Contains(t, err.Error(), file.Path, "the error names the data file")
		})
	}
}

// writeDVCommit hand-writes commit v replacing path with the same file
// carrying vector, as a DELETE by deletion vector does.
func writeDVCommit(t *testing.T, dir string, v int64, path string, size int64, vector dv.Descriptor) {
	t.Helper()
	var lines []byte
	for _, a := range []map[string]any{
		{"remove": map[string]any{"path": path, "deletionTimestamp": 1, "dataChange": true}},
		{"add": map[string]any{"path": path, "partitionValues": map[string]string{}, "size": size, "modificationTime": 1, "dataChange": true, "deletionVector": vector}},
	} {
		b, err := json.Marshal(a)
		require.NoError(t, err)
		lines = append(append(lines, b...), '\n')
	}
	name := filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", v))
	require.NoError(t, os.WriteFile(name, lines, 0o644))
}

func scanCount(ctx context.Context, tbl *Table) (int, error) {
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	rr, err := snap.Scan(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer rr.Release()
	n := 0
	for rr.Next() {
		n += int(rr.RecordBatch().NumRows())
	}
	return n, rr.Err()
}
