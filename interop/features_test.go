//go:build interop

package interop

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

	"github.com/lakehouse-go/lakehouse/mlflow/features"
)

// featureRowsSQL are the feature rows both engines write.
var featureRowsSQL = []string{
	"(1, DATE'2024-01-01', 10.0)", "(1, DATE'2024-01-05', 50.0)", "(1, DATE'2024-01-09', NULL)",
	"(2, DATE'2024-01-02', 20.0)", "(3, DATE'2024-01-07', 70.0)",
}

var featureSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32},
	{Name: "spend_7d", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

const featureRowsJSON = `[
	{"customer_id": 1, "day": "2024-01-01", "spend_7d": 10}, {"customer_id": 1, "day": "2024-01-05", "spend_7d": 50},
	{"customer_id": 1, "day": "2024-01-09", "spend_7d": null}, {"customer_id": 2, "day": "2024-01-02", "spend_7d": 20},
	{"customer_id": 3, "day": "2024-01-07", "spend_7d": 70}]`

// TestFeatureTables: a feature table Spark wrote (the same key
// declaration, as table properties, and NOT NULL keys) gives the same
// point-in-time training set as ours; Spark reads ours.
func TestFeatureTables(t *testing.T) {
	base := Result{Case: "2", Scenario: "spark_feature_table", Writer: Spark, Reader: Lakehouse,
		Covers: "mlflow/features: a time-series feature table written by Spark SQL; CreateTrainingSet over it equals the one over lakehouse's copy"}
	ctx := ctxFor(t, 10*time.Minute)
	sparkPath := filepath.Join(s.tables, Spark, base.Scenario)
	lhPath := filepath.Join(s.tables, Lakehouse, "lh_feature_table")
	peer := s.peer(t, Spark, base)
	stmts := []string{
		fmt.Sprintf("CREATE TABLE delta.`%s` (customer_id BIGINT NOT NULL, day DATE NOT NULL, spend_7d DOUBLE) USING delta "+
			"TBLPROPERTIES ('%s' = 'customer_id', '%s' = 'day')", sparkPath, features.PropPrimaryKeys, features.PropTimestampKey),
		fmt.Sprintf("INSERT INTO delta.`%s` VALUES %s", sparkPath, strings.Join(featureRowsSQL, ", ")),
	}
	if err := peer.Call(ctx, "sql", map[string]any{"statements": stmts}, nil); err != nil {
		r := base
		r.Status, r.Detail = Fail, "Spark writing the feature table: "+err.Error()
		s.record(t, r)
		return
	}
	lhSet, err := lakehouseFeatureTable(ctx, lhPath)
	if err != nil {
		r := base
		r.Status, r.Detail = Fail, "lakehouse writing its feature table: "+err.Error()
		s.record(t, r)
		return
	}
	t.Run("training set", func(t *testing.T) {
		r := base
		sparkSet, err := trainingSetRows(ctx, sparkPath)
		switch {
		case err != nil:
			r.Status, r.Detail = Fail, err.Error()
		case strings.Join(sparkSet, "\n") != strings.Join(lhSet, "\n"):
			r.Status, r.Detail = Fail, fmt.Sprintf("training set over Spark's table:\n%s\nover ours:\n%s", strings.Join(sparkSet, "\n"), strings.Join(lhSet, "\n"))
		default:
			r.Status, r.Checked = Pass, len(sparkSet)
		}
		s.record(t, r)
	})
	t.Run("Spark reads ours", func(t *testing.T) {
		r := Result{Case: "1", Scenario: "lh_feature_table", Writer: Lakehouse, Reader: Spark,
			Covers: "mlflow/features: a feature table written by WriteFeatures (MERGE on the keys, twice), its key declaration in the properties"}
		var out struct {
			Rows []string `json:"rows"`
		}
		err := peer.Call(ctx, "read", map[string]any{"path": lhPath}, &out)
		want, _ := NormalizeRows([]string{
			`{"customer_id":1,"day":"2024-01-01","spend_7d":10.0}`, `{"customer_id":1,"day":"2024-01-05","spend_7d":50.0}`,
			`{"customer_id":1,"day":"2024-01-09","spend_7d":null}`, `{"customer_id":2,"day":"2024-01-02","spend_7d":20.0}`,
			`{"customer_id":3,"day":"2024-01-07","spend_7d":70.0}`,
		})
		r.Status, r.Detail, r.Checked = eventLogOutcome(s.rel(lhPath), want, out.Rows, err)
		s.record(t, r)
	})
}

// lakehouseFeatureTable writes the rows with WriteFeatures, twice (the
// merge makes the second a no-op), and returns its training set.
func lakehouseFeatureTable(ctx context.Context, path string) ([]string, error) {
	ft, err := features.CreateFeatureTable(ctx, path, featureSchema, &features.FeatureTableOptions{PrimaryKeys: []string{"customer_id"}, TimestampKey: "day"})
	if err != nil {
		return nil, err
	}
	for range 2 {
		rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, featureSchema, strings.NewReader(featureRowsJSON))
		if err != nil {
			ft.Close()
			return nil, err
		}
		rr, _ := array.NewRecordReader(featureSchema, []arrow.RecordBatch{rec})
		rec.Release()
		_, err = features.WriteFeatures(ctx, ft, rr, features.MergeMode)
		rr.Release()
		if err != nil {
			ft.Close()
			return nil, err
		}
	}
	if err := ft.Close(); err != nil {
		return nil, err
	}
	return trainingSetRows(ctx, path)
}

// trainingSetRows joins fixed labels to the feature table at path, point
// in time with a 5-day lookback and a default, and renders the rows.
func trainingSetRows(ctx context.Context, path string) ([]string, error) {
	ft, err := features.OpenFeatureTable(ctx, path, nil)
	if err != nil {
		return nil, err
	}
	defer ft.Close()
	labelSchema := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32},
		{Name: "churned", Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, labelSchema, strings.NewReader(`[
		{"customer_id": 1, "day": "2024-01-04", "churned": 0}, {"customer_id": 1, "day": "2024-01-06", "churned": 0},
		{"customer_id": 1, "day": "2024-01-20", "churned": 1}, {"customer_id": 2, "day": "2024-01-01", "churned": 1},
		{"customer_id": 3, "day": "2024-01-10", "churned": 0}, {"customer_id": 4, "day": "2024-01-10", "churned": 1}]`))
	if err != nil {
		return nil, err
	}
	labels, _ := array.NewRecordReader(labelSchema, []arrow.RecordBatch{rec})
	rec.Release()
	defer labels.Release()
	set, err := features.CreateTrainingSet(ctx, labels, []features.FeatureLookup{{
		Table: ft, LookupKey: []string{"customer_id"}, TimestampLookupKey: "day", Lookback: 5 * 24 * time.Hour,
		DefaultValues: map[string]any{"spend_7d": -1.0},
	}}, &features.TrainingSetOptions{Label: []string{"churned"}})
	if err != nil {
		return nil, err
	}
	rr, err := set.Records(ctx)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var out []string
	for rr.Next() {
		b := rr.RecordBatch()
		for i := range int(b.NumRows()) {
			var cells []string
			for c := range int(b.NumCols()) {
				cells = append(cells, b.Schema().Field(c).Name+"="+b.Column(c).ValueStr(i))
			}
			out = append(out, strings.Join(cells, " "))
		}
	}
	return out, rr.Err()
}
