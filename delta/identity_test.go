package delta

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// identitySchema has an identity column id and a data column v.
func identitySchema(start, step int64, explicit bool) *arrow.Schema {
	md := arrow.NewMetadata(
		[]string{MetaIdentityStart, MetaIdentityStep, MetaIdentityAllowExplicit},
		[]string{fmt.Sprint(start), fmt.Sprint(step), fmt.Sprint(explicit)})
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true, Metadata: md},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
}

// valuesOnly is a batch of the v column alone: the writer adds id.
func valuesOnly(t *testing.T, mem memory.Allocator, vs ...string) array.RecordReader {
	t.Helper()
	s := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues(vs, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(s, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	return rr
}

// withIDs is a batch giving both columns; a nil id is NULL.
func withIDs(t *testing.T, mem memory.Allocator, ids []*int64, vs []string) array.RecordReader {
	t.Helper()
	s := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "v", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBuilder(mem, s)
	defer b.Release()
	for i := range ids {
		if ids[i] == nil {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.Int64Builder).Append(*ids[i])
		}
		b.Field(1).(*array.StringBuilder).Append(vs[i])
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(s, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	return rr
}

func idsOf(t *testing.T, tbl *Table) []string {
	t.Helper()
	var out []string
	for _, r := range readRows(t, tbl) {
		out = append(out, r)
	}
	return out
}

func TestIdentityColumns(t *testing.T) {
	tests := []struct {
		name        string
		start, step int64
		want        []int64 // ids of the 3 + 2 appended rows, in order
		wantMark    int64
	}{
		{"from 1 by 1", 1, 1, []int64{1, 2, 3, 4, 5}, 5},
		{"from 100 by 10", 100, 10, []int64{100, 110, 120, 130, 140}, 140},
		{"down from 0", 0, -3, []int64{0, -3, -6, -9, -12}, -12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mem := newCheckedAllocator(t)
			tbl, err := Create(ctx, t.TempDir(), identitySchema(tc.start, tc.step, false), &CreateOptions{Table: &Options{Allocator: mem}})
			require.NoError(t, err)
			defer tbl.Close()
			for _, vs := range [][]string{{"a", "b", "c"}, {"d", "e"}} {
				rr := valuesOnly(t, mem, vs...)
				_, err := tbl.Append(ctx, rr, nil)
				rr.Release()
				require.NoError(t, err)
			}
			var want []string
			for i, id := range tc.want {
				want = append(want, fmt.Sprintf("{id: %d, v: %s}", id, string(rune('a'+i))))
			}
			assert.ElementsMatch(t, want, idsOf(t, tbl))
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			f, _ := snap.schema.Field("id")
			assert.Equal(t, fmt.Sprint(tc.wantMark), string(f.Metadata[MetaIdentityHighWaterMark]))
			assert.True(t, snap.state.Protocol.SupportsFeature("identityColumns"))
		})
	}
}

func TestIdentityRules(t *testing.T) {
	ctx := context.Background()
	i64 := func(v int64) *int64 { return &v }

	t.Run("values for GENERATED ALWAYS are refused, table unchanged", func(t *testing.T) {
		mem := newCheckedAllocator(t)
		dir := t.TempDir()
		tbl, err := Create(ctx, dir, identitySchema(1, 1, false), &CreateOptions{Table: &Options{Allocator: mem}})
		require.NoError(t, err)
		defer tbl.Close()
		logBefore, filesBefore := logListing(t, dir), dataFiles(t, dir)
		rr := withIDs(t, mem, []*int64{i64(7)}, []string{"x"})
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.ErrorIs(t, err, ErrInvalidArgument)
		assert.Contains(t, err.Error(), "GENERATED ALWAYS AS IDENTITY")
		assert.Equal(t, logBefore, logListing(t, dir))
		assert.Equal(t, filesBefore, dataFiles(t, dir))

		rr = valuesOnly(t, mem, "a")
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
		_, err = tbl.Update(ctx, map[string]expr.Expr{"id": expr.Lit(int64(9))}, nil, nil)
		require.ErrorIs(t, err, ErrInvalidArgument)
	})

	t.Run("BY DEFAULT keeps given values and generates NULLs", func(t *testing.T) {
		mem := newCheckedAllocator(t)
		tbl, err := Create(ctx, t.TempDir(), identitySchema(1, 1, true), &CreateOptions{Table: &Options{Allocator: mem}})
		require.NoError(t, err)
		defer tbl.Close()
		rr := withIDs(t, mem, []*int64{i64(50), nil, nil}, []string{"a", "b", "c"})
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"{id: 50, v: a}", "{id: 1, v: b}", "{id: 2, v: c}"}, idsOf(t, tbl))
	})

	t.Run("UPDATE keeps identity values, MERGE inserts get new ones", func(t *testing.T) {
		mem := newCheckedAllocator(t)
		tbl, err := Create(ctx, t.TempDir(), identitySchema(1, 1, false), &CreateOptions{Table: &Options{Allocator: mem},
			Properties: map[string]string{"delta.enableDeletionVectors": "true"}})
		require.NoError(t, err)
		defer tbl.Close()
		rr := valuesOnly(t, mem, "a", "b")
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.NoError(t, err)
		_, err = tbl.Update(ctx, map[string]expr.Expr{"v": expr.Lit("B")}, expr.Col("v").Eq(expr.Lit("b")), nil)
		require.NoError(t, err)
		src := withIDs(t, mem, []*int64{i64(1), i64(999)}, []string{"A", "new"})
		defer src.Release()
		on, err := expr.Parse("target.id = source.id")
		require.NoError(t, err)
		_, err = tbl.Merge(ctx, src, on, &MergeOptions{
			WhenMatched:    []WhenMatched{{UpdateAll: true}},
			WhenNotMatched: []WhenNotMatched{{InsertAll: true}},
		})
		require.NoError(t, err)
		assert.ElementsMatch(t, []string{"{id: 1, v: A}", "{id: 2, v: B}", "{id: 3, v: new}"}, idsOf(t, tbl))
	})

	t.Run("overflow is an error", func(t *testing.T) {
		mem := newCheckedAllocator(t)
		tbl, err := Create(ctx, t.TempDir(), identitySchema(math.MaxInt64-1, 1, false), &CreateOptions{Table: &Options{Allocator: mem}})
		require.NoError(t, err)
		defer tbl.Close()
		rr := valuesOnly(t, mem, "a", "b", "c")
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		require.ErrorIs(t, err, ErrConstraintViolation)
		assert.True(t, strings.Contains(err.Error(), "overflows"))
	})

	t.Run("concurrent writers never share a value", func(t *testing.T) {
		mem := newCheckedAllocator(t)
		tbl, err := Create(ctx, t.TempDir(), identitySchema(1, 1, false), &CreateOptions{Table: &Options{Allocator: mem}})
		require.NoError(t, err)
		defer tbl.Close()
		a, err := tbl.Begin(ctx, nil)
		require.NoError(t, err)
		defer a.Rollback()
		b, err := tbl.Begin(ctx, nil)
		require.NoError(t, err)
		defer b.Rollback()
		for _, x := range []*Transaction{a, b} {
			rr := valuesOnly(t, mem, "row")
			require.NoError(t, x.Write(ctx, rr))
			rr.Release()
		}
		_, err = a.Commit(ctx)
		require.NoError(t, err)
		_, err = b.Commit(ctx)
		require.ErrorIs(t, err, ErrConflict, "both generated id 1: the second must not commit")
		assert.Equal(t, []string{"{id: 1, v: row}"}, idsOf(t, tbl))
	})
}
