// Command mlflow-tracking trains a small linear regression in Go on
// generated data and records it with package mlflow the way a Python user
// would with MLflow: params, a metric per epoch, the model with an Arrow
// signature and input example, a registered version, the production alias,
// and finally loads the model back by alias and scores with it.
//
//	go run ./examples/mlflow-tracking                      # embedded store in ./mlruns
//	go run ./examples/mlflow-tracking -tracking-uri http://127.0.0.1:5000
//	MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri ./mlruns
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

func main() {
	uri := flag.String("tracking-uri", "", "MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else ./mlruns)")
	flag.Parse()
	// Ctrl-C cancels ctx: the training run then ends KILLED instead of FINISHED.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *uri, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mlflow-tracking:", err)
		os.Exit(1)
	}
}

// linearModel is y = w·x + b; its weights are the model's only file.
type linearModel struct {
	W []float64 `json:"w"`
	B float64   `json:"b"`
}

func (m *linearModel) predict(x []float64) float64 {
	y := m.B
	for i, w := range m.W {
		y += w * x[i]
	}
	return y
}

const modelName = "demo.examples.linear_regression"

// generate draws n points of y = 3·x1 − 2·x2 + 0.5 + noise.
func generate(n int, seed uint64) ([][]float64, []float64) {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	xs, ys := make([][]float64, n), make([]float64, n)
	for i := range xs {
		x := []float64{rng.Float64()*2 - 1, rng.Float64()*2 - 1}
		xs[i], ys[i] = x, 3*x[0]-2*x[1]+0.5+rng.NormFloat64()*0.05
	}
	return xs, ys
}

func rmse(m *linearModel, xs [][]float64, ys []float64) float64 {
	var s float64
	for i, x := range xs {
		d := m.predict(x) - ys[i]
		s += d * d
	}
	return math.Sqrt(s / float64(len(xs)))
}

func run(ctx context.Context, trackingURI string, out io.Writer) error {
	client, err := mlflow.NewClient(ctx, trackingURI, nil)
	if err != nil {
		return err
	}
	defer client.Close()
	fmt.Fprintln(out, "tracking URI:", client.TrackingURI())

	xs, ys := generate(400, 42)
	trainX, trainY, testX, testY := xs[:320], ys[:320], xs[320:], ys[320:]
	const epochs, lr = 150, 0.2

	model := &linearModel{W: make([]float64, 2)}
	info, err := train(ctx, client, model, trainX, trainY, testX, testY, epochs, lr)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "trained: w=[%.2f %.2f] b=%.2f\n", model.W[0], model.W[1], model.B)
	fmt.Fprintf(out, "registered %s version %d from %s\n", modelName, info.Version.Version, info.ModelURI)

	if err := client.SetAlias(ctx, modelName, "production", info.Version.Version); err != nil {
		return err
	}
	mv, err := client.GetModelVersionByAlias(ctx, modelName, "production")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "alias production -> version %d\n", mv.Version)

	// Load it back by alias, as a scoring service would.
	tmp, err := os.MkdirTemp("", "model")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	loaded, err := client.LoadModel(ctx, "models:/"+modelName+"@production", tmp)
	if err != nil {
		return err
	}
	flavor, _ := loaded.GoFlavor()
	f, err := loaded.Open(flavor["data"].(string))
	if err != nil {
		return err
	}
	var served linearModel
	err = json.NewDecoder(f).Decode(&served)
	f.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "loaded by alias: signature inputs %v, test rmse %.3f\n", fieldNames(loaded.MLmodel.Signature.Inputs), rmse(&served, testX, testY))
	fmt.Fprintf(out, "predict(x1=1, x2=1) = %.2f\n", served.predict([]float64{1, 1}))
	return nil
}

// train runs gradient descent inside an MLflow run: the run ends FINISHED,
// or FAILED if anything here returns an error.
func train(ctx context.Context, client *mlflow.Client, m *linearModel, xs [][]float64, ys []float64, testX [][]float64, testY []float64, epochs int, lr float64) (info *mlflow.ModelInfo, err error) {
	run, err := client.StartRun(ctx, &mlflow.RunOptions{
		ExperimentName: "go-linear-regression",
		Description:    "gradient descent on generated data",
	})
	if err != nil {
		return nil, err
	}
	defer run.End(ctx, &err)
	if err := run.LogParams(ctx, map[string]string{
		"epochs": fmt.Sprint(epochs), "learning_rate": fmt.Sprint(lr), "features": "2", "train_rows": fmt.Sprint(len(xs)),
	}); err != nil {
		return nil, err
	}
	n := float64(len(xs))
	for epoch := range epochs {
		gw, gb := make([]float64, len(m.W)), 0.0
		for i, x := range xs {
			d := m.predict(x) - ys[i]
			for j := range gw {
				gw[j] += 2 * d * x[j] / n
			}
			gb += 2 * d / n
		}
		for j := range m.W {
			m.W[j] -= lr * gw[j]
		}
		m.B -= lr * gb
		if err := run.LogMetrics(ctx, map[string]float64{"train_rmse": rmse(m, xs, ys), "test_rmse": rmse(m, testX, testY)}, int64(epoch)); err != nil {
			return nil, err
		}
	}

	dir, err := os.MkdirTemp("", "linear-model")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "weights.json"), b, 0o644); err != nil {
		return nil, err
	}
	in := arrow.NewSchema([]arrow.Field{{Name: "x1", Type: arrow.PrimitiveTypes.Float64}, {Name: "x2", Type: arrow.PrimitiveTypes.Float64}}, nil)
	outSchema := arrow.NewSchema([]arrow.Field{{Name: "y", Type: arrow.PrimitiveTypes.Float64}}, nil)
	bld := array.NewRecordBuilder(memory.DefaultAllocator, in)
	defer bld.Release()
	bld.Field(0).(*array.Float64Builder).AppendValues([]float64{testX[0][0], testX[1][0]}, nil)
	bld.Field(1).(*array.Float64Builder).AppendValues([]float64{testX[0][1], testX[1][1]}, nil)
	example := bld.NewRecordBatch()
	defer example.Release()
	return run.LogModel(ctx, "model", dir, &mlflow.LogModelOptions{
		GoFlavor:            map[string]any{"data": "weights.json", "kind": "linear_regression"},
		Input:               in,
		Output:              outSchema,
		InputExample:        example,
		RegisteredModelName: modelName,
	})
}

func fieldNames(s *arrow.Schema) []string {
	var out []string
	for _, f := range s.Fields() {
		out = append(out, f.Name)
	}
	return out
}
