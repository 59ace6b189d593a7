package mlflow

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gopkg.in/yaml.v3"
)

// runMeta is a run's meta.yaml, field for field what MLflow's FileStore
// writes (status as the protocol enum number, the legacy empty fields kept
// for old readers).
type runMeta struct {
	ArtifactURI    string         `yaml:"artifact_uri"`
	EndTime        *int64         `yaml:"end_time"`
	EntryPointName string         `yaml:"entry_point_name"`
	ExperimentID   flexString     `yaml:"experiment_id"`
	LifecycleStage string         `yaml:"lifecycle_stage"`
	RunID          string         `yaml:"run_id"`
	RunUUID        string         `yaml:"run_uuid,omitempty"` // only read: older MLflow wrote it
	RunName        string         `yaml:"run_name"`
	SourceName     string         `yaml:"source_name"`
	SourceType     int            `yaml:"source_type"`
	SourceVersion  string         `yaml:"source_version"`
	StartTime      *int64         `yaml:"start_time"`
	Status         runStatusField `yaml:"status"`
	Tags           []string       `yaml:"tags"`
	UserID         string         `yaml:"user_id"`
	DeletedTime    *int64         `yaml:"deleted_time,omitempty"`
}

// runStatusField is stored as the enum number; readers also accept the name.
type runStatusField RunStatus

func (f runStatusField) MarshalYAML() (any, error) {
	if n, ok := runStatusNumbers[RunStatus(f)]; ok {
		return n, nil
	}
	return runStatusNumbers[StatusRunning], nil
}

func (f *runStatusField) UnmarshalYAML(n *yaml.Node) error {
	if n.Tag == "!!null" || n.Value == "" {
		*f = runStatusField(StatusRunning)
		return nil
	}
	if n.Tag == "!!int" {
		var i int
		if err := n.Decode(&i); err != nil {
			return err
		}
		s, err := runStatusFromNumber(i)
		if err != nil {
			return err
		}
		*f = runStatusField(s)
		return nil
	}
	s := RunStatus(strings.ToUpper(n.Value))
	if !s.valid() {
		return fmt.Errorf("mlflow: unknown run status %q", n.Value)
	}
	*f = runStatusField(s)
	return nil
}

func (m *runMeta) info() RunInfo {
	id := m.RunID
	if id == "" {
		id = m.RunUUID
	}
	stage := LifecycleStage(m.LifecycleStage)
	if stage == "" {
		stage = StageActive
	}
	status := RunStatus(m.Status)
	if status == "" {
		status = StatusRunning
	}
	info := RunInfo{
		RunID: id, RunName: m.RunName, ExperimentID: string(m.ExperimentID), UserID: m.UserID,
		Status: status, ArtifactURI: m.ArtifactURI, LifecycleStage: stage,
	}
	if m.StartTime != nil {
		info.StartTime = fromMillis(*m.StartTime)
	}
	if m.EndTime != nil {
		info.EndTime = fromMillis(*m.EndTime)
	}
	return info
}

// findRunDir locates a run by id across experiments (active and trashed).
func (s *fileStore) findRunDir(runID string) (string, error) {
	if err := validateRunID(runID); err != nil {
		return "", err
	}
	if exp, ok := s.runExperiments.Load(runID); ok {
		if dir, err := s.findExperimentDir(exp.(string)); err == nil {
			rd := filepath.Join(dir, runID)
			if _, err := os.Stat(filepath.Join(rd, metaFile)); err == nil {
				return rd, nil
			}
		}
	}
	dirs, err := s.listExperimentDirs()
	if err != nil {
		return "", err
	}
	for _, d := range dirs {
		rd := filepath.Join(d, runID)
		if _, err := os.Stat(filepath.Join(rd, metaFile)); err == nil {
			s.runExperiments.Store(runID, filepath.Base(d))
			return rd, nil
		}
	}
	return "", notFound("Run '%s' not found", runID)
}

