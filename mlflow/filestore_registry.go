package mlflow

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// stageDeletedInternal marks a deleted version in the FileStore registry;
// MLflow keeps the directory and hides the version.
const stageDeletedInternal = "Deleted_Internal"

type registeredModelMeta struct {
	Aliases              map[string]string `yaml:"aliases"`
	CreationTimestamp    int64             `yaml:"creation_timestamp"`
	Description          *string           `yaml:"description"`
	LastUpdatedTimestamp int64             `yaml:"last_updated_timestamp"`
	Name                 string            `yaml:"name"`
}

type modelVersionMeta struct {
	Aliases              []string `yaml:"aliases"`
	CreationTimestamp    int64    `yaml:"creation_timestamp"`
	CurrentStage         string   `yaml:"current_stage"`
	Description          *string  `yaml:"description"`
	LastUpdatedTimestamp int64    `yaml:"last_updated_timestamp"`
	ModelID              *string  `yaml:"model_id"`
	Name                 string   `yaml:"name"`
	RunID                *string  `yaml:"run_id"`
	RunLink              *string  `yaml:"run_link"`
	Source               string   `yaml:"source"`
	Status               string   `yaml:"status"`
	StatusMessage        *string  `yaml:"status_message"`
	StorageLocation      string   `yaml:"storage_location"`
	UserID               *string  `yaml:"user_id"`
	Version              int64    `yaml:"version"`
}

func optString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func strOpt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *fileStore) modelDir(name string) string {
	return filepath.Join(s.root, registryDir, name)
}

func (s *fileStore) existingModelDir(name string) (string, error) {
	if err := validateModelName(name); err != nil {
		return "", err
	}
	d := s.modelDir(name)
	if _, err := os.Stat(filepath.Join(d, metaFile)); err != nil {
		return "", notFound("Registered Model with name=%s not found", name)
	}
	return d, nil
}

func (s *fileStore) readAliases(modelDir string) (map[string]int64, error) {
	kv, err := readKeyValueDir(filepath.Join(modelDir, "aliases"))
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(kv))
	for k, v := range kv {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("mlflow: alias %q holds %q, not a version", k, v)
		}
		out[k] = n
	}
	return out, nil
}

func (s *fileStore) readRegisteredModel(dir string, withLatest bool) (*RegisteredModel, error) {
	var m registeredModelMeta
	if err := readYAML(filepath.Join(dir, metaFile), &m); err != nil {
		return nil, err
	}
	tags, err := readKeyValueDir(filepath.Join(dir, "tags"))
	if err != nil {
		return nil, err
	}
	aliases, err := s.readAliases(dir)
	if err != nil {
		return nil, err
	}
	rm := &RegisteredModel{
		Name: m.Name, Description: optString(m.Description), CreationTimestamp: fromMillis(m.CreationTimestamp),
		LastUpdatedTimestamp: fromMillis(m.LastUpdatedTimestamp), Tags: tags, Aliases: aliases,
	}
	if withLatest {
		vs, err := s.listVersions(dir)
		if err != nil {
			return nil, err
		}
		if len(vs) > 0 {
			rm.LatestVersions = []*ModelVersion{vs[len(vs)-1]}
		}
	}
	return rm, nil
}

func (s *fileStore) touchModelLocked(dir string, at time.Time) error {
	var m registeredModelMeta
	if err := readYAML(filepath.Join(dir, metaFile), &m); err != nil {
		return err
	}
	m.LastUpdatedTimestamp = at.UnixMilli()
	aliases, err := s.readAliases(dir)
	if err != nil {
		return err
	}
	m.Aliases = map[string]string{}
	for k, v := range aliases {
		m.Aliases[k] = itoa(v)
	}
	return writeYAML(filepath.Join(dir, metaFile), &m)
}

