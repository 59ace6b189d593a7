package delta_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// TestChangesConstantColumnsShared: the change feed's constant columns
// are slices of arrays shared between batches, so every row must still
// carry its own version's _change_type, _commit_version and
// _commit_timestamp when versions and batch lengths alternate (a long
// version after a short one), with files decoded one at a time or
// several at once, and the batches must stay intact after the reader is
// released.
func TestChangesConstantColumnsShared(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	tbl, err := delta.Create(ctx, filepath.Join(t.TempDir(), "t"), schema, &delta.CreateOptions{
		Properties: map[string]string{"delta.enableChangeDataFeed": "true"},
		Table:      &delta.Options{Allocator: mem},
	})
	require.NoError(t, err)
	defer tbl.Close()

	// Versions 1..4 insert these many rows with ids from next on.
	sizes := []int{70_000, 10, 130_000, 3}
	versionOf := map[int64]int64{}
	next := int64(0)
	for v, n := range sizes {
		b := array.NewInt64Builder(mem)
		for i := 0; i < n; i++ {
			b.Append(next)
			versionOf[next] = int64(v + 1)
			next++
		}
		col := b.NewArray()
		b.Release()
		rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(n))
		col.Release()
		rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
		require.NoError(t, err)
		rec.Release()
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
	}
	where, err := expr.Parse("id % 1000 = 7")
	require.NoError(t, err)
	_, err = tbl.Delete(ctx, where, nil) // version 5
	require.NoError(t, err)
	deleted := int64(0)
	for id := int64(0); id < next; id++ {
		if id%1000 == 7 {
			deleted++
		}
	}
	stamps := map[int64]int64{}
	for v := int64(1); v <= 5; v++ {
		ts, err := tbl.CommitTimestamp(ctx, v)
		require.NoError(t, err)
		stamps[v] = ts.UnixMicro()
	}

	for _, par := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("parallelism %d", par), func(t *testing.T) {
			rr, err := tbl.Changes(ctx, 1, &delta.ChangesOptions{Parallelism: par})
			require.NoError(t, err)
			var kept []arrow.RecordBatch
			for rr.Next() {
				rec := rr.RecordBatch()
				rec.Retain()
				kept = append(kept, rec)
			}
			require.NoError(t, rr.Err())
			rr.Release() // the batches must outlive the reader
			defer func() {
				for _, rec := range kept {
					rec.Release()
				}
			}()
			counts := map[string]int64{}
			for _, rec := range kept {
				sch := rec.Schema()
				col := func(name string) arrow.Array {
					idx := sch.FieldIndices(name)
					require.Len(t, idx, 1, name)
					return rec.Column(idx[0])
				}
				ids := col("id").(*array.Int64)
				types := col(delta.ChangeTypeColumn).(*array.String)
				versions := col(delta.CommitVersionColumn).(*array.Int64)
				times := col(delta.CommitTimestampColumn).(*array.Timestamp)
				for i := 0; i < int(rec.NumRows()); i++ {
					id, typ, v := ids.Value(i), types.Value(i), versions.Value(i)
					require.False(t, versions.IsNull(i) || times.IsNull(i) || types.IsNull(i))
					switch typ {
					case delta.ChangeInsert:
						require.Equal(t, versionOf[id], v, "id %d", id)
					case delta.ChangeDelete:
						require.Equal(t, int64(5), v, "id %d", id)
						require.Equal(t, int64(7), id%1000, "id %d", id)
					default:
						t.Fatalf("id %d: change type %q", id, typ)
					}
					require.Equal(t, stamps[v], int64(times.Value(i)), "id %d version %d", id, v)
					counts[typ]++
				}
			}
			require.Equal(t, map[string]int64{delta.ChangeInsert: next, delta.ChangeDelete: deleted}, counts)
		})
	}
}
