package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMinimalProtocol(t *testing.T) {
	ts := arrow.Field{Name: "t", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true} // no zone: timestamp_ntz
	base := []arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}
	gen := arrow.Field{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: arrow.NewMetadata([]string{"delta.generationExpression"}, []string{"id * 2"})}
	tests := []struct {
		name   string
		fields []arrow.Field
		props  map[string]string
		cons   map[string]string
		want   Protocol
	}{
		{name: "plain", want: Protocol{MinReaderVersion: 1, MinWriterVersion: 2}},
		{name: "append only", props: map[string]string{"delta.appendOnly": "true"}, want: Protocol{MinReaderVersion: 1, MinWriterVersion: 2}},
		{name: "check constraint", cons: map[string]string{"pos": "id > 0"}, want: Protocol{MinReaderVersion: 1, MinWriterVersion: 3}},
		{name: "cdf", props: map[string]string{"delta.enableChangeDataFeed": "true"}, want: Protocol{MinReaderVersion: 1, MinWriterVersion: 4}},
		{name: "generated", fields: []arrow.Field{gen}, want: Protocol{MinReaderVersion: 1, MinWriterVersion: 4}},
		{name: "column mapping", props: map[string]string{"delta.columnMapping.mode": "name"}, want: Protocol{MinReaderVersion: 2, MinWriterVersion: 5}},
		{name: "deletion vectors", props: map[string]string{"delta.enableDeletionVectors": "true"},
			want: Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"deletionVectors"}, WriterFeatures: []string{"deletionVectors"}}},
		{name: "timestamp ntz", fields: []arrow.Field{ts},
			want: Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"timestampNtz"}, WriterFeatures: []string{"timestampNtz"}}},
		{name: "in-commit timestamps", props: map[string]string{"delta.enableInCommitTimestamps": "true"},
			want: Protocol{MinReaderVersion: 1, MinWriterVersion: 7, WriterFeatures: []string{"inCommitTimestamp"}}},
		{name: "v2 checkpoints and cdf", props: map[string]string{"delta.checkpointPolicy": "v2", "delta.enableChangeDataFeed": "true"},
			want: Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"v2Checkpoint"}, WriterFeatures: []string{"changeDataFeed", "v2Checkpoint"}}},
		{name: "mapping and dv", props: map[string]string{"delta.columnMapping.mode": "name", "delta.enableDeletionVectors": "true"},
			want: Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"columnMapping", "deletionVectors"}, WriterFeatures: []string{"columnMapping", "deletionVectors"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			schema := arrow.NewSchema(append(append([]arrow.Field(nil), base...), tc.fields...), nil)
			tbl, err := Create(ctx, "mem://", schema, &CreateOptions{Properties: tc.props, Constraints: tc.cons})
			require.NoError(t, err)
			defer tbl.Close()
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			assert.Equal(t, tc.want, snap.Protocol())
		})
	}
	_, err := Create(context.Background(), "mem://", arrow.NewSchema(base, nil), &CreateOptions{Properties: map[string]string{"delta.enableRowTracking": "true"}})
	require.ErrorIs(t, err, ErrUnsupportedFeature)
}

func TestCreateExistingAndReplace(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	dir := t.TempDir() + "/t"
	tbl, err := Create(ctx, dir, eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	rr := eventsReader(t, mem, 0, 10, 1)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	require.NoError(t, tbl.Close())

	_, err = Create(ctx, dir, eventsSchema, nil)
	require.ErrorIs(t, err, ErrTableExists)

	rr = eventsReader(t, mem, 50, 5, 1)
	tbl, res, err := CreateOrReplaceAsSelect(ctx, dir, rr, &CreateOptions{Table: &Options{Allocator: mem}, Properties: map[string]string{"delta.enableChangeDataFeed": "true"}})
	rr.Release()
	require.NoError(t, err)
	defer tbl.Close()
	assert.Equal(t, int64(2), res.Version)
	assert.Equal(t, "CREATE OR REPLACE TABLE AS SELECT", res.Operation)
	assert.Equal(t, expectedRows(t, [3]int{50, 5, 1}), readRows(t, tbl))
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, int32(4), snap.Protocol().MinWriterVersion)
}

