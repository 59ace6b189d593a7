package mlflow

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"
)

// The FileStore layout names, as MLflow's file_store.py spells them.
const (
	trashDir            = ".trash"
	registryDir         = "models"
	metaFile            = "meta.yaml"
	defaultExperimentID = "0"
	defaultExperiment   = "Default"
)

// fileStore is the embedded store: it reads and writes MLflow's FileStore
// tree (mlruns/…) directly, so the Python client, mlflow ui and
// mlflow migrate-filestore read it unchanged.
type fileStore struct {
	root    string // absolute path of the mlruns directory
	rootURI string // file:// URI of root, the default artifact root
	// mu serialises read-modify-write cycles of meta.yaml files within this
	// process; appends (metrics) and exclusive creates (params) need no lock.
	mu sync.Mutex
	// runExperiments caches run id -> experiment id, to avoid scanning every
	// experiment on each run lookup.
	runExperiments sync.Map
}

func openFileStore(root string) (*fileStore, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("mlflow: store root %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("mlflow: create store root: %w", err)
	}
	s := &fileStore{root: abs, rootURI: localPathToURI(abs)}
	// Like MLflow, a store always has the Default experiment "0".
	if _, err := s.findExperimentDir(defaultExperimentID); errors.Is(err, ErrNotFound) {
		now := time.Now()
		meta := experimentMeta{
			ArtifactLocation: s.rootURI + "/" + defaultExperimentID, CreationTime: now.UnixMilli(),
			ExperimentID: defaultExperimentID, LastUpdateTime: now.UnixMilli(),
			LifecycleStage: string(StageActive), Name: defaultExperiment,
		}
		if err := s.writeExperiment(filepath.Join(abs, defaultExperimentID), &meta); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	return s, nil
}

func (s *fileStore) close() error { return nil }

// localPathToURI renders an absolute path as file:///… the way MLflow's
// path_to_local_file_uri does.
func localPathToURI(abs string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	return u.String()
}

// uriToLocalPath is the inverse for file: URIs (file:///x, file:/x).
func uriToLocalPath(uri string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" {
		return "", fmt.Errorf("mlflow: not a file URI %q", uri)
	}
	if u.Host != "" && u.Host != "localhost" {
		return "", fmt.Errorf("%w: file URI with host %q", ErrUnsupported, u.Host)
	}
	return filepath.FromSlash(u.Path), nil
}

// flexString reads a YAML scalar that older writers stored as an int.
type flexString string

func (f *flexString) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("mlflow: expected a scalar, got %v", n.Tag)
	}
	if n.Tag == "!!null" {
		*f = ""
		return nil
	}
	*f = flexString(n.Value)
	return nil
}

type experimentMeta struct {
	ArtifactLocation string     `yaml:"artifact_location"`
	CreationTime     int64      `yaml:"creation_time"`
	ExperimentID     flexString `yaml:"experiment_id"`
	LastUpdateTime   int64      `yaml:"last_update_time"`
	LifecycleStage   string     `yaml:"lifecycle_stage"`
	Name             string     `yaml:"name"`
}

func readYAML(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("mlflow: parse %s: %w", path, err)
	}
	return nil
}

func writeYAML(path string, v any) error {
	b, err := yaml.Marshal(v)
	if err != nil {
		return fmt.Errorf("mlflow: encode %s: %w", path, err)
	}
	return writeFileAtomic(path, b)
}

// writeFileAtomic replaces path so a concurrent reader (another process, or
// the Python UI) never sees a half-written file.
func writeFileAtomic(path string, b []byte) error {
	return writeFileVia(filepath.Dir(path), path, b)
}

// writeKeyFile writes one params/, tags/ or aliases/ entry of an entity
// (run, experiment, model, version) directory. The temp file is staged in
// the entity directory, not next to the entry: MLflow would read a stray
// file in tags/ as one more tag.
func writeKeyFile(entityDir, kind, key, value string) error {
	return writeFileVia(entityDir, filepath.Join(entityDir, kind, filepath.FromSlash(key)), []byte(value))
}

func writeFileVia(tmpDir, path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	f, err := os.CreateTemp(tmpDir, ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("mlflow: write %s: %w", path, werr)
	}
	return nil
}

// readKeyValueDir reads a params/ or tags/ directory: one file per key, keys
// with '/' nested in sub-directories, the file content is the raw value.
func readKeyValueDir(dir string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() || strings.HasPrefix(d.Name(), ".tmp-") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("mlflow: read %s: %w", dir, err)
	}
	return out, nil
}

func (s *fileStore) writeExperiment(dir string, m *experimentMeta) error {
	return writeYAML(filepath.Join(dir, metaFile), m)
}

