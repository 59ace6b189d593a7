package mlflow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// ActiveRun is a run being recorded: the Go counterpart of Python's
// `with mlflow.start_run():`. Use it as
//
//	run, err := client.StartRun(ctx, &mlflow.RunOptions{ExperimentName: "etl"})
//	if err != nil { return err }
//	defer run.End(ctx, &err) // FINISHED, or FAILED when err != nil or on panic
//
// An ActiveRun is safe for concurrent use.
type ActiveRun struct {
	client *Client
	info   RunInfo
	mu     sync.Mutex
	ended  bool
}

// StartRun creates a run and returns its scope.
func (c *Client) StartRun(ctx context.Context, o *RunOptions) (*ActiveRun, error) {
	r, err := c.CreateRun(ctx, o)
	if err != nil {
		return nil, err
	}
	return &ActiveRun{client: c, info: r.Info}, nil
}

// ResumeRun reopens an existing run (as mlflow.start_run(run_id=…) does):
// its status goes back to RUNNING and it can be logged to and ended again.
func (c *Client) ResumeRun(ctx context.Context, runID string) (*ActiveRun, error) {
	if _, err := c.UpdateRun(ctx, runID, StatusRunning, ""); err != nil {
		return nil, err
	}
	r, err := c.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	return &ActiveRun{client: c, info: r.Info}, nil
}

// ID returns the run id.
func (r *ActiveRun) ID() string { return r.info.RunID }

// Info returns the run's info as it was when the scope started.
func (r *ActiveRun) Info() RunInfo { return r.info }

// Client returns the client the run logs through.
func (r *ActiveRun) Client() *Client { return r.client }

func (r *ActiveRun) check() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return ErrRunFinished
	}
	return nil
}

// LogParam logs one param (immutable once logged).
func (r *ActiveRun) LogParam(ctx context.Context, key, value string) error {
	if err := r.check(); err != nil {
		return err
	}
	return r.client.LogParam(ctx, r.info.RunID, key, value)
}

// LogParams logs several params in one batch.
func (r *ActiveRun) LogParams(ctx context.Context, params map[string]string) error {
	if err := r.check(); err != nil {
		return err
	}
	b := Batch{}
	for _, k := range slices.Sorted(maps.Keys(params)) {
		b.Params = append(b.Params, Param{Key: k, Value: params[k]})
	}
	return r.client.LogBatch(ctx, r.info.RunID, b)
}

// LogMetric logs one point of a metric at step.
func (r *ActiveRun) LogMetric(ctx context.Context, key string, value float64, step int64) error {
	if err := r.check(); err != nil {
		return err
	}
	return r.client.LogMetric(ctx, r.info.RunID, key, value, step)
}

// LogMetrics logs several metrics at the same step and timestamp.
func (r *ActiveRun) LogMetrics(ctx context.Context, metrics map[string]float64, step int64) error {
	if err := r.check(); err != nil {
		return err
	}
	now := time.Now()
	b := Batch{}
	for _, k := range slices.Sorted(maps.Keys(metrics)) {
		b.Metrics = append(b.Metrics, Metric{Key: k, Value: metrics[k], Step: step, Timestamp: now})
	}
	return r.client.LogBatch(ctx, r.info.RunID, b)
}

// SetTag sets a run tag.
func (r *ActiveRun) SetTag(ctx context.Context, key, value string) error {
	if err := r.check(); err != nil {
		return err
	}
	return r.client.SetTag(ctx, r.info.RunID, key, value)
}

// LogArtifact uploads a local file under artifactPath.
func (r *ActiveRun) LogArtifact(ctx context.Context, localPath, artifactPath string) error {
	if err := r.check(); err != nil {
		return err
	}
	return r.client.LogArtifact(ctx, r.info.RunID, localPath, artifactPath)
}

// LogArtifacts uploads a local directory under artifactPath.
func (r *ActiveRun) LogArtifacts(ctx context.Context, localDir, artifactPath string) error {
	if err := r.check(); err != nil {
		return err
	}
	return r.client.LogArtifacts(ctx, r.info.RunID, localDir, artifactPath)
}

// LogModel logs a model directory as the run's artifact artifactPath; see
// Client.LogModel.
func (r *ActiveRun) LogModel(ctx context.Context, artifactPath, modelDir string, o *LogModelOptions) (*ModelInfo, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	return r.client.LogModel(ctx, r.info.RunID, artifactPath, modelDir, o)
}

// StartChild starts a nested run (tag mlflow.parentRunId) in the same
// experiment unless o names another.
func (r *ActiveRun) StartChild(ctx context.Context, o *RunOptions) (*ActiveRun, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	var oo RunOptions
	if o != nil {
		oo = *o
	}
	oo.ParentRunID = r.info.RunID
	if oo.ExperimentID == "" && oo.ExperimentName == "" {
		oo.ExperimentID = r.info.ExperimentID
	}
	return r.client.StartRun(ctx, &oo)
}

// Finish ends the run with status (FINISHED, FAILED or KILLED).
func (r *ActiveRun) Finish(ctx context.Context, status RunStatus) error {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return ErrRunFinished
	}
	r.ended = true
	r.mu.Unlock()
	return r.client.SetTerminated(ctx, r.info.RunID, status, time.Now())
}

// End is meant for defer: it ends the run FINISHED when *errp is nil,
// KILLED when it holds context.Canceled (the job was cancelled, e.g. by
// signal.NotifyContext on SIGINT), FAILED for any other error, and FAILED
// (then re-panics) when the function panics. A failure to end the run is joined into *errp. A second
// End is a no-op. errp may be nil.
func (r *ActiveRun) End(ctx context.Context, errp *error) {
	p := recover()
	status := StatusFinished
	switch {
	case p != nil:
		status = StatusFailed
	case errp != nil && errors.Is(*errp, context.Canceled):
		status = StatusKilled // cancelled from outside, e.g. on SIGINT via signal.NotifyContext
	case errp != nil && *errp != nil:
		status = StatusFailed
	}
	// The caller's context may be cancelled; ending the run must still be
	// recorded, so it runs detached with a bound.
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	err := r.Finish(endCtx, status)
	if err != nil && !errors.Is(err, ErrRunFinished) && errp != nil {
		*errp = errors.Join(*errp, fmt.Errorf("mlflow: end run %s: %w", r.info.RunID, err))
	}
	if p != nil {
		panic(p)
	}
}
