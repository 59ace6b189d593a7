package delta

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wideSchema has a struct s{x, y} first, then 33 long columns c1..c33:
// s.x and s.y are leaves 1 and 2, c30 is leaf 32 and c31 leaf 33.
func wideSchema() *arrow.Schema {
	fields := []arrow.Field{{Name: "s", Type: arrow.StructOf(
		arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true},
	), Nullable: true}}
	for i := 1; i <= 33; i++ {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", i), Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	return arrow.NewSchema(fields, nil)
}

func TestClusteringColumnsNeedStats(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		props   map[string]string
		cluster []string
		want    string // "" = accepted
	}{
		{name: "nested field", cluster: []string{"s.x"}},
		{name: "nested field, other spelling", cluster: []string{"S.Y", "c1"}},
		{name: "leaf 32 has stats", cluster: []string{"c30"}},
		{name: "leaf 33 has none", cluster: []string{"c31"},
			want: `"c31" is leaf column 33 of the schema, past delta.dataSkippingNumIndexedCols=32; raise that property to at least 33`},
		{name: "raised limit", props: map[string]string{"delta.dataSkippingNumIndexedCols": "40"}, cluster: []string{"c33"}},
		{name: "every column", props: map[string]string{"delta.dataSkippingNumIndexedCols": "-1"}, cluster: []string{"c33"}},
		{name: "lowered limit", props: map[string]string{"delta.dataSkippingNumIndexedCols": "1"}, cluster: []string{"s.y"},
			want: `"s.y" is leaf column 2 of the schema, past delta.dataSkippingNumIndexedCols=1`},
		{name: "listed in statsColumns", props: map[string]string{"delta.dataSkippingStatsColumns": "c33,s"}, cluster: []string{"c33", "s.y"}},
		{name: "not listed in statsColumns", props: map[string]string{"delta.dataSkippingStatsColumns": "c33"}, cluster: []string{"c1"},
			want: `"c1" is not in delta.dataSkippingStatsColumns=c33; add it there`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			// CREATE … CLUSTER BY.
			dir := filepath.Join(t.TempDir(), "created")
			tbl, err := Create(ctx, dir, wideSchema(), &CreateOptions{Table: &Options{Allocator: mem}, ClusterBy: tc.cluster, Properties: tc.props})
			if tc.want != "" {
				require.ErrorIs(t, err, ErrClusteringColumnMissingStats)
				require.ErrorIs(t, err, ErrInvalidArgument)
				assert.Contains(t, err.Error(), tc.want)
				assert.NoDirExists(t, filepath.Join(dir, "_delta_log"), "nothing committed")
			} else {
				require.NoError(t, err)
				snap, err := tbl.Snapshot(ctx)
				require.NoError(t, err)
				assert.Len(t, snap.ClusteringColumns(), len(tc.cluster))
				for _, c := range tc.cluster {
					assert.True(t, snap.HasStats(c), c)
				}
				require.NoError(t, tbl.Close())
			}
			// ALTER TABLE … CLUSTER BY on an unclustered table.
			tbl, err = Create(ctx, filepath.Join(t.TempDir(), "altered"), wideSchema(), &CreateOptions{Table: &Options{Allocator: mem}, Properties: tc.props})
			require.NoError(t, err)
			defer tbl.Close()
			_, err = tbl.ClusterBy(ctx, tc.cluster, nil)
			if tc.want != "" {
				require.ErrorIs(t, err, ErrClusteringColumnMissingStats)
				assert.Contains(t, err.Error(), tc.want)
				snap, err := tbl.Snapshot(ctx)
				require.NoError(t, err)
				assert.Equal(t, int64(0), snap.Version())
				return
			}
			require.NoError(t, err)
		})
	}
}

func TestSnapshotHasStats(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, t.TempDir(), wideSchema(), &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	for col, want := range map[string]bool{"s.x": true, "c30": true, "c31": false, "nope": false, "s": false, "s.z": false} {
		assert.Equal(t, want, snap.HasStats(col), col)
	}
}
