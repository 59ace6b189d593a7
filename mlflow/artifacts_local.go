package mlflow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// localArtifacts is an artifact root on the local file system (file: URIs),
// used by the embedded store and by servers that hand out file: artifact
// URIs (no artifact proxying).
type localArtifacts struct{ root string }

func newLocalArtifacts(uri string) (*localArtifacts, error) {
	if !strings.HasPrefix(uri, "file:") {
		if filepath.IsAbs(uri) {
			return &localArtifacts{root: uri}, nil
		}
		return nil, fmt.Errorf("%w: artifact URI %q", ErrUnsupported, uri)
	}
	p, err := uriToLocalPath(uri)
	if err != nil {
		return nil, err
	}
	return &localArtifacts{root: p}, nil
}

// cleanArtifactPath rejects paths that would leave the artifact root.
func cleanArtifactPath(p string) (string, error) {
	if p == "" || p == "." {
		return "", nil
	}
	c := path.Clean(strings.ReplaceAll(p, "\\", "/"))
	if strings.HasPrefix(c, "/") || c == ".." || strings.HasPrefix(c, "../") {
		return "", invalidParam("invalid artifact path %q", p)
	}
	return c, nil
}

func (l *localArtifacts) put(_ context.Context, p string, r io.Reader) error {
	c, err := cleanArtifactPath(p)
	if err != nil {
		return err
	}
	if c == "" {
		return invalidParam("artifact path must name a file")
	}
	dst := filepath.Join(l.root, filepath.FromSlash(c))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-upload-*")
	if err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	_, werr := io.Copy(f, r)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(f.Name(), dst)
	}
	if werr != nil {
		os.Remove(f.Name())
		return fmt.Errorf("mlflow: store artifact %s: %w", c, werr)
	}
	return nil
}

// list returns the direct children of p, like MLflow's list_artifacts: an
// empty list when p is a file or does not exist.
func (l *localArtifacts) list(_ context.Context, p string) ([]FileInfo, error) {
	c, err := cleanArtifactPath(p)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(l.root, filepath.FromSlash(c))
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return []FileInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("mlflow: list artifacts %s: %w", c, err)
	}
	out := make([]FileInfo, 0, len(ents))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-upload-") {
			continue
		}
		fi := FileInfo{Path: path.Join(c, e.Name()), IsDir: e.IsDir()}
		if !e.IsDir() {
			info, err := e.Info()
			if err != nil {
				return nil, fmt.Errorf("mlflow: %w", err)
			}
			fi.FileSize = info.Size()
		}
		out = append(out, fi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func (l *localArtifacts) open(_ context.Context, p string) (io.ReadCloser, error) {
	c, err := cleanArtifactPath(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(l.root, filepath.FromSlash(c)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound("artifact %q not found", c)
	}
	if err != nil {
		return nil, fmt.Errorf("mlflow: open artifact %s: %w", c, err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, notFound("artifact %q is an empty directory, not a file", c)
	}
	return f, nil
}

func (s *fileStore) artifacts(_ context.Context, rootURI string) (artifactRepo, error) {
	return newLocalArtifacts(rootURI)
}