func TestReplaceWhereAndPartitionOverwrite(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, PartitionBy: []string{"day"}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 30, 3) // days d0, d1, d2
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)

	// replaceWhere: rows outside the predicate are refused.
	rr = eventsReader(t, mem, 100, 4, 2) // d0 and d1
	_, err = tbl.Overwrite(ctx, rr, &TxnOptions{ReplaceWhere: "day = 'd1'"})
	rr.Release()
	require.ErrorIs(t, err, ErrConstraintViolation)

	rr = eventsReader(t, mem, 101, 1, 2) // 101 % 2 = 1 -> d1
	res, err := tbl.Overwrite(ctx, rr, &TxnOptions{ReplaceWhere: "day = 'd1'"})
	rr.Release()
	require.NoError(t, err)
	var want []string
	for _, r := range expectedRows(t, [3]int{0, 30, 3}) {
		if !strings.HasSuffix(r, "day: d1}") {
			want = append(want, r)
		}
	}
	want = append(want, expectedRows(t, [3]int{101, 1, 2})...)
	assert.ElementsMatch(t, want, readRows(t, tbl))
	lines := commitLines(t, tbl, res.Version)
	assert.Contains(t, lines[0], `"predicate":"[\"day = 'd1'\"]"`)

	// Dynamic partition overwrite: only d0 is replaced.
	rr = eventsReader(t, mem, 200, 1, 1) // d0
	_, err = tbl.Overwrite(ctx, rr, &TxnOptions{PartitionOverwrite: true})
	rr.Release()
	require.NoError(t, err)
	want = want[:0]
	for _, r := range expectedRows(t, [3]int{0, 30, 3}) {
		if strings.HasSuffix(r, "day: d2}") {
			want = append(want, r)
		}
	}
	want = append(want, expectedRows(t, [3]int{101, 1, 2}, [3]int{200, 1, 1})...)
	assert.ElementsMatch(t, want, readRows(t, tbl))

	_, err = tbl.Overwrite(ctx, nil, &TxnOptions{ReplaceWhere: "nosuchcolumn > 1"})
	require.ErrorIs(t, err, ErrInvalidArgument)

	// A predicate on data columns: matching rows are replaced, the other
	// rows of the touched files are copied.
	rr = eventsReader(t, mem, 999, 1, 1)
	res, err = tbl.Overwrite(ctx, rr, &TxnOptions{ReplaceWhere: "id < 10 OR id = 999"})
	rr.Release()
	require.NoError(t, err)
	var kept []string
	for _, r := range want {
		var id int
		_, err := fmt.Sscanf(r, "{id: %d,", &id)
		require.NoError(t, err)
		if id >= 10 && id != 999 {
			kept = append(kept, r)
		}
	}
	kept = append(kept, expectedRows(t, [3]int{999, 1, 1})...)
	assert.ElementsMatch(t, kept, readRows(t, tbl))
	// Only files that held matching rows are rewritten: the written row
	// plus the copies of their other rows.
	out, _ := strconv.Atoi(res.Metrics["numOutputRows"])
	copied, _ := strconv.Atoi(res.Metrics["numCopiedRows"])
	assert.Equal(t, 1, out-copied, "numOutputRows = the written row + numCopiedRows")
	assert.Less(t, copied, len(kept)-1, "files without matching rows are not rewritten")
}

