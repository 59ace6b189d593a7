package mlflow_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
	"github.com/lakehouse-go/lakehouse/mlflow"
)

// TestStoreConformance runs one behavioural suite against the embedded
// store and against a real `mlflow server`: same calls, same answers, same
// error codes.
//
// Skips: under -short the server half is skipped (booting a real server
// is the slow part; the embedded half still runs). Without the MLflow venv
// the server half skips locally and fails under CI=true.
func TestStoreConformance(t *testing.T) {
	t.Parallel() // the server boots while TestPythonCompatibility runs
	var srv *mlflowServer
	_, noVenv := findMLflowVenv()
	if !testing.Short() && noVenv == nil {
		srv = startMLflowServer(t, "") // starts now, boots while the embedded suite runs
	}
	t.Run("embedded", func(t *testing.T) {
		runStoreSuite(t, func(t *testing.T) *mlflow.Client {
			c, err := mlflow.NewClient(context.Background(), t.TempDir(), nil)
			require.NoError(t, err)
			return c
		})
	})
	t.Run("server", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: not booting a real mlflow server (slow); the embedded half ran")
		}
		if noVenv != nil {
			prereq.Missing(t, "%v", noVenv)
		}
		srv.wait(t)
		runStoreSuite(t, func(t *testing.T) *mlflow.Client {
			c, err := mlflow.NewClient(context.Background(), srv.URL, &mlflow.Options{MaxRetries: 2, BackoffFactor: 100 * time.Millisecond})
			require.NoError(t, err)
			return c
		})
	})
}

