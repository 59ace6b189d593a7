package mlflow_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

// StartRun opens a scope that a deferred End closes.
func ExampleClient_StartRun() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, err := client.StartRun(ctx, &mlflow.RunOptions{ExperimentName: "etl", RunName: "orders-2024-05-01", Description: "daily load"})
	if err != nil {
		log.Fatal(err)
	}
	run.SetTag(ctx, "source", "s3://raw/orders")
	run.End(ctx, nil)
	r, _ := client.GetRun(ctx, run.ID())
	fmt.Println(r.Info.RunName, r.Info.Status, r.Data.Tags[mlflow.TagNote], r.Data.Tags["source"])
	// Output:
	// orders-2024-05-01 FINISHED daily load s3://raw/orders
}

// ID and Info identify the run being recorded.
func ExampleActiveRun_ID() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, err := client.StartRun(ctx, &mlflow.RunOptions{RunName: "baseline"})
	if err != nil {
		log.Fatal(err)
	}
	defer run.End(ctx, nil)
	info := run.Info()
	fmt.Println(len(run.ID()), info.RunID == run.ID(), info.RunName, info.Status, info.ExperimentID)
	// Output:
	// 32 true baseline RUNNING 0
}

// Info is the run's info as it was when the scope started.
func ExampleActiveRun_Info() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, &mlflow.RunOptions{ExperimentName: "etl", RunName: "load"})
	defer run.End(ctx, nil)
	exp, _ := client.GetExperimentByName(ctx, "etl")
	fmt.Println(run.Info().RunName, run.Info().ExperimentID == exp.ID, run.Info().LifecycleStage)
	// Output:
	// load true active
}

// Client gives a function handed only the run the client it logs
// through, for calls that take a run id.
func ExampleActiveRun_Client() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, nil)
	defer run.End(ctx, nil)
	if err := run.Client().LogText(ctx, run.ID(), "rows: 42\n", "report.txt"); err != nil {
		log.Fatal(err)
	}
	files, _ := client.ListArtifacts(ctx, run.ID(), "")
	fmt.Println(run.Client() == client, files[0].Path)
	// Output:
	// true report.txt
}

// Finish ends the run with an explicit status.
func ExampleActiveRun_Finish() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, nil)
	if err := run.Finish(ctx, mlflow.StatusKilled); err != nil {
		log.Fatal(err)
	}
	r, _ := client.GetRun(ctx, run.ID())
	fmt.Println(r.Info.Status)
	// Output:
	// KILLED
}

// LogParam logs one immutable param.
func ExampleActiveRun_LogParam() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, nil)
	defer run.End(ctx, nil)
	fmt.Println(run.LogParam(ctx, "optimizer", "adam"))
	fmt.Println(run.LogParam(ctx, "optimizer", "adam")) // the same value again is fine
	fmt.Println(mlflow.ErrorCodeOf(run.LogParam(ctx, "optimizer", "sgd")))
	// Output:
	// <nil>
	// <nil>
	// INVALID_PARAMETER_VALUE
}

// LogParams logs several params in one batch.
func ExampleActiveRun_LogParams() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, nil)
	defer run.End(ctx, nil)
	if err := run.LogParams(ctx, map[string]string{"lr": "0.01", "epochs": "20", "batch": "64"}); err != nil {
		log.Fatal(err)
	}
	r, _ := client.GetRun(ctx, run.ID())
	fmt.Println(keys(r.Data.Params))
	// Output:
	// [batch epochs lr]
}

// LogMetric logs one point at a step.
func ExampleActiveRun_LogMetric() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, nil)
	defer run.End(ctx, nil)
	for epoch, loss := range []float64{1.2, 0.7, 0.5} {
		if err := run.LogMetric(ctx, "loss", loss, int64(epoch)); err != nil {
			log.Fatal(err)
		}
	}
	hist, _ := client.GetMetricHistory(ctx, run.ID(), "loss")
	fmt.Println(len(hist), hist[len(hist)-1].Value)
	// Output:
	// 3 0.5
}

