package delta_test

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/deltatest"
)

var salesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "day", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// jsonReader is a record reader over rows written as a JSON array.
func jsonReader(t *testing.T, mem memory.Allocator, schema *arrow.Schema, rows string) array.RecordReader {
	t.Helper()
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(rows))
	require.NoError(t, err)
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	return rr
}

// TestAppendOverwriteWithDeltatest runs a sequence of appends and
// overwrites (replaceWhere, mergeSchema, overwriteSchema) on one table
// and checks, after each, the version it committed and the table's rows
// with deltatest; the first version is then compared, through time
// travel, with a table built from its rows alone.
func TestAppendOverwriteWithDeltatest(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tbl := deltatest.NewTable(t, salesSchema, &deltatest.Options{
		Memory: true,
		Create: &delta.CreateOptions{PartitionBy: []string{"day"}, Table: &delta.Options{Allocator: mem}},
	})
	withNote := arrow.NewSchema(append(salesSchema.Fields(), arrow.Field{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true}), nil)
	narrow := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "day", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)

	steps := []struct {
		name      string
		overwrite bool
		opts      *delta.TxnOptions
		schema    *arrow.Schema
		in        string
		version   int64
		want      string // every row of the table after the step
	}{
		{"append", false, nil, salesSchema,
			`[{"id":1,"day":"d1","amount":10},{"id":2,"day":"d2","amount":20}]`, 1,
			`[{"id":1,"day":"d1","amount":10},{"id":2,"day":"d2","amount":20}]`},
		{"second append", false, nil, salesSchema,
			`[{"id":3,"day":"d1","amount":30}]`, 2,
			`[{"id":1,"day":"d1","amount":10},{"id":2,"day":"d2","amount":20},{"id":3,"day":"d1","amount":30}]`},
		{"overwrite one partition", true, &delta.TxnOptions{ReplaceWhere: "day = 'd1'"}, salesSchema,
			`[{"id":4,"day":"d1","amount":0.5}]`, 3,
			`[{"id":2,"day":"d2","amount":20},{"id":4,"day":"d1","amount":0.5}]`},
		{"append a new column", false, &delta.TxnOptions{MergeSchema: true}, withNote,
			`[{"id":5,"day":"d3","amount":1.25,"note":"new"}]`, 4,
			`[{"id":2,"day":"d2","amount":20,"note":null},{"id":4,"day":"d1","amount":0.5,"note":null},{"id":5,"day":"d3","amount":1.25,"note":"new"}]`},
		{"overwrite everything", true, nil, withNote,
			`[{"id":6,"day":"d4","amount":6,"note":"only"}]`, 5,
			`[{"id":6,"day":"d4","amount":6,"note":"only"}]`},
		{"overwrite the schema", true, &delta.TxnOptions{OverwriteSchema: true}, narrow,
			`[{"id":7,"day":"d5"}]`, 6,
			`[{"id":7,"day":"d5"}]`},
	}
	for _, st := range steps {
		rr := jsonReader(t, mem, st.schema, st.in)
		write := tbl.Append
		if st.overwrite {
			write = tbl.Overwrite
		}
		res, err := write(ctx, rr, st.opts)
		rr.Release()
		require.NoError(t, err, st.name)
		assert.Equal(t, st.version, res.Version, st.name)
		snap := deltatest.Latest(t, tbl)
		require.Equal(t, st.version, snap.Version(), st.name)
		deltatest.RequireTableRows(t, snap, st.want, nil)
	}

	// Version 1, read through time travel, is the table its rows make.
	v1, err := tbl.SnapshotAt(ctx, 1)
	require.NoError(t, err)
	fresh := deltatest.NewTableFromJSON(t, salesSchema, steps[0].want, &deltatest.Options{Memory: true})
	deltatest.RequireTableEqual(t, deltatest.Latest(t, fresh), v1, nil)
	// And a later version is not: the diff names the rows that differ.
	v2, err := tbl.SnapshotAt(ctx, 2)
	require.NoError(t, err)
	d, err := deltatest.Diff(deltatest.Latest(t, fresh), v2, nil)
	require.NoError(t, err)
	assert.Equal(t, "1 rows extra (in got, not in want):\n  {id: 3, day: \"d1\", amount: 30}\nrows: want 2, got 3\n", d)
}

// TestAppendRowsWithDeltatest: typed rows appended and overwritten,
// checked against literal rows and against a table of the same structs.
func TestAppendRowsWithDeltatest(t *testing.T) {
	ctx := context.Background()
	tbl := deltatest.NewTableFromRows(t, []sentinelOrder{{1, 10}, {2, 20}}, nil)
	res, err := delta.AppendRows(ctx, tbl, []sentinelOrder{{3, 30}}, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(2), res.Version, "create is 0, the first rows 1, this append 2")
	deltatest.RequireTableRows(t, deltatest.Latest(t, tbl), `[{"id":1,"amount":10},{"id":2,"amount":20},{"id":3,"amount":30}]`, nil)
	assert.Equal(t, []sentinelOrder{{1, 10}, {2, 20}, {3, 30}}, sortOrders(deltatest.Rows[sentinelOrder](t, deltatest.Latest(t, tbl))))

	rr := jsonReader(t, memory.DefaultAllocator, deltatest.Latest(t, tbl).Schema(), `[{"id":9,"amount":0.25}]`)
	defer rr.Release()
	res, err = tbl.Overwrite(ctx, rr, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(3), res.Version)
	want := deltatest.NewTableFromRows(t, []sentinelOrder{{9, 0.25}}, &deltatest.Options{Memory: true})
	deltatest.RequireTableEqual(t, deltatest.Latest(t, want), deltatest.Latest(t, tbl), nil)
}

func sortOrders(rows []sentinelOrder) []sentinelOrder {
	slices.SortFunc(rows, func(a, b sentinelOrder) int { return cmp.Compare(a.ID, b.ID) })
	return rows
}
