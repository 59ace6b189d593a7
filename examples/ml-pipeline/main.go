// Command ml-pipeline is the feature store loop of the medallion pattern,
// in Go with no setup: daily customer features are written to a Delta
// feature table, churn labels are joined to them point in time (each
// label sees only the features known on its day), a logistic regression
// is trained on the result and logged to MLflow with its feature spec,
// registered, aliased production, and finally every customer is scored by
// that alias — the features looked up the same way the training set did.
//
//	go run ./examples/ml-pipeline [DIR]
//
// DIR defaults to ./ml-pipeline: the feature table is DIR/features/
// customer_activity and MLflow's embedded store DIR/mlruns (open it with
// MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri DIR/mlruns).
// A directory this program wrote before is replaced; any other non-empty
// directory is refused.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/mlflow"
	"github.com/lakehouse-go/lakehouse/mlflow/features"
)

func main() {
	dir := "ml-pipeline"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if _, err := run(context.Background(), dir, os.Stdout); err != nil {
		log.Fatalf("ml-pipeline: %v", err)
	}
}

const (
	customers = 300
	days      = 60
	modelName = "main.ml.churn"
	// horizon is how far after its day a label looks for activity.
	horizon = 14
)

var day0 = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

var featureSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32},
	{Name: "txns_7d", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "spend_7d", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "days_since_last", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

var labelSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "day", Type: arrow.FixedWidthTypes.Date32},
	{Name: "churned", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// activity is the generated history: spend[c][d] per customer and day
// (0 when no transaction), and each customer's label day.
type activity struct {
	spend    [][]float64
	labelDay []int
}

// generate draws customers with their own transaction rates; some churn,
// stopping at a random day.
func generate(seed uint64) *activity {
	rng := rand.New(rand.NewPCG(seed, 7))
	a := &activity{spend: make([][]float64, customers), labelDay: make([]int, customers)}
	for c := range customers {
		rate := 0.2 + rng.Float64()*0.8
		stop := days
		if rng.Float64() < 0.35 {
			stop = 20 + rng.IntN(days-20)
		}
		a.spend[c] = make([]float64, days)
		for d := range stop {
			if rng.Float64() < rate {
				a.spend[c][d] = math.Round((5+rng.Float64()*95)*100) / 100
			}
		}
		a.labelDay[c] = 25 + rng.IntN(days-horizon-25)
	}
	return a
}

// featureRows renders the daily features: activity of the last 7 days and
// days since the last transaction, per customer and day.
func (a *activity) featureRows(mem memory.Allocator) (array.RecordReader, error) {
	b := array.NewRecordBuilder(mem, featureSchema)
	defer b.Release()
	for c := range customers {
		last := -1
		for d := range days {
			if a.spend[c][d] > 0 {
				last = d
			}
			var n, sum float64
			for k := max(0, d-6); k <= d; k++ {
				if a.spend[c][k] > 0 {
					n++
					sum += a.spend[c][k]
				}
			}
			b.Field(0).(*array.Int64Builder).Append(int64(c))
			b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(day0.AddDate(0, 0, d)))
			b.Field(2).(*array.Float64Builder).Append(n)
			b.Field(3).(*array.Float64Builder).Append(sum)
			if last < 0 {
				b.Field(4).(*array.Float64Builder).Append(float64(d + 1))
			} else {
				b.Field(4).(*array.Float64Builder).Append(float64(d - last))
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewRecordReader(featureSchema, []arrow.RecordBatch{rec})
}

// labelRows: a customer churned when it has no transaction in the
// horizon after its label day.
func (a *activity) labelRows(mem memory.Allocator) (array.RecordReader, error) {
	b := array.NewRecordBuilder(mem, labelSchema)
	defer b.Release()
	for c := range customers {
		d := a.labelDay[c]
		churned := 1.0
		for k := d + 1; k <= d+horizon; k++ {
			if a.spend[c][k] > 0 {
				churned = 0
			}
		}
		b.Field(0).(*array.Int64Builder).Append(int64(c))
		b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(day0.AddDate(0, 0, d)))
		b.Field(2).(*array.Float64Builder).Append(churned)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewRecordReader(labelSchema, []arrow.RecordBatch{rec})
}

// inputs are the model's features, in this order.
var inputs = []string{"txns_7d", "spend_7d", "days_since_last"}

// logistic is the model: standardised inputs, weights and a bias. Its
// JSON is the model's only file.
type logistic struct {
	Inputs []string  `json:"inputs"`
	Mean   []float64 `json:"mean"`
	Std    []float64 `json:"std"`
	W      []float64 `json:"w"`
	B      float64   `json:"b"`
}

func (m *logistic) prob(x []float64) float64 {
	z := m.B
	for i, w := range m.W {
		z += w * (x[i] - m.Mean[i]) / m.Std[i]
	}
	return 1 / (1 + math.Exp(-z))
}

// train fits the model by gradient descent on the log loss.
func train(xs [][]float64, ys []float64) *logistic {
	k := len(inputs)
	m := &logistic{Inputs: inputs, Mean: make([]float64, k), Std: make([]float64, k), W: make([]float64, k)}
	for j := range k {
		for _, x := range xs {
			m.Mean[j] += x[j]
		}
		m.Mean[j] /= float64(len(xs))
		for _, x := range xs {
			m.Std[j] += (x[j] - m.Mean[j]) * (x[j] - m.Mean[j])
		}
		m.Std[j] = math.Sqrt(m.Std[j]/float64(len(xs))) + 1e-9
	}
	for range 2000 {
		gw, gb := make([]float64, k), 0.0
		for i, x := range xs {
			e := m.prob(x) - ys[i]
			for j := range k {
				gw[j] += e * (x[j] - m.Mean[j]) / m.Std[j]
			}
			gb += e
		}
		for j := range k {
			m.W[j] -= 0.5 * gw[j] / float64(len(xs))
		}
		m.B -= 0.5 * gb / float64(len(xs))
	}
	return m
}

// result is what a run reports, for the test.
type result struct {
	trainRows     int
	accuracy      float64
	baseline      float64 // accuracy of always predicting the majority class
	modelVersion  int64
	featureTable  string
	tableVersion  int64
	scored        int
	minP, maxP    float64
	specHasLookup bool
}

func run(ctx context.Context, dir string, w io.Writer) (*result, error) {
	if err := prepare(dir); err != nil {
		return nil, err
	}
	mem := memory.DefaultAllocator
	res := &result{}
	act := generate(42)

	// 1. The feature table: keys declared as Databricks does (NOT NULL,
	// PRIMARY KEY (customer_id, day TIMESERIES)), written by MERGE.
	res.featureTable = filepath.Join(dir, "features", "customer_activity")
	ft, err := features.CreateFeatureTable(ctx, res.featureTable, featureSchema, &features.FeatureTableOptions{
		PrimaryKeys: []string{"customer_id"}, TimestampKey: "day",
		Description: "daily customer activity: transactions and spend over 7 days, days since the last transaction",
	})
	if err != nil {
		return nil, err
	}
	defer ft.Close()
	rows, err := act.featureRows(mem)
	if err != nil {
		return nil, err
	}
	wres, err := features.WriteFeatures(ctx, ft, rows, features.MergeMode)
	rows.Release()
	if err != nil {
		return nil, err
	}
	res.tableVersion = wres.Version
	fmt.Fprintf(w, "feature table %s: %d customers × %d days, version %d\n", res.featureTable, customers, days, wres.Version)

	// 2. The training set: each label joined with the newest features on
	// or before its day, never later ones.
	labels, err := act.labelRows(mem)
	if err != nil {
		return nil, err
	}
	defer labels.Release()
	set, err := features.CreateTrainingSet(ctx, labels, []features.FeatureLookup{{
		Table: ft, FeatureNames: inputs, LookupKey: []string{"customer_id"}, TimestampLookupKey: "day",
		Lookback: 30 * 24 * time.Hour,
	}}, &features.TrainingSetOptions{Label: []string{"churned"}, ExcludeColumns: []string{"day"}})
	if err != nil {
		return nil, err
	}
	xs, ys, err := collect(ctx, set)
	if err != nil {
		return nil, err
	}
	res.trainRows = len(xs)

	// 3. Train, evaluate on a holdout, log everything to MLflow.
	cut := len(xs) * 7 / 10
	model := train(xs[:cut], ys[:cut])
	var correct, positives float64
	for i := cut; i < len(xs); i++ {
		if (model.prob(xs[i]) >= 0.5) == (ys[i] == 1) {
			correct++
		}
		positives += ys[i]
	}
	holdout := float64(len(xs) - cut)
	res.accuracy = correct / holdout
	res.baseline = math.Max(positives, holdout-positives) / holdout
	fmt.Fprintf(w, "training set: %d labels with point-in-time features; holdout accuracy %.3f (majority class %.3f)\n",
		len(xs), res.accuracy, res.baseline)

	client, err := mlflow.NewClient(ctx, filepath.Join(dir, "mlruns"), nil)
	if err != nil {
		return nil, err
	}
	defer client.Close()
	runH, err := client.StartRun(ctx, &mlflow.RunOptions{ExperimentName: "churn"})
	if err != nil {
		return nil, err
	}
	if err := logRun(ctx, runH, model, res, set); err != nil {
		runH.End(ctx, &err)
		return nil, err
	}
	var ok error
	runH.End(ctx, &ok)

	// 4. Score every customer by alias: the latest features per key.
	scoreKeys, err := keys(mem)
	if err != nil {
		return nil, err
	}
	defer scoreKeys.Release()
	prod, err := loadModel(ctx, client)
	if err != nil {
		return nil, err
	}
	scored, err := features.ScoreBatch(ctx, client, "models:/"+modelName+"@production", scoreKeys, func(in arrow.RecordBatch) (arrow.Array, error) {
		return predict(prod, in, mem)
	}, nil)
	if err != nil {
		return nil, err
	}
	defer scored.Release()
	type risk struct {
		id int64
		p  float64
	}
	var risks []risk
	res.minP, res.maxP = 1, 0
	for scored.Next() {
		rec := scored.RecordBatch()
		ids := rec.Column(rec.Schema().FieldIndices("customer_id")[0]).(*array.Int64)
		ps := rec.Column(rec.Schema().FieldIndices("prediction")[0]).(*array.Float64)
		for i := range int(rec.NumRows()) {
			risks = append(risks, risk{ids.Value(i), ps.Value(i)})
			res.minP, res.maxP = math.Min(res.minP, ps.Value(i)), math.Max(res.maxP, ps.Value(i))
		}
	}
	if err := scored.Err(); err != nil {
		return nil, err
	}
	res.scored = len(risks)
	sort.Slice(risks, func(i, j int) bool {
		return risks[i].p > risks[j].p || risks[i].p == risks[j].p && risks[i].id < risks[j].id
	})
	fmt.Fprintf(w, "scored %d customers with models:/%s@production (version %d); highest churn risk:\n", len(risks), modelName, res.modelVersion)
	for _, r := range risks[:min(5, len(risks))] {
		fmt.Fprintf(w, "  customer %3d  p(churn) %.3f\n", r.id, r.p)
	}
	return res, nil
}

// collect reads the training set into feature vectors and labels.
func collect(ctx context.Context, set *features.TrainingSet) ([][]float64, []float64, error) {
	rr, err := set.Records(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer rr.Release()
	var xs [][]float64
	var ys []float64
	for rr.Next() {
		rec := rr.RecordBatch()
		cols := make([]*array.Float64, len(inputs))
		for j, name := range inputs {
			cols[j] = rec.Column(rec.Schema().FieldIndices(name)[0]).(*array.Float64)
		}
		label := rec.Column(rec.Schema().FieldIndices("churned")[0]).(*array.Float64)
		for i := range int(rec.NumRows()) {
			x := make([]float64, len(inputs))
			for j, c := range cols {
				x[j] = c.Value(i) // every label day has a feature row
			}
			xs = append(xs, x)
			ys = append(ys, label.Value(i))
		}
	}
	return xs, ys, rr.Err()
}

// logRun records the parameters and metrics, logs the model with its
// feature spec, registers it and aliases the version production.
func logRun(ctx context.Context, runH *mlflow.ActiveRun, model *logistic, res *result, set *features.TrainingSet) error {
	if err := runH.LogParam(ctx, "model", "logistic regression"); err != nil {
		return err
	}
	if err := runH.LogMetric(ctx, "holdout_accuracy", res.accuracy, 0); err != nil {
		return err
	}
	modelDir, err := os.MkdirTemp("", "ml-pipeline-model-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(modelDir)
	b, err := json.MarshalIndent(model, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(modelDir, "model.json"), b, 0o644); err != nil {
		return err
	}
	info, err := features.LogModel(ctx, runH.Client(), runH.ID(), "model", modelDir, set, &mlflow.LogModelOptions{RegisteredModelName: modelName})
	if err != nil {
		return err
	}
	res.modelVersion = info.Version.Version
	return runH.Client().SetAlias(ctx, modelName, "production", info.Version.Version)
}

// loadModel loads the production model's weights and checks that it
// carries its feature spec.
func loadModel(ctx context.Context, client *mlflow.Client) (*logistic, error) {
	tmp, err := os.MkdirTemp("", "ml-pipeline-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	m, err := client.LoadModel(ctx, "models:/"+modelName+"@production", tmp)
	if err != nil {
		return nil, err
	}
	f, err := m.Open("model.json")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out logistic
	if err := json.NewDecoder(f).Decode(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

// predict scores a batch of looked-up features.
func predict(m *logistic, in arrow.RecordBatch, mem memory.Allocator) (arrow.Array, error) {
	cols := make([]*array.Float64, len(m.Inputs))
	for j, name := range m.Inputs {
		is := in.Schema().FieldIndices(name)
		if len(is) != 1 {
			return nil, fmt.Errorf("the features lack %s", name)
		}
		cols[j] = in.Column(is[0]).(*array.Float64)
	}
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	x := make([]float64, len(cols))
	for i := range int(in.NumRows()) {
		for j, c := range cols {
			x[j] = c.Value(i)
		}
		b.Append(m.prob(x))
	}
	return b.NewArray(), nil
}

// keys lists every customer, without a time: scored on its latest
// features.
func keys(mem memory.Allocator) (array.RecordReader, error) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "customer_id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for c := range customers {
		b.Append(int64(c))
	}
	ids := b.NewArray()
	defer ids.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{ids}, int64(customers))
	defer rec.Release()
	return array.NewRecordReader(schema, []arrow.RecordBatch{rec})
}

// markerName is the file this program leaves in a directory it owns.
const markerName = ".lakehouse-ml-pipeline"

var errNotOurs = errors.New("refusing to replace a directory ml-pipeline did not create")

// prepare empties dir when this program created it, and refuses any other
// non-empty directory rather than delete what a user keeps there.
func prepare(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return err
	case len(entries) == 0:
	default:
		if _, err := os.Stat(filepath.Join(dir, markerName)); err != nil {
			return fmt.Errorf("%w: %s is not empty and has no %s file; pass another directory", errNotOurs, dir, markerName)
		}
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, markerName), []byte("written by lakehouse examples/ml-pipeline, which replaces this directory on its next run\n"), 0o644)
}