func uniq(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func runStoreSuite(t *testing.T, open func(t *testing.T) *mlflow.Client) {
	ctx := context.Background()
	t.Run("experiments", func(t *testing.T) {
		c := open(t)
		name := uniq("exp")
		id, err := c.CreateExperiment(ctx, name, &mlflow.CreateExperimentOptions{Tags: map[string]string{"team": "ml"}})
		require.NoError(t, err)
		_, err = c.CreateExperiment(ctx, name, nil)
		require.ErrorIs(t, err, mlflow.ErrAlreadyExists)
		assert.Equal(t, mlflow.CodeResourceAlreadyExists, mlflow.ErrorCodeOf(err))

		e, err := c.GetExperiment(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, name, e.Name)
		assert.Equal(t, "ml", e.Tags["team"])
		assert.Equal(t, mlflow.StageActive, e.LifecycleStage)
		byName, err := c.GetExperimentByName(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, id, byName.ID)
		_, err = c.GetExperimentByName(ctx, uniq("missing"))
		require.ErrorIs(t, err, mlflow.ErrNotFound)
		_, err = c.GetExperiment(ctx, "987654321")
		require.ErrorIs(t, err, mlflow.ErrNotFound)

		require.NoError(t, c.SetExperimentTag(ctx, id, "stage", "dev"))
		_, err = c.SearchExperiments(ctx, &mlflow.SearchExperimentsOptions{Filter: "metrics.rmse > 1"})
		require.ErrorIs(t, err, mlflow.ErrInvalidParameter, "experiments have no metrics")
		page, err := c.SearchExperiments(ctx, &mlflow.SearchExperimentsOptions{Filter: fmt.Sprintf("name = '%s' AND tags.stage = 'dev'", name)})
		require.NoError(t, err)
		require.Len(t, page.Experiments, 1)
		assert.Equal(t, id, page.Experiments[0].ID)

		require.NoError(t, c.DeleteExperiment(ctx, id))
		e, err = c.GetExperiment(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, mlflow.StageDeleted, e.LifecycleStage)
		page, err = c.SearchExperiments(ctx, &mlflow.SearchExperimentsOptions{Filter: fmt.Sprintf("name = '%s'", name)})
		require.NoError(t, err)
		assert.Empty(t, page.Experiments)
		page, err = c.SearchExperiments(ctx, &mlflow.SearchExperimentsOptions{Filter: fmt.Sprintf("name LIKE '%s'", name), ViewType: mlflow.DeletedOnly})
		require.NoError(t, err)
		assert.Len(t, page.Experiments, 1)
		_, err = c.CreateRun(ctx, &mlflow.RunOptions{ExperimentID: id})
		require.Error(t, err, "no runs in a deleted experiment")
		require.NoError(t, c.RestoreExperiment(ctx, id))
		e, err = c.GetExperiment(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, mlflow.StageActive, e.LifecycleStage)

		gid, err := c.GetOrCreateExperiment(ctx, name)
		require.NoError(t, err)
		assert.Equal(t, id, gid)
	})

	t.Run("runs", func(t *testing.T) {
		c := open(t)
		expID, err := c.CreateExperiment(ctx, uniq("runs"), nil)
		require.NoError(t, err)
		run, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID})
		require.NoError(t, err)
		assert.Regexp(t, regexp.MustCompile(`^[a-z]+-[a-z]+-\d{1,4}$`), run.Info().RunName)
		assert.Len(t, run.ID(), 32)

		require.NoError(t, run.LogParam(ctx, "max_depth", "6"))
		require.NoError(t, run.LogParam(ctx, "max_depth", "6"), "same value again is fine")
		err = run.LogParam(ctx, "max_depth", "7")
		require.ErrorIs(t, err, mlflow.ErrInvalidParameter)
		for step := range int64(5) {
			require.NoError(t, run.LogMetric(ctx, "rmse", 1/float64(step+1), step))
		}
		require.NoError(t, run.SetTag(ctx, "owner", "etl"))
		require.NoError(t, run.SetTag(ctx, "owner", "etl2"), "tags may be overwritten")
		require.NoError(t, run.SetTag(ctx, "tmp", "x"))
		require.NoError(t, c.DeleteTag(ctx, run.ID(), "tmp"))

		got, err := c.GetRun(ctx, run.ID())
		require.NoError(t, err)
		assert.Equal(t, mlflow.StatusRunning, got.Info.Status)
		assert.Equal(t, "6", got.Data.Params["max_depth"])
		assert.Equal(t, "etl2", got.Data.Tags["owner"])
		assert.NotContains(t, got.Data.Tags, "tmp")
		assert.Equal(t, run.Info().RunName, got.Data.Tags[mlflow.TagRunName])
		assert.InDelta(t, 0.2, got.Data.Metrics["rmse"].Value, 1e-12)
		assert.Equal(t, int64(4), got.Data.Metrics["rmse"].Step)

		hist, err := c.GetMetricHistory(ctx, run.ID(), "rmse")
		require.NoError(t, err)
		require.Len(t, hist, 5)
		for i, m := range hist {
			assert.Equal(t, int64(i), m.Step)
			assert.InDelta(t, 1/float64(i+1), m.Value, 1e-12)
			assert.WithinDuration(t, time.Now(), m.Timestamp, time.Minute)
		}
		hist, err = c.GetMetricHistory(ctx, run.ID(), "never_logged")
		require.NoError(t, err)
		assert.Empty(t, hist)

		// Scope: FINISHED on success, FAILED on error and on panic.
		okRun := func() (err error) {
			r, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID, RunName: "ok"})
			if err != nil {
				return err
			}
			defer r.End(ctx, &err)
			return r.LogMetric(ctx, "rmse", 0.5, 0)
		}
		failRun := func() (err error) {
			r, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID, RunName: "fail"})
			if err != nil {
				return err
			}
			defer r.End(ctx, &err)
			return errors.New("training diverged")
		}
		panicRun := func() (err error) {
			defer func() { recover() }()
			r, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID, RunName: "panic"})
			if err != nil {
				return err
			}
			defer r.End(ctx, &err)
			panic("boom")
		}
		cancelledRun := func() (err error) {
			r, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID, RunName: "cancelled"})
			if err != nil {
				return err
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			defer r.End(cctx, &err)
			return cctx.Err()
		}
		require.ErrorIs(t, cancelledRun(), context.Canceled)
		require.NoError(t, okRun())
		require.Error(t, failRun())
		panicRun()
		require.NoError(t, run.Finish(ctx, mlflow.StatusKilled))
		require.ErrorIs(t, run.LogMetric(ctx, "rmse", 1, 9), mlflow.ErrRunFinished)

		page, err := c.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{expID}, OrderBy: []string{"attributes.run_name ASC"}})
		require.NoError(t, err)
		status := map[string]mlflow.RunStatus{}
		for _, r := range page.Runs {
			status[r.Info.RunName] = r.Info.Status
			assert.False(t, r.Info.EndTime.IsZero(), "ended runs have an end time")
		}
		assert.Equal(t, mlflow.StatusFinished, status["ok"])
		assert.Equal(t, mlflow.StatusFailed, status["fail"])
		assert.Equal(t, mlflow.StatusFailed, status["panic"])
		assert.Equal(t, mlflow.StatusKilled, status["cancelled"])
		assert.Equal(t, mlflow.StatusKilled, status[run.Info().RunName])

		resumed, err := c.ResumeRun(ctx, run.ID())
		require.NoError(t, err)
		require.NoError(t, resumed.LogMetric(ctx, "rmse", 0.1, 5))
		var endErr error
		resumed.End(ctx, &endErr)
		require.NoError(t, endErr)
		got, err = c.GetRun(ctx, run.ID())
		require.NoError(t, err)
		assert.Equal(t, mlflow.StatusFinished, got.Info.Status)
		assert.InDelta(t, 0.1, got.Data.Metrics["rmse"].Value, 1e-12)

		info, err := c.UpdateRun(ctx, run.ID(), "", "renamed")
		require.NoError(t, err)
		assert.Equal(t, "renamed", info.RunName)
		got, err = c.GetRun(ctx, run.ID())
		require.NoError(t, err)
		assert.Equal(t, "renamed", got.Info.RunName)
		assert.Equal(t, "renamed", got.Data.Tags[mlflow.TagRunName])

		// Nested runs.
		parent, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID, RunName: "parent"})
		require.NoError(t, err)
		child, err := parent.StartChild(ctx, &mlflow.RunOptions{RunName: "child"})
		require.NoError(t, err)
		cr, err := c.GetRun(ctx, child.ID())
		require.NoError(t, err)
		assert.Equal(t, parent.ID(), cr.ParentRunID())
		assert.Equal(t, expID, cr.Info.ExperimentID)
		page, err = c.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{expID}, Filter: fmt.Sprintf("tags.mlflow.parentRunId = '%s'", parent.ID())})
		require.NoError(t, err)
		require.Len(t, page.Runs, 1)
		assert.Equal(t, child.ID(), page.Runs[0].Info.RunID)

		_, err = c.GetRun(ctx, "0123456789abcdef0123456789abcdef")
		require.ErrorIs(t, err, mlflow.ErrNotFound)
		assert.Equal(t, mlflow.CodeResourceDoesNotExist, mlflow.ErrorCodeOf(err))

		require.NoError(t, c.DeleteRun(ctx, child.ID()))
		require.ErrorIs(t, c.SetTag(ctx, child.ID(), "k", "v"), mlflow.ErrInvalidParameter, "deleted runs are read-only")
		page, err = c.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{expID}, ViewType: mlflow.DeletedOnly})
		require.NoError(t, err)
		require.Len(t, page.Runs, 1)
		require.NoError(t, c.RestoreRun(ctx, child.ID()))
	})

	t.Run("search", func(t *testing.T) {
		c := open(t)
		expID, err := c.CreateExperiment(ctx, uniq("search"), nil)
		require.NoError(t, err)
		type spec struct {
			name  string
			depth string
			rmse  float64
		}
		base := time.Now().Add(-time.Hour)
		ids := map[string]string{}
		for i, s := range []spec{{"a", "6", 0.5}, {"b", "6", 2}, {"c", "8", 0.2}, {"d", "6", 0.9}} {
			r, err := c.CreateRun(ctx, &mlflow.RunOptions{ExperimentID: expID, RunName: s.name, StartTime: base.Add(time.Duration(i) * time.Second)})
			require.NoError(t, err)
			ids[s.name] = r.Info.RunID
			require.NoError(t, c.LogBatch(ctx, r.Info.RunID, mlflow.Batch{
				Params:  []mlflow.Param{{Key: "max_depth", Value: s.depth}},
				Metrics: []mlflow.Metric{{Key: "rmse", Value: s.rmse}},
				Tags:    []mlflow.Tag{{Key: "group", Value: "g-" + s.depth}},
			}))
		}
		names := func(o mlflow.SearchRunsOptions) []string {
			t.Helper()
			o.ExperimentIDs = []string{expID}
			page, err := c.SearchRuns(ctx, &o)
			require.NoError(t, err)
			var out []string
			for _, r := range page.Runs {
				out = append(out, r.Info.RunName)
			}
			return out
		}
		assert.Equal(t, []string{"a", "d"}, names(mlflow.SearchRunsOptions{Filter: "metrics.rmse < 1 and params.max_depth = '6'", OrderBy: []string{"metrics.rmse ASC"}}))
		assert.Equal(t, []string{"d", "c", "b", "a"}, names(mlflow.SearchRunsOptions{}), "default order: newest start first")
		assert.Equal(t, []string{"b", "d", "a", "c"}, names(mlflow.SearchRunsOptions{OrderBy: []string{"metrics.rmse DESC"}}))
		assert.Equal(t, []string{"c"}, names(mlflow.SearchRunsOptions{Filter: "tags.group LIKE '%8'"}))
		assert.Equal(t, []string{"d"}, names(mlflow.SearchRunsOptions{Filter: "attributes.run_name = 'd'"}))
		dRun := names(mlflow.SearchRunsOptions{Filter: "attributes.run_name ILIKE 'D'"})
		assert.Equal(t, []string{"d"}, dRun)
		assert.Equal(t, []string{"b", "a"}, names(mlflow.SearchRunsOptions{Filter: fmt.Sprintf("attributes.run_id IN ('%s', '%s')", ids["a"], ids["b"])}))
		assert.Equal(t, []string{"c"}, names(mlflow.SearchRunsOptions{Filter: "params.max_depth != '6'"}))
		assert.Equal(t, []string{"a", "b"}, names(mlflow.SearchRunsOptions{Filter: "metrics.rmse >= 0.5", OrderBy: []string{"attributes.start_time ASC"}, MaxResults: 2}))

		page, err := c.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{expID}, MaxResults: 3})
		require.NoError(t, err)
		require.Len(t, page.Runs, 3)
		require.NotEmpty(t, page.NextPageToken)
		page, err = c.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{expID}, MaxResults: 3, PageToken: page.NextPageToken})
		require.NoError(t, err)
		require.Len(t, page.Runs, 1)
		assert.Equal(t, "a", page.Runs[0].Info.RunName)

		for _, bad := range []string{"metrics.rmse < 'x'", "params.max_depth > 3", "nonsense.key = 'x'", "metrics.rmse <", "metrics.rmse = 1 OR metrics.rmse = 2", "attributes.run_name IN ('a')"} {
			_, err := c.SearchRuns(ctx, &mlflow.SearchRunsOptions{ExperimentIDs: []string{expID}, Filter: bad})
			require.ErrorIs(t, err, mlflow.ErrInvalidParameter, bad)
		}
	})

	t.Run("batch", func(t *testing.T) {
		c := open(t)
		r, err := c.CreateRun(ctx, nil)
		require.NoError(t, err)
		var b mlflow.Batch
		for i := range 250 {
			b.Params = append(b.Params, mlflow.Param{Key: fmt.Sprintf("p%03d", i), Value: fmt.Sprint(i)})
		}
		for i := range 2500 {
			b.Metrics = append(b.Metrics, mlflow.Metric{Key: "loss", Value: float64(i), Step: int64(i)})
		}
		b.Metrics = append(b.Metrics, mlflow.Metric{Key: "nan", Value: math.NaN()}, mlflow.Metric{Key: "inf", Value: math.Inf(1)})
		require.NoError(t, c.LogBatch(ctx, r.Info.RunID, b), "a batch over MLflow's limits is split")
		got, err := c.GetRun(ctx, r.Info.RunID)
		require.NoError(t, err)
		assert.Len(t, got.Data.Params, 250)
		assert.Equal(t, 2499.0, got.Data.Metrics["loss"].Value)
		assert.True(t, math.IsNaN(got.Data.Metrics["nan"].Value))
		// The FileStore keeps +Inf; MLflow's SQL store clamps it to MaxFloat64.
		assert.True(t, math.IsInf(got.Data.Metrics["inf"].Value, 1) || got.Data.Metrics["inf"].Value == math.MaxFloat64)
		hist, err := c.GetMetricHistory(ctx, r.Info.RunID, "loss")
		require.NoError(t, err)
		assert.Len(t, hist, 2500)

		// 100 long params + 100 long tags pass the count limits but not 1 MB.
		var long mlflow.Batch
		for i := range 100 {
			long.Params = append(long.Params, mlflow.Param{Key: fmt.Sprintf("long%03d", i), Value: strings.Repeat("p", mlflow.MaxParamValueLength)})
			long.Tags = append(long.Tags, mlflow.Tag{Key: fmt.Sprintf("long%03d", i), Value: strings.Repeat("t", mlflow.MaxTagValueLength)})
		}
		require.NoError(t, c.LogBatch(ctx, r.Info.RunID, long), "split by request size too")
		got, err = c.GetRun(ctx, r.Info.RunID)
		require.NoError(t, err)
		assert.Len(t, got.Data.Params, 350)
		assert.Len(t, got.Data.Tags["long099"], mlflow.MaxTagValueLength)

		err = c.LogParam(ctx, r.Info.RunID, "big", string(make([]byte, mlflow.MaxParamValueLength+1)))
		require.ErrorIs(t, err, mlflow.ErrInvalidParameter)
		err = c.LogParam(ctx, r.Info.RunID, "../escape", "x")
		require.ErrorIs(t, err, mlflow.ErrInvalidParameter)
	})

	t.Run("artifacts", func(t *testing.T) {
		c := open(t)
		r, err := c.CreateRun(ctx, nil)
		require.NoError(t, err)
		src := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(src, "report.txt"), []byte("hello"), 0o644))
		require.NoError(t, os.MkdirAll(filepath.Join(src, "plots", "sub"), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(src, "plots", "a.csv"), []byte("x,y\n1,2\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(src, "plots", "sub", "b.bin"), []byte{0, 1, 2}, 0o644))
		id := r.Info.RunID
		require.NoError(t, c.LogArtifact(ctx, id, filepath.Join(src, "report.txt"), ""))
		require.NoError(t, c.LogArtifacts(ctx, id, filepath.Join(src, "plots"), "figs"))
		require.NoError(t, c.LogText(ctx, id, "note", "notes/n.txt"))

		root, err := c.ListArtifacts(ctx, id, "")
		require.NoError(t, err)
		assert.Equal(t, []mlflow.FileInfo{{Path: "figs", IsDir: true}, {Path: "notes", IsDir: true}, {Path: "report.txt", FileSize: 5}}, root)
		figs, err := c.ListArtifacts(ctx, id, "figs")
		require.NoError(t, err)
		assert.Equal(t, []mlflow.FileInfo{{Path: "figs/a.csv", FileSize: 8}, {Path: "figs/sub", IsDir: true}}, figs)

		dst := t.TempDir()
		local, err := c.DownloadArtifacts(ctx, id, "figs", dst)
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(local, "sub", "b.bin"))
		require.NoError(t, err)
		assert.Equal(t, []byte{0, 1, 2}, b)
		local, err = c.DownloadURI(ctx, "runs:/"+id+"/report.txt", t.TempDir())
		require.NoError(t, err)
		b, err = os.ReadFile(local)
		require.NoError(t, err)
		assert.Equal(t, "hello", string(b))
	})

	t.Run("models_and_registry", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		c := open(t)
		run, err := c.StartRun(ctx, nil)
		require.NoError(t, err)
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "weights.json"), []byte(`{"w":[2.0],"b":1.0}`), 0o644))
		in := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}, {Name: "city", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
		out := arrow.NewSchema([]arrow.Field{{Name: "y", Type: arrow.PrimitiveTypes.Float64}}, nil)
		bld := array.NewRecordBuilder(mem, in)
		defer bld.Release()
		bld.Field(0).(*array.Float64Builder).AppendValues([]float64{1, 2}, nil)
		bld.Field(1).(*array.StringBuilder).AppendValues([]string{"paris", ""}, []bool{true, false})
		example := bld.NewRecordBatch()
		defer example.Release()

		model := uniq("catalog.schema.model")
		info, err := run.LogModel(ctx, "model", dir, &mlflow.LogModelOptions{
			GoFlavor: map[string]any{"data": "weights.json"}, Input: in, Output: out, InputExample: example,
			RegisteredModelName: model,
		})
		require.NoError(t, err)
		var endErr error
		run.End(ctx, &endErr)
		require.NoError(t, endErr)
		require.NotNil(t, info.Version)
		assert.Equal(t, int64(1), info.Version.Version)
		assert.Equal(t, run.ID(), info.Version.RunID)

		v2, err := c.CreateModelVersion(ctx, model, info.ModelURI, &mlflow.ModelVersionOptions{Description: "second", Tags: map[string]string{"quality": "good"}})
		require.NoError(t, err)
		assert.Equal(t, int64(2), v2.Version)
		require.NoError(t, c.SetAlias(ctx, model, "production", 1))
		require.NoError(t, c.SetAlias(ctx, model, "challenger", 2))
		require.NoError(t, c.SetModelVersionTag(ctx, model, 1, "validated", "true"))
		require.NoError(t, c.SetRegisteredModelTag(ctx, model, "domain", "pricing"))
		_, err = c.UpdateRegisteredModel(ctx, model, "linear pricing model")
		require.NoError(t, err)
		_, err = c.UpdateModelVersion(ctx, model, 1, "first")
		require.NoError(t, err)

		rm, err := c.GetRegisteredModel(ctx, model)
		require.NoError(t, err)
		assert.Equal(t, "linear pricing model", rm.Description)
		assert.Equal(t, "pricing", rm.Tags["domain"])
		assert.Equal(t, map[string]int64{"production": 1, "challenger": 2}, rm.Aliases)

		mv, err := c.GetModelVersionByAlias(ctx, model, "production")
		require.NoError(t, err)
		assert.Equal(t, int64(1), mv.Version)
		assert.Equal(t, "first", mv.Description)
		assert.Equal(t, "true", mv.Tags["validated"])
		assert.Equal(t, []string{"production"}, mv.Aliases)

		page, err := c.SearchModelVersions(ctx, &mlflow.SearchModelsOptions{Filter: fmt.Sprintf("name = '%s'", model)})
		require.NoError(t, err)
		assert.Len(t, page.Versions, 2)
		page, err = c.SearchModelVersions(ctx, &mlflow.SearchModelsOptions{Filter: fmt.Sprintf("run_id = '%s'", run.ID())})
		require.NoError(t, err)
		assert.Len(t, page.Versions, 2)
		rms, err := c.SearchRegisteredModels(ctx, &mlflow.SearchModelsOptions{Filter: fmt.Sprintf("name LIKE '%s'", model)})
		require.NoError(t, err)
		require.Len(t, rms.Models, 1)

		for _, uri := range []string{"models:/" + model + "@production", "models:/" + model + "/1", "models:/" + model + "/latest", info.ModelURI} {
			m, err := c.LoadModel(ctx, uri, t.TempDir())
			require.NoError(t, err, uri)
			flavor, ok := m.GoFlavor()
			require.True(t, ok)
			assert.Equal(t, "weights.json", flavor["data"])
			assert.True(t, m.MLmodel.Signature.Inputs.Equal(in), "signature inputs round trip: %s", m.MLmodel.Signature.Inputs)
			assert.True(t, m.MLmodel.Signature.Outputs.Equal(out))
			f, err := m.Open("weights.json")
			require.NoError(t, err)
			f.Close()
			ex, err := m.InputExample(mem)
			require.NoError(t, err)
			assert.True(t, array.RecordEqual(example, ex), "input example round trip")
			ex.Release()
		}

		_, err = c.GetModelVersionByAlias(ctx, model, "staging")
		require.ErrorIs(t, err, mlflow.ErrAliasNotFound)
		assert.Equal(t, mlflow.CodeInvalidParameterValue, mlflow.ErrorCodeOf(err), "MLflow's code for a missing alias")
		require.ErrorIs(t, c.SetAlias(ctx, model, "v3", 1), mlflow.ErrInvalidParameter, "version-like aliases are reserved")
		require.NoError(t, c.DeleteAlias(ctx, model, "challenger"))
		_, err = c.GetModelVersionByAlias(ctx, model, "challenger")
		require.ErrorIs(t, err, mlflow.ErrAliasNotFound)
		_, err = c.CreateRegisteredModel(ctx, model, nil)
		require.ErrorIs(t, err, mlflow.ErrAlreadyExists)
		require.NoError(t, c.DeleteModelVersion(ctx, model, 2))
		_, err = c.GetModelVersion(ctx, model, 2)
		require.ErrorIs(t, err, mlflow.ErrNotFound)
		require.NoError(t, c.DeleteRegisteredModel(ctx, model))
		_, err = c.GetRegisteredModel(ctx, model)
		require.ErrorIs(t, err, mlflow.ErrNotFound)
	})

	t.Run("mlflow3_logged_model", func(t *testing.T) {
		c := open(t)
		expID, err := c.CreateExperiment(ctx, uniq("lm"), nil)
		require.NoError(t, err)
		run, err := c.StartRun(ctx, &mlflow.RunOptions{ExperimentID: expID})
		require.NoError(t, err)
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "weights.json"), []byte(`{"w":1}`), 0o644))
		name := uniq("lm-model")
		in := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil)
		info, err := run.LogModel(ctx, "model", dir, &mlflow.LogModelOptions{LoggedModel: true, Input: in, RegisteredModelName: name})
		require.NoError(t, err)
		require.NotNil(t, info.LoggedModel)
		assert.Regexp(t, `^models:/m-[0-9a-f]{32}$`, info.ModelURI)
		assert.Equal(t, mlflow.LoggedModelReady, info.LoggedModel.Status)
		assert.Equal(t, run.ID(), info.LoggedModel.SourceRunID)
		assert.Equal(t, expID, info.LoggedModel.ExperimentID)
		lm, err := c.GetLoggedModel(ctx, info.LoggedModel.ModelID)
		require.NoError(t, err)
		assert.Equal(t, "model", lm.Name)
		assert.Equal(t, "go", lm.ModelType)
		assert.Equal(t, run.ID(), info.Version.RunID, "run id taken from the logged model")
		assert.Equal(t, info.ModelURI, info.Version.Source)
		require.NoError(t, c.SetAlias(ctx, name, "production", info.Version.Version))
		for _, uri := range []string{info.ModelURI, "models:/" + name + "@production"} {
			m, err := c.LoadModel(ctx, uri, t.TempDir())
			require.NoError(t, err, uri)
			assert.Equal(t, lm.ModelID, m.MLmodel.ModelID)
			b, err := os.ReadFile(filepath.Join(m.Dir, "weights.json"))
			require.NoError(t, err)
			assert.Equal(t, `{"w":1}`, string(b))
		}
		_, err = c.GetLoggedModel(ctx, "m-00000000000000000000000000000000")
		require.ErrorIs(t, err, mlflow.ErrNotFound)
	})
}