func TestMergeAndOverwriteSchema(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	wide := arrow.NewSchema([]arrow.Field{
		{Name: "ID", Type: arrow.PrimitiveTypes.Int32}, // narrower type, other case: widened
		{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, wide)
	b.Field(0).(*array.Int32Builder).AppendValues([]int32{7, 8}, nil)
	b.Field(1).(*array.StringBuilder).AppendValues([]string{"x", "y"}, nil)
	rec := b.NewRecordBatch()
	b.Release()
	defer rec.Release()

	txn, err := tbl.Begin(ctx, nil)
	require.NoError(t, err)
	err = txn.WriteBatch(ctx, rec)
	require.ErrorIs(t, err, ErrSchemaMismatch)
	assert.Contains(t, err.Error(), `"extra"`)
	require.NoError(t, txn.Rollback())

	txn, err = tbl.Begin(ctx, &TxnOptions{MergeSchema: true})
	require.NoError(t, err)
	require.NoError(t, txn.WriteBatch(ctx, rec))
	_, err = txn.Commit(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"{id: 7, name: null, score: null, day: null, extra: x}",
		"{id: 8, name: null, score: null, day: null, extra: y}",
	}, readRows(t, tbl))

	txn, err = tbl.Begin(ctx, &TxnOptions{Mode: Overwrite, OverwriteSchema: true})
	require.NoError(t, err)
	require.NoError(t, txn.WriteBatch(ctx, rec))
	_, err = txn.Commit(ctx)
	require.NoError(t, err)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, snap.Schema().NumFields())
	assert.Equal(t, []string{"{ID: 7, extra: x}", "{ID: 8, extra: y}"}, readRows(t, tbl))
}

func TestCheckConstraintsAndGeneratedColumns(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "twice", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: arrow.NewMetadata([]string{"delta.generationExpression"}, []string{"id * 2"})},
	}, nil)
	tbl, err := Create(ctx, "mem://", schema, &CreateOptions{Table: &Options{Allocator: mem}, Constraints: map[string]string{"positive": "id > 0"}})
	require.NoError(t, err)
	defer tbl.Close()
	write := func(ids ...int64) error {
		s := arrow.NewSchema(schema.Fields()[:1], nil)
		b := array.NewRecordBuilder(mem, s)
		b.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
		rec := b.NewRecordBatch()
		b.Release()
		defer rec.Release()
		txn, err := tbl.Begin(ctx, nil)
		if err != nil {
			return err
		}
		defer txn.Rollback()
		if err := txn.WriteBatch(ctx, rec); err != nil {
			return err
		}
		_, err = txn.Commit(ctx)
		return err
	}
	require.NoError(t, write(1, 2))
	err = write(3, -1)
	require.ErrorIs(t, err, ErrConstraintViolation)
	assert.Contains(t, err.Error(), "positive")
	assert.Equal(t, []string{"{id: 1, twice: 2}", "{id: 2, twice: 4}"}, readRows(t, tbl))

	// A supplied generated value must match the expression.
	b := array.NewRecordBuilder(mem, schema)
	b.Field(0).(*array.Int64Builder).Append(5)
	b.Field(1).(*array.Int64Builder).Append(11)
	rec := b.NewRecordBatch()
	b.Release()
	txn, err := tbl.Begin(ctx, nil)
	require.NoError(t, err)
	err = txn.WriteBatch(ctx, rec)
	rec.Release()
	require.ErrorIs(t, err, ErrConstraintViolation)
	require.NoError(t, txn.Rollback())

	// Constraints added later are checked against existing rows.
	_, err = tbl.AddConstraint(ctx, "small", "id < 2", nil)
	require.ErrorIs(t, err, ErrConstraintViolation)
	res, err := tbl.AddConstraint(ctx, "small", "id < 100", nil)
	require.NoError(t, err)
	assert.Equal(t, "ADD CONSTRAINT", res.Operation)
	require.ErrorIs(t, write(200), ErrConstraintViolation)
	_, err = tbl.DropConstraint(ctx, "small", nil)
	require.NoError(t, err)
	require.NoError(t, write(200))
}

