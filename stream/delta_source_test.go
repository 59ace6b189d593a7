package stream_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/stream"
)

func deleteWhere(t testing.TB, url, where string) {
	t.Helper()
	ctx := context.Background()
	tbl, err := delta.Open(ctx, url, nil)
	require.NoError(t, err)
	defer tbl.Close()
	e, err := expr.Parse(where)
	require.NoError(t, err)
	_, err = tbl.Delete(ctx, e, nil)
	require.NoError(t, err)
}

// Commits that remove rows: Spark fails the stream unless told to ignore
// pure deletes (ignoreDeletes) or skip such commits (skipChangeCommits).
func TestDeltaSourceChangeCommits(t *testing.T) {
	cases := []struct {
		name    string
		where   string // the DELETE between appends
		opts    stream.DeltaSourceOptions
		wantErr error
		want    []string
	}{
		{"delete fails by default", "id <= 2", stream.DeltaSourceOptions{}, stream.ErrChangeCommit, nil},
		{"whole-file delete ignored", "id <= 2", stream.DeltaSourceOptions{IgnoreDeletes: true}, nil, []string{`{"id":1,"name":"n1"}`, `{"id":10,"name":"n10"}`, `{"id":2,"name":"n2"}`}},
		{"rewrite fails with ignoreDeletes", "id = 1", stream.DeltaSourceOptions{IgnoreDeletes: true}, stream.ErrChangeCommit, nil},
		{"rewrite skipped", "id = 1", stream.DeltaSourceOptions{SkipChangeCommits: true}, nil, []string{`{"id":1,"name":"n1"}`, `{"id":10,"name":"n10"}`, `{"id":2,"name":"n2"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			src := sourceTable(t, dir, seq(1, 2))
			deleteWhere(t, src, tc.where)
			appendRows(t, src, 10)
			col := &collector{}
			v := int64(0)
			tc.opts.StartingVersion = &v
			err := runToEnd(t, stream.From(stream.NewDeltaSource(src, &tc.opts)), col.sink(),
				&stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem})
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, col.all())
		})
	}
}

func TestDeltaSourceChangeFeed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	rr := rowsOf(t, memory.DefaultAllocator, 1, 2)
	tbl, _, err := delta.CreateAsSelect(ctx, src, rr, &delta.CreateOptions{Properties: map[string]string{"delta.enableChangeDataFeed": "true"}})
	rr.Release()
	require.NoError(t, err)
	require.NoError(t, tbl.Close())
	ck := filepath.Join(dir, "ck")
	col := &collector{}
	run := func() {
		require.NoError(t, runToEnd(t, stream.From(stream.NewDeltaSource(src, &stream.DeltaSourceOptions{ReadChangeFeed: true})).
			Select("id", "_change_type", "_commit_version"), col.sink(),
			&stream.Options{Checkpoint: ck, Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem}))
	}
	run() // the initial snapshot, as inserts
	appendRows(t, src, 3)
	deleteWhere(t, src, "id = 1")
	run()
	require.Len(t, col.batches, 2)
	assert.Equal(t, []string{
		`{"_change_type":"insert","_commit_version":0,"id":1}`,
		`{"_change_type":"insert","_commit_version":0,"id":2}`,
	}, col.batches[0])
	assert.Equal(t, []string{
		`{"_change_type":"delete","_commit_version":2,"id":1}`,
		`{"_change_type":"insert","_commit_version":1,"id":3}`,
	}, col.batches[1])
}

// Select, Filter and Map run in order over each batch; Complete mode
// overwrites the sink table with each batch.
func TestTransformationsAndOutputModes(t *testing.T) {
	cases := []struct {
		name string
		mode stream.OutputMode
		want []int64
	}{
		{"append", stream.Append, []int64{20, 40, 60, 80}},
		{"complete", stream.Complete, []int64{60, 80}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			src := sourceTable(t, dir, seq(1, 2), seq(3, 4))
			out := filepath.Join(dir, "out")
			sink := stream.NewDeltaSink(out, nil)
			defer sink.Close()
			var mapped int64
			p := stream.From(stream.NewDeltaSource(src, &stream.DeltaSourceOptions{MaxFilesPerTrigger: 1})).
				Filter("id > 0 AND name IS NOT NULL").
				Select("id * 10 AS id", "upper(name) AS name").
				Map(func(_ context.Context, in arrowRecord) (arrowRecord, error) {
					mapped += in.NumRows()
					in.Retain()
					return in, nil
				}).
				Select("id * 2 AS doubled")
			require.NoError(t, runToEnd(t, p, sink, &stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), OutputMode: tc.mode, Logger: quiet, Allocator: mem}))
			assert.Equal(t, tc.want, tableInts(t, out, "doubled"))
			assert.Equal(t, int64(4), mapped)
		})
	}
}

func TestBadSQLIsRefusedAtStart(t *testing.T) {
	cases := []struct {
		name string
		p    *stream.Pipeline
	}{
		{"filter", stream.From(stream.NewDeltaSource("x", nil)).Filter("id >")},
		{"select", stream.From(stream.NewDeltaSource("x", nil)).Select("(")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.p.Start(context.Background(), stream.NewDeltaSink("y", nil), &stream.Options{Checkpoint: t.TempDir()})
			require.ErrorIs(t, err, stream.ErrInvalidArgument)
		})
	}
}

func TestDeltaSourceStartingPoint(t *testing.T) {
	dir := t.TempDir()
	src := sourceTable(t, dir, seq(1, 2), seq(3, 4), seq(5, 6))
	ctx := context.Background()
	tbl, err := delta.Open(ctx, src, nil)
	require.NoError(t, err)
	ts1, err := tbl.CommitTimestamp(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, tbl.Close())
	v2 := int64(2)
	cases := []struct {
		name string
		opts stream.DeltaSourceOptions
		want []string
	}{
		{"initial snapshot", stream.DeltaSourceOptions{}, []string{`{"id":1,"name":"n1"}`, `{"id":2,"name":"n2"}`, `{"id":3,"name":"n3"}`, `{"id":4,"name":"n4"}`, `{"id":5,"name":"n5"}`, `{"id":6,"name":"n6"}`}},
		{"starting version", stream.DeltaSourceOptions{StartingVersion: &v2}, []string{`{"id":5,"name":"n5"}`, `{"id":6,"name":"n6"}`}},
		{"starting timestamp", stream.DeltaSourceOptions{StartingTimestamp: ts1}, []string{`{"id":3,"name":"n3"}`, `{"id":4,"name":"n4"}`, `{"id":5,"name":"n5"}`, `{"id":6,"name":"n6"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			col := &collector{}
			require.NoError(t, runToEnd(t, stream.From(stream.NewDeltaSource(src, &tc.opts)), col.sink(),
				&stream.Options{Checkpoint: t.TempDir(), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem}))
			assert.Equal(t, tc.want, col.all())
		})
	}
}

// A stream–static join re-reads the static Delta table for every batch.
func TestJoinStatic(t *testing.T) {
	cases := []struct {
		name string
		how  stream.JoinType
		want []string
	}{
		{"inner", stream.InnerJoin, []string{`{"id":1,"name":"n1","tier":"gold"}`, `{"id":3,"name":"n3","tier":"silver"}`}},
		{"left outer", stream.LeftOuterJoin, []string{`{"id":1,"name":"n1","tier":"gold"}`, `{"id":2,"name":"n2"}`, `{"id":3,"name":"n3","tier":"silver"}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			src := sourceTable(t, dir, seq(1, 2))
			dim := filepath.Join(dir, "dim")
			writeDim := func(ids []int64, tiers []string) {
				b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "tier", Type: arrow.BinaryTypes.String, Nullable: true}}, nil))
				defer b.Release()
				b.Field(0).(*array.Int64Builder).AppendValues(ids, nil)
				b.Field(1).(*array.StringBuilder).AppendValues(tiers, nil)
				rec := b.NewRecordBatch()
				defer rec.Release()
				rr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
				require.NoError(t, err)
				defer rr.Release()
				tbl, _, err := delta.CreateOrReplaceAsSelect(context.Background(), dim, rr, nil)
				require.NoError(t, err)
				require.NoError(t, tbl.Close())
			}
			writeDim([]int64{1}, []string{"gold"})
			col := &collector{}
			run := func() {
				p := stream.From(stream.NewDeltaSource(src, nil)).JoinStatic(stream.StaticDelta(dim, nil), []string{"id"}, tc.how)
				require.NoError(t, runToEnd(t, p, col.sink(), &stream.Options{Checkpoint: filepath.Join(dir, "ck"), Trigger: stream.AvailableNow(), Logger: quiet, Allocator: mem}))
			}
			run()
			writeDim([]int64{1, 3}, []string{"gold", "silver"})
			appendRows(t, src, 3)
			run() // the new batch sees the replaced static table
			assert.Equal(t, tc.want, col.all())
		})
	}
}
