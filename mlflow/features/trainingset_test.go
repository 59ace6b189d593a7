package features

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

var tsType = arrow.FixedWidthTypes.Timestamp_us

// featRow is one row of the time-series test table.
type featRow struct {
	id   int64
	ts   int64 // micros
	f1   *float64
	f2   string
	size int32
}

type labelRow struct {
	id   *int64
	ts   *int64
	cust *string
	y    float64
}

func ptr[T any](v T) *T { return &v }

func featSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "ts", Type: tsType, Nullable: true},
		{Name: "f1", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "f2", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
}

func featRecords(mem memory.Allocator, rows []featRow) array.RecordReader {
	b := array.NewRecordBuilder(mem, featSchema())
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.Int64Builder).Append(r.id)
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(r.ts))
		if r.f1 == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Float64Builder).Append(*r.f1)
		}
		b.Field(3).(*array.StringBuilder).Append(r.f2)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, _ := array.NewRecordReader(featSchema(), []arrow.RecordBatch{rec})
	return rr
}

func custSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "cust", Type: arrow.BinaryTypes.String},
		{Name: "size", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	}, nil)
}

func labelSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "event_ts", Type: tsType, Nullable: true},
		{Name: "customer", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "y", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
}

// labelRecords splits rows into batches of batch rows.
func labelRecords(mem memory.Allocator, rows []labelRow, batch int) array.RecordReader {
	b := array.NewRecordBuilder(mem, labelSchema())
	defer b.Release()
	var recs []arrow.RecordBatch
	for i, r := range rows {
		if r.id == nil {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.Int64Builder).Append(*r.id)
		}
		if r.ts == nil {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(*r.ts))
		}
		if r.cust == nil {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.StringBuilder).Append(*r.cust)
		}
		b.Field(3).(*array.Float64Builder).Append(r.y)
		if (i+1)%batch == 0 || i == len(rows)-1 {
			recs = append(recs, b.NewRecordBatch())
		}
	}
	rr, _ := array.NewRecordReader(labelSchema(), recs)
	for _, r := range recs {
		r.Release()
	}
	return rr
}

// expected is the brute-force point-in-time answer for one label row.
func pitOracle(table map[[2]int64]featRow, l labelRow, lookback int64) *featRow {
	if l.id == nil || l.ts == nil {
		return nil
	}
	var best *featRow
	for _, r := range table {
		if r.id != *l.id || r.ts > *l.ts || (lookback > 0 && *l.ts-r.ts > lookback) {
			continue
		}
		if best == nil || r.ts > best.ts {
			best = &r
		}
	}
	return best
}

