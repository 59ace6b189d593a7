package mlflow_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

// Track a training run in the embedded store: params, per-epoch metrics, and
// a run that ends FINISHED through the deferred End.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "mlruns")
	defer os.RemoveAll(dir)
	client, err := mlflow.NewClient(ctx, dir, nil) // embedded: nothing to run
	if err != nil {
		panic(err)
	}

	train := func() (err error) {
		run, err := client.StartRun(ctx, &mlflow.RunOptions{ExperimentName: "churn", RunName: "baseline"})
		if err != nil {
			return err
		}
		defer run.End(ctx, &err)
		if err := run.LogParams(ctx, map[string]string{"max_depth": "6", "lr": "0.1"}); err != nil {
			return err
		}
		for epoch, rmse := range []float64{0.9, 0.6, 0.45} {
			if err := run.LogMetric(ctx, "rmse", rmse, int64(epoch)); err != nil {
				return err
			}
		}
		return nil
	}
	if err := train(); err != nil {
		panic(err)
	}

	exp, _ := client.GetExperimentByName(ctx, "churn")
	page, _ := client.SearchRuns(ctx, &mlflow.SearchRunsOptions{
		ExperimentIDs: []string{exp.ID},
		Filter:        "metrics.rmse < 1 and params.max_depth = '6'",
	})
	r := page.Runs[0]
	fmt.Println(r.Info.RunName, r.Info.Status, r.Data.Metrics["rmse"].Value)
	// Output: baseline FINISHED 0.45
}

// A run ends FAILED when the function it scopes returns an error.
func ExampleActiveRun_End() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "mlruns")
	defer os.RemoveAll(dir)
	client, _ := mlflow.NewClient(ctx, dir, nil)

	var runID string
	job := func() (err error) {
		run, err := client.StartRun(ctx, nil)
		if err != nil {
			return err
		}
		defer run.End(ctx, &err)
		runID = run.ID()
		return errors.New("input table missing")
	}
	fmt.Println(job())
	r, _ := client.GetRun(ctx, runID)
	fmt.Println(r.Info.Status)
	// Output:
	// input table missing
	// FAILED
}

// Params are immutable: MLflow's INVALID_PARAMETER_VALUE comes back as a
// typed error.
func ExampleClient_LogParam() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "mlruns")
	defer os.RemoveAll(dir)
	client, _ := mlflow.NewClient(ctx, dir, nil)
	r, _ := client.CreateRun(ctx, nil)

	fmt.Println(client.LogParam(ctx, r.Info.RunID, "alpha", "0.5"))
	err := client.LogParam(ctx, r.Info.RunID, "alpha", "0.7")
	fmt.Println(errors.Is(err, mlflow.ErrInvalidParameter), mlflow.ErrorCodeOf(err))
	// Output:
	// <nil>
	// true INVALID_PARAMETER_VALUE
}

// Log a Go model with a signature, register it, point the production alias
// at it and load it back by alias.
func ExampleClient_LoadModel() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "mlruns")
	defer os.RemoveAll(dir)
	client, _ := mlflow.NewClient(ctx, filepath.Join(dir, "mlruns"), nil)

	modelDir := filepath.Join(dir, "model")
	os.MkdirAll(modelDir, 0o755)
	os.WriteFile(filepath.Join(modelDir, "weights.json"), []byte(`{"w":2,"b":1}`), 0o644)

	run, _ := client.StartRun(ctx, nil)
	info, err := run.LogModel(ctx, "model", modelDir, &mlflow.LogModelOptions{
		GoFlavor:            map[string]any{"data": "weights.json"},
		Input:               arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil),
		Output:              arrow.NewSchema([]arrow.Field{{Name: "y", Type: arrow.PrimitiveTypes.Float64}}, nil),
		RegisteredModelName: "main.pricing.linear",
	})
	if err != nil {
		panic(err)
	}
	run.End(ctx, nil)
	client.SetAlias(ctx, "main.pricing.linear", "production", info.Version.Version)

	m, err := client.LoadModel(ctx, "models:/main.pricing.linear@production", filepath.Join(dir, "download"))
	if err != nil {
		panic(err)
	}
	flavor, _ := m.GoFlavor()
	fmt.Println(info.Version.Version, flavor["data"], m.MLmodel.Signature.Inputs.Field(0).Name)
	// Output: 1 weights.json x
}