func (s *fileStore) createRegisteredModel(_ context.Context, name, description string, tags []Tag) (*RegisteredModel, error) {
	if err := validateModelName(name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := s.modelDir(name)
	if _, err := os.Stat(filepath.Join(dir, metaFile)); err == nil {
		return nil, newError(CodeResourceAlreadyExists, "Registered Model (name=%s) already exists.", name)
	}
	now := time.Now().UnixMilli()
	for _, t := range tags {
		if err := writeKeyFile(dir, "tags", t.Key, t.Value); err != nil {
			return nil, err
		}
	}
	m := registeredModelMeta{Aliases: map[string]string{}, CreationTimestamp: now, Description: strOpt(description), LastUpdatedTimestamp: now, Name: name}
	if err := writeYAML(filepath.Join(dir, metaFile), &m); err != nil {
		return nil, err
	}
	return s.readRegisteredModel(dir, true)
}

func (s *fileStore) getRegisteredModel(_ context.Context, name string) (*RegisteredModel, error) {
	dir, err := s.existingModelDir(name)
	if err != nil {
		return nil, err
	}
	return s.readRegisteredModel(dir, true)
}

func (s *fileStore) allRegisteredModels() ([]*RegisteredModel, error) {
	root := filepath.Join(s.root, registryDir)
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mlflow: list registry: %w", err)
	}
	var out []*RegisteredModel
	for _, e := range ents {
		d := filepath.Join(root, e.Name())
		if !e.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, metaFile)); err != nil {
			continue
		}
		rm, err := s.readRegisteredModel(d, true)
		if err != nil {
			return nil, err
		}
		out = append(out, rm)
	}
	return out, nil
}

func (s *fileStore) searchRegisteredModels(_ context.Context, o SearchModelsOptions) (*RegisteredModelPage, error) {
	cs, err := parseFilter(o.Filter)
	if err != nil {
		return nil, err
	}
	obs, err := parseOrderBys(o.OrderBy, validModelOrderBy)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if _, err := matchRegisteredModel(&RegisteredModel{Tags: map[string]string{c.Key: ""}}, []comparison{c}); err != nil {
			return nil, err
		}
	}
	all, err := s.allRegisteredModels()
	if err != nil {
		return nil, err
	}
	var out []*RegisteredModel
	for _, rm := range all {
		ok, err := matchRegisteredModel(rm, cs)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, rm)
		}
	}
	sortRegisteredModels(out, obs)
	page, next, err := paginate(out, o.PageToken, o.MaxResults)
	if err != nil {
		return nil, err
	}
	return &RegisteredModelPage{Models: page, NextPageToken: next}, nil
}

func (s *fileStore) updateRegisteredModel(_ context.Context, name, description string) (*RegisteredModel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.existingModelDir(name)
	if err != nil {
		return nil, err
	}
	var m registeredModelMeta
	if err := readYAML(filepath.Join(dir, metaFile), &m); err != nil {
		return nil, err
	}
	m.Description = &description
	m.LastUpdatedTimestamp = time.Now().UnixMilli()
	if err := writeYAML(filepath.Join(dir, metaFile), &m); err != nil {
		return nil, err
	}
	return s.readRegisteredModel(dir, true)
}

func (s *fileStore) deleteRegisteredModel(_ context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.existingModelDir(name)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("mlflow: delete registered model %s: %w", name, err)
	}
	return nil
}

func (s *fileStore) setRegisteredModelTag(_ context.Context, name, key, value string) error {
	dir, err := s.existingModelDir(name)
	if err != nil {
		return err
	}
	return writeKeyFile(dir, "tags", key, value)
}

func (s *fileStore) deleteRegisteredModelTag(_ context.Context, name, key string) error {
	dir, err := s.existingModelDir(name)
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, "tags", filepath.FromSlash(key))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mlflow: delete tag: %w", err)
	}
	return nil
}

func versionDir(modelDir string, v int64) string {
	return filepath.Join(modelDir, "version-"+itoa(v))
}

func (s *fileStore) readVersion(modelDir, dir string) (*ModelVersion, *modelVersionMeta, error) {
	var m modelVersionMeta
	if err := readYAML(filepath.Join(dir, metaFile), &m); err != nil {
		return nil, nil, err
	}
	tags, err := readKeyValueDir(filepath.Join(dir, "tags"))
	if err != nil {
		return nil, nil, err
	}
	aliases, err := s.readAliases(modelDir)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for a, v := range aliases {
		if v == m.Version {
			names = append(names, a)
		}
	}
	slices.Sort(names)
	stage := m.CurrentStage
	if stage == "" {
		stage = "None"
	}
	status := m.Status
	if status == "" {
		status = "READY"
	}
	return &ModelVersion{
		Name: m.Name, Version: m.Version, Description: optString(m.Description),
		CreationTimestamp: fromMillis(m.CreationTimestamp), LastUpdatedTimestamp: fromMillis(m.LastUpdatedTimestamp),
		UserID: optString(m.UserID), CurrentStage: stage, Source: m.Source, RunID: optString(m.RunID),
		RunLink: optString(m.RunLink), Status: status, StatusMessage: optString(m.StatusMessage),
		Tags: tags, Aliases: names,
	}, &m, nil
}

