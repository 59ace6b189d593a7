package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// TestAnalyzeCommand: analyze commits fresh statistics for files written
// without them, then finds nothing to do; a predicate on data columns is
// a usage error that changes nothing.
func TestAnalyzeCommand(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "t")
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "p", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	tbl, err := delta.Create(ctx, dir, schema, &delta.CreateOptions{PartitionBy: []string{"p"},
		Properties: map[string]string{"delta.dataSkippingNumIndexedCols": "0"}})
	require.NoError(t, err)
	result(t, `{"id":1,"p":"a"}`+"\n"+`{"id":2,"p":"b"}`+"\n", "write", dir)                          // v1
	_, err = tbl.SetProperties(ctx, map[string]string{"delta.dataSkippingNumIndexedCols": "32"}, nil) // v2
	require.NoError(t, err)
	require.NoError(t, tbl.Close())

	got := result(t, "", "analyze", dir)
	assert.Equal(t, float64(3), got["version"])
	assert.Equal(t, "COMPUTE STATS", got["operation"])
	assert.Equal(t, "2", got["numFilesScanned"])
	assert.Equal(t, "2", got["numFilesUpdated"])
	assert.Equal(t, "2", got["numAddedFiles"])
	assert.Equal(t, "0", got["numRemovedFiles"])
	got = result(t, "", "analyze", "--where", "p = 'a'", dir)
	assert.Equal(t, true, got["skipped"])
	assert.Equal(t, float64(3), got["version"])

	code, _, errs := lakehouseIn(t, "", "analyze", "--where", "id > 1", dir)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "partition columns only")
	got = result(t, "", "analyze", dir)
	assert.Equal(t, float64(3), got["version"], "the refused call committed nothing")
}