// findExperimentDir returns the directory of an experiment, active or in the
// trash.
func (s *fileStore) findExperimentDir(id string) (string, error) {
	if err := validateExperimentID(id); err != nil {
		return "", err
	}
	for _, d := range []string{filepath.Join(s.root, id), filepath.Join(s.root, trashDir, id)} {
		if _, err := os.Stat(filepath.Join(d, metaFile)); err == nil {
			return d, nil
		}
	}
	return "", notFound("Could not find experiment with id %s", id)
}

func (s *fileStore) readExperiment(dir string) (*Experiment, error) {
	var m experimentMeta
	if err := readYAML(filepath.Join(dir, metaFile), &m); err != nil {
		return nil, err
	}
	tags, err := readKeyValueDir(filepath.Join(dir, "tags"))
	if err != nil {
		return nil, err
	}
	stage := LifecycleStage(m.LifecycleStage)
	if stage == "" {
		stage = StageActive
	}
	return &Experiment{
		ID: string(m.ExperimentID), Name: m.Name, ArtifactLocation: m.ArtifactLocation,
		LifecycleStage: stage, CreationTime: fromMillis(m.CreationTime),
		LastUpdateTime: fromMillis(m.LastUpdateTime), Tags: tags,
	}, nil
}

// listExperimentDirs lists every experiment directory, active ones first,
// then those in the trash.
func (s *fileStore) listExperimentDirs() ([]string, error) {
	var dirs []string
	for _, parent := range []string{s.root, filepath.Join(s.root, trashDir)} {
		ents, err := os.ReadDir(parent)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("mlflow: list %s: %w", parent, err)
		}
		for _, e := range ents {
			if !e.IsDir() || e.Name() == trashDir || e.Name() == registryDir {
				continue
			}
			d := filepath.Join(parent, e.Name())
			if _, err := os.Stat(filepath.Join(d, metaFile)); err == nil {
				dirs = append(dirs, d)
			}
		}
	}
	return dirs, nil
}

func (s *fileStore) allExperiments() ([]*Experiment, error) {
	dirs, err := s.listExperimentDirs()
	if err != nil {
		return nil, err
	}
	exps := make([]*Experiment, 0, len(dirs))
	for _, d := range dirs {
		e, err := s.readExperiment(d)
		if err != nil {
			return nil, err
		}
		exps = append(exps, e)
	}
	return exps, nil
}

// newExperimentID draws an 18-digit random integer id, as MLflow does, so
// stores written by several processes do not collide.
func newExperimentID() string {
	lo := big.NewInt(100_000_000_000_000_000)
	n, err := rand.Int(rand.Reader, big.NewInt(900_000_000_000_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return n.Add(n, lo).String()
}

func (s *fileStore) createExperiment(_ context.Context, name, artifactLocation string, tags []Tag) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exps, err := s.allExperiments()
	if err != nil {
		return "", err
	}
	for _, e := range exps {
		if e.Name == name {
			if e.LifecycleStage == StageDeleted {
				return "", newError(CodeResourceAlreadyExists, "Experiment '%s' already exists in deleted state. You can restore the experiment, or permanently delete the experiment to create a new one.", name)
			}
			return "", newError(CodeResourceAlreadyExists, "Experiment '%s' already exists.", name)
		}
	}
	id := newExperimentID()
	for slices.ContainsFunc(exps, func(e *Experiment) bool { return e.ID == id }) {
		id = newExperimentID()
	}
	if artifactLocation == "" {
		artifactLocation = s.rootURI + "/" + id
	}
	now := time.Now().UnixMilli()
	dir := filepath.Join(s.root, id)
	for _, t := range tags {
		if err := writeKeyFile(dir, "tags", t.Key, t.Value); err != nil {
			return "", err
		}
	}
	m := experimentMeta{
		ArtifactLocation: artifactLocation, CreationTime: now, ExperimentID: flexString(id),
		LastUpdateTime: now, LifecycleStage: string(StageActive), Name: name,
	}
	if err := s.writeExperiment(dir, &m); err != nil {
		return "", err
	}
	return id, nil
}

func (s *fileStore) getExperiment(_ context.Context, id string) (*Experiment, error) {
	dir, err := s.findExperimentDir(id)
	if err != nil {
		return nil, err
	}
	return s.readExperiment(dir)
}

func (s *fileStore) getExperimentByName(_ context.Context, name string) (*Experiment, error) {
	exps, err := s.allExperiments()
	if err != nil {
		return nil, err
	}
	for _, e := range exps {
		if e.Name == name {
			return e, nil
		}
	}
	return nil, notFound("Could not find experiment with name '%s'", name)
}

func (s *fileStore) searchExperiments(_ context.Context, o SearchExperimentsOptions) (*ExperimentPage, error) {
	cs, err := parseFilter(o.Filter)
	if err != nil {
		return nil, err
	}
	obs, err := parseOrderBys(o.OrderBy, validExperimentOrderBy)
	if err != nil {
		return nil, err
	}
	// Check every clause once up front, so a bad key fails even when no
	// experiment reaches it.
	for _, c := range cs {
		if _, err := matchExperiment(&Experiment{Tags: map[string]string{c.Key: ""}}, []comparison{c}); err != nil {
			return nil, err
		}
	}
	exps, err := s.allExperiments()
	if err != nil {
		return nil, err
	}
	var out []*Experiment
	for _, e := range exps {
		if !o.ViewType.includes(e.LifecycleStage) {
			continue
		}
		ok, err := matchExperiment(e, cs)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, e)
		}
	}
	sortExperiments(out, obs)
	page, next, err := paginate(out, o.PageToken, o.MaxResults)
	if err != nil {
		return nil, err
	}
	return &ExperimentPage{Experiments: page, NextPageToken: next}, nil
}