// listVersions returns the live versions of a model, ascending.
func (s *fileStore) listVersions(modelDir string) ([]*ModelVersion, error) {
	ents, err := os.ReadDir(modelDir)
	if err != nil {
		return nil, fmt.Errorf("mlflow: list versions: %w", err)
	}
	var out []*ModelVersion
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "version-") {
			continue
		}
		mv, m, err := s.readVersion(modelDir, filepath.Join(modelDir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m.CurrentStage == stageDeletedInternal {
			continue
		}
		out = append(out, mv)
	}
	slices.SortFunc(out, func(a, b *ModelVersion) int { return int(a.Version - b.Version) })
	return out, nil
}

func (s *fileStore) createModelVersion(ctx context.Context, r createModelVersionRequest) (*ModelVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.existingModelDir(r.Name)
	if err != nil {
		return nil, err
	}
	// The next version is max(all versions, deleted included)+1, as in MLflow.
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("mlflow: %w", err)
	}
	var next int64 = 1
	for _, e := range ents {
		if n, err := strconv.ParseInt(strings.TrimPrefix(e.Name(), "version-"), 10, 64); err == nil && strings.HasPrefix(e.Name(), "version-") && n >= next {
			next = n + 1
		}
	}
	// A version promoting an MLflow 3 LoggedModel stores the model's artifact
	// location, as MLflow's FileStore does.
	storage, runID := r.Source, r.RunID
	if r.ModelID != "" {
		lm, err := s.getLoggedModel(ctx, r.ModelID)
		if err != nil {
			return nil, err
		}
		storage = lm.ArtifactLocation
		if runID == "" {
			runID = lm.SourceRunID
		}
	}
	now := time.Now()
	vd := versionDir(dir, next)
	for _, t := range r.Tags {
		if err := writeKeyFile(vd, "tags", t.Key, t.Value); err != nil {
			return nil, err
		}
	}
	m := modelVersionMeta{
		Aliases: []string{}, CreationTimestamp: now.UnixMilli(), CurrentStage: "None", Description: strOpt(r.Description),
		LastUpdatedTimestamp: now.UnixMilli(), ModelID: strOpt(r.ModelID), Name: r.Name, RunID: strOpt(runID), RunLink: strOpt(r.RunLink),
		Source: r.Source, Status: "READY", StorageLocation: storage, Version: next,
	}
	if err := writeYAML(filepath.Join(vd, metaFile), &m); err != nil {
		return nil, err
	}
	if err := s.touchModelLocked(dir, now); err != nil {
		return nil, err
	}
	mv, _, err := s.readVersion(dir, vd)
	return mv, err
}

func (s *fileStore) liveVersionDir(name string, version int64) (string, string, error) {
	dir, err := s.existingModelDir(name)
	if err != nil {
		return "", "", err
	}
	vd := versionDir(dir, version)
	var m modelVersionMeta
	if err := readYAML(filepath.Join(vd, metaFile), &m); err != nil || m.CurrentStage == stageDeletedInternal {
		return "", "", notFound("Model Version (name=%s, version=%d) not found", name, version)
	}
	return dir, vd, nil
}

func (s *fileStore) getModelVersion(_ context.Context, name string, version int64) (*ModelVersion, error) {
	dir, vd, err := s.liveVersionDir(name, version)
	if err != nil {
		return nil, err
	}
	mv, _, err := s.readVersion(dir, vd)
	return mv, err
}

