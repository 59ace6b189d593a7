package mlflow_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"sort"
	"time"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

// store opens an embedded store in a fresh temporary directory; cleanup
// closes the client and removes the directory.
func store(ctx context.Context) (client *mlflow.Client, dir string, cleanup func()) {
	dir, err := os.MkdirTemp("", "mlruns")
	if err != nil {
		log.Fatal(err)
	}
	client, err = mlflow.NewClient(ctx, dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	return client, dir, func() {
		client.Close()
		os.RemoveAll(dir)
	}
}

// NewClient on a local path is the embedded store: MLflow's FileStore
// layout, nothing to run. A database URI is refused with ErrUnsupported.
func ExampleNewClient() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "mlruns")
	defer os.RemoveAll(dir)
	client, err := mlflow.NewClient(ctx, dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	exp, err := client.GetExperiment(ctx, "0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(exp.ID, exp.Name)

	_, err = mlflow.NewClient(ctx, "sqlite:///mlflow.db", nil)
	fmt.Println(errors.Is(err, mlflow.ErrUnsupported))
	// Output:
	// 0 Default
	// true
}

// TrackingURI shows the store without credentials.
func ExampleClient_TrackingURI() {
	ctx := context.Background()
	client, err := mlflow.NewClient(ctx, "https://alice:s3cret@mlflow.example.com", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	fmt.Println(client.TrackingURI())
	// Output:
	// https://mlflow.example.com
}

// Close releases the client; the store's files stay.
func ExampleClient_Close() {
	ctx := context.Background()
	client, dir, cleanup := store(ctx)
	defer cleanup()
	if _, err := client.CreateExperiment(ctx, "kept", nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println(client.Close())
	again, err := mlflow.NewClient(ctx, dir, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer again.Close()
	exp, err := again.GetExperimentByName(ctx, "kept")
	fmt.Println(exp.Name, err)
	// Output:
	// <nil>
	// kept <nil>
}

// CreateExperiment refuses a name in use with ErrAlreadyExists.
func ExampleClient_CreateExperiment() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	id, err := client.CreateExperiment(ctx, "churn", &mlflow.CreateExperimentOptions{Tags: map[string]string{"team": "growth"}})
	if err != nil {
		log.Fatal(err)
	}
	exp, err := client.GetExperiment(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(exp.Name, exp.Tags["team"], exp.LifecycleStage)
	_, err = client.CreateExperiment(ctx, "churn", nil)
	fmt.Println(errors.Is(err, mlflow.ErrAlreadyExists))
	// Output:
	// churn growth active
	// true
}

// GetExperiment finds an experiment by id; an unknown id is ErrNotFound.
func ExampleClient_GetExperiment() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	id, _ := client.CreateExperiment(ctx, "churn", nil)
	exp, err := client.GetExperiment(ctx, id)
	fmt.Println(exp.Name, err)
	_, err = client.GetExperiment(ctx, "424242")
	fmt.Println(errors.Is(err, mlflow.ErrNotFound), mlflow.ErrorCodeOf(err))
	// Output:
	// churn <nil>
	// true RESOURCE_DOES_NOT_EXIST
}

// GetExperimentByName finds an experiment by name.
func ExampleClient_GetExperimentByName() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	id, _ := client.CreateExperiment(ctx, "churn", nil)
	exp, err := client.GetExperimentByName(ctx, "churn")
	fmt.Println(exp.ID == id, err)
	_, err = client.GetExperimentByName(ctx, "nope")
	fmt.Println(errors.Is(err, mlflow.ErrNotFound))
	// Output:
	// true <nil>
	// true
}

// GetOrCreateExperiment is mlflow.set_experiment: the same id every time.
func ExampleClient_GetOrCreateExperiment() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	first, err := client.GetOrCreateExperiment(ctx, "nightly-etl")
	if err != nil {
		log.Fatal(err)
	}
	second, err := client.GetOrCreateExperiment(ctx, "nightly-etl")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(first == second)
	// Output:
	// true
}

// SearchExperiments filters on names and tags with MLflow's syntax.
func ExampleClient_SearchExperiments() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	for _, name := range []string{"etl-orders", "etl-users", "churn"} {
		if _, err := client.CreateExperiment(ctx, name, nil); err != nil {
			log.Fatal(err)
		}
	}
	page, err := client.SearchExperiments(ctx, &mlflow.SearchExperimentsOptions{
		Filter:  "name LIKE 'etl-%'",
		OrderBy: []string{"name ASC"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range page.Experiments {
		fmt.Println(e.Name)
	}
	// Output:
	// etl-orders
	// etl-users
}

// SetExperimentTag sets or overwrites an experiment tag.
func ExampleClient_SetExperimentTag() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	id, _ := client.CreateExperiment(ctx, "churn", nil)
	for _, owner := range []string{"ana", "bo"} {
		if err := client.SetExperimentTag(ctx, id, "owner", owner); err != nil {
			log.Fatal(err)
		}
	}
	exp, _ := client.GetExperiment(ctx, id)
	fmt.Println(exp.Tags["owner"])
	// Output:
	// bo
}

// DeleteExperiment moves an experiment to the trash; RestoreExperiment
// brings it back.
func ExampleClient_DeleteExperiment() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	id, _ := client.CreateExperiment(ctx, "scratch", nil)
	if err := client.DeleteExperiment(ctx, id); err != nil {
		log.Fatal(err)
	}
	exp, _ := client.GetExperiment(ctx, id)
	fmt.Println(exp.LifecycleStage)
	page, _ := client.SearchExperiments(ctx, &mlflow.SearchExperimentsOptions{ViewType: mlflow.DeletedOnly})
	fmt.Println(len(page.Experiments), page.Experiments[0].Name)
	// Output:
	// deleted
	// 1 scratch
}

// RestoreExperiment undoes DeleteExperiment.
func ExampleClient_RestoreExperiment() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	id, _ := client.CreateExperiment(ctx, "scratch", nil)
	if err := client.DeleteExperiment(ctx, id); err != nil {
		log.Fatal(err)
	}
	if err := client.RestoreExperiment(ctx, id); err != nil {
		log.Fatal(err)
	}
	exp, _ := client.GetExperimentByName(ctx, "scratch")
	fmt.Println(exp.LifecycleStage)
	// Output:
	// active
}

