package mlflow

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"
)

// CreateExperimentOptions are the optional parts of CreateExperiment.
type CreateExperimentOptions struct {
	// ArtifactLocation overrides the store's default artifact root for the
	// experiment's runs.
	ArtifactLocation string
	Tags             map[string]string
}

func sortedTags(m map[string]string) []Tag {
	out := make([]Tag, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, Tag{Key: k, Value: m[k]})
	}
	return out
}

// CreateExperiment creates an experiment and returns its id. A name in use
// (also by a deleted experiment) fails with ErrAlreadyExists.
func (c *Client) CreateExperiment(ctx context.Context, name string, o *CreateExperimentOptions) (string, error) {
	if err := validateExperimentName(name); err != nil {
		return "", err
	}
	var loc string
	var tags []Tag
	if o != nil {
		loc, tags = o.ArtifactLocation, sortedTags(o.Tags)
	}
	for _, t := range tags {
		if err := validateKey("experiment tag", t.Key); err != nil {
			return "", err
		}
	}
	return c.be.createExperiment(ctx, name, loc, tags)
}

// GetExperiment returns an experiment by id (ErrNotFound if absent).
func (c *Client) GetExperiment(ctx context.Context, id string) (*Experiment, error) {
	return c.be.getExperiment(ctx, id)
}

// GetExperimentByName returns an experiment by name (ErrNotFound if absent).
func (c *Client) GetExperimentByName(ctx context.Context, name string) (*Experiment, error) {
	return c.be.getExperimentByName(ctx, name)
}

// GetOrCreateExperiment returns the id of the named experiment, creating it
// when it does not exist (mlflow.set_experiment's behaviour). A deleted
// experiment of that name is an error, as in MLflow.
func (c *Client) GetOrCreateExperiment(ctx context.Context, name string) (string, error) {
	e, err := c.be.getExperimentByName(ctx, name)
	if err == nil {
		if e.LifecycleStage == StageDeleted {
			return "", invalidParam("Cannot set a deleted experiment '%s' as the active experiment.", name)
		}
		return e.ID, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return "", err
	}
	id, err := c.CreateExperiment(ctx, name, nil)
	if errors.Is(err, ErrAlreadyExists) { // lost a race with another creator
		if e, gerr := c.be.getExperimentByName(ctx, name); gerr == nil {
			return e.ID, nil
		}
	}
	return id, err
}

// SearchExperiments returns one page of experiments; nil options mean
// active experiments, newest first.
func (c *Client) SearchExperiments(ctx context.Context, o *SearchExperimentsOptions) (*ExperimentPage, error) {
	var oo SearchExperimentsOptions
	if o != nil {
		oo = *o
	}
	return c.be.searchExperiments(ctx, oo)
}

// SetExperimentTag sets (or overwrites) a tag of an active experiment.
func (c *Client) SetExperimentTag(ctx context.Context, id, key, value string) error {
	if err := validateKey("experiment tag", key); err != nil {
		return err
	}
	if len(value) > MaxExperimentTagValue {
		return invalidParam("experiment tag %q value exceeds %d characters", key, MaxExperimentTagValue)
	}
	return c.be.setExperimentTag(ctx, id, key, value)
}

// DeleteExperiment soft-deletes an experiment and its runs.
func (c *Client) DeleteExperiment(ctx context.Context, id string) error {
	return c.be.deleteExperiment(ctx, id)
}

// RestoreExperiment undoes DeleteExperiment.
func (c *Client) RestoreExperiment(ctx context.Context, id string) error {
	return c.be.restoreExperiment(ctx, id)
}

// RunOptions describe a new run. The zero value starts a run in the Default
// experiment ("0") with a generated name.
type RunOptions struct {
	ExperimentID   string // wins over ExperimentName
	ExperimentName string // created when missing
	RunName        string // "" = generated adjective-noun-N, as MLflow does
	ParentRunID    string // makes a nested run (mlflow.parentRunId tag)
	Description    string // mlflow.note.content
	Tags           map[string]string
	StartTime      time.Time // zero = now
}

