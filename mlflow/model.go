package mlflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
	"gopkg.in/yaml.v3"
)

// GoFlavor is the flavor name this package writes into MLmodel for Go
// models. Python MLflow keeps unknown flavors as they are.
const GoFlavor = "go"

const (
	mlmodelFile      = "MLmodel"
	inputExampleFile = "input_example.json"
	mlmodelTimeFmt   = "2006-01-02 15:04:05.000000"
)

// Signature is a model's input and output schema. In MLmodel each side is
// stored as a JSON column list; here they are Arrow schemas.
type Signature struct {
	Inputs  *arrow.Schema
	Outputs *arrow.Schema // may be nil
}

// MLmodel is the model descriptor MLflow reads from the MLmodel file at a
// model's root.
type MLmodel struct {
	ArtifactPath   string
	ModelID        string // MLflow 3 LoggedModel id, when logged as one
	Flavors        map[string]map[string]any
	ModelUUID      string
	RunID          string
	UTCTimeCreated time.Time
	Signature      *Signature
	// SavedInputExampleInfo describes input_example.json, when there is one.
	SavedInputExampleInfo map[string]any
	ModelSizeBytes        int64
	Metadata              map[string]any
}

// mlmodelYAML is the on-disk form; keys sorted like Python's yaml dump.
type mlmodelYAML struct {
	ArtifactPath          string                    `yaml:"artifact_path,omitempty"`
	Flavors               map[string]map[string]any `yaml:"flavors"`
	Metadata              map[string]any            `yaml:"metadata,omitempty"`
	ModelID               string                    `yaml:"model_id,omitempty"`
	ModelSizeBytes        int64                     `yaml:"model_size_bytes,omitempty"`
	ModelUUID             string                    `yaml:"model_uuid"`
	RunID                 string                    `yaml:"run_id,omitempty"`
	SavedInputExampleInfo map[string]any            `yaml:"saved_input_example_info,omitempty"`
	Signature             *signatureYAML            `yaml:"signature,omitempty"`
	UTCTimeCreated        string                    `yaml:"utc_time_created"`
}

type signatureYAML struct {
	Inputs  *string `yaml:"inputs"`
	Outputs *string `yaml:"outputs"`
	Params  *string `yaml:"params"`
}

// Marshal renders the MLmodel YAML.
func (m *MLmodel) Marshal() ([]byte, error) {
	y := mlmodelYAML{
		ArtifactPath: m.ArtifactPath, Flavors: m.Flavors, Metadata: m.Metadata, ModelSizeBytes: m.ModelSizeBytes,
		ModelID: m.ModelID, ModelUUID: m.ModelUUID, RunID: m.RunID, SavedInputExampleInfo: m.SavedInputExampleInfo,
		UTCTimeCreated: m.UTCTimeCreated.UTC().Format(mlmodelTimeFmt),
	}
	if y.Flavors == nil {
		y.Flavors = map[string]map[string]any{}
	}
	if m.Signature != nil && m.Signature.Inputs != nil {
		in, err := SchemaToSignatureJSON(m.Signature.Inputs)
		if err != nil {
			return nil, err
		}
		y.Signature = &signatureYAML{Inputs: &in}
		if m.Signature.Outputs != nil {
			out, err := SchemaToSignatureJSON(m.Signature.Outputs)
			if err != nil {
				return nil, err
			}
			y.Signature.Outputs = &out
		}
	}
	b, err := yaml.Marshal(&y)
	if err != nil {
		return nil, fmt.Errorf("mlflow: encode MLmodel: %w", err)
	}
	return b, nil
}