// CreateRun makes a RUNNING run without a scope: the caller ends it with
// SetTerminated.
func ExampleClient_CreateRun() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	run, err := client.CreateRun(ctx, &mlflow.RunOptions{ExperimentName: "churn", RunName: "xgb-1", Tags: map[string]string{"stage": "dev"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(run.Info.RunName, run.Info.Status, run.Data.Tags["stage"])
	if err := client.SetTerminated(ctx, run.Info.RunID, mlflow.StatusFinished, time.Time{}); err != nil {
		log.Fatal(err)
	}
	got, _ := client.GetRun(ctx, run.Info.RunID)
	fmt.Println(got.Info.Status, !got.Info.EndTime.IsZero())
	// Output:
	// xgb-1 RUNNING dev
	// FINISHED true
}

// GetRun returns the latest value of each metric, the params and tags.
func ExampleClient_GetRun() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	id := r.Info.RunID
	client.LogParam(ctx, id, "lr", "0.1")
	for step, loss := range []float64{0.9, 0.4} {
		client.LogMetric(ctx, id, "loss", loss, int64(step))
	}
	run, err := client.GetRun(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	m := run.Data.Metrics["loss"]
	fmt.Println(run.Info.ExperimentID, run.Data.Params["lr"], m.Value, m.Step)
	// Output:
	// 0 0.1 0.4 1
}

// SetTerminated ends a run at a given time with a status.
func ExampleClient_SetTerminated() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	start := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	r, _ := client.CreateRun(ctx, &mlflow.RunOptions{StartTime: start})
	if err := client.SetTerminated(ctx, r.Info.RunID, mlflow.StatusKilled, start.Add(90*time.Second)); err != nil {
		log.Fatal(err)
	}
	run, _ := client.GetRun(ctx, r.Info.RunID)
	fmt.Println(run.Info.Status, run.Info.EndTime.Sub(run.Info.StartTime))
	// Output:
	// KILLED 1m30s
}

// UpdateRun renames a run or changes its status without ending it.
func ExampleClient_UpdateRun() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, &mlflow.RunOptions{RunName: "draft"})
	info, err := client.UpdateRun(ctx, r.Info.RunID, mlflow.StatusRunning, "baseline")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.RunName, info.Status)
	// Output:
	// baseline RUNNING
}

