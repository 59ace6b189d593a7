package optimize

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// nestedSchema keeps its ordering column inside a struct: ev.ts, with a
// null struct now and then.
var nestedSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "ev", Type: arrow.StructOf(
		arrow.Field{Name: "ts", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "kind", Type: arrow.BinaryTypes.String, Nullable: true},
	), Nullable: true},
}, nil)

// nestedBatch has rows id from..from+n-1 whose ev.ts is scattered over
// 0..9999 (a permutation of the ids), so each append spans the range.
func nestedBatch(mem memory.Allocator, from, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, nestedSchema)
	defer b.Release()
	ev := b.Field(1).(*array.StructBuilder)
	for i := from; i < from+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%17 == 5 {
			ev.AppendNull()
			continue
		}
		ev.Append(true)
		ev.FieldBuilder(0).(*array.Int64Builder).Append(int64(i*7919) % 10000)
		ev.FieldBuilder(1).(*array.StringBuilder).Append(fmt.Sprintf("k%d", i%3))
	}
	return b.NewRecordBatch()
}

func TestOrderByNestedColumn(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"cluster", "zorder"} {
		t.Run(mode, func(t *testing.T) {
			mem := newCheckedAllocator(t)
			opts := &delta.CreateOptions{Table: &delta.Options{Allocator: mem, NoSync: true}}
			if mode == "cluster" {
				opts.ClusterBy = []string{"EV.TS"}
			}
			tbl, err := delta.Create(ctx, filepath.Join(t.TempDir(), "t"), nestedSchema, opts)
			require.NoError(t, err)
			defer tbl.Close()
			for i := range 8 {
				rec := nestedBatch(mem, i*250, 250)
				appendBatch(t, tbl, rec)
				rec.Release()
			}
			before := tableRows(t, tbl)
			filter := expr.Col("ev", "ts").Lt(expr.Lit(int64(1000)))
			require.Equal(t, 8, filesRead(t, tbl, filter), "every append spans the range")

			o := &Options{TargetFileSize: 2 << 10}
			if mode == "zorder" {
				o.ZOrderBy = []string{"ev.ts"}
			}
			res, err := Compact(ctx, tbl, o)
			require.NoError(t, err)
			require.Len(t, res.Commits, 1)
			assert.Equal(t, before, tableRows(t, tbl), "rows kept")
			n := len(files(t, tbl))
			require.Greater(t, n, 2)
			read := filesRead(t, tbl, filter)
			t.Logf("%s: a tenth of ev.ts reads %d of %d files", mode, read, n)
			assert.LessOrEqual(t, read, 2, "a tenth of ev.ts is in one or two files")
			if mode == "cluster" {
				require.NotNil(t, res.Metrics.ClusteringStats)
				assert.Equal(t, int64(8), res.Metrics.ClusteringStats.InputOtherFiles.Num)
				snap, err := tbl.Snapshot(ctx)
				require.NoError(t, err)
				assert.Equal(t, []string{"ev.ts"}, snap.ClusteringColumns(), "the schema's spelling")
				for _, f := range files(t, tbl) {
					assert.Equal(t, delta.ClusteringProviderLiquid, f.ClusteringProvider)
				}
			} else {
				for _, f := range files(t, tbl) {
					assert.Equal(t, `["ev.ts"]`, f.Tags[TagZOrderBy])
				}
			}
		})
	}
}

func TestZOrderNeedsStats(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, true, map[string]string{"delta.dataSkippingNumIndexedCols": "1"}, 2)
	_, err := Compact(ctx, tbl, &Options{ZOrderBy: []string{"id", "score"}})
	require.ErrorIs(t, err, ErrInvalidOptions)
	assert.Contains(t, err.Error(), `ZORDER BY "score": data files keep no statistics for "score"`)
	_, err = Compact(ctx, tbl, &Options{ZOrderBy: []string{"id"}})
	require.NoError(t, err)

	for _, bad := range []struct{ col, want string }{
		{"id.x", `ZORDER BY "id.x": no such column`},
		{"nope", `ZORDER BY "nope": no such column`},
	} {
		_, err := Compact(ctx, tbl, &Options{ZOrderBy: []string{bad.col}})
		require.ErrorIs(t, err, ErrInvalidOptions)
		assert.Contains(t, err.Error(), bad.want)
	}
}

func TestClusterRefusedWhenStatsWereDropped(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := newEventsTable(t, mem, false, nil, 2)
	_, err := tbl.ClusterBy(ctx, []string{"score"}, nil)
	require.NoError(t, err)
	// Statistics now stop before score (the third column).
	_, err = tbl.SetProperties(ctx, map[string]string{"delta.dataSkippingNumIndexedCols": "2"}, nil)
	require.NoError(t, err)
	_, err = Compact(ctx, tbl, nil)
	require.ErrorIs(t, err, delta.ErrClusteringColumnMissingStats)
	require.ErrorIs(t, err, ErrInvalidOptions)
	assert.Contains(t, err.Error(), `"score" is past delta.dataSkippingNumIndexedCols`)
}