func (s *fileStore) readRunMeta(runDir string) (*runMeta, error) {
	var m runMeta
	if err := readYAML(filepath.Join(runDir, metaFile), &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// activeRunDir returns the directory of a run that may be modified.
func (s *fileStore) activeRunDir(runID string) (string, *runMeta, error) {
	dir, err := s.findRunDir(runID)
	if err != nil {
		return "", nil, err
	}
	m, err := s.readRunMeta(dir)
	if err != nil {
		return "", nil, err
	}
	if m.LifecycleStage == string(StageDeleted) {
		return "", nil, invalidParam("The run %s must be in the 'active' state. Current state is deleted.", runID)
	}
	return dir, m, nil
}

func (s *fileStore) readRun(runDir string) (*Run, error) {
	m, err := s.readRunMeta(runDir)
	if err != nil {
		return nil, err
	}
	params, err := readKeyValueDir(filepath.Join(runDir, "params"))
	if err != nil {
		return nil, err
	}
	tags, err := readKeyValueDir(filepath.Join(runDir, "tags"))
	if err != nil {
		return nil, err
	}
	metrics := map[string]Metric{}
	mdir := filepath.Join(runDir, "metrics")
	err = filepath.WalkDir(mdir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == mdir {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(mdir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		points, err := readMetricFile(p, key)
		if err != nil {
			return err
		}
		if len(points) > 0 {
			metrics[key] = latestMetric(points)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mlflow: read metrics of %s: %w", runDir, err)
	}
	return &Run{Info: m.info(), Data: RunData{Metrics: metrics, Params: params, Tags: tags}}, nil
}

func readMetricFile(path, key string) ([]Metric, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Metric
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		m, err := parseMetricLine(key, line)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

func (s *fileStore) createRun(_ context.Context, r createRunRequest) (*Run, error) {
	expDir, err := s.activeExperimentDir(r.ExperimentID)
	if err != nil {
		if errors.Is(err, ErrInvalidParameter) {
			return nil, invalidParam("Could not create run under non-active experiment with ID %s.", r.ExperimentID)
		}
		return nil, err
	}
	exp, err := s.readExperiment(expDir)
	if err != nil {
		return nil, err
	}
	runID := strings.ReplaceAll(uuid.NewString(), "-", "")
	start := r.StartTime.UnixMilli()
	m := runMeta{
		ArtifactURI:  strings.TrimRight(exp.ArtifactLocation, "/") + "/" + runID + "/artifacts",
		ExperimentID: flexString(exp.ID), LifecycleStage: string(StageActive), RunID: runID,
		RunName: r.RunName, SourceType: 4, StartTime: &start, Status: runStatusField(StatusRunning),
		Tags: []string{}, UserID: r.UserID,
	}
	runDir := filepath.Join(expDir, runID)
	for _, sub := range []string{"metrics", "params", "tags", "artifacts"} {
		if err := os.MkdirAll(filepath.Join(runDir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("mlflow: create run: %w", err)
		}
	}
	for _, t := range r.Tags {
		if err := writeKeyFile(runDir, "tags", t.Key, t.Value); err != nil {
			return nil, err
		}
	}
	if err := writeYAML(filepath.Join(runDir, metaFile), &m); err != nil {
		return nil, err
	}
	s.runExperiments.Store(runID, exp.ID)
	return s.readRun(runDir)
}

func (s *fileStore) getRun(_ context.Context, runID string) (*Run, error) {
	dir, err := s.findRunDir(runID)
	if err != nil {
		return nil, err
	}
	return s.readRun(dir)
}

func (s *fileStore) updateRun(_ context.Context, runID string, status RunStatus, endTime time.Time, runName string) (*RunInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, m, err := s.activeRunDir(runID)
	if err != nil {
		return nil, err
	}
	if status != "" {
		m.Status = runStatusField(status)
	}
	if !endTime.IsZero() {
		et := endTime.UnixMilli()
		m.EndTime = &et
	}
	if runName != "" {
		m.RunName = runName
		if err := writeKeyFile(dir, "tags", TagRunName, runName); err != nil {
			return nil, err
		}
	}
	if err := writeYAML(filepath.Join(dir, metaFile), m); err != nil {
		return nil, err
	}
	info := m.info()
	return &info, nil
}

func (s *fileStore) setRunLifecycle(runID string, stage LifecycleStage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.findRunDir(runID)
	if err != nil {
		return err
	}
	m, err := s.readRunMeta(dir)
	if err != nil {
		return err
	}
	m.LifecycleStage = string(stage)
	if stage == StageDeleted {
		now := time.Now().UnixMilli()
		m.DeletedTime = &now
	} else {
		m.DeletedTime = nil
	}
	return writeYAML(filepath.Join(dir, metaFile), m)
}

func (s *fileStore) deleteRun(_ context.Context, runID string) error {
	return s.setRunLifecycle(runID, StageDeleted)
}

func (s *fileStore) restoreRun(_ context.Context, runID string) error {
	return s.setRunLifecycle(runID, StageActive)
}

func (s *fileStore) searchRuns(_ context.Context, o SearchRunsOptions) (*RunPage, error) {
	cs, err := parseFilter(o.Filter)
	if err != nil {
		return nil, err
	}
	if err := validateRunFilter(cs); err != nil {
		return nil, err
	}
	obs, err := parseOrderBys(o.OrderBy, validRunOrderBy)
	if err != nil {
		return nil, err
	}
	var runs []*Run
	for _, expID := range o.ExperimentIDs {
		expDir, err := s.findExperimentDir(expID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		runDirs, err := listRunDirs(expDir)
		if err != nil {
			return nil, err
		}
		for _, rd := range runDirs {
			r, err := s.readRun(rd)
			if err != nil {
				return nil, err
			}
			if !o.ViewType.includes(r.Info.LifecycleStage) {
				continue
			}
			ok, err := matchRun(r, cs)
			if err != nil {
				return nil, err
			}
			if ok {
				runs = append(runs, r)
			}
		}
	}
	sortRuns(runs, obs)
	page, next, err := paginate(runs, o.PageToken, o.MaxResults)
	if err != nil {
		return nil, err
	}
	return &RunPage{Runs: page, NextPageToken: next}, nil
}

// logBatch writes params first (they can fail on a changed value), then
// tags, then appends the metrics, like MLflow's FileStore.log_batch.
func (s *fileStore) logBatch(_ context.Context, runID string, metrics []Metric, params []Param, tags []Tag) error {
	dir, _, err := s.activeRunDir(runID)
	if err != nil {
		return err
	}
	for _, p := range params {
		if err := writeParam(dir, runID, p); err != nil {
			return err
		}
	}
	for _, t := range tags {
		if err := writeKeyFile(dir, "tags", t.Key, t.Value); err != nil {
			return err
		}
		if t.Key == TagRunName {
			if err := s.renameRun(dir, t.Value); err != nil {
				return err
			}
		}
	}
	byKey := map[string][]Metric{}
	var order []string
	for _, m := range metrics {
		if _, ok := byKey[m.Key]; !ok {
			order = append(order, m.Key)
		}
		byKey[m.Key] = append(byKey[m.Key], m)
	}
	for _, k := range order {
		var b strings.Builder
		for _, m := range byKey[k] {
			b.WriteString(formatMetricLine(m))
		}
		if err := appendFile(filepath.Join(dir, "metrics", filepath.FromSlash(k)), b.String()); err != nil {
			return err
		}
	}
	return nil
}

func (s *fileStore) renameRun(dir, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, err := s.readRunMeta(dir)
	if err != nil {
		return err
	}
	m.RunName = name
	return writeYAML(filepath.Join(dir, metaFile), m)
}

// writeParam publishes the param file with a hard link, which fails if the
// file exists: the value is complete the moment it is visible, and of two
// writers racing on one key exactly one wins. Re-logging the same value is
// accepted.
func writeParam(runDir, runID string, p Param) error {
	path := filepath.Join(runDir, "params", filepath.FromSlash(p.Key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	if _, err := os.Stat(path); err == nil {
		return compareParam(path, runID, p)
	}
	f, err := os.CreateTemp(runDir, ".tmp-param-*")
	if err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	defer os.Remove(f.Name())
	_, werr := f.WriteString(p.Value)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("mlflow: write param %q: %w", p.Key, werr)
	}
	if err := os.Link(f.Name(), path); errors.Is(err, fs.ErrExist) {
		return compareParam(path, runID, p)
	} else if err != nil {
		return fmt.Errorf("mlflow: write param %q: %w", p.Key, err)
	}
	return nil
}

func compareParam(path, runID string, p Param) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	if string(old) != p.Value {
		return invalidParam("Changing param values is not allowed. Param with key='%s' was already logged with value='%s' for run ID='%s'. Attempted logging new value '%s'.", p.Key, old, runID, p.Value)
	}
	return nil
}

// appendFile appends text in one write: O_APPEND keeps concurrent loggers'
// lines whole.
func appendFile(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	_, werr := f.WriteString(text)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("mlflow: append %s: %w", path, werr)
	}
	return nil
}

func (s *fileStore) deleteTag(_ context.Context, runID, key string) error {
	dir, _, err := s.activeRunDir(runID)
	if err != nil {
		return err
	}
	err = os.Remove(filepath.Join(dir, "tags", filepath.FromSlash(key)))
	if errors.Is(err, fs.ErrNotExist) {
		return notFound("No tag with name: %s in run with id %s", key, runID)
	}
	if err != nil {
		return fmt.Errorf("mlflow: delete tag: %w", err)
	}
	return nil
}

func (s *fileStore) getMetricHistory(_ context.Context, runID, key string) ([]Metric, error) {
	dir, err := s.findRunDir(runID)
	if err != nil {
		return nil, err
	}
	if err := validateKey("metric", key); err != nil {
		return nil, err
	}
	points, err := readMetricFile(filepath.Join(dir, "metrics", filepath.FromSlash(key)), key)
	if errors.Is(err, fs.ErrNotExist) {
		return []Metric{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mlflow: metric history %q: %w", key, err)
	}
	sortMetricHistory(points)
	return points, nil
}

// sortMetricHistory orders points by step, then timestamp, keeping the logged
// order of ties, so both stores return histories in the same order.
func sortMetricHistory(points []Metric) {
	slices.SortStableFunc(points, func(a, b Metric) int {
		if a.Step != b.Step {
			if a.Step < b.Step {
				return -1
			}
			return 1
		}
		return a.Timestamp.Compare(b.Timestamp)
	})
}
