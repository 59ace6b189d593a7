package delta

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// eventsSchema is the schema most write tests use.
var eventsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "day", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// eventsBatch builds rows id = from..from+n-1, day = "d<id%days>".
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
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("d%d", i%max(days, 1)))
	}
	return b.NewRecordBatch()
}

func eventsReader(t testing.TB, mem memory.Allocator, from, n, days int) array.RecordReader {
	rec := eventsBatch(mem, from, n, days)
	defer rec.Release()
	rr, err := array.NewRecordReader(eventsSchema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	return rr
}

// readRows scans the latest snapshot and renders every row as a string,
// sorted, so tables can be compared value by value.
func readRows(t testing.TB, tbl *Table) []string {
	t.Helper()
	ctx := context.Background()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	return snapshotRows(t, snap)
}

func snapshotRows(t testing.TB, snap *Snapshot) []string {
	t.Helper()
	rr, err := snap.Scan(context.Background(), nil)
	require.NoError(t, err)
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			rows = append(rows, rowString(rec, i))
		}
	}
	require.NoError(t, rr.Err())
	sort.Strings(rows)
	return rows
}

// expectedRows renders what eventsBatch produced for the given ranges.
func expectedRows(t testing.TB, ranges ...[3]int) []string {
	t.Helper()
	mem := memory.NewGoAllocator()
	var rows []string
	for _, r := range ranges {
		rec := eventsBatch(mem, r[0], r[1], r[2])
		for i := 0; i < int(rec.NumRows()); i++ {
			rows = append(rows, rowString(rec, i))
		}
		rec.Release()
	}
	sort.Strings(rows)
	return rows
}

func newCheckedAllocator(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// commitLines returns the raw lines of one commit file.
func commitLines(t testing.TB, tbl *Table, v int64) []string {
	t.Helper()
	data, err := tbl.store.Get(context.Background(), fmt.Sprintf("_delta_log/%020d.json", v))
	require.NoError(t, err)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}
