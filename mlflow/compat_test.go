package mlflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

// TestPythonCompatibility writes a store with the embedded client, has the
// real MLflow (MlflowClient, search_runs, Model, migrate-filestore) read and
// assert it, then reads a store the real MLflow wrote. One Python process
// does all the Python work, because importing mlflow is slow.
//
// Skips: -short skips it whole (it needs Python and a real server, minutes
// of work). Without the MLflow venv it skips locally and fails under
// CI=true (mlflowVenv).
func TestPythonCompatibility(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the Python MLflow compatibility test needs Python and a real server (slow)")
	}
	t.Parallel()
	venv := mlflowVenv(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)

	goDir := filepath.Join(t.TempDir(), "mlruns")
	c, err := mlflow.NewClient(ctx, goDir, nil)
	require.NoError(t, err)
	// The server behind `mlflow ui`, serving the store Go writes; it boots
	// while the rest of this test runs.
	ui := startMLflowServer(t, "file://"+goDir)
	expID, err := c.CreateExperiment(ctx, "go-exp", &mlflow.CreateExperimentOptions{Tags: map[string]string{"team": "ml"}})
	require.NoError(t, err)

	start := time.UnixMilli(1_750_000_000_123)
	var runID, runName string
	var history [][]any
	train := func() (err error) {
		run, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID, StartTime: start, Tags: map[string]string{"owner": "etl"}})
		if err != nil {
			return err
		}
		defer run.End(ctx, &err)
		runID, runName = run.ID(), run.Info().RunName
		if err := run.LogParams(ctx, map[string]string{"max_depth": "6", "lr": "0.1", "nested/key": "v"}); err != nil {
			return err
		}
		var b mlflow.Batch
		for step := range int64(4) {
			ts := time.UnixMilli(1_750_000_001_000 + step)
			v := 1 / float64(step+1)
			b.Metrics = append(b.Metrics, mlflow.Metric{Key: "rmse", Value: v, Step: step, Timestamp: ts})
			history = append(history, []any{step, v, ts.UnixMilli()})
		}
		b.Metrics = append(b.Metrics, mlflow.Metric{Key: "nan_metric", Value: math.NaN(), Timestamp: start})
		if err := c.LogBatch(ctx, run.ID(), b); err != nil {
			return err
		}
		src := t.TempDir()
		os.WriteFile(filepath.Join(src, "report.txt"), []byte("hello from go"), 0o644)
		os.MkdirAll(filepath.Join(src, "figs", "sub"), 0o755)
		os.WriteFile(filepath.Join(src, "figs", "a.csv"), []byte("x,y\n1,2\n"), 0o644)
		os.WriteFile(filepath.Join(src, "figs", "sub", "b.txt"), []byte("b"), 0o644)
		if err := run.LogArtifact(ctx, filepath.Join(src, "report.txt"), ""); err != nil {
			return err
		}
		if err := run.LogArtifacts(ctx, filepath.Join(src, "figs"), "figs"); err != nil {
			return err
		}
		modelDir := t.TempDir()
		os.WriteFile(filepath.Join(modelDir, "weights.json"), []byte(`{"w":2}`), 0o644)
		in := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}, {Name: "city", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
		out := arrow.NewSchema([]arrow.Field{{Name: "y", Type: arrow.PrimitiveTypes.Float32}}, nil)
		bld := array.NewRecordBuilder(mem, in)
		defer bld.Release()
		bld.Field(0).(*array.Float64Builder).AppendValues([]float64{1.5, 2}, nil)
		bld.Field(1).(*array.StringBuilder).AppendValues([]string{"paris", "oslo"}, nil)
		bld.Field(2).(*array.Int64Builder).AppendValues([]int64{3, 4}, nil)
		ex := bld.NewRecordBatch()
		defer ex.Release()
		_, err = run.LogModel(ctx, "model", modelDir, &mlflow.LogModelOptions{GoFlavor: map[string]any{"data": "weights.json"}, Input: in, Output: out, InputExample: ex})
		return err
	}
	require.NoError(t, train())

	parent, err := c.GetRun(ctx, runID)
	require.NoError(t, err)
	child, err := c.CreateRun(ctx, &mlflow.RunOptions{ExperimentID: expID, ParentRunID: runID, RunName: "child"})
	require.NoError(t, err)
	failed := func() (err error) {
		r, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID, RunName: "failing"})
		if err != nil {
			return err
		}
		defer r.End(ctx, &err)
		if err := r.LogMetric(ctx, "rmse", 0.05, 0); err != nil {
			return err
		}
		return errors.New("boom")
	}
	require.Error(t, failed())
	page, err := c.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{expID}, Filter: "attributes.run_name = 'failing'"})
	require.NoError(t, err)
	failedID := page.Runs[0].Info.RunID
	gone, err := c.CreateRun(ctx, &mlflow.RunOptions{ExperimentID: expID, RunName: "gone"})
	require.NoError(t, err)
	require.NoError(t, c.DeleteRun(ctx, gone.Info.RunID))

	lmRun, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID, RunName: "mlflow3"})
	require.NoError(t, err)
	lmDir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(lmDir, "weights.json"), []byte(`{"w":3}`), 0o644))
	lmInfo, err := lmRun.LogModel(ctx, "lm", lmDir, &mlflow.LogModelOptions{
		LoggedModel: true, Input: arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil),
		RegisteredModelName: "pricing_v3",
	})
	require.NoError(t, err)
	var lmErr error
	lmRun.End(ctx, &lmErr)
	require.NoError(t, lmErr)

	trashed, err := c.CreateExperiment(ctx, "go-trashed", nil)
	require.NoError(t, err)
	_, err = c.CreateRun(ctx, &mlflow.RunOptions{ExperimentID: trashed, RunName: "in-trash"})
	require.NoError(t, err)
	require.NoError(t, c.DeleteExperiment(ctx, trashed))

	const model = "pricing"
	_, err = c.CreateRegisteredModel(ctx, model, &mlflow.RegisteredModelOptions{Description: "linear model", Tags: map[string]string{"domain": "pricing"}})
	require.NoError(t, err)
	_, err = c.CreateModelVersion(ctx, model, "runs:/"+runID+"/model", &mlflow.ModelVersionOptions{Description: "first", Tags: map[string]string{"validated": "true"}})
	require.NoError(t, err)
	_, err = c.CreateModelVersion(ctx, model, "runs:/"+runID+"/model", nil)
	require.NoError(t, err)
	require.NoError(t, c.SetAlias(ctx, model, "production", 1))
	require.NoError(t, c.SetAlias(ctx, model, "challenger", 2))
	_, err = c.RegisterModel(ctx, "runs:/"+runID+"/model", "main.default.pricing", nil)
	require.NoError(t, err)

	expect := map[string]any{
		"experiment_name": "go-exp", "experiment_id": expID, "run_id": runID, "run_name": runName,
		"start_time_ms": start.UnixMilli(), "artifact_uri": parent.Info.ArtifactURI,
		"params":      map[string]string{"max_depth": "6", "lr": "0.1", "nested/key": "v"},
		"tags":        map[string]string{"owner": "etl", "mlflow.runName": runName, "mlflow.source.type": "LOCAL"},
		"rmse_latest": 0.25, "rmse_history": history,
		"child_run_id": child.Info.RunID, "failed_run_id": failedID, "deleted_run_id": gone.Info.RunID,
		// failing (0.05, no params) is excluded by the params filter
		"search_result": []string{runID},
		"signature_inputs": []map[string]any{
			{"type": "double", "name": "x", "required": true},
			{"type": "string", "name": "city", "required": false},
			{"type": "long", "name": "n", "required": true},
		},
		"signature_outputs": []map[string]any{{"type": "float", "name": "y", "required": true}},
		"input_example":     map[string]any{"x": []float64{1.5, 2}, "city": []string{"paris", "oslo"}, "n": []int{3, 4}},
		"model_name":        model, "uc_model_name": "main.default.pricing",
		"trashed_experiment_id": trashed,
		"logged_model_id":       lmInfo.LoggedModel.ModelID, "logged_model_run_id": lmRun.ID(),
	}
	work := t.TempDir()
	expectPath := filepath.Join(work, "expect.json")
	b, err := json.Marshal(expect)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(expectPath, b, 0o644))
	pyDir := filepath.Join(work, "py-mlruns")
	outPath := filepath.Join(work, "out.json")
	stdout := runPython(t, venv, filepath.Join("testdata", "compat.py"), goDir, expectPath, pyDir, outPath)
	t.Log(strings.TrimSpace(stdout))
	var got struct {
		Checks          int              `json:"checks"`
		ExperimentID    string           `json:"experiment_id"`
		RunID           string           `json:"run_id"`
		ChildRunID      string           `json:"child_run_id"`
		RunStartMs      int64            `json:"run_start_ms"`
		SignatureInputs []map[string]any `json:"signature_inputs"`
	}
	ob, err := os.ReadFile(outPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(ob, &got))
	assert.GreaterOrEqual(t, got.Checks, 40, "Python asserted the Go store")

	// mlflow server / ui on the Go-written FileStore answers the UI's own
	// API calls; read it back through the REST client.
	ui.wait(t)
	resp, err := http.Get(ui.URL + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the UI page is served")
	rc, err := mlflow.NewClient(ctx, ui.URL, nil)
	require.NoError(t, err)
	ur, err := rc.GetRun(ctx, runID)
	require.NoError(t, err)
	assert.Equal(t, runName, ur.Info.RunName)
	assert.Equal(t, mlflow.StatusFinished, ur.Info.Status)
	assert.Equal(t, map[string]string{"max_depth": "6", "lr": "0.1", "nested/key": "v"}, ur.Data.Params)
	uh, err := rc.GetMetricHistory(ctx, runID, "rmse")
	require.NoError(t, err)
	assert.Len(t, uh, 4)
	upage, err := rc.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{expID}, Filter: "metrics.rmse < 1 and params.max_depth = '6'"})
	require.NoError(t, err)
	require.Len(t, upage.Runs, 1)
	assert.Equal(t, runID, upage.Runs[0].Info.RunID)
	umv, err := rc.GetModelVersionByAlias(ctx, model, "production")
	require.NoError(t, err)
	assert.Equal(t, int64(1), umv.Version)
	uarts, err := rc.ListArtifacts(ctx, runID, "")
	require.NoError(t, err)
	assert.Len(t, uarts, 3, "figs, model, report.txt")

	// The reverse: read what Python MLflow wrote.
	pc, err := mlflow.NewClient(ctx, "file://"+pyDir, nil)
	require.NoError(t, err)
	e, err := pc.GetExperimentByName(ctx, "py-exp")
	require.NoError(t, err)
	assert.Equal(t, got.ExperimentID, e.ID)
	assert.Equal(t, "python", e.Tags["origin"])
	r, err := pc.GetRun(ctx, got.RunID)
	require.NoError(t, err)
	assert.Equal(t, "py-run", r.Info.RunName)
	assert.Equal(t, mlflow.StatusFinished, r.Info.Status)
	assert.Equal(t, got.RunStartMs, r.Info.StartTime.UnixMilli())
	assert.Equal(t, map[string]string{"alpha": "0.5", "nested/key": "x"}, r.Data.Params)
	assert.Equal(t, "from python", r.Data.Tags["note"])
	assert.Equal(t, 0.25, r.Data.Metrics["loss"].Value)
	assert.True(t, math.IsInf(r.Data.Metrics["inf_metric"].Value, 1))
	hist, err := pc.GetMetricHistory(ctx, got.RunID, "loss")
	require.NoError(t, err)
	require.Len(t, hist, 3)
	for i, want := range []float64{0.9, 0.4, 0.25} {
		assert.Equal(t, want, hist[i].Value)
		assert.Equal(t, int64(i), hist[i].Step)
		assert.Equal(t, int64(1700000000000+i), hist[i].Timestamp.UnixMilli())
	}
	cr, err := pc.GetRun(ctx, got.ChildRunID)
	require.NoError(t, err)
	assert.Equal(t, got.RunID, cr.ParentRunID())
	assert.Equal(t, mlflow.StatusKilled, cr.Info.Status)
	page, err = pc.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{e.ID}, Filter: "metrics.loss < 0.5 and params.alpha = '0.5'"})
	require.NoError(t, err)
	require.Len(t, page.Runs, 1)
	arts, err := pc.ListArtifacts(ctx, got.RunID, "outputs")
	require.NoError(t, err)
	assert.Equal(t, []mlflow.FileInfo{{Path: "outputs/data.txt", FileSize: 15}}, arts)

	rm, err := pc.GetRegisteredModel(ctx, "py-model")
	require.NoError(t, err)
	assert.Equal(t, "from python", rm.Description)
	assert.Equal(t, map[string]string{"owner": "py"}, rm.Tags)
	assert.Equal(t, map[string]int64{"production": 1}, rm.Aliases)
	mv, err := pc.GetModelVersionByAlias(ctx, "py-model", "production")
	require.NoError(t, err)
	assert.Equal(t, got.RunID, mv.RunID)
	assert.Equal(t, map[string]string{"t": "1"}, mv.Tags)
	m, err := pc.LoadModel(ctx, "models:/py-model@production", t.TempDir())
	require.NoError(t, err)
	assert.Equal(t, "blob.bin", m.MLmodel.Flavors["custom"]["data"])
	wantIn := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Float64}, {Name: "b", Type: arrow.BinaryTypes.String}}, nil)
	assert.True(t, wantIn.Equal(m.MLmodel.Signature.Inputs), "python signature as Arrow: %s", m.MLmodel.Signature.Inputs)
	assert.Equal(t, got.RunID, m.MLmodel.RunID)
	blob, err := os.ReadFile(filepath.Join(m.Dir, "blob.bin"))
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1}, blob)
}
