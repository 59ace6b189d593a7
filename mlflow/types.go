package mlflow

import (
	"fmt"
	"time"
)

// RunStatus is the lifecycle status of a run.
type RunStatus string

// Run statuses, with MLflow's names. The embedded store persists them as the
// protocol enum numbers (RUNNING=1 … KILLED=5) the way MLflow's FileStore does.
const (
	StatusRunning   RunStatus = "RUNNING"
	StatusScheduled RunStatus = "SCHEDULED"
	StatusFinished  RunStatus = "FINISHED"
	StatusFailed    RunStatus = "FAILED"
	StatusKilled    RunStatus = "KILLED"
)

var runStatusNumbers = map[RunStatus]int{
	StatusRunning: 1, StatusScheduled: 2, StatusFinished: 3, StatusFailed: 4, StatusKilled: 5,
}

func (s RunStatus) valid() bool { _, ok := runStatusNumbers[s]; return ok }

// terminal reports whether the status ends a run (it gets an end time).
func (s RunStatus) terminal() bool {
	return s == StatusFinished || s == StatusFailed || s == StatusKilled
}

func runStatusFromNumber(n int) (RunStatus, error) {
	for s, v := range runStatusNumbers {
		if v == n {
			return s, nil
		}
	}
	return "", fmt.Errorf("mlflow: unknown run status %d", n)
}

// LifecycleStage tells whether an experiment or run is deleted.
type LifecycleStage string

// Lifecycle stages.
const (
	StageActive  LifecycleStage = "active"
	StageDeleted LifecycleStage = "deleted"
)

// ViewType selects active, deleted or all experiments / runs in searches.
type ViewType string

// View types as MLflow names them. The zero value means ActiveOnly.
const (
	ActiveOnly  ViewType = "ACTIVE_ONLY"
	DeletedOnly ViewType = "DELETED_ONLY"
	AllViews    ViewType = "ALL"
)

func (v ViewType) includes(stage LifecycleStage) bool {
	switch v {
	case DeletedOnly:
		return stage == StageDeleted
	case AllViews:
		return true
	default:
		return stage != StageDeleted
	}
}

// Experiment groups runs.
type Experiment struct {
	ID               string
	Name             string
	ArtifactLocation string
	LifecycleStage   LifecycleStage
	CreationTime     time.Time
	LastUpdateTime   time.Time
	Tags             map[string]string
}

// RunInfo is the metadata of a run.
type RunInfo struct {
	RunID          string
	RunName        string
	ExperimentID   string
	UserID         string
	Status         RunStatus
	StartTime      time.Time
	EndTime        time.Time // zero while the run is active
	ArtifactURI    string
	LifecycleStage LifecycleStage
}

// Metric is one logged point of a metric.
type Metric struct {
	Key       string
	Value     float64
	Timestamp time.Time
	Step      int64
}

// Param is a run parameter; once logged its value cannot change.
type Param struct {
	Key   string
	Value string
}

// Tag is a key/value annotation of an experiment, run, model or version.
type Tag struct {
	Key   string
	Value string
}

// RunData holds the latest value of each metric, the params and the tags.
type RunData struct {
	Metrics map[string]Metric // latest point per key, MLflow's rule
	Params  map[string]string
	Tags    map[string]string
}

// Run is a run's info and data.
type Run struct {
	Info RunInfo
	Data RunData
}

// ParentRunID returns the mlflow.parentRunId tag, "" for a top-level run.
func (r *Run) ParentRunID() string { return r.Data.Tags[TagParentRunID] }

// FileInfo describes one artifact.
type FileInfo struct {
	Path     string // relative to the run's artifact root, '/'-separated
	IsDir    bool
	FileSize int64
}

// ExperimentPage is one page of SearchExperiments.
type ExperimentPage struct {
	Experiments   []*Experiment
	NextPageToken string
}

// RunPage is one page of SearchRuns.
type RunPage struct {
	Runs          []*Run
	NextPageToken string
}

// RegisteredModel is a named model in the registry.
type RegisteredModel struct {
	Name                 string
	Description          string
	CreationTimestamp    time.Time
	LastUpdatedTimestamp time.Time
	Tags                 map[string]string
	Aliases              map[string]int64 // alias -> version
	LatestVersions       []*ModelVersion
}

// ModelVersion is one version of a registered model.
type ModelVersion struct {
	Name                 string
	Version              int64
	Description          string
	CreationTimestamp    time.Time
	LastUpdatedTimestamp time.Time
	UserID               string
	CurrentStage         string
	Source               string
	RunID                string
	RunLink              string
	Status               string
	StatusMessage        string
	Tags                 map[string]string
	Aliases              []string
}

// RegisteredModelPage is one page of SearchRegisteredModels.
type RegisteredModelPage struct {
	Models        []*RegisteredModel
	NextPageToken string
}

// ModelVersionPage is one page of SearchModelVersions.
type ModelVersionPage struct {
	Versions      []*ModelVersion
	NextPageToken string
}

// Well-known tags MLflow and its UI read.
const (
	TagRunName         = "mlflow.runName"
	TagParentRunID     = "mlflow.parentRunId"
	TagUser            = "mlflow.user"
	TagSourceName      = "mlflow.source.name"
	TagSourceType      = "mlflow.source.type"
	TagNote            = "mlflow.note.content"
	TagLogModelHistory = "mlflow.log-model.history"
)

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
