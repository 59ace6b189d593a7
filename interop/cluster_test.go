//go:build interop

package interop

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/prereq"
	"github.com/lakehouse-go/lakehouse/optimize"
)

// clusterOutcome is what cluster_check.py reports.
type clusterOutcome struct {
	OursClusteringColumns   []string `json:"ours_clustering_columns"`
	OursRowsBefore          int64    `json:"ours_rows_before"`
	OursRowsAfter           int64    `json:"ours_rows_after"`
	OursIDSumBefore         int64    `json:"ours_id_sum_before"`
	OursIDSumAfter          int64    `json:"ours_id_sum_after"`
	OursLastOperation       string   `json:"ours_last_operation"`
	TheirsClusteringColumns []string `json:"theirs_clustering_columns"`
	Alter                   []struct {
		Operation  string            `json:"operation"`
		Parameters map[string]string `json:"parameters"`
		Domain     string            `json:"domain"`
	} `json:"alter"`
}

// TestClusteringInterop: Spark reads, describes and re-optimizes a table
// lakehouse created CLUSTER BY and clustered; lakehouse reads and
// optimizes a table Spark created CLUSTER BY, keeping its clustering.
func TestClusteringInterop(t *testing.T) {
	ctx := context.Background()
	if _, err := os.Stat(s.python); err != nil {
		prereq.Missing(t, "peer venv missing (%s); run bash .ci/setup.d/interop.sh", s.python)
	}
	dir := t.TempDir()
	ours, theirs := filepath.Join(dir, "ours"), filepath.Join(dir, "theirs")
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	tbl, err := delta.Create(ctx, ours, schema, &delta.CreateOptions{
		Table: &delta.Options{Allocator: mem}, ClusterBy: []string{"id", "name"},
		Properties: map[string]string{"delta.columnMapping.mode": "name"},
	})
	require.NoError(t, err)
	var idSum int64
	for k := range 4 {
		b := array.NewRecordBuilder(mem, schema)
		for i := range 50 {
			id := int64((i*37+k*11)%200 + k*200)
			idSum += id
			b.Field(0).(*array.Int64Builder).Append(id)
			b.Field(1).(*array.StringBuilder).Append("n" + itoa64(id))
		}
		rec := b.NewRecordBatch()
		b.Release()
		rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
		require.NoError(t, err)
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		rec.Release()
		require.NoError(t, err)
	}
	_, err = optimize.Compact(ctx, tbl, nil)
	require.NoError(t, err)
	require.NoError(t, tbl.Close())

	cmd := exec.CommandContext(ctx, s.python, filepath.Join(s.root, "interop", "peers", "cluster_check.py"), ours, theirs)
	cmd.Stderr = nil
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("cluster_check.py: %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	var got clusterOutcome
	require.NoError(t, json.Unmarshal(out, &got), string(out))
	assert.Equal(t, []string{"id", "name"}, got.OursClusteringColumns, "DESCRIBE DETAIL shows our clustering columns")
	assert.Equal(t, int64(200), got.OursRowsBefore)
	assert.Equal(t, int64(200), got.OursRowsAfter)
	assert.Equal(t, idSum, got.OursIDSumBefore)
	assert.Equal(t, idSum, got.OursIDSumAfter)
	assert.Equal(t, "OPTIMIZE", got.OursLastOperation)
	assert.Equal(t, []string{"id"}, got.TheirsClusteringColumns)

	// ALTER … CLUSTER BY (name, id) then NONE: Spark's commit and domain
	// are what Table.ClusterBy writes (see delta's TestClusterByAlter).
	require.Len(t, got.Alter, 2)
	wantAlter := []struct {
		params map[string]string
		domain string
	}{
		{map[string]string{"oldClusteringColumns": "id", "newClusteringColumns": "name,id"}, `{"clusteringColumns":[["name"],["id"]],"domainName":"delta.clustering"}`},
		{map[string]string{"oldClusteringColumns": "name,id", "newClusteringColumns": ""}, `{"clusteringColumns":[],"domainName":"delta.clustering"}`},
	}
	for i, w := range wantAlter {
		assert.Equal(t, "CLUSTER BY", got.Alter[i].Operation)
		assert.Equal(t, w.params, got.Alter[i].Parameters)
		assert.Equal(t, w.domain, got.Alter[i].Domain)
	}

	// Our table after Spark's OPTIMIZE: still clustered the same way.
	tbl, err = delta.Open(ctx, ours, &delta.Options{Allocator: mem})
	require.NoError(t, err)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"id", "name"}, snap.ClusteringColumns())
	assert.Equal(t, idSum, sumIDs(t, snap))
	require.NoError(t, tbl.Close())

	// Spark's table: we read and optimize it, keeping its clustering.
	tbl, err = delta.Open(ctx, theirs, &delta.Options{Allocator: mem})
	require.NoError(t, err)
	defer tbl.Close()
	snap, err = tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"id"}, snap.ClusteringColumns())
	domain := snap.DomainMetadata()[delta.ClusteringDomain]
	t.Logf("Spark's clustering domain: %s", domain.Configuration)
	assert.Equal(t, `{"clusteringColumns":[["id"]],"domainName":"delta.clustering"}`, domain.Configuration, "the shape lakehouse writes too")
	before := sumIDs(t, snap)
	var unclustered int
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		if f.ClusteringProvider == "" {
			unclustered++
		}
	}
	require.Positive(t, unclustered, "Spark's INSERTs after its OPTIMIZE are not clustered")
	res, err := optimize.Compact(ctx, tbl, nil)
	require.NoError(t, err)
	require.Len(t, res.Commits, 1)
	assert.Equal(t, int64(unclustered), res.Metrics.NumFilesRemoved, "only the unclustered files are rewritten")
	snap, err = tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, domain, snap.DomainMetadata()[delta.ClusteringDomain], "domain metadata unchanged")
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		assert.Equal(t, delta.ClusteringProviderLiquid, f.ClusteringProvider, f.Path)
	}
	assert.Equal(t, before, sumIDs(t, snap))
	assert.Equal(t, int64(500*499/2), before)
}

// sumIDs scans the id column of a snapshot and sums it.
func sumIDs(t *testing.T, snap *delta.Snapshot) int64 {
	t.Helper()
	rr, err := snap.Scan(context.Background(), &delta.ScanOptions{Columns: []string{"id"}})
	require.NoError(t, err)
	defer rr.Release()
	var sum int64
	for rr.Next() {
		col := rr.RecordBatch().Column(0).(*array.Int64)
		for i := range col.Len() {
			sum += col.Value(i)
		}
	}
	require.NoError(t, rr.Err())
	return sum
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }
