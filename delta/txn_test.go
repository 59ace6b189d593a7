package delta

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func tableURLs(t *testing.T) map[string]string {
	return map[string]string{"mem": "mem://", "local": filepath.Join(t.TempDir(), "tbl")}
}

func TestCreateAppendOverwriteRoundTrip(t *testing.T) {
	for name, url := range tableURLs(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl, err := Create(ctx, url, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}, Description: "events"})
			require.NoError(t, err)
			defer tbl.Close()

			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(0), snap.Version())
			assert.Equal(t, Protocol{MinReaderVersion: 1, MinWriterVersion: 2}, snap.Protocol())
			assert.Equal(t, []string{"day"}, snap.PartitionColumns())
			assert.Empty(t, snapshotRows(t, snap))

			rr := eventsReader(t, mem, 0, 100, 3)
			res, err := tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
			assert.Equal(t, int64(1), res.Version)
			assert.Equal(t, "3", res.Metrics["numFiles"])
			assert.Equal(t, "100", res.Metrics["numOutputRows"])
			assert.Equal(t, expectedRows(t, [3]int{0, 100, 3}), readRows(t, tbl))

			rr = eventsReader(t, mem, 100, 50, 3)
			res, err = tbl.Append(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
			assert.Equal(t, int64(2), res.Version)
			assert.Equal(t, expectedRows(t, [3]int{0, 150, 3}), readRows(t, tbl))

			rr = eventsReader(t, mem, 500, 10, 2)
			res, err = tbl.Overwrite(ctx, rr, nil)
			rr.Release()
			require.NoError(t, err)
			assert.Equal(t, int64(3), res.Version)
			assert.Equal(t, "6", res.Metrics["numRemovedFiles"])
			assert.Equal(t, "150", res.Metrics["numDeletedRows"])
			assert.Equal(t, expectedRows(t, [3]int{500, 10, 2}), readRows(t, tbl))

			// Older versions stay readable.
			old, err := tbl.SnapshotAt(ctx, 1)
			require.NoError(t, err)
			assert.Equal(t, expectedRows(t, [3]int{0, 100, 3}), snapshotRows(t, old))
		})
	}
}

func TestCommitInfoAndLayout(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	dir := filepath.Join(t.TempDir(), "t")
	tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 10, 1)
	_, err = tbl.Append(ctx, rr, &TxnOptions{UserMetadata: "hello"})
	rr.Release()
	require.NoError(t, err)

	lines := commitLines(t, tbl, 0)
	var first map[string]map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	ci := first["commitInfo"]
	require.NotNil(t, ci, "commitInfo comes first")
	assert.Equal(t, "CREATE TABLE", ci["operation"])
	assert.Equal(t, `["day"]`, ci["operationParameters"].(map[string]any)["partitionBy"])
	assert.Equal(t, EngineInfo, ci["engineInfo"])
	assert.Contains(t, lines[1], `"protocol":{"minReaderVersion":1,"minWriterVersion":2}`)
	assert.Contains(t, lines[2], `"metaData":`)

	lines = commitLines(t, tbl, 1)
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	ci = first["commitInfo"]
	assert.Equal(t, "WRITE", ci["operation"])
	assert.Equal(t, map[string]any{"mode": "Append", "partitionBy": `["day"]`}, ci["operationParameters"])
	assert.Equal(t, true, ci["isBlindAppend"])
	assert.Equal(t, float64(0), ci["readVersion"])
	assert.Equal(t, "hello", ci["userMetadata"])
	require.Len(t, lines, 2)
	var add struct {
		Add struct {
			Path            string             `json:"path"`
			PartitionValues map[string]*string `json:"partitionValues"`
			Stats           string             `json:"stats"`
			DataChange      bool               `json:"dataChange"`
		} `json:"add"`
	}
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &add))
	assert.Regexp(t, `^day=d0/part-00000-[0-9a-f-]{36}-c000\.snappy\.parquet$`, add.Add.Path)
	assert.Equal(t, "d0", *add.Add.PartitionValues["day"])
	assert.True(t, add.Add.DataChange)
	assert.JSONEq(t, `{"numRecords":10,"minValues":{"id":0,"name":"name-0","score":0},"maxValues":{"id":9,"name":"name-9","score":4.5},"nullCount":{"id":0,"name":1,"score":0}}`, add.Add.Stats)
}

func TestIdempotentTxn(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	for i, want := range []bool{false, true, false} {
		version := []int64{1, 1, 2}[i]
		rr := eventsReader(t, mem, i*10, 10, 1)
		res, err := tbl.Append(ctx, rr, &TxnOptions{AppID: "job", AppVersion: version})
		rr.Release()
		require.NoError(t, err)
		assert.Equal(t, want, res.Skipped, "attempt %d", i)
	}
	assert.Equal(t, expectedRows(t, [3]int{0, 10, 1}, [3]int{20, 10, 1}), readRows(t, tbl))
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	v, ok := snap.TxnVersion("job")
	assert.True(t, ok)
	assert.Equal(t, int64(2), v)
}

func TestEnforcement(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)

	t.Run("not null", func(t *testing.T) {
		tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
		require.NoError(t, err)
		defer tbl.Close()
		loose := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
		b := array.NewRecordBuilder(mem, loose)
		b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 0}, []bool{true, false})
		rec := b.NewRecordBatch()
		b.Release()
		rr, _ := array.NewRecordReader(loose, []arrow.RecordBatch{rec})
		rec.Release()
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.ErrorIs(t, err, ErrConstraintViolation)
		assert.Contains(t, err.Error(), `NOT NULL column "id"`)
		assertNoDataFiles(t, tbl)
	})

	t.Run("append only", func(t *testing.T) {
		tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, Properties: map[string]string{"delta.appendOnly": "true"}})
		require.NoError(t, err)
		defer tbl.Close()
		rr := eventsReader(t, mem, 0, 5, 1)
		_, err = tbl.Overwrite(ctx, rr, nil)
		rr.Release()
		require.ErrorIs(t, err, ErrAppendOnly)
		rr = eventsReader(t, mem, 0, 5, 1)
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
	})

	t.Run("schema mismatch lists columns", func(t *testing.T) {
		tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
		require.NoError(t, err)
		defer tbl.Close()
		bad := arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "score", Type: arrow.BinaryTypes.String, Nullable: true},
			{Name: "extra", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		}, nil)
		b := array.NewRecordBuilder(mem, bad)
		b.Field(0).(*array.Int64Builder).Append(1)
		b.Field(1).(*array.StringBuilder).Append("x")
		b.Field(2).(*array.Int32Builder).Append(2)
		rec := b.NewRecordBatch()
		b.Release()
		txn, err := tbl.Begin(ctx, nil)
		require.NoError(t, err)
		defer txn.Rollback()
		err = txn.WriteBatch(ctx, rec)
		rec.Release()
		require.ErrorIs(t, err, ErrSchemaMismatch)
		assert.Contains(t, err.Error(), `"score"`)
		assert.Contains(t, err.Error(), `"extra"`)
	})

	t.Run("unsupported writer feature", func(t *testing.T) {
		tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
		require.NoError(t, err)
		defer tbl.Close()
		// Another engine upgraded the table to a feature we cannot write.
		line := `{"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["rowTracking","domainMetadata"]}}` + "\n"
		require.NoError(t, tbl.store.PutIfAbsent(ctx, "_delta_log/00000000000000000001.json", []byte(line)))
		_, err = tbl.Begin(ctx, nil)
		var ufe *UnsupportedFeatureError
		require.ErrorAs(t, err, &ufe)
		assert.Equal(t, "rowTracking", ufe.Feature)
		assert.True(t, ufe.Writer)
		assert.True(t, errors.Is(err, ErrUnsupportedFeature))
	})
}

func assertNoDataFiles(t *testing.T, tbl *Table) {
	t.Helper()
	for fi, err := range tbl.store.List(context.Background(), "") {
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(fi.Path, "_delta_log/"), "leftover file %s", fi.Path)
	}
}
