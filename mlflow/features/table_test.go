package features

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/mlflow"
)

func jsonReader(t *testing.T, mem memory.Allocator, schema *arrow.Schema, js string) array.RecordReader {
	t.Helper()
	rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(js))
	require.NoError(t, err)
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	return rr
}

// readAll renders every row as "col=value ..." strings.
func readAll(t *testing.T, rr array.RecordReader) []string {
	t.Helper()
	defer rr.Release()
	var out []string
	for rr.Next() {
		rec := rr.RecordBatch()
		for r := range int(rec.NumRows()) {
			var vals []string
			for c := range int(rec.NumCols()) {
				vals = append(vals, rec.Schema().Field(c).Name+"="+rec.Column(c).ValueStr(r))
			}
			out = append(out, strings.Join(vals, " "))
		}
	}
	require.NoError(t, rr.Err())
	return out
}

func TestCreateFeatureTableDeclaration(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	dir := t.TempDir()
	url := filepath.Join(dir, "spend")
	ft, err := CreateFeatureTable(ctx, url, featSchema(), &FeatureTableOptions{
		PrimaryKeys: []string{"id", "ts"}, TimestampKey: "ts", Description: "spend", Tags: map[string]string{"team": "ml"},
		Table: &delta.Options{Allocator: mem, NoSync: true},
	})
	require.NoError(t, err)
	defer ft.Close()
	snap, err := ft.Table().Snapshot(ctx)
	require.NoError(t, err)
	props := snap.Properties()
	assert.Equal(t, `["id","ts"]`, props[PropPrimaryKeys])
	assert.Equal(t, "ts", props[PropTimestampKey])
	assert.Equal(t, "CONSTRAINT spend_pk PRIMARY KEY (id, ts TIMESERIES)", props[PropConstraint])
	assert.Equal(t, "ml", props[PropTagPrefix+"team"])
	assert.Equal(t, "spend", snap.Metadata().Description)
	nullable := map[string]bool{}
	for _, f := range snap.Schema().Fields() {
		nullable[f.Name] = f.Nullable
	}
	assert.Equal(t, map[string]bool{"id": false, "ts": false, "f1": true, "f2": true}, nullable)

	again, err := OpenFeatureTable(ctx, url, &delta.Options{Allocator: mem})
	require.NoError(t, err)
	defer again.Close()
	assert.Equal(t, []string{"id"}, again.PrimaryKeys())
	assert.Equal(t, "ts", again.TimestampKey())
	assert.Equal(t, map[string]string{"team": "ml"}, again.Tags())
	assert.Equal(t, "spend", again.Description())

	// A NULL key is refused by the NOT NULL column.
	bad := jsonReader(t, mem, featSchema(), `[{"id": null, "ts": "2024-01-01T00:00:00Z", "f1": 1, "f2": "x"}]`)
	_, err = WriteFeatures(ctx, ft, bad, MergeMode)
	bad.Release()
	require.Error(t, err)
	// A key twice in one write is ambiguous.
	dup := jsonReader(t, mem, featSchema(), `[{"id": 1, "ts": "2024-01-01T00:00:00Z", "f1": 1, "f2": "x"},
		{"id": 1, "ts": "2024-01-01T00:00:00Z", "f1": 2, "f2": "y"}]`)
	_, err = WriteFeatures(ctx, ft, dup, MergeMode)
	dup.Release()
	require.NoError(t, err, "an empty target has nothing to match twice")
	dup = jsonReader(t, mem, featSchema(), `[{"id": 1, "ts": "2024-01-01T00:00:00Z", "f1": 1, "f2": "x"},
		{"id": 1, "ts": "2024-01-01T00:00:00Z", "f1": 2, "f2": "y"}]`)
	_, err = WriteFeatures(ctx, ft, dup, MergeMode)
	dup.Release()
	require.ErrorIs(t, err, delta.ErrMergeCardinality)
}

