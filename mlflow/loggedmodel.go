package mlflow

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"
)

// LoggedModelStatus is the state of an MLflow 3 LoggedModel.
type LoggedModelStatus string

// LoggedModel statuses (MLflow's LoggedModelStatus names).
const (
	LoggedModelPending LoggedModelStatus = "PENDING"
	LoggedModelReady   LoggedModelStatus = "READY"
	LoggedModelFailed  LoggedModelStatus = "FAILED"
)

// The FileStore persists the status as the protocol enum number, the REST
// API as the enum name.
var (
	loggedModelStatusNumbers = map[LoggedModelStatus]int{LoggedModelPending: 1, LoggedModelReady: 2, LoggedModelFailed: 3}
	loggedModelStatusProto   = map[LoggedModelStatus]string{
		LoggedModelPending: "LOGGED_MODEL_PENDING", LoggedModelReady: "LOGGED_MODEL_READY", LoggedModelFailed: "LOGGED_MODEL_UPLOAD_FAILED",
	}
)

// LoggedModel is an MLflow 3 model entity: a model with its own id
// (m-<32 hex>) and artifact location inside an experiment, linked to the run
// that produced it. Models logged this way show in MLflow 3's Models tab and
// are addressed as models:/<model id>.
type LoggedModel struct {
	ModelID              string
	ExperimentID         string
	Name                 string
	ArtifactLocation     string
	ModelType            string
	SourceRunID          string
	Status               LoggedModelStatus
	StatusMessage        string
	CreationTimestamp    time.Time
	LastUpdatedTimestamp time.Time
	Tags                 map[string]string
	Params               map[string]string
}

type createLoggedModelRequest struct {
	ExperimentID string
	Name         string
	SourceRunID  string
	ModelType    string
	Tags         []Tag
	Params       []Param
}

// GetLoggedModel returns an MLflow 3 LoggedModel by id.
func (c *Client) GetLoggedModel(ctx context.Context, modelID string) (*LoggedModel, error) {
	return c.be.getLoggedModel(ctx, modelID)
}

// isLoggedModelURI reports whether uri is models:/<model id> (MLflow 3).
func loggedModelIDFromURI(uri string) (string, bool) {
	rest, ok := strings.CutPrefix(uri, "models:/")
	if !ok {
		return "", false
	}
	rest = strings.Trim(rest, "/")
	if strings.HasPrefix(rest, "m-") && !strings.ContainsAny(rest, "/@") {
		return rest, true
	}
	return "", false
}

type loggedModelMeta struct {
	ArtifactLocation     string     `yaml:"artifact_location"`
	CreationTimestamp    int64      `yaml:"creation_timestamp"`
	ExperimentID         flexString `yaml:"experiment_id"`
	LastUpdatedTimestamp int64      `yaml:"last_updated_timestamp"`
	LifecycleStage       string     `yaml:"lifecycle_stage,omitempty"`
	ModelID              string     `yaml:"model_id"`
	ModelType            *string    `yaml:"model_type"`
	Name                 string     `yaml:"name"`
	SourceRunID          *string    `yaml:"source_run_id"`
	Status               yaml.Node  `yaml:"status"`
	StatusMessage        *string    `yaml:"status_message"`
}

func (m *loggedModelMeta) status() LoggedModelStatus {
	v := m.Status.Value
	for s, n := range loggedModelStatusNumbers {
		if v == fmt.Sprint(n) || strings.EqualFold(v, string(s)) || v == loggedModelStatusProto[s] {
			return s
		}
	}
	return LoggedModelPending
}

func statusNode(s LoggedModelStatus) yaml.Node {
	return yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: fmt.Sprint(loggedModelStatusNumbers[s])}
}

// findLoggedModelDir locates <experiment>/models/<model id>.
func (s *fileStore) findLoggedModelDir(modelID string) (string, error) {
	if !strings.HasPrefix(modelID, "m-") || strings.ContainsAny(modelID, `/\.`) {
		return "", invalidParam("invalid logged model id %q", modelID)
	}
	dirs, err := s.listExperimentDirs()
	if err != nil {
		return "", err
	}
	for _, d := range dirs {
		md := filepath.Join(d, "models", modelID)
		if _, err := os.Stat(filepath.Join(md, metaFile)); err == nil {
			return md, nil
		}
	}
	return "", notFound("Model '%s' not found", modelID)
}

