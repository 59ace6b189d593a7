package quality

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// scanRows returns every row of the table's latest snapshot as
// formatRow text, sorted, and the snapshot version.
func scanRows(t *testing.T, tbl *delta.Table) (int64, []string) {
	t.Helper()
	ctx := context.Background()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	rr, err := snap.Scan(ctx, nil)
	require.NoError(t, err)
	defer rr.Release()
	var out []string
	for rr.Next() {
		b := rr.RecordBatch()
		for i := range int(b.NumRows()) {
			out = append(out, formatRow(b, i))
		}
	}
	require.NoError(t, rr.Err())
	sort.Strings(out)
	return snap.Version(), out
}

func dataFiles(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".parquet" {
			n++
		}
		return err
	}))
	return n
}

func TestWriteQuarantineAndFail(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	topts := &delta.Options{Allocator: mem}
	target, err := delta.Create(ctx, filepath.Join(dir, "silver"), txSchema, &delta.CreateOptions{Table: topts})
	require.NoError(t, err)
	defer target.Close()
	quar, err := CreateQuarantineTable(ctx, filepath.Join(dir, "silver_quarantine"), txSchema, &delta.CreateOptions{Table: topts})
	require.NoError(t, err)
	defer quar.Close()

	exps := append(ExpectAllOrDrop(map[string]string{"positive": "amount > 0", "has_category": "category IS NOT NULL"}),
		Fail("id_small", "id < 100"))
	c, err := Bind(txSchema, exps, &Options{Dataset: "silver", Allocator: mem})
	require.NoError(t, err)

	write := func(rows ...row) (*WriteResult, error) {
		b := txBatch(t, mem, rows...)
		defer b.Release()
		rr, err := array.NewRecordReader(txSchema, []arrow.RecordBatch{b})
		require.NoError(t, err)
		defer rr.Release()
		return Write(ctx, target, rr, c, &WriteOptions{Quarantine: quar})
	}
	res, err := write(row{1, f(5), s("a")}, row{2, f(-1), nil}, row{3, f(2), nil})
	require.NoError(t, err)
	assert.Equal(t, int64(1), res.Target.Version)
	require.NotNil(t, res.Quarantine)
	assert.Equal(t, int64(1), res.Quarantine.Version)
	assert.Equal(t, int64(2), res.Metrics.DroppedRecords)
	m, _ := res.Metrics.Expectation("has_category")
	assert.Equal(t, int64(2), m.FailedRecords)

	v, rows := scanRows(t, target)
	assert.Equal(t, int64(1), v)
	assert.Equal(t, []string{"{id: 1, amount: 5, category: a}"}, rows)
	v, qrows := scanRows(t, quar)
	assert.Equal(t, int64(1), v)
	assert.Equal(t, []string{
		`{id: 2, amount: -1, category: NULL, _failed_expectations: ["has_category","positive"]}`,
		`{id: 3, amount: 2, category: NULL, _failed_expectations: ["has_category"]}`,
	}, qrows)
	filesBefore := dataFiles(t, dir)

	// A Fail expectation stops the write: neither table changes and the
	// staged files are gone.
	_, err = write(row{4, f(-3), nil}, row{500, f(1), s("b")})
	require.ErrorIs(t, err, ErrExpectationFailed)
	v2, rows2 := scanRows(t, target)
	assert.Equal(t, v, v2)
	assert.Equal(t, rows, rows2)
	qv, qrows2 := scanRows(t, quar)
	assert.Equal(t, int64(1), qv)
	assert.Equal(t, qrows, qrows2)
	assert.Equal(t, filesBefore, dataFiles(t, dir))
}
