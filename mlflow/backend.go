package mlflow

import (
	"context"
	"io"
	"time"
)

// backend is what both stores implement: the embedded FileStore and the REST
// client of a tracking server. Client adds validation that is the same for
// both, URI resolution and the run scope on top.
type backend interface {
	createExperiment(ctx context.Context, name, artifactLocation string, tags []Tag) (string, error)
	getExperiment(ctx context.Context, id string) (*Experiment, error)
	getExperimentByName(ctx context.Context, name string) (*Experiment, error)
	searchExperiments(ctx context.Context, o SearchExperimentsOptions) (*ExperimentPage, error)
	setExperimentTag(ctx context.Context, id, key, value string) error
	deleteExperiment(ctx context.Context, id string) error
	restoreExperiment(ctx context.Context, id string) error

	createRun(ctx context.Context, r createRunRequest) (*Run, error)
	getRun(ctx context.Context, runID string) (*Run, error)
	updateRun(ctx context.Context, runID string, status RunStatus, endTime time.Time, runName string) (*RunInfo, error)
	deleteRun(ctx context.Context, runID string) error
	restoreRun(ctx context.Context, runID string) error
	searchRuns(ctx context.Context, o SearchRunsOptions) (*RunPage, error)
	logBatch(ctx context.Context, runID string, metrics []Metric, params []Param, tags []Tag) error
	deleteTag(ctx context.Context, runID, key string) error
	getMetricHistory(ctx context.Context, runID, key string) ([]Metric, error)

	createLoggedModel(ctx context.Context, r createLoggedModelRequest) (*LoggedModel, error)
	getLoggedModel(ctx context.Context, modelID string) (*LoggedModel, error)
	finalizeLoggedModel(ctx context.Context, modelID string, status LoggedModelStatus) (*LoggedModel, error)
	logOutputs(ctx context.Context, runID, modelID string, step int64) error

	// artifacts opens the artifact repository rooted at an artifact URI (a
	// run's artifact_uri, or a model version's download URI).
	artifacts(ctx context.Context, rootURI string) (artifactRepo, error)

	createRegisteredModel(ctx context.Context, name, description string, tags []Tag) (*RegisteredModel, error)
	getRegisteredModel(ctx context.Context, name string) (*RegisteredModel, error)
	searchRegisteredModels(ctx context.Context, o SearchModelsOptions) (*RegisteredModelPage, error)
	updateRegisteredModel(ctx context.Context, name, description string) (*RegisteredModel, error)
	deleteRegisteredModel(ctx context.Context, name string) error
	setRegisteredModelTag(ctx context.Context, name, key, value string) error
	deleteRegisteredModelTag(ctx context.Context, name, key string) error

	createModelVersion(ctx context.Context, r createModelVersionRequest) (*ModelVersion, error)
	getModelVersion(ctx context.Context, name string, version int64) (*ModelVersion, error)
	searchModelVersions(ctx context.Context, o SearchModelsOptions) (*ModelVersionPage, error)
	updateModelVersion(ctx context.Context, name string, version int64, description string) (*ModelVersion, error)
	deleteModelVersion(ctx context.Context, name string, version int64) error
	setModelVersionTag(ctx context.Context, name string, version int64, key, value string) error
	deleteModelVersionTag(ctx context.Context, name string, version int64, key string) error
	getModelVersionDownloadURI(ctx context.Context, name string, version int64) (string, error)

	setAlias(ctx context.Context, name, alias string, version int64) error
	deleteAlias(ctx context.Context, name, alias string) error
	getModelVersionByAlias(ctx context.Context, name, alias string) (*ModelVersion, error)

	close() error
}

type createRunRequest struct {
	ExperimentID string
	UserID       string
	RunName      string
	StartTime    time.Time
	Tags         []Tag
}

type createModelVersionRequest struct {
	ModelID     string // MLflow 3 LoggedModel the version promotes
	Name        string
	Source      string
	RunID       string
	RunLink     string
	Description string
	Tags        []Tag
}

// artifactRepo stores the files under one artifact root. Paths are relative
// to the root and '/'-separated; "" is the root itself.
type artifactRepo interface {
	put(ctx context.Context, path string, r io.Reader) error
	list(ctx context.Context, path string) ([]FileInfo, error)
	open(ctx context.Context, path string) (io.ReadCloser, error)
}
