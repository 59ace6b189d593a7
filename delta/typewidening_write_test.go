package delta

import (
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func oneColumn(t *testing.T, mem memory.Allocator, typ arrow.DataType, vals ...int64) array.RecordReader {
	t.Helper()
	s := arrow.NewSchema([]arrow.Field{{Name: "n", Type: typ, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for _, v := range vals {
		switch bb := b.Field(0).(type) {
		case *array.Int32Builder:
			bb.Append(int32(v))
		case *array.Int64Builder:
			bb.Append(v)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(s, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	return rr
}

// TestTypeWideningOnWrite: with delta.enableTypeWidening and MergeSchema a
// wider column type in the written data widens the table's column (INT to
// BIGINT here), recorded in delta.typeChanges; older files read as the
// wider type. Without the property the write is refused and nothing
// changes.
func TestTypeWideningOnWrite(t *testing.T) {
	for _, enabled := range []bool{true, false} {
		t.Run(map[bool]string{true: "enabled", false: "disabled"}[enabled], func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			dir := t.TempDir()
			props := map[string]string{}
			if enabled {
				props["delta.enableTypeWidening"] = "true"
			}
			schema := arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int32, Nullable: true}}, nil)
			tbl, err := Create(ctx, dir, schema, &CreateOptions{Table: &Options{Allocator: mem}, Properties: props})
			require.NoError(t, err)
			defer tbl.Close()
			rr := oneColumn(t, mem, arrow.PrimitiveTypes.Int32, 1, 2)
			_, err = tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
			logBefore := logListing(t, dir)

			rr = oneColumn(t, mem, arrow.PrimitiveTypes.Int64, 1<<40)
			_, err = tbl.Append(ctx, rr, &TxnOptions{MergeSchema: true})
			rr.Release()
			if !enabled {
				require.ErrorIs(t, err, ErrSchemaMismatch)
				assert.Equal(t, logBefore, logListing(t, dir))
				return
			}
			require.NoError(t, err)
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.True(t, arrow.TypeEqual(arrow.PrimitiveTypes.Int64, snap.Schema().Field(0).Type))
			f, _ := snap.schema.Field("n")
			assert.JSONEq(t, `[{"fromType":"integer","toType":"long"}]`, string(f.Metadata["delta.typeChanges"]))
			assert.True(t, snap.state.Protocol.SupportsFeature("typeWidening"))
			assert.ElementsMatch(t, []string{"{n: 1}", "{n: 2}", "{n: 1099511627776}"}, readRows(t, tbl))
		})
	}
}
