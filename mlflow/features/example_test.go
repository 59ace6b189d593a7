package features_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/mlflow"
	"github.com/lakehouse-go/lakehouse/mlflow/features"
)

var spendSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32},
	{Name: "spend_7d", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// rows builds a reader from JSON rows.
func rows(schema *arrow.Schema, js string) array.RecordReader {
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(js))
	if err != nil {
		panic(err)
	}
	defer rec.Release()
	rr, _ := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	return rr
}

func printAll(rr array.RecordReader) {
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		for r := range int(rec.NumRows()) {
			var vals []string
			for c := range int(rec.NumCols()) {
				vals = append(vals, rec.Schema().Field(c).Name+"="+rec.Column(c).ValueStr(r))
			}
			fmt.Println(strings.Join(vals, " "))
		}
	}
}

// A time-series feature table: the key declaration is stored as table
// properties, writes merge on (key, day) so re-writing a day is
// idempotent, and reads are point in time.
func ExampleCreateFeatureTable() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "features")
	defer os.RemoveAll(dir)

	ft, err := features.CreateFeatureTable(ctx, filepath.Join(dir, "customer_spend"), spendSchema, &features.FeatureTableOptions{
		PrimaryKeys: []string{"customer_id"}, TimestampKey: "day", Description: "7-day spend per customer",
		Tags: map[string]string{"team": "growth"},
	})
	if err != nil {
		panic(err)
	}
	defer ft.Close()
	day1 := `[{"customer_id": 1, "day": "2024-01-01", "spend_7d": 10},
	          {"customer_id": 2, "day": "2024-01-01", "spend_7d": 5}]`
	for range 2 { // the same day twice: no duplicates
		if _, err := features.WriteFeatures(ctx, ft, rows(spendSchema, day1), features.MergeMode); err != nil {
			panic(err)
		}
	}
	features.WriteFeatures(ctx, ft, rows(spendSchema, `[{"customer_id": 1, "day": "2024-01-03", "spend_7d": 30}]`), features.MergeMode)

	snap, _ := ft.Table().Snapshot(ctx)
	fmt.Println(snap.Properties()[features.PropConstraint])
	fmt.Println("latest:")
	latest, _ := features.ReadLatest(ctx, ft, nil)
	printAll(latest)
	fmt.Println("as of 2024-01-02:")
	asOf, _ := features.ReadLatest(ctx, ft, &features.ReadOptions{AsOf: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)})
	printAll(asOf)
	// Output:
	// CONSTRAINT customer_spend_pk PRIMARY KEY (customer_id, day TIMESERIES)
	// latest:
	// customer_id=1 day=2024-01-03 spend_7d=30
	// customer_id=2 day=2024-01-01 spend_7d=5
	// as of 2024-01-02:
	// customer_id=1 day=2024-01-01 spend_7d=10
	// customer_id=2 day=2024-01-01 spend_7d=5
}

// Train on point-in-time features, log the model with its feature spec,
// alias it production and score new keys by alias: the features are
// looked up the same way.
func ExampleScoreBatch() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "features")
	defer os.RemoveAll(dir)
	client, _ := mlflow.NewClient(ctx, filepath.Join(dir, "mlruns"), nil)

	ft, _ := features.CreateFeatureTable(ctx, filepath.Join(dir, "customer_spend"), spendSchema,
		&features.FeatureTableOptions{PrimaryKeys: []string{"customer_id"}, TimestampKey: "day"})
	defer ft.Close()
	features.WriteFeatures(ctx, ft, rows(spendSchema, `[
		{"customer_id": 1, "day": "2024-01-01", "spend_7d": 10},
		{"customer_id": 1, "day": "2024-01-05", "spend_7d": 50},
		{"customer_id": 2, "day": "2024-01-02", "spend_7d": 20}]`), features.MergeMode)

	labelSchema := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
		{Name: "churned", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	labels := rows(labelSchema, `[
		{"customer_id": 1, "day": "2024-01-04", "churned": 0},
		{"customer_id": 2, "day": "2024-01-01", "churned": 1}]`)
	defer labels.Release()
	set, err := features.CreateTrainingSet(ctx, labels, []features.FeatureLookup{{
		Table: ft, LookupKey: []string{"customer_id"}, TimestampLookupKey: "day",
		DefaultValues: map[string]any{"spend_7d": 0.0},
	}}, &features.TrainingSetOptions{Label: []string{"churned"}, ExcludeColumns: []string{"day"}})
	if err != nil {
		panic(err)
	}
	train, _ := set.Records(ctx)
	fmt.Println("training set:")
	printAll(train) // customer 1 sees day 1's value, customer 2 nothing yet

	run, _ := client.StartRun(ctx, nil)
	info, err := features.LogModel(ctx, client, run.ID(), "model", "", set, &mlflow.LogModelOptions{RegisteredModelName: "churn"})
	if err != nil {
		panic(err)
	}
	run.End(ctx, nil)
	client.SetAlias(ctx, "churn", "production", info.Version.Version)

	// Scoring keys without a day: the latest features.
	keySchema := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	keys := rows(keySchema, `[{"customer_id": 2}, {"customer_id": 1}, {"customer_id": 3}]`)
	defer keys.Release()
	scored, err := features.ScoreBatch(ctx, client, "models:/churn@production", keys, func(in arrow.RecordBatch) (arrow.Array, error) {
		spend := in.Column(in.Schema().FieldIndices("spend_7d")[0]).(*array.Float64)
		b := array.NewFloat64Builder(memory.DefaultAllocator)
		defer b.Release()
		for i := range spend.Len() {
			b.Append(1 / (1 + spend.Value(i)))
		}
		return b.NewArray(), nil
	}, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println("scored:")
	printAll(scored)
	// Output:
	// training set:
	// customer_id=1 churned=0 spend_7d=10
	// customer_id=2 churned=1 spend_7d=0
	// scored:
	// customer_id=2 spend_7d=20 prediction=0.047619047619047616
	// customer_id=1 spend_7d=50 prediction=0.0196078431372549
	// customer_id=3 spend_7d=0 prediction=1
}