func (s *fileStore) createLoggedModel(ctx context.Context, r createLoggedModelRequest) (*LoggedModel, error) {
	expDir, err := s.activeExperimentDir(r.ExperimentID)
	if err != nil {
		return nil, err
	}
	exp, err := s.readExperiment(expDir)
	if err != nil {
		return nil, err
	}
	id := "m-" + strings.ReplaceAll(uuid.NewString(), "-", "")
	now := time.Now().UnixMilli()
	name := r.Name
	if name == "" {
		name = generateRunName()
	}
	m := loggedModelMeta{
		ArtifactLocation:  strings.TrimRight(exp.ArtifactLocation, "/") + "/models/" + id + "/artifacts",
		CreationTimestamp: now, ExperimentID: flexString(exp.ID), LastUpdatedTimestamp: now,
		LifecycleStage: string(StageActive), ModelID: id, ModelType: strOpt(r.ModelType), Name: name,
		SourceRunID: strOpt(r.SourceRunID), Status: statusNode(LoggedModelPending),
	}
	dir := filepath.Join(expDir, "models", id)
	for _, sub := range []string{"metrics", "params", "tags"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("mlflow: create logged model: %w", err)
		}
	}
	for _, p := range r.Params {
		if err := writeKeyFile(dir, "params", p.Key, p.Value); err != nil {
			return nil, err
		}
	}
	for _, t := range r.Tags {
		if err := writeKeyFile(dir, "tags", t.Key, t.Value); err != nil {
			return nil, err
		}
	}
	if err := writeYAML(filepath.Join(dir, metaFile), &m); err != nil {
		return nil, err
	}
	return s.getLoggedModel(ctx, id)
}

func (s *fileStore) readLoggedModel(dir string) (*LoggedModel, *loggedModelMeta, error) {
	var m loggedModelMeta
	if err := readYAML(filepath.Join(dir, metaFile), &m); err != nil {
		return nil, nil, err
	}
	tags, err := readKeyValueDir(filepath.Join(dir, "tags"))
	if err != nil {
		return nil, nil, err
	}
	params, err := readKeyValueDir(filepath.Join(dir, "params"))
	if err != nil {
		return nil, nil, err
	}
	return &LoggedModel{
		ModelID: m.ModelID, ExperimentID: string(m.ExperimentID), Name: m.Name, ArtifactLocation: m.ArtifactLocation,
		ModelType: optString(m.ModelType), SourceRunID: optString(m.SourceRunID), Status: m.status(),
		StatusMessage: optString(m.StatusMessage), CreationTimestamp: fromMillis(m.CreationTimestamp),
		LastUpdatedTimestamp: fromMillis(m.LastUpdatedTimestamp), Tags: tags, Params: params,
	}, &m, nil
}

func (s *fileStore) getLoggedModel(_ context.Context, modelID string) (*LoggedModel, error) {
	dir, err := s.findLoggedModelDir(modelID)
	if err != nil {
		return nil, err
	}
	lm, m, err := s.readLoggedModel(dir)
	if err != nil {
		return nil, err
	}
	if m.LifecycleStage == string(StageDeleted) {
		return nil, notFound("Model '%s' not found", modelID)
	}
	return lm, nil
}

func (s *fileStore) finalizeLoggedModel(ctx context.Context, modelID string, status LoggedModelStatus) (*LoggedModel, error) {
	s.mu.Lock()
	dir, err := s.findLoggedModelDir(modelID)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	var m loggedModelMeta
	if err := readYAML(filepath.Join(dir, metaFile), &m); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	m.Status, m.LastUpdatedTimestamp = statusNode(status), time.Now().UnixMilli()
	err = writeYAML(filepath.Join(dir, metaFile), &m)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s.getLoggedModel(ctx, modelID)
}

// runOutputMeta links a run to a model it produced (<run>/outputs/<model id>).
type runOutputMeta struct {
	DestinationID   string            `yaml:"destination_id"`
	DestinationType string            `yaml:"destination_type"`
	SourceID        string            `yaml:"source_id"`
	SourceType      string            `yaml:"source_type"`
	Step            int64             `yaml:"step"`
	Tags            map[string]string `yaml:"tags"`
}

func (s *fileStore) logOutputs(_ context.Context, runID, modelID string, step int64) error {
	dir, _, err := s.activeRunDir(runID)
	if err != nil {
		return err
	}
	out := filepath.Join(dir, "outputs", modelID, metaFile)
	if _, err := os.Stat(out); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mlflow: %w", err)
	}
	return writeYAML(out, &runOutputMeta{
		DestinationID: runID, DestinationType: "MODEL_OUTPUT", SourceID: modelID, SourceType: "RUN_OUTPUT",
		Step: step, Tags: map[string]string{},
	})
}