// LogMetrics logs several metrics at one step.
func ExampleActiveRun_LogMetrics() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, nil)
	defer run.End(ctx, nil)
	if err := run.LogMetrics(ctx, map[string]float64{"precision": 0.91, "recall": 0.84}, 10); err != nil {
		log.Fatal(err)
	}
	r, _ := client.GetRun(ctx, run.ID())
	for _, k := range keys(r.Data.Metrics) {
		m := r.Data.Metrics[k]
		fmt.Println(k, m.Value, m.Step)
	}
	// Output:
	// precision 0.91 10
	// recall 0.84 10
}

// SetTag sets a run tag.
func ExampleActiveRun_SetTag() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, _ := client.StartRun(ctx, nil)
	defer run.End(ctx, nil)
	if err := run.SetTag(ctx, "git_sha", "4f2a9c1"); err != nil {
		log.Fatal(err)
	}
	r, _ := client.GetRun(ctx, run.ID())
	fmt.Println(r.Data.Tags["git_sha"])
	// Output:
	// 4f2a9c1
}

// StartChild nests runs under a parent, as a hyper-parameter sweep does.
func ExampleActiveRun_StartChild() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	parent, _ := client.StartRun(ctx, &mlflow.RunOptions{ExperimentName: "sweep", RunName: "grid"})
	for _, lr := range []string{"0.1", "0.01"} {
		child, err := parent.StartChild(ctx, &mlflow.RunOptions{RunName: "lr=" + lr})
		if err != nil {
			log.Fatal(err)
		}
		child.LogParam(ctx, "lr", lr)
		child.End(ctx, nil)
	}
	parent.End(ctx, nil)
	page, _ := client.SearchRuns(ctx, &mlflow.SearchRunsOptions{
		ExperimentIDs: []string{parent.Info().ExperimentID},
		Filter:        fmt.Sprintf("tags.`%s` = '%s'", mlflow.TagParentRunID, parent.ID()),
		OrderBy:       []string{"attributes.run_name ASC"},
	})
	for _, r := range page.Runs {
		fmt.Println(r.Info.RunName, r.Data.Params["lr"])
	}
	// Output:
	// lr=0.01 0.01
	// lr=0.1 0.1
}

// LogArtifact uploads one file under a directory of the run's artifacts.
func ExampleActiveRun_LogArtifact() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	local := filepath.Join(dir, "confusion.csv")
	os.WriteFile(local, []byte("tp,fp\n90,10\n"), 0o644)
	run, _ := client.StartRun(ctx, nil)
	defer run.End(ctx, nil)
	if err := run.LogArtifact(ctx, local, "eval"); err != nil {
		log.Fatal(err)
	}
	files, _ := client.ListArtifacts(ctx, run.ID(), "eval")
	fmt.Println(files[0].Path, files[0].FileSize)
	// Output:
	// eval/confusion.csv 12
}

// LogArtifacts uploads a whole directory.
func ExampleActiveRun_LogArtifacts() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	plots := filepath.Join(dir, "plots")
	os.MkdirAll(plots, 0o755)
	for _, name := range []string{"roc.svg", "pr.svg"} {
		os.WriteFile(filepath.Join(plots, name), []byte("<svg/>"), 0o644)
	}
	run, _ := client.StartRun(ctx, nil)
	defer run.End(ctx, nil)
	if err := run.LogArtifacts(ctx, plots, "plots"); err != nil {
		log.Fatal(err)
	}
	files, _ := client.ListArtifacts(ctx, run.ID(), "plots")
	for _, f := range files {
		fmt.Println(f.Path)
	}
	// Output:
	// plots/pr.svg
	// plots/roc.svg
}

// LogModel stores a model directory with a generated MLmodel as an
// artifact of the run.
func ExampleActiveRun_LogModel() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	modelDir := filepath.Join(dir, "model-src")
	os.MkdirAll(modelDir, 0o755)
	os.WriteFile(filepath.Join(modelDir, "weights.bin"), []byte{1, 2, 3}, 0o644)
	run, _ := client.StartRun(ctx, nil)
	defer run.End(ctx, nil)
	info, err := run.LogModel(ctx, "model", modelDir, nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.ModelURI == "runs:/"+run.ID()+"/model", info.ArtifactPath, keys(info.MLmodel.Flavors))
	files, _ := client.ListArtifacts(ctx, run.ID(), "model")
	for _, f := range files {
		fmt.Println(f.Path)
	}
	// Output:
	// true model [go]
	// model/MLmodel
	// model/weights.bin
}
