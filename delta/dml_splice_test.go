package delta

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSpliceRowsSharesUnchangedColumns checks that columns the SET
// clauses left alone are written as read, and that a changed column whose
// type differs is refused, so the caller writes the rows apart.
func TestSpliceRowsSharesUnchangedColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	base, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[{"id":1,"v":1},{"id":2,"v":2},{"id":3,"v":3}]`))
	require.NoError(t, err)
	defer base.Release()
	hit := []bool{false, true, false}
	matched, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(`[{"id":2,"v":2}]`))
	require.NoError(t, err)
	defer matched.Release()
	newV, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Float64, strings.NewReader(`[-2]`))
	require.NoError(t, err)
	defer newV.Release()
	updated := array.NewRecordBatch(schema, []arrow.Array{matched.Column(0), newV}, 1)
	defer updated.Release()

	out, ok, err := spliceRows(mem, base, hit, matched, updated)
	require.NoError(t, err)
	require.True(t, ok)
	defer out.Release()
	assert.Same(t, base.Column(0), out.Column(0), "id is not set: the batch's own column")
	assert.Equal(t, []float64{1, -2, 3}, out.Column(1).(*array.Float64).Float64Values())

	wrong, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Int64, strings.NewReader(`[7]`))
	require.NoError(t, err)
	defer wrong.Release()
	bad := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{schema.Field(0), {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil), []arrow.Array{matched.Column(0), wrong}, 1)
	defer bad.Release()
	_, ok, err = spliceRows(mem, base, hit, matched, bad)
	require.NoError(t, err)
	assert.False(t, ok)
}
