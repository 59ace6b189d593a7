package optimize

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// eventsSchema is the schema of most tests: a partition column and a few
// data columns of different types.
var eventsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "day", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func newCheckedAllocator(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// eventsBatch builds rows id = from..from+n-1 spread over days partitions.
func eventsBatch(mem memory.Allocator, from, n, days int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, eventsSchema)
	defer b.Release()
	for i := from; i < from+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%7 == 3 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("name-%d", i))
		}
		b.Field(2).(*array.Float64Builder).Append(float64(i) / 2)
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("d%d", i%days))
	}
	return b.NewRecordBatch()
}

// appendBatch appends one batch as its own commit.
func appendBatch(t *testing.T, tbl *delta.Table, rec arrow.RecordBatch) {
	t.Helper()
	rr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	require.NoError(t, err)
	defer rr.Release()
	_, err = tbl.Append(context.Background(), rr, nil)
	require.NoError(t, err)
}

// newEventsTable creates a table and appends `appends` small commits of
// 50 rows each.
func newEventsTable(t *testing.T, mem memory.Allocator, partitioned bool, props map[string]string, appends int) *delta.Table {
	t.Helper()
	opts := &delta.CreateOptions{Table: &delta.Options{Allocator: mem, NoSync: true}, Properties: props}
	if partitioned {
		opts.PartitionBy = []string{"day"}
	}
	tbl, err := delta.Create(context.Background(), filepath.Join(t.TempDir(), "events"), eventsSchema, opts)
	require.NoError(t, err)
	for i := range appends {
		rec := eventsBatch(mem, i*50, 50, 3)
		appendBatch(t, tbl, rec)
		rec.Release()
	}
	return tbl
}

// tableRows renders every row of the latest snapshot, sorted.
func tableRows(t *testing.T, tbl *delta.Table) []string {
	t.Helper()
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	rr, err := snap.Scan(context.Background(), nil)
	require.NoError(t, err)
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := range int(rec.NumRows()) {
			cells := make([]string, rec.NumCols())
			for k := range cells {
				cells[k] = rec.Schema().Field(k).Name + "=" + rec.Column(k).ValueStr(i)
			}
			rows = append(rows, strings.Join(cells, ","))
		}
	}
	require.NoError(t, rr.Err())
	sort.Strings(rows)
	return rows
}

// files lists the live files of the latest snapshot.
func files(t *testing.T, tbl *delta.Table) []*delta.AddFile {
	t.Helper()
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	var out []*delta.AddFile
	for f, err := range snap.Files(context.Background()) {
		require.NoError(t, err)
		out = append(out, f)
	}
	return out
}

// filesRead counts the files a scan with filter reads.
func filesRead(t *testing.T, tbl *delta.Table, filter expr.Expr) int {
	t.Helper()
	snap, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	n := 0
	for _, err := range snap.FilesMatching(context.Background(), filter) {
		require.NoError(t, err)
		n++
	}
	return n
}