// CreateRun creates a RUNNING run and returns it. StartRun wraps it in an
// ActiveRun scope.
func (c *Client) CreateRun(ctx context.Context, o *RunOptions) (*Run, error) {
	var oo RunOptions
	if o != nil {
		oo = *o
	}
	expID := oo.ExperimentID
	if expID == "" && oo.ExperimentName != "" {
		id, err := c.GetOrCreateExperiment(ctx, oo.ExperimentName)
		if err != nil {
			return nil, err
		}
		expID = id
	}
	if expID == "" {
		expID = defaultExperimentID
	}
	tags := map[string]string{}
	maps.Copy(tags, oo.Tags)
	name := oo.RunName
	if tagName, ok := tags[TagRunName]; ok {
		if name != "" && tagName != name {
			return nil, invalidParam("Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='%s', mlflow.runName='%s').", name, tagName)
		}
		name = tagName
	}
	if name == "" {
		name = generateRunName()
	}
	tags[TagRunName] = name
	if _, ok := tags[TagUser]; !ok {
		tags[TagUser] = c.userID
	}
	if _, ok := tags[TagSourceType]; !ok {
		tags[TagSourceType] = "LOCAL"
	}
	if _, ok := tags[TagSourceName]; !ok && c.sourceName != "" {
		tags[TagSourceName] = c.sourceName
	}
	if oo.ParentRunID != "" {
		if _, err := c.be.getRun(ctx, oo.ParentRunID); err != nil {
			return nil, err
		}
		tags[TagParentRunID] = oo.ParentRunID
	}
	if oo.Description != "" {
		tags[TagNote] = oo.Description
	}
	list := sortedTags(tags)
	for _, t := range list {
		if err := validateTag(t); err != nil {
			return nil, err
		}
	}
	start := oo.StartTime
	if start.IsZero() {
		start = time.Now()
	}
	return c.be.createRun(ctx, createRunRequest{ExperimentID: expID, UserID: c.userID, RunName: name, StartTime: start, Tags: list})
}

// GetRun returns a run with its latest metrics, params and tags.
func (c *Client) GetRun(ctx context.Context, runID string) (*Run, error) {
	if err := validateRunID(runID); err != nil {
		return nil, err
	}
	return c.be.getRun(ctx, runID)
}

// SetTerminated ends a run with status (FINISHED, FAILED or KILLED) at
// endTime (zero = now).
func (c *Client) SetTerminated(ctx context.Context, runID string, status RunStatus, endTime time.Time) error {
	if !status.terminal() {
		return invalidParam("run status %q does not end a run", status)
	}
	if endTime.IsZero() {
		endTime = time.Now()
	}
	_, err := c.be.updateRun(ctx, runID, status, endTime, "")
	return err
}

// UpdateRun changes a run's status and/or name without ending it.
func (c *Client) UpdateRun(ctx context.Context, runID string, status RunStatus, runName string) (*RunInfo, error) {
	if status != "" && !status.valid() {
		return nil, invalidParam("invalid run status %q", status)
	}
	return c.be.updateRun(ctx, runID, status, time.Time{}, runName)
}

// DeleteRun soft-deletes a run; RestoreRun undoes it.
func (c *Client) DeleteRun(ctx context.Context, runID string) error {
	return c.be.deleteRun(ctx, runID)
}

// RestoreRun restores a deleted run.
func (c *Client) RestoreRun(ctx context.Context, runID string) error {
	return c.be.restoreRun(ctx, runID)
}

// SearchRuns returns one page of runs of the given experiments, filtered and
// ordered with MLflow's syntax. No experiment ids means the Default one.
func (c *Client) SearchRuns(ctx context.Context, o *SearchRunsOptions) (*RunPage, error) {
	var oo SearchRunsOptions
	if o != nil {
		oo = *o
	}
	if len(oo.ExperimentIDs) == 0 {
		oo.ExperimentIDs = []string{defaultExperimentID}
	}
	cs, err := parseFilter(oo.Filter)
	if err != nil {
		return nil, err
	}
	if err := validateRunFilter(cs); err != nil {
		return nil, err
	}
	if _, err := parseOrderBys(oo.OrderBy, validRunOrderBy); err != nil {
		return nil, err
	}
	return c.be.searchRuns(ctx, oo)
}