func TestTrainingSetPointInTimeMatchesOracle(t *testing.T) {
	cases := []struct {
		name                string
		seed                uint64
		keys, feats, labels int
		maxMemory           int64
		batch               int
		lookback            time.Duration
		wantSpill           bool
	}{
		{name: "in memory", seed: 1, keys: 20, feats: 300, labels: 400, maxMemory: 64 << 20, batch: 64, lookback: 0},
		{name: "spill with lookback", seed: 2, keys: 30, feats: 2000, labels: 1500, maxMemory: 16 << 10, batch: 50, lookback: 40 * time.Second, wantSpill: true},
		{name: "spill tiny batches", seed: 3, keys: 5, feats: 500, labels: 700, maxMemory: 2 << 10, batch: 7, lookback: 10 * time.Second, wantSpill: true},
		{name: "no feature rows for most keys", seed: 4, keys: 200, feats: 50, labels: 300, maxMemory: 4 << 10, batch: 33, lookback: 0, wantSpill: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(tc.seed, 99))
			dir := t.TempDir()
			topts := &delta.Options{Allocator: mem, NoSync: true}

			ft, err := CreateFeatureTable(ctx, filepath.Join(dir, "events"), featSchema(), &FeatureTableOptions{
				PrimaryKeys: []string{"id"}, TimestampKey: "ts", Table: topts,
			})
			require.NoError(t, err)
			defer ft.Close()
			cust, err := CreateFeatureTable(ctx, filepath.Join(dir, "customers"), custSchema(), &FeatureTableOptions{PrimaryKeys: []string{"cust"}, Table: topts})
			require.NoError(t, err)
			defer cust.Close()

			// Two writes: the second re-writes some (id, ts) rows with new
			// values (late corrections) and adds new ones.
			state := map[[2]int64]featRow{}
			for w := range 2 {
				batch := map[[2]int64]featRow{}
				for range tc.feats / 2 {
					r := featRow{id: rng.Int64N(int64(tc.keys)), ts: rng.Int64N(100) * 1_000_000, f2: fmt.Sprintf("w%d-%d", w, rng.IntN(1000))}
					if rng.IntN(5) > 0 {
						r.f1 = ptr(float64(rng.IntN(1000)) / 10)
					}
					batch[[2]int64{r.id, r.ts}] = r
				}
				rows := make([]featRow, 0, len(batch))
				for k, r := range batch {
					rows = append(rows, r)
					state[k] = r
				}
				rr := featRecords(mem, rows)
				_, err := WriteFeatures(ctx, ft, rr, MergeMode)
				rr.Release()
				require.NoError(t, err)
			}
			custState := map[string]*int32{}
			{
				b := array.NewRecordBuilder(mem, custSchema())
				for i := range tc.keys / 2 {
					name := fmt.Sprintf("c%d", i)
					b.Field(0).(*array.StringBuilder).Append(name)
					if i%4 == 3 {
						b.Field(1).AppendNull()
						custState[name] = nil
					} else {
						b.Field(1).(*array.Int32Builder).Append(int32(i * 10))
						custState[name] = ptr(int32(i * 10))
					}
				}
				rec := b.NewRecordBatch()
				b.Release()
				rr, _ := array.NewRecordReader(custSchema(), []arrow.RecordBatch{rec})
				rec.Release()
				_, err := WriteFeatures(ctx, cust, rr, MergeMode)
				rr.Release()
				require.NoError(t, err)
			}

			labels := make([]labelRow, tc.labels)
			for i := range labels {
				l := labelRow{y: float64(i)}
				if rng.IntN(20) > 0 {
					l.id = ptr(rng.Int64N(int64(tc.keys) + 3)) // some keys have no features
				}
				if rng.IntN(20) > 0 {
					l.ts = ptr(rng.Int64N(110) * 1_000_000) // ties with feature times
				}
				if rng.IntN(10) > 0 {
					l.cust = ptr(fmt.Sprintf("c%d", rng.IntN(tc.keys)))
				}
				labels[i] = l
			}
			lr := labelRecords(mem, labels, tc.batch)
			defer lr.Release()
			set, err := CreateTrainingSet(ctx, lr, []FeatureLookup{
				{Table: ft, LookupKey: []string{"id"}, TimestampLookupKey: "event_ts", Lookback: tc.lookback,
					DefaultValues: map[string]any{"f1": -1.0}},
				{Table: ft, FeatureNames: []string{"f1"}, LookupKey: []string{"id"}, TimestampLookupKey: "event_ts",
					Rename: map[string]string{"f1": "f1_any_age"}},
				{Table: cust, LookupKey: []string{"customer"}, DefaultValues: map[string]any{"size": 7}},
			}, &TrainingSetOptions{MaxMemory: tc.maxMemory, SpillDir: dir, BatchSize: tc.batch, Allocator: mem, ExcludeColumns: []string{"f2_unused"}, Label: []string{"y"}})
			require.NoError(t, err)
			assert.Equal(t, map[string]int64{ft.Name(): 2, cust.Name(): 1}, set.Versions())
			names := []string{}
			for _, f := range set.Schema().Fields() {
				names = append(names, f.Name)
			}
			assert.Equal(t, []string{"id", "event_ts", "customer", "y", "f1", "f2", "f1_any_age", "size"}, names)

			rr, err := set.Records(ctx)
			require.NoError(t, err)
			i, matched := 0, 0
			for rr.Next() {
				rec := rr.RecordBatch()
				for r := range int(rec.NumRows()) {
					l := labels[i]
					require.Equal(t, l.y, rec.Column(3).(*array.Float64).Value(r), "row order")
					want := pitOracle(state, l, tc.lookback.Microseconds())
					f1 := rec.Column(4).(*array.Float64)
					f2 := rec.Column(5).(*array.String)
					switch {
					case want == nil:
						assert.Equal(t, -1.0, f1.Value(r), "row %d default", i)
						assert.True(t, f2.IsNull(r), "row %d f2", i)
					case want.f1 == nil:
						assert.Equal(t, -1.0, f1.Value(r), "row %d null feature takes the default", i)
						assert.Equal(t, want.f2, f2.Value(r), "row %d", i)
					default:
						matched++
						assert.Equal(t, *want.f1, f1.Value(r), "row %d", i)
						assert.Equal(t, want.f2, f2.Value(r), "row %d", i)
					}
					anyAge := pitOracle(state, l, 0)
					fa := rec.Column(6).(*array.Float64)
					if anyAge == nil || anyAge.f1 == nil {
						assert.True(t, fa.IsNull(r), "row %d f1_any_age", i)
					} else {
						assert.Equal(t, *anyAge.f1, fa.Value(r), "row %d f1_any_age", i)
					}
					size := rec.Column(7).(*array.Int32)
					if l.cust == nil || custState[*l.cust] == nil {
						assert.Equal(t, int32(7), size.Value(r), "row %d size default", i)
					} else {
						assert.Equal(t, *custState[*l.cust], size.Value(r), "row %d size", i)
					}
					i++
				}
			}
			require.NoError(t, rr.Err())
			rr.Release()
			assert.Equal(t, tc.labels, i)
			assert.Greater(t, matched, tc.labels/20, "the data must exercise matches, not only defaults")
			t.Logf("%d of %d label rows matched a feature row; %d runs spilled", matched, i, set.SpilledRuns())
			if tc.wantSpill {
				assert.Positive(t, set.SpilledRuns(), "a tiny MaxMemory must spill")
			} else {
				assert.Zero(t, set.SpilledRuns())
			}
			entries, _ := filepath.Glob(filepath.Join(dir, "features-spill-*"))
			assert.Empty(t, entries, "spill directory removed on Release")
		})
	}
}

func TestCreateTrainingSetErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ft, err := CreateFeatureTable(ctx, filepath.Join(dir, "f"), featSchema(), &FeatureTableOptions{PrimaryKeys: []string{"id"}, TimestampKey: "ts"})
	require.NoError(t, err)
	defer ft.Close()
	cust, err := CreateFeatureTable(ctx, filepath.Join(dir, "c"), custSchema(), &FeatureTableOptions{PrimaryKeys: []string{"cust"}})
	require.NoError(t, err)
	defer cust.Close()
	cases := []struct {
		name   string
		lookup FeatureLookup
	}{
		{"no table", FeatureLookup{}},
		{"key arity", FeatureLookup{Table: ft, LookupKey: []string{"id", "customer"}}},
		{"unknown label column", FeatureLookup{Table: ft, LookupKey: []string{"nope"}}},
		{"key type mismatch", FeatureLookup{Table: cust, LookupKey: []string{"id"}}},
		{"timestamp key on a table without one", FeatureLookup{Table: cust, LookupKey: []string{"customer"}, TimestampLookupKey: "event_ts"}},
		{"timestamp lookup key not a time", FeatureLookup{Table: ft, TimestampLookupKey: "customer"}},
		{"unknown feature", FeatureLookup{Table: ft, FeatureNames: []string{"f9"}}},
		{"rename of an unknown feature", FeatureLookup{Table: ft, Rename: map[string]string{"f9": "x"}}},
		{"default of an unknown feature", FeatureLookup{Table: ft, DefaultValues: map[string]any{"f9": 1}}},
		{"output clashes with a label column", FeatureLookup{Table: ft, FeatureNames: []string{"f1"}, Rename: map[string]string{"f1": "y"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			lr := labelRecords(memory.DefaultAllocator, nil, 1)
			defer lr.Release()
			_, err := CreateTrainingSet(ctx, lr, []FeatureLookup{tc.lookup}, nil)
			require.ErrorIs(t, err, ErrInvalidArgument)
		})
	}
	t.Run("read twice", func(t *testing.T) {
		lr := labelRecords(memory.DefaultAllocator, []labelRow{{id: ptr(int64(1)), ts: ptr(int64(0)), y: 1}}, 1)
		defer lr.Release()
		set, err := CreateTrainingSet(ctx, lr, []FeatureLookup{{Table: ft, TimestampLookupKey: "event_ts"}}, nil)
		require.NoError(t, err)
		rr, err := set.Records(ctx)
		require.NoError(t, err)
		assert.Len(t, readAll(t, rr), 1)
		_, err = set.Records(ctx)
		require.ErrorIs(t, err, ErrConsumed)
	})
}