// ParseMLmodel reads an MLmodel file, as written by this package or by
// Python MLflow (any flavors; column or tensor signatures).
func ParseMLmodel(b []byte) (*MLmodel, error) {
	var y mlmodelYAML
	if err := yaml.Unmarshal(b, &y); err != nil {
		return nil, fmt.Errorf("mlflow: parse MLmodel: %w", err)
	}
	m := &MLmodel{
		ArtifactPath: y.ArtifactPath, Flavors: y.Flavors, Metadata: y.Metadata, ModelSizeBytes: y.ModelSizeBytes,
		ModelID: y.ModelID, ModelUUID: y.ModelUUID, RunID: y.RunID, SavedInputExampleInfo: y.SavedInputExampleInfo,
	}
	if y.UTCTimeCreated != "" {
		t, err := time.Parse(mlmodelTimeFmt, y.UTCTimeCreated)
		if err != nil {
			t, err = time.Parse("2006-01-02 15:04:05", y.UTCTimeCreated)
		}
		if err == nil {
			m.UTCTimeCreated = t
		}
	}
	if y.Signature != nil && y.Signature.Inputs != nil {
		in, err := SignatureJSONToSchema(*y.Signature.Inputs)
		if err != nil {
			return nil, err
		}
		m.Signature = &Signature{Inputs: in}
		if y.Signature.Outputs != nil && *y.Signature.Outputs != "" {
			if m.Signature.Outputs, err = SignatureJSONToSchema(*y.Signature.Outputs); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// LogModelOptions describe a model to log. A nil *LogModelOptions logs the
// directory with a bare go flavor.
type LogModelOptions struct {
	// GoFlavor adds keys to the go flavor (e.g. "data": "weights.json",
	// "loader": "example.com/pkg.Load"); go_version is always recorded.
	GoFlavor map[string]any
	// Flavors adds other flavors verbatim.
	Flavors map[string]map[string]any
	// Signature is inferred from these Arrow schemas.
	Input, Output *arrow.Schema
	// InputExample is saved as input_example.json (pandas split orient).
	InputExample arrow.RecordBatch
	Metadata     map[string]any
	// RegisteredModelName, when set, registers the logged model as a new
	// version of that registered model (created if needed).
	RegisteredModelName string
	// LoggedModel logs the MLflow 3 way: the files go to a new LoggedModel's
	// artifact location (shown in MLflow 3's Models tab), linked to the run
	// as an output, and the model URI is models:/<model id>. Without it the
	// files are run artifacts (runs:/<run id>/<path>), which MLflow 2 and 3
	// both read.
	LoggedModel bool
	// ModelType is the LoggedModel's model_type (default "go").
	ModelType string
}

// ModelInfo is what LogModel returns.
type ModelInfo struct {
	ModelURI     string // runs:/<run id>/<artifact path>, or models:/<model id>
	RunID        string
	ArtifactPath string
	MLmodel      *MLmodel
	Version      *ModelVersion // set when RegisteredModelName was given
	LoggedModel  *LoggedModel  // set when logged as an MLflow 3 LoggedModel
}

// LogModel stores modelDir's files (may be "" for none) plus a generated
// MLmodel (and input_example.json) as the run artifact artifactPath and
// records it in the run's mlflow.log-model.history tag — or, with
// LogModelOptions.LoggedModel, as an MLflow 3 LoggedModel named artifactPath
// — and optionally registers it.
func (c *Client) LogModel(ctx context.Context, runID, artifactPath, modelDir string, o *LogModelOptions) (*ModelInfo, error) {
	var oo LogModelOptions
	if o != nil {
		oo = *o
	}
	artifactPath = strings.Trim(path.Clean("/"+artifactPath), "/")
	if artifactPath == "" {
		return nil, invalidParam("model artifact path must not be empty")
	}
	goFlavor := map[string]any{"go_version": runtime.Version()}
	maps.Copy(goFlavor, oo.GoFlavor)
	m := &MLmodel{
		ArtifactPath: artifactPath, Flavors: map[string]map[string]any{GoFlavor: goFlavor},
		ModelUUID: strings.ReplaceAll(uuid.NewString(), "-", ""), RunID: runID,
		UTCTimeCreated: time.Now().UTC(), Metadata: oo.Metadata,
	}
	maps.Copy(m.Flavors, oo.Flavors)
	if oo.Input != nil {
		m.Signature = &Signature{Inputs: oo.Input, Outputs: oo.Output}
	} else if oo.Output != nil {
		return nil, invalidParam("a model signature needs an input schema")
	}
	repo, prefix, lm, err := c.modelDestination(ctx, runID, artifactPath, &oo)
	if err != nil {
		return nil, err
	}
	if lm != nil {
		m.ModelID = lm.ModelID
	}
	info, err := c.storeModel(ctx, repo, prefix, modelDir, m, &oo)
	if lm != nil {
		status := LoggedModelReady
		if err != nil {
			status = LoggedModelFailed
		}
		final, ferr := c.be.finalizeLoggedModel(ctx, lm.ModelID, status)
		if err == nil {
			err = ferr
		}
		if err == nil {
			err = c.be.logOutputs(ctx, runID, lm.ModelID, 0)
		}
		if err == nil {
			info.ModelURI, info.LoggedModel = "models:/"+lm.ModelID, final
		}
	} else if err == nil {
		err = c.recordLoggedModel(ctx, runID, m)
	}
	if err != nil {
		return nil, err
	}
	if oo.RegisteredModelName != "" {
		if info.Version, err = c.RegisterModel(ctx, info.ModelURI, oo.RegisteredModelName, nil); err != nil {
			return nil, err
		}
	}
	return info, nil
}

// modelDestination picks where LogModel writes: the run's artifacts under
// artifactPath, or a new LoggedModel's artifact root.
func (c *Client) modelDestination(ctx context.Context, runID, artifactPath string, o *LogModelOptions) (artifactRepo, string, *LoggedModel, error) {
	if !o.LoggedModel {
		repo, err := c.runArtifacts(ctx, runID)
		return repo, artifactPath, nil, err
	}
	r, err := c.GetRun(ctx, runID)
	if err != nil {
		return nil, "", nil, err
	}
	modelType := o.ModelType
	if modelType == "" {
		modelType = GoFlavor
	}
	lm, err := c.be.createLoggedModel(ctx, createLoggedModelRequest{
		ExperimentID: r.Info.ExperimentID, Name: artifactPath, SourceRunID: runID, ModelType: modelType,
	})
	if err != nil {
		return nil, "", nil, err
	}
	repo, err := c.be.artifacts(ctx, lm.ArtifactLocation)
	return repo, "", lm, err
}

// storeModel uploads the model files, the input example and MLmodel.
func (c *Client) storeModel(ctx context.Context, repo artifactRepo, artifactPath, modelDir string, m *MLmodel, oo *LogModelOptions) (*ModelInfo, error) {
	var example []byte
	var err error
	if oo.InputExample != nil {
		if example, err = inputExampleJSON(oo.InputExample); err != nil {
			return nil, err
		}
		m.SavedInputExampleInfo = map[string]any{"artifact_path": inputExampleFile, "type": "dataframe", "pandas_orient": "split"}
		m.ModelSizeBytes += int64(len(example))
	}
	if modelDir != "" {
		err := filepath.WalkDir(modelDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			if d.Name() == mlmodelFile && filepath.Dir(p) == filepath.Clean(modelDir) {
				return invalidParam("model directory %s already has an MLmodel file; LogModel writes it", modelDir)
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			m.ModelSizeBytes += info.Size()
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("mlflow: log model: %w", err)
		}
		if err := uploadDir(ctx, repo, modelDir, artifactPath); err != nil {
			return nil, err
		}
	}
	if example != nil {
		if err := repo.put(ctx, path.Join(artifactPath, inputExampleFile), bytes.NewReader(example)); err != nil {
			return nil, err
		}
	}
	text, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	if err := repo.put(ctx, path.Join(artifactPath, mlmodelFile), bytes.NewReader(text)); err != nil {
		return nil, err
	}
	return &ModelInfo{ModelURI: "runs:/" + m.RunID + "/" + m.ArtifactPath, RunID: m.RunID, ArtifactPath: m.ArtifactPath, MLmodel: m}, nil
}

// recordLoggedModel appends the model to the run's mlflow.log-model.history
// tag (flavor configs stripped, as MLflow does) so MLflow 2.x UIs list it.
func (c *Client) recordLoggedModel(ctx context.Context, runID string, m *MLmodel) error {
	r, err := c.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	var history []map[string]any
	if old := r.Data.Tags[TagLogModelHistory]; old != "" {
		_ = json.Unmarshal([]byte(old), &history) // an unreadable history is replaced
	}
	flavors := map[string]any{}
	for k := range m.Flavors {
		flavors[k] = map[string]any{}
	}
	history = append(history, map[string]any{
		"run_id": runID, "artifact_path": m.ArtifactPath, "utc_time_created": m.UTCTimeCreated.Format(mlmodelTimeFmt),
		"flavors": flavors, "model_uuid": m.ModelUUID,
	})
	b, err := json.Marshal(history)
	if err != nil {
		return fmt.Errorf("mlflow: encode model history: %w", err)
	}
	if len(b) > MaxTagValueLength { // keep the newest entries that fit
		for len(history) > 1 && len(b) > MaxTagValueLength {
			history = history[1:]
			b, _ = json.Marshal(history)
		}
	}
	return c.SetTag(ctx, runID, TagLogModelHistory, string(b))
}

// inputExampleJSON renders a record batch as pandas "split" JSON:
// {"columns": [...], "data": [[row], ...]}.
func inputExampleJSON(rec arrow.RecordBatch) ([]byte, error) {
	cols := make([]string, rec.NumCols())
	for i, f := range rec.Schema().Fields() {
		cols[i] = f.Name
	}
	rows := make([][]any, rec.NumRows())
	for r := range rows {
		row := make([]any, rec.NumCols())
		for c := range row {
			row[c] = rec.Column(c).GetOneForMarshal(r)
		}
		rows[r] = row
	}
	b, err := json.Marshal(map[string]any{"columns": cols, "data": rows})
	if err != nil {
		return nil, fmt.Errorf("mlflow: encode input example: %w", err)
	}
	return b, nil
}

// Model is a model downloaded to a local directory.
type Model struct {
	Dir     string
	MLmodel *MLmodel
}

// GoFlavor returns the go flavor's config, if the model has one.
func (m *Model) GoFlavor() (map[string]any, bool) {
	f, ok := m.MLmodel.Flavors[GoFlavor]
	return f, ok
}

// Open opens a file of the model by its path relative to the model root.
func (m *Model) Open(name string) (io.ReadCloser, error) {
	c, err := cleanArtifactPath(name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(m.Dir, filepath.FromSlash(c)))
	if err != nil {
		return nil, fmt.Errorf("mlflow: open model file: %w", err)
	}
	return f, nil
}

// InputExample reads input_example.json back as a record batch of the
// signature's input schema. It returns (nil, nil) when there is none.
func (m *Model) InputExample(mem memory.Allocator) (arrow.RecordBatch, error) {
	info := m.MLmodel.SavedInputExampleInfo
	if info == nil || m.MLmodel.Signature == nil {
		return nil, nil
	}
	name, _ := info["artifact_path"].(string)
	b, err := os.ReadFile(filepath.Join(m.Dir, filepath.FromSlash(name)))
	if err != nil {
		return nil, fmt.Errorf("mlflow: read input example: %w", err)
	}
	var split struct {
		Columns []string `json:"columns"`
		Data    [][]any  `json:"data"`
	}
	if err := json.Unmarshal(b, &split); err != nil {
		return nil, fmt.Errorf("mlflow: parse input example: %w", err)
	}
	objs := make([]map[string]any, len(split.Data))
	for i, row := range split.Data {
		if len(row) != len(split.Columns) {
			return nil, fmt.Errorf("mlflow: input example row %d has %d values for %d columns", i, len(row), len(split.Columns))
		}
		o := make(map[string]any, len(row))
		for j, v := range row {
			o[split.Columns[j]] = v
		}
		objs[i] = o
	}
	js, err := json.Marshal(objs)
	if err != nil {
		return nil, fmt.Errorf("mlflow: input example: %w", err)
	}
	rec, _, err := array.RecordFromJSON(mem, m.MLmodel.Signature.Inputs, bytes.NewReader(js))
	if err != nil {
		return nil, fmt.Errorf("mlflow: input example does not fit the signature: %w", err)
	}
	return rec, nil
}

// LoadModel downloads the model a URI names (runs:/…, models:/name/3,
// models:/name@alias, or an artifact URI) into dstDir and parses its MLmodel.
func (c *Client) LoadModel(ctx context.Context, modelURI, dstDir string) (*Model, error) {
	local, err := c.DownloadURI(ctx, modelURI, dstDir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(local, mlmodelFile))
	if err != nil {
		return nil, fmt.Errorf("mlflow: %s is not a model (no MLmodel): %w", modelURI, err)
	}
	m, err := ParseMLmodel(b)
	if err != nil {
		return nil, err
	}
	return &Model{Dir: local, MLmodel: m}, nil
}