// LogParam logs a param. Params are immutable: logging another value for a
// key fails with ErrInvalidParameter; the same value again is accepted.
func (c *Client) LogParam(ctx context.Context, runID, key, value string) error {
	return c.LogBatch(ctx, runID, Batch{Params: []Param{{Key: key, Value: value}}})
}

// LogMetric appends one point (timestamp now) to a metric's history.
func (c *Client) LogMetric(ctx context.Context, runID, key string, value float64, step int64) error {
	return c.LogBatch(ctx, runID, Batch{Metrics: []Metric{{Key: key, Value: value, Step: step, Timestamp: time.Now()}}})
}

// SetTag sets (or overwrites) a run tag.
func (c *Client) SetTag(ctx context.Context, runID, key, value string) error {
	return c.LogBatch(ctx, runID, Batch{Tags: []Tag{{Key: key, Value: value}}})
}

// DeleteTag removes a run tag (ErrNotFound if it is not set).
func (c *Client) DeleteTag(ctx context.Context, runID, key string) error {
	if err := validateKey("tag", key); err != nil {
		return err
	}
	return c.be.deleteTag(ctx, runID, key)
}

// Batch is what LogBatch writes. Metrics with a zero Timestamp get now.
type Batch struct {
	Metrics []Metric
	Params  []Param
	Tags    []Tag
}

// LogBatch logs metrics, params and tags. A batch larger than MLflow's
// limits (100 params, 100 tags, 1000 metrics, 1000 entities and 1 MB per
// request) is split into several requests — params first, then tags, then
// metrics, as MLflow's client splits it — so callers need not count.
func (c *Client) LogBatch(ctx context.Context, runID string, b Batch) error {
	if err := validateRunID(runID); err != nil {
		return err
	}
	now := time.Now()
	metrics := slices.Clone(b.Metrics)
	for i := range metrics {
		if metrics[i].Timestamp.IsZero() {
			metrics[i].Timestamp = now
		}
	}
	params, tags := b.Params, b.Tags
	// Every entry is checked before the first request, so a bad key late in
	// a large batch does not leave the earlier chunks logged.
	if err := validateEntries(metrics, params, tags); err != nil {
		return err
	}
	for {
		if err := ctx.Err(); err != nil { // the embedded store does no network I/O that would notice
			return err
		}
		np, nt := min(len(params), MaxParamsTagsPerBatch), min(len(tags), MaxParamsTagsPerBatch)
		nm := min(len(metrics), MaxEntitiesPerBatch-np-nt, MaxMetricsPerBatch)
		// Long values can push a count-limited chunk past the 1 MB request
		// limit: halve the largest part until it fits (one entry always does).
		for batchSize(metrics[:nm], params[:np], tags[:nt]) > MaxBatchRequestBytes*9/10 && np+nt+nm > 1 {
			switch {
			case np >= nt && np >= nm:
				np /= 2
			case nt >= nm:
				nt /= 2
			default:
				nm /= 2
			}
		}
		if err := validateLimits(metrics[:nm], params[:np], tags[:nt]); err != nil {
			return err
		}
		if np+nt+nm == 0 {
			return nil
		}
		if err := c.be.logBatch(ctx, runID, metrics[:nm], params[:np], tags[:nt]); err != nil {
			return err
		}
		params, tags, metrics = params[np:], tags[nt:], metrics[nm:]
	}
}

// GetMetricHistory returns every logged point of a metric, ordered by step
// then timestamp. An unknown key gives an empty history.
func (c *Client) GetMetricHistory(ctx context.Context, runID, key string) ([]Metric, error) {
	if err := validateRunID(runID); err != nil {
		return nil, err
	}
	return c.be.getMetricHistory(ctx, runID, key)
}