func (s *fileStore) searchModelVersions(_ context.Context, o SearchModelsOptions) (*ModelVersionPage, error) {
	cs, err := parseFilter(o.Filter)
	if err != nil {
		return nil, err
	}
	obs, err := parseOrderBys(o.OrderBy, validVersionOrderBy)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if _, err := matchModelVersion(&ModelVersion{Tags: map[string]string{c.Key: ""}}, []comparison{c}); err != nil {
			return nil, err
		}
	}
	root := filepath.Join(s.root, registryDir)
	ents, err := os.ReadDir(root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("mlflow: list registry: %w", err)
	}
	var out []*ModelVersion
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		vs, err := s.listVersions(filepath.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, mv := range vs {
			ok, err := matchModelVersion(mv, cs)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, mv)
			}
		}
	}
	sortModelVersions(out, obs)
	page, next, err := paginate(out, o.PageToken, o.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ModelVersionPage{Versions: page, NextPageToken: next}, nil
}

func (s *fileStore) rewriteVersion(name string, version int64, edit func(*modelVersionMeta)) (*ModelVersion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, vd, err := s.liveVersionDir(name, version)
	if err != nil {
		return nil, err
	}
	var m modelVersionMeta
	if err := readYAML(filepath.Join(vd, metaFile), &m); err != nil {
		return nil, err
	}
	now := time.Now()
	edit(&m)
	m.LastUpdatedTimestamp = now.UnixMilli()
	if err := writeYAML(filepath.Join(vd, metaFile), &m); err != nil {
		return nil, err
	}
	if err := s.touchModelLocked(dir, now); err != nil {
		return nil, err
	}
	mv, _, err := s.readVersion(dir, vd)
	return mv, err
}

func (s *fileStore) updateModelVersion(_ context.Context, name string, version int64, description string) (*ModelVersion, error) {
	return s.rewriteVersion(name, version, func(m *modelVersionMeta) { m.Description = &description })
}

func (s *fileStore) deleteModelVersion(ctx context.Context, name string, version int64) error {
	mv, err := s.rewriteVersion(name, version, func(m *modelVersionMeta) { m.CurrentStage = stageDeletedInternal })
	if err != nil {
		return err
	}
	for _, a := range mv.Aliases {
		if err := s.deleteAlias(ctx, name, a); err != nil {
			return err
		}
	}
	return nil
}

func (s *fileStore) setModelVersionTag(_ context.Context, name string, version int64, key, value string) error {
	_, vd, err := s.liveVersionDir(name, version)
	if err != nil {
		return err
	}
	return writeKeyFile(vd, "tags", key, value)
}

func (s *fileStore) deleteModelVersionTag(_ context.Context, name string, version int64, key string) error {
	_, vd, err := s.liveVersionDir(name, version)
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(vd, "tags", filepath.FromSlash(key))); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mlflow: delete tag: %w", err)
	}
	return nil
}

func (s *fileStore) getModelVersionDownloadURI(_ context.Context, name string, version int64) (string, error) {
	_, vd, err := s.liveVersionDir(name, version)
	if err != nil {
		return "", err
	}
	var m modelVersionMeta
	if err := readYAML(filepath.Join(vd, metaFile), &m); err != nil {
		return "", err
	}
	if m.StorageLocation != "" {
		return m.StorageLocation, nil
	}
	return m.Source, nil
}

func (s *fileStore) setAlias(_ context.Context, name, alias string, version int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, _, err := s.liveVersionDir(name, version)
	if err != nil {
		return err
	}
	if err := writeKeyFile(dir, "aliases", alias, itoa(version)); err != nil {
		return err
	}
	return s.touchModelLocked(dir, time.Now())
}

func (s *fileStore) deleteAlias(_ context.Context, name, alias string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.existingModelDir(name)
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, "aliases", alias)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("mlflow: delete alias: %w", err)
	}
	return s.touchModelLocked(dir, time.Now())
}

func (s *fileStore) getModelVersionByAlias(ctx context.Context, name, alias string) (*ModelVersion, error) {
	dir, err := s.existingModelDir(name)
	if err != nil {
		return nil, err
	}
	aliases, err := s.readAliases(dir)
	if err != nil {
		return nil, err
	}
	v, ok := aliases[alias]
	if !ok {
		return nil, invalidParam("Registered model alias %s not found.", alias)
	}
	return s.getModelVersion(ctx, name, v)
}
