package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// commitActions returns the actions of one commit file, decoded.
func commitActions(t *testing.T, dir string, version int) []protocol.Action {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", version)))
	require.NoError(t, err)
	var out []protocol.Action
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var a protocol.Action
		require.NoError(t, json.Unmarshal([]byte(line), &a))
		out = append(out, a)
	}
	return out
}

func clusteringAction(t *testing.T, acts []protocol.Action) *protocol.DomainMetadata {
	t.Helper()
	for _, a := range acts {
		if a.DomainMetadata != nil && a.DomainMetadata.Domain == ClusteringDomain {
			return a.DomainMetadata
		}
	}
	return nil
}

func TestCreateClusterBy(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name      string
		props     map[string]string
		cluster   []string
		wantCols  []string
		wantPhys  bool // physical names are col-<uuid>
		wantExact string
	}{
		{name: "plain", cluster: []string{"id", "DAY"}, wantCols: []string{"id", "day"},
			wantExact: `{"clusteringColumns":[["id"],["day"]],"domainName":"delta.clustering"}`},
		{name: "column mapping", props: map[string]string{"delta.columnMapping.mode": "name"}, cluster: []string{"day"}, wantCols: []string{"day"}, wantPhys: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			dir := t.TempDir()
			tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, ClusterBy: tc.cluster, Properties: tc.props})
			require.NoError(t, err)
			defer tbl.Close()
			acts := commitActions(t, dir, 0)
			d := clusteringAction(t, acts)
			require.NotNil(t, d)
			assert.False(t, d.Removed)
			if tc.wantExact != "" {
				assert.Equal(t, tc.wantExact, d.Configuration)
			}
			if tc.wantPhys {
				var cfg clusteringConfig
				require.NoError(t, json.Unmarshal([]byte(d.Configuration), &cfg))
				require.Len(t, cfg.ClusteringColumns, 1)
				assert.True(t, strings.HasPrefix(cfg.ClusteringColumns[0][0], "col-"), cfg.ClusteringColumns[0][0])
			}
			var proto *protocol.Protocol
			var ci protocol.CommitInfo
			for _, a := range acts {
				if a.Protocol != nil {
					proto = a.Protocol
				}
				if a.CommitInfo != nil {
					ci = a.CommitInfo
				}
			}
			require.NotNil(t, proto)
			assert.Equal(t, int32(7), proto.MinWriterVersion)
			assert.Contains(t, proto.WriterFeatures, "clustering")
			assert.Contains(t, proto.WriterFeatures, "domainMetadata")
			require.NotNil(t, ci)
			assert.Equal(t, jsonString(tc.cluster), opParam(ci, "clusterBy"))
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.wantCols, snap.ClusteringColumns())
			assert.True(t, snap.IsClustered())
			assert.NotContains(t, snap.Properties(), "delta.feature.clustering")
		})
	}
}