func TestCreateFeatureTableErrors(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		opts *FeatureTableOptions
		want error
	}{
		{"no keys", nil, ErrInvalidArgument},
		{"only the timestamp key", &FeatureTableOptions{PrimaryKeys: []string{"ts"}, TimestampKey: "ts"}, ErrInvalidArgument},
		{"unknown key", &FeatureTableOptions{PrimaryKeys: []string{"nope"}}, ErrInvalidArgument},
		{"timestamp key not a time", &FeatureTableOptions{PrimaryKeys: []string{"id"}, TimestampKey: "f2"}, ErrInvalidArgument},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CreateFeatureTable(ctx, filepath.Join(t.TempDir(), "t"), featSchema(), tc.opts)
			require.ErrorIs(t, err, tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "features: "), err.Error())
		})
	}
	t.Run("plain delta table", func(t *testing.T) {
		url := filepath.Join(t.TempDir(), "plain")
		tb, err := delta.Create(ctx, url, featSchema(), nil)
		require.NoError(t, err)
		tb.Close()
		_, err = OpenFeatureTable(ctx, url, nil)
		require.ErrorIs(t, err, ErrNotAFeatureTable)
	})
}

func TestWriteFeaturesIdempotentAndReadLatest(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	ft, err := CreateFeatureTable(ctx, filepath.Join(t.TempDir(), "f"), featSchema(), &FeatureTableOptions{
		PrimaryKeys: []string{"id"}, TimestampKey: "ts", Table: &delta.Options{Allocator: mem, NoSync: true},
	})
	require.NoError(t, err)
	defer ft.Close()
	day := `[{"id": 1, "ts": "2024-01-01T00:00:00Z", "f1": 1, "f2": "a"},
		{"id": 2, "ts": "2024-01-01T00:00:00Z", "f1": 2, "f2": "b"},
		{"id": 1, "ts": "2024-01-02T00:00:00Z", "f1": 3, "f2": "c"}]`
	for range 3 {
		rr := jsonReader(t, mem, featSchema(), day)
		_, err := WriteFeatures(ctx, ft, rr, MergeMode)
		rr.Release()
		require.NoError(t, err)
	}
	// A correction of one day replaces the row in place.
	rr := jsonReader(t, mem, featSchema(), `[{"id": 2, "ts": "2024-01-01T00:00:00Z", "f1": 20, "f2": "b2"}]`)
	_, err = WriteFeatures(ctx, ft, rr, MergeMode)
	rr.Release()
	require.NoError(t, err)

	all, err := ft.Table().Snapshot(ctx)
	require.NoError(t, err)
	stats, err := all.FileStats(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 3, stats.NumRecords, "three writes of the same day keep three rows")

	cases := []struct {
		name string
		opts *ReadOptions
		want []string
	}{
		{"latest", nil, []string{
			"id=1 ts=2024-01-02T00:00:00Z f1=3 f2=c", "id=2 ts=2024-01-01T00:00:00Z f1=20 f2=b2"}},
		{"as of day one", &ReadOptions{AsOf: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), MaxMemory: 64, BatchSize: 1}, []string{
			"id=1 ts=2024-01-01T00:00:00Z f1=1 f2=a", "id=2 ts=2024-01-01T00:00:00Z f1=20 f2=b2"}},
		{"before anything", &ReadOptions{AsOf: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)}, nil},
		{"version 1", &ReadOptions{Version: 1, HasVersion: true}, []string{
			"id=1 ts=2024-01-02T00:00:00Z f1=3 f2=c", "id=2 ts=2024-01-01T00:00:00Z f1=2 f2=b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := ReadOptions{Allocator: mem, SpillDir: t.TempDir()}
			if tc.opts != nil {
				o = *tc.opts
				o.Allocator, o.SpillDir = mem, t.TempDir()
			}
			rr, err := ReadLatest(ctx, ft, &o)
			require.NoError(t, err)
			assert.Equal(t, tc.want, readAll(t, rr))
		})
	}
}

func TestFeatureSpecYAML(t *testing.T) {
	ten := "0"
	spec := &FeatureSpec{
		InputColumns: []InputColumn{
			{Name: "customer_id", Source: SourceTrainingData, DataType: "LONG", Include: true},
			{Name: "day", Source: SourceTrainingData, DataType: "DATE", Include: false},
			{Name: "spend", Source: SourceFeatureStore, TableName: "/data/spend", FeatureName: "spend_7d", LookupKey: []string{"customer_id"},
				TimestampLookupKey: []string{"day"}, Lookback: 48 * time.Hour, DefaultValue: &ten, DataType: "DOUBLE", Include: true},
		},
		InputTables: []InputTable{{TableName: "/data/spend", Version: 4}},
	}
	b, err := spec.MarshalYAML()
	require.NoError(t, err)
	want := `input_columns:
    - customer_id:
        data_type: LONG
        include: true
        source: training_data
    - day:
        data_type: DATE
        include: false
        source: training_data
    - spend:
        table_name: /data/spend
        feature_name: spend_7d
        lookup_key:
            - customer_id
        timestamp_lookup_key:
            - day
        default_value_str: "0"
        lookback_window: 172800s
        data_type: DOUBLE
        include: true
        source: feature_store
input_tables:
    - /data/spend:
        table_version: 4
feature_store_client_version: lakehouse-go
serialization_version: 10
`
	assert.Equal(t, want, string(b))
	back, err := ParseFeatureSpec(b)
	require.NoError(t, err)
	assert.Equal(t, spec, back)

	_, err = ParseFeatureSpec([]byte("input_columns:\n- f:\n    source: on_demand_feature\n"))
	require.Error(t, err)
}

func TestScoreBatchPointInTimeAndErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	client, err := mlflow.NewClient(ctx, filepath.Join(dir, "mlruns"), nil)
	require.NoError(t, err)
	ft, err := CreateFeatureTable(ctx, filepath.Join(dir, "f"), featSchema(), &FeatureTableOptions{PrimaryKeys: []string{"id"}, TimestampKey: "ts"})
	require.NoError(t, err)
	defer ft.Close()
	rr := jsonReader(t, memory.DefaultAllocator, featSchema(), `[{"id": 1, "ts": "2024-01-01T00:00:00Z", "f1": 1, "f2": "a"},
		{"id": 1, "ts": "2024-01-03T00:00:00Z", "f1": 3, "f2": "c"}]`)
	_, err = WriteFeatures(ctx, ft, rr, MergeMode)
	rr.Release()
	require.NoError(t, err)

	labels := jsonReader(t, memory.DefaultAllocator, labelSchema(), `[{"id": 1, "event_ts": "2024-01-02T00:00:00Z", "customer": "x", "y": 1}]`)
	defer labels.Release()
	set, err := CreateTrainingSet(ctx, labels, []FeatureLookup{{Table: ft, FeatureNames: []string{"f1"}, TimestampLookupKey: "event_ts",
		Rename: map[string]string{"f1": "feature_one"}}}, &TrainingSetOptions{Label: []string{"y"}, ExcludeColumns: []string{"customer"}})
	require.NoError(t, err)
	run, err := client.CreateRun(ctx, nil)
	require.NoError(t, err)
	info, err := LogModel(ctx, client, run.Info.RunID, "model", "", set, &mlflow.LogModelOptions{RegisteredModelName: "m"})
	require.NoError(t, err)
	require.NoError(t, client.SetAlias(ctx, "m", "champion", info.Version.Version))
	assert.Equal(t, []string{"id", "event_ts", "feature_one"}, fieldNames(info.MLmodel.Signature.Inputs))

	keys := jsonReader(t, memory.DefaultAllocator, labelSchema(), `[
		{"id": 1, "event_ts": "2024-01-02T12:00:00Z", "customer": "x", "y": 0},
		{"id": 1, "event_ts": "2024-01-04T00:00:00Z", "customer": "x", "y": 0},
		{"id": 1, "event_ts": "2023-12-31T00:00:00Z", "customer": "x", "y": 0}]`)
	defer keys.Release()
	out, err := ScoreBatch(ctx, client, "models:/m@champion", keys, func(b arrow.RecordBatch) (arrow.Array, error) {
		assert.Equal(t, []string{"id", "event_ts", "feature_one"}, fieldNames(b.Schema()))
		bb := array.NewInt64Builder(memory.DefaultAllocator)
		defer bb.Release()
		for i := range int(b.NumRows()) {
			bb.Append(int64(i))
		}
		return bb.NewArray(), nil
	}, &ScoreOptions{PredictionColumn: "score"})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"id=1 event_ts=2024-01-02T12:00:00Z customer=x y=0 feature_one=1 score=0",
		"id=1 event_ts=2024-01-04T00:00:00Z customer=x y=0 feature_one=3 score=1",
		"id=1 event_ts=2023-12-31T00:00:00Z customer=x y=0 feature_one=(null) score=2",
	}, readAll(t, out))

	// A model logged without a training set has no spec.
	plain, err := client.LogModel(ctx, run.Info.RunID, "plain", "", &mlflow.LogModelOptions{RegisteredModelName: "plain"})
	require.NoError(t, err)
	_, err = ScoreBatch(ctx, client, fmt.Sprintf("models:/plain/%d", plain.Version.Version), keys, nil, nil)
	require.ErrorIs(t, err, ErrNoFeatureSpec)
}

func fieldNames(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name)
	}
	return out
}