func TestTableChanges(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer tbl.Close()
	rr := eventsReader(t, mem, 0, 3, 1)
	_, err = tbl.Append(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)

	res, err := tbl.SetProperties(ctx, map[string]string{"owner": "me", "delta.enableChangeDataFeed": "true"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "SET TBLPROPERTIES", res.Operation)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, "me", snap.Properties()["owner"])
	assert.Equal(t, int32(4), snap.Protocol().MinWriterVersion)

	_, err = tbl.UnsetProperties(ctx, []string{"owner"}, nil)
	require.NoError(t, err)

	_, err = tbl.RenameColumn(ctx, "name", "label", nil)
	require.ErrorIs(t, err, ErrInvalidArgument) // needs column mapping

	_, err = tbl.SetProperties(ctx, map[string]string{"delta.columnMapping.mode": "name"}, nil)
	require.NoError(t, err)
	_, err = tbl.RenameColumn(ctx, "name", "label", nil)
	require.NoError(t, err)
	_, err = tbl.DropColumns(ctx, []string{"score"}, nil)
	require.NoError(t, err)
	_, err = tbl.AddColumns(ctx, []arrow.Field{{Name: "note", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	require.NoError(t, err)
	_, err = tbl.SetColumnComment(ctx, "label", "the label", nil)
	require.NoError(t, err)

	// New rows go to physical names; old files read through the mapping.
	s2 := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "label", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "note", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, s2)
	b.Field(0).(*array.Int64Builder).Append(9)
	b.Field(1).(*array.StringBuilder).Append("nine")
	b.Field(2).(*array.StringBuilder).Append("n")
	rec := b.NewRecordBatch()
	b.Release()
	rr2, _ := array.NewRecordReader(s2, []arrow.RecordBatch{rec})
	rec.Release()
	_, err = tbl.Append(ctx, rr2, nil)
	rr2.Release()
	require.NoError(t, err)
	assert.Equal(t, []string{
		"{id: 0, label: name-0, day: d0, note: null}",
		"{id: 1, label: name-1, day: d0, note: null}",
		"{id: 2, label: name-2, day: d0, note: null}",
		"{id: 9, label: nine, day: null, note: n}",
	}, readRows(t, tbl))
	snap, err = tbl.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, "name", snap.ColumnMapping())
	f, _ := snap.Schema().FieldsByName("label")
	require.Len(t, f, 1)
	c, _ := f[0].Metadata.GetValue("comment")
	assert.Equal(t, "the label", c)
	h, err := tbl.History(ctx, nil)
	require.NoError(t, err)
	var ops []string
	for _, e := range h {
		ops = append(ops, e.Operation())
	}
	assert.Equal(t, []string{"WRITE", "CHANGE COLUMN", "ADD COLUMNS", "DROP COLUMNS", "RENAME COLUMN", "SET TBLPROPERTIES", "UNSET TBLPROPERTIES", "SET TBLPROPERTIES", "WRITE", "CREATE TABLE"}, ops)
}

func TestInCommitTimestamps(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, err := Create(ctx, "mem://", eventsSchema, &CreateOptions{Table: &Options{Allocator: mem}, Properties: map[string]string{"delta.enableInCommitTimestamps": "true"}})
	require.NoError(t, err)
	defer tbl.Close()
	var last time.Time
	for i := 0; i < 3; i++ {
		rr := eventsReader(t, mem, i, 1, 1)
		res, err := tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
		ci, ok := mustSnapshot(t, tbl).CommitInfo()
		require.True(t, ok)
		ict, ok := ci.InCommitTimestamp()
		require.True(t, ok)
		assert.True(t, ict.After(last))
		assert.Equal(t, res.Timestamp, ict)
		last = ict
		var first map[string]map[string]any
		require.NoError(t, json.Unmarshal([]byte(commitLines(t, tbl, res.Version)[0]), &first))
		assert.Contains(t, first["commitInfo"], "inCommitTimestamp")
	}
}

func mustSnapshot(t *testing.T, tbl *Table) *Snapshot {
	s, err := tbl.Snapshot(context.Background())
	require.NoError(t, err)
	return s
}

var _ = memory.DefaultAllocator