func TestClusterByAlter(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	dir := t.TempDir()
	rr := eventsReader(t, mem, 0, 10, 2)
	defer rr.Release()
	tbl, _, err := CreateAsSelect(ctx, dir, rr, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	steps := []struct {
		cols   []string
		want   []string
		config string
		old    string
	}{
		{cols: []string{"name", "id"}, want: []string{"name", "id"}, config: `{"clusteringColumns":[["name"],["id"]],"domainName":"delta.clustering"}`, old: ""},
		{cols: []string{"score"}, want: []string{"score"}, config: `{"clusteringColumns":[["score"]],"domainName":"delta.clustering"}`, old: "name,id"},
		{cols: nil, want: nil, config: `{"clusteringColumns":[],"domainName":"delta.clustering"}`, old: "score"},
	}
	for i, s := range steps {
		res, err := tbl.ClusterBy(ctx, s.cols, nil)
		require.NoError(t, err)
		require.Equal(t, int64(i+1), res.Version)
		acts := commitActions(t, dir, i+1)
		d := clusteringAction(t, acts)
		require.NotNil(t, d)
		assert.Equal(t, s.config, d.Configuration)
		for _, a := range acts {
			if a.CommitInfo != nil {
				assert.Equal(t, "CLUSTER BY", a.CommitInfo["operation"])
				assert.Equal(t, s.old, opParam(a.CommitInfo, "oldClusteringColumns"))
				assert.Equal(t, strings.Join(s.cols, ","), opParam(a.CommitInfo, "newClusteringColumns"))
			}
		}
		snap, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		assert.Equal(t, s.want, snap.ClusteringColumns())
		assert.True(t, snap.IsClustered())
		assert.Contains(t, snap.Protocol().WriterFeatures, "clustering")
	}
	assert.Equal(t, 10, len(readRows(t, tbl)))
}

func TestClusterByErrors(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	_, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}, ClusterBy: []string{"id"}})
	require.ErrorIs(t, err, ErrClusteredPartitioned)
	require.ErrorIs(t, err, ErrInvalidArgument)

	tbl, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}})
	require.NoError(t, err)
	defer tbl.Close()
	_, err = tbl.ClusterBy(ctx, []string{"id"}, nil)
	require.ErrorIs(t, err, ErrClusteredPartitioned)

	plain, err := Create(ctx, t.TempDir(), eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer plain.Close()
	for _, cols := range [][]string{{"nope"}, {"id", "ID"}} {
		_, err = plain.ClusterBy(ctx, cols, nil)
		require.ErrorIs(t, err, ErrInvalidArgument, cols)
	}
	snap, err := plain.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(0), snap.Version())
	assert.False(t, snap.IsClustered())
	assert.Nil(t, snap.ClusteringColumns())
}

// CLUSTER BY takes at most four columns, at create and later; the table
// is left as it was.
func TestClusterByTooManyColumns(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	var fields []arrow.Field
	var names []string
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
		names = append(names, n)
	}
	schema := arrow.NewSchema(fields, nil)
	dir := t.TempDir()
	_, err := Create(ctx, dir, schema, &CreateOptions{Table: &Options{Allocator: mem}, ClusterBy: names})
	require.ErrorIs(t, err, ErrInvalidArgument)
	assert.Contains(t, err.Error(), "at most 4 columns, got 5")
	_, err = Open(ctx, dir, nil)
	require.ErrorIs(t, err, ErrNotATable, "a refused create leaves no table")

	tbl, err := Create(ctx, t.TempDir(), schema, &CreateOptions{Table: &Options{Allocator: mem}, ClusterBy: names[:4]})
	require.NoError(t, err)
	defer tbl.Close()
	_, err = tbl.ClusterBy(ctx, names, nil)
	require.ErrorIs(t, err, ErrInvalidArgument)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(0), snap.Version())
	assert.Equal(t, names[:4], snap.ClusteringColumns())
}

// opParam is one operationParameters entry of a commitInfo.
func opParam(ci protocol.CommitInfo, key string) any {
	params, _ := ci["operationParameters"].(map[string]any)
	return params[key]
}

func TestReplaceClusteredTable(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	dir := t.TempDir()
	cases := []struct {
		name    string
		opts    CreateOptions
		want    []string
		removed bool
	}{
		{"clustered", CreateOptions{ClusterBy: []string{"id"}}, []string{"id"}, false},
		{"reclustered", CreateOptions{ClusterBy: []string{"name"}}, []string{"name"}, false},
		{"replaced unclustered", CreateOptions{}, nil, true},
	}
	for i, tc := range cases {
		tc.opts.Table = &Options{Allocator: mem}
		tbl, err := CreateOrReplace(ctx, dir, eventsSchema, &tc.opts)
		require.NoError(t, err, tc.name)
		snap, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		assert.Equal(t, tc.want, snap.ClusteringColumns(), tc.name)
		d := clusteringAction(t, commitActions(t, dir, i))
		if tc.removed {
			require.NotNil(t, d, tc.name)
			assert.True(t, d.Removed, tc.name)
		}
		require.NoError(t, tbl.Close())
	}
	_, err := CreateOrReplace(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}})
	require.ErrorIs(t, err, ErrClusteredPartitioned, "the clustering feature stays; partitioning would break the protocol")
}