// activeExperimentDir returns the directory of an experiment that may be
// modified.
func (s *fileStore) activeExperimentDir(id string) (string, error) {
	dir, err := s.findExperimentDir(id)
	if err != nil {
		return "", err
	}
	if filepath.Base(filepath.Dir(dir)) == trashDir {
		return "", invalidParam("The experiment %s must be in the 'active' state. Current state is deleted.", id)
	}
	return dir, nil
}

func (s *fileStore) setExperimentTag(_ context.Context, id, key, value string) error {
	dir, err := s.activeExperimentDir(id)
	if err != nil {
		return err
	}
	return writeKeyFile(dir, "tags", key, value)
}

func (s *fileStore) deleteExperiment(ctx context.Context, id string) error {
	if id == defaultExperimentID {
		return invalidParam("Cannot delete the default experiment '0'. This is an internally reserved experiment.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.activeExperimentDir(id)
	if err != nil {
		if errors.Is(err, ErrInvalidParameter) {
			return notFound("Could not find experiment with ID %s", id)
		}
		return err
	}
	return s.moveExperimentLocked(ctx, id, dir, filepath.Join(s.root, trashDir, id), StageDeleted)
}

func (s *fileStore) restoreExperiment(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dir, err := s.findExperimentDir(id)
	if err != nil {
		return err
	}
	if filepath.Base(filepath.Dir(dir)) != trashDir {
		return notFound("Could not find deleted experiment with ID %s", id)
	}
	return s.moveExperimentLocked(ctx, id, dir, filepath.Join(s.root, id), StageActive)
}

// moveExperimentLocked flips an experiment and the runs that were in the
// opposite state, then moves its directory (into or out of .trash), as
// MLflow's delete_experiment / restore_experiment do.
func (s *fileStore) moveExperimentLocked(_ context.Context, id, from, to string, stage LifecycleStage) error {
	var m experimentMeta
	if err := readYAML(filepath.Join(from, metaFile), &m); err != nil {
		return err
	}
	now := time.Now().UnixMilli()
	m.LifecycleStage, m.LastUpdateTime = string(stage), now
	runDirs, err := listRunDirs(from)
	if err != nil {
		return err
	}
	for _, rd := range runDirs {
		var rm runMeta
		if err := readYAML(filepath.Join(rd, metaFile), &rm); err != nil {
			return err
		}
		if rm.LifecycleStage == string(stage) {
			continue
		}
		rm.LifecycleStage = string(stage)
		if stage == StageDeleted {
			rm.DeletedTime = &now
		} else {
			rm.DeletedTime = nil
		}
		if err := writeYAML(filepath.Join(rd, metaFile), &rm); err != nil {
			return err
		}
	}
	if err := s.writeExperiment(from, &m); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	if _, err := os.Stat(to); err == nil {
		return newError(CodeResourceAlreadyExists, "Cannot move experiment %s: %s exists", id, to)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("mlflow: move experiment %s: %w", id, err)
	}
	return nil
}

// listRunDirs lists the run directories of an experiment directory.
func listRunDirs(expDir string) ([]string, error) {
	ents, err := os.ReadDir(expDir)
	if err != nil {
		return nil, fmt.Errorf("mlflow: list %s: %w", expDir, err)
	}
	var out []string
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		switch e.Name() {
		case "tags", "datasets", "traces", "models", trashDir:
			continue
		}
		d := filepath.Join(expDir, e.Name())
		if _, err := os.Stat(filepath.Join(d, metaFile)); err == nil {
			out = append(out, d)
		}
	}
	return out, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