// DeleteRun soft-deletes a run: searches leave it out unless asked for
// deleted runs; RestoreRun undoes it.
func ExampleClient_DeleteRun() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	if err := client.DeleteRun(ctx, r.Info.RunID); err != nil {
		log.Fatal(err)
	}
	active, _ := client.SearchRuns(ctx, nil)
	deleted, _ := client.SearchRuns(ctx, &mlflow.SearchRunsOptions{ViewType: mlflow.DeletedOnly})
	fmt.Println(len(active.Runs), len(deleted.Runs))
	if err := client.RestoreRun(ctx, r.Info.RunID); err != nil {
		log.Fatal(err)
	}
	run, _ := client.GetRun(ctx, r.Info.RunID)
	fmt.Println(run.Info.LifecycleStage)
	// Output:
	// 0 1
	// active
}

// RestoreRun brings a deleted run back.
func ExampleClient_RestoreRun() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	client.DeleteRun(ctx, r.Info.RunID)
	before, _ := client.GetRun(ctx, r.Info.RunID)
	if err := client.RestoreRun(ctx, r.Info.RunID); err != nil {
		log.Fatal(err)
	}
	after, _ := client.GetRun(ctx, r.Info.RunID)
	fmt.Println(before.Info.LifecycleStage, after.Info.LifecycleStage)
	// Output:
	// deleted active
}

// ResumeRun reopens a finished run to log more, as
// mlflow.start_run(run_id=...) does.
func ExampleClient_ResumeRun() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	first, _ := client.StartRun(ctx, nil)
	first.LogMetric(ctx, "auc", 0.8, 0)
	first.End(ctx, nil)

	again, err := client.ResumeRun(ctx, first.ID())
	if err != nil {
		log.Fatal(err)
	}
	mid, _ := client.GetRun(ctx, again.ID())
	again.LogMetric(ctx, "auc", 0.85, 1)
	again.End(ctx, nil)
	run, _ := client.GetRun(ctx, first.ID())
	fmt.Println(mid.Info.Status, run.Info.Status, run.Data.Metrics["auc"].Value)
	// Output:
	// RUNNING FINISHED 0.85
}

// SetTag sets or overwrites a run tag; DeleteTag removes it.
func ExampleClient_SetTag() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	client.SetTag(ctx, r.Info.RunID, "dataset", "v1")
	if err := client.SetTag(ctx, r.Info.RunID, "dataset", "v2"); err != nil {
		log.Fatal(err)
	}
	run, _ := client.GetRun(ctx, r.Info.RunID)
	fmt.Println(run.Data.Tags["dataset"])
	// Output:
	// v2
}

// DeleteTag removes a run tag; an unset tag is ErrNotFound.
func ExampleClient_DeleteTag() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	client.SetTag(ctx, r.Info.RunID, "dataset", "v1")
	fmt.Println(client.DeleteTag(ctx, r.Info.RunID, "dataset"))
	run, _ := client.GetRun(ctx, r.Info.RunID)
	_, ok := run.Data.Tags["dataset"]
	err := client.DeleteTag(ctx, r.Info.RunID, "dataset")
	fmt.Println(ok, errors.Is(err, mlflow.ErrNotFound))
	// Output:
	// <nil>
	// false true
}

// LogMetric appends a point; GetMetricHistory returns them all.
func ExampleClient_LogMetric() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	for step, acc := range []float64{0.7, 0.8, 0.75} {
		if err := client.LogMetric(ctx, r.Info.RunID, "acc", acc, int64(step)); err != nil {
			log.Fatal(err)
		}
	}
	run, _ := client.GetRun(ctx, r.Info.RunID)
	fmt.Println("latest", run.Data.Metrics["acc"].Value)
	// Output:
	// latest 0.75
}

// GetMetricHistory returns every point, ordered by step.
func ExampleClient_GetMetricHistory() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	for _, step := range []int64{2, 0, 1} {
		client.LogMetric(ctx, r.Info.RunID, "loss", 1/float64(step+1), step)
	}
	hist, err := client.GetMetricHistory(ctx, r.Info.RunID, "loss")
	if err != nil {
		log.Fatal(err)
	}
	for _, m := range hist {
		fmt.Printf("%d %.3f\n", m.Step, m.Value)
	}
	// Output:
	// 0 1.000
	// 1 0.500
	// 2 0.333
}

// LogBatch writes params, tags and metrics together; batches beyond
// MLflow's limits are split for the caller.
func ExampleClient_LogBatch() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	r, _ := client.CreateRun(ctx, nil)
	var b mlflow.Batch
	for i := range 250 {
		b.Params = append(b.Params, mlflow.Param{Key: fmt.Sprintf("feature_%03d", i), Value: "on"})
	}
	b.Tags = []mlflow.Tag{{Key: "stage", Value: "dev"}}
	b.Metrics = []mlflow.Metric{{Key: "rows", Value: 1e6}, {Key: "rows", Value: 2e6, Step: 1}}
	if err := client.LogBatch(ctx, r.Info.RunID, b); err != nil {
		log.Fatal(err)
	}
	run, _ := client.GetRun(ctx, r.Info.RunID)
	fmt.Println(len(run.Data.Params), run.Data.Tags["stage"], run.Data.Metrics["rows"].Value)
	// Output:
	// 250 dev 2e+06
}

// SearchRuns filters and orders runs with MLflow's syntax.
func ExampleClient_SearchRuns() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	exp, _ := client.GetOrCreateExperiment(ctx, "tuning")
	for i, depth := range []string{"4", "6", "8"} {
		r, _ := client.CreateRun(ctx, &mlflow.RunOptions{ExperimentID: exp, RunName: "depth-" + depth})
		client.LogParam(ctx, r.Info.RunID, "max_depth", depth)
		client.LogMetric(ctx, r.Info.RunID, "rmse", []float64{0.5, 0.3, 0.4}[i], 0)
	}
	page, err := client.SearchRuns(ctx, &mlflow.SearchRunsOptions{
		ExperimentIDs: []string{exp},
		Filter:        "metrics.rmse < 0.45",
		OrderBy:       []string{"metrics.rmse ASC"},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range page.Runs {
		fmt.Println(r.Info.RunName, r.Data.Metrics["rmse"].Value)
	}
	// Output:
	// depth-6 0.3
	// depth-8 0.4
}

// ParentRunID links a nested run to its parent.
func ExampleRun_ParentRunID() {
	ctx := context.Background()
	client, _, cleanup := store(ctx)
	defer cleanup()
	parent, _ := client.CreateRun(ctx, &mlflow.RunOptions{RunName: "sweep"})
	child, err := client.CreateRun(ctx, &mlflow.RunOptions{ParentRunID: parent.Info.RunID, RunName: "trial-1"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(child.ParentRunID() == parent.Info.RunID, parent.ParentRunID() == "")
	// Output:
	// true true
}

// keys lists a map's keys in order.
func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
