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
	"strings"
)

func (c *Client) runArtifacts(ctx context.Context, runID string) (artifactRepo, error) {
	r, err := c.GetRun(ctx, runID)
	if err != nil {
		return nil, err
	}
	return c.be.artifacts(ctx, r.Info.ArtifactURI)
}

// LogArtifact uploads one local file into the run's artifacts, under the
// directory artifactPath ("" = the root), keeping its base name.
func (c *Client) LogArtifact(ctx context.Context, runID, localPath, artifactPath string) error {
	repo, err := c.runArtifacts(ctx, runID)
	if err != nil {
		return err
	}
	return uploadFile(ctx, repo, localPath, path.Join(artifactPath, filepath.Base(localPath)))
}

// LogArtifacts uploads the contents of a local directory (recursively) under
// artifactPath.
func (c *Client) LogArtifacts(ctx context.Context, runID, localDir, artifactPath string) error {
	repo, err := c.runArtifacts(ctx, runID)
	if err != nil {
		return err
	}
	return uploadDir(ctx, repo, localDir, artifactPath)
}

// LogText stores text as the artifact file artifactFile (e.g. "notes/a.txt").
func (c *Client) LogText(ctx context.Context, runID, text, artifactFile string) error {
	repo, err := c.runArtifacts(ctx, runID)
	if err != nil {
		return err
	}
	return repo.put(ctx, artifactFile, strings.NewReader(text))
}

// ListArtifacts lists the direct children of path in the run's artifacts.
func (c *Client) ListArtifacts(ctx context.Context, runID, path string) ([]FileInfo, error) {
	repo, err := c.runArtifacts(ctx, runID)
	if err != nil {
		return nil, err
	}
	return repo.list(ctx, path)
}

// DownloadArtifacts copies the run's artifact file or directory at path
// ("" = everything) into dstDir and returns the local path of the copy.
func (c *Client) DownloadArtifacts(ctx context.Context, runID, path, dstDir string) (string, error) {
	repo, err := c.runArtifacts(ctx, runID)
	if err != nil {
		return "", err
	}
	return download(ctx, repo, path, dstDir)
}

// DownloadURI downloads what an artifact URI names into dstDir: runs:/<run
// id>/<path>, models:/<name>/<version>, models:/<name>@<alias>, or a store
// artifact URI (file:, mlflow-artifacts:). It returns the local path.
func (c *Client) DownloadURI(ctx context.Context, uri, dstDir string) (string, error) {
	root, rel, err := c.resolveArtifactURI(ctx, uri, 0)
	if err != nil {
		return "", err
	}
	repo, err := c.be.artifacts(ctx, root)
	if err != nil {
		return "", err
	}
	return download(ctx, repo, rel, dstDir)
}

// resolveArtifactURI turns runs:/ and models:/ URIs into an artifact root
// the store can open plus a path below it.
func (c *Client) resolveArtifactURI(ctx context.Context, uri string, depth int) (string, string, error) {
	if depth > 4 {
		return "", "", invalidParam("artifact URI %q resolves in a loop", uri)
	}
	switch {
	case strings.HasPrefix(uri, "runs:/"):
		rest := strings.TrimLeft(strings.TrimPrefix(uri, "runs:/"), "/")
		runID, rel, _ := strings.Cut(rest, "/")
		if runID == "" {
			return "", "", invalidParam("invalid runs URI %q: expected runs:/<run_id>/<path>", uri)
		}
		r, err := c.GetRun(ctx, runID)
		if err != nil {
			return "", "", err
		}
		return r.Info.ArtifactURI, rel, nil
	case strings.HasPrefix(uri, "models:/"):
		target, err := c.ResolveModelURI(ctx, uri)
		if err != nil {
			return "", "", err
		}
		return c.resolveArtifactURI(ctx, target, depth+1)
	}
	return uri, "", nil
}

func uploadFile(ctx context.Context, repo artifactRepo, localPath, dst string) error {
	f, err := os.Open(localPath)
	if err != nil {
		return fmt.Errorf("mlflow: log artifact: %w", err)
	}
	defer f.Close()
	return repo.put(ctx, dst, f)
}

func uploadDir(ctx context.Context, repo artifactRepo, localDir, artifactPath string) error {
	return filepath.WalkDir(localDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("mlflow: log artifacts: %w", err)
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(localDir, p)
		if err != nil {
			return err
		}
		return uploadFile(ctx, repo, p, path.Join(artifactPath, filepath.ToSlash(rel)))
	})
}

// download copies rel (a file, or a directory recursively) from repo to
// dstDir/<base of rel>. rel "" copies the whole root into dstDir.
func download(ctx context.Context, repo artifactRepo, rel, dstDir string) (string, error) {
	rel, err := cleanArtifactPath(rel)
	if err != nil {
		return "", err
	}
	children, err := repo.list(ctx, rel)
	if err != nil {
		return "", err
	}
	local := dstDir
	if rel != "" {
		local = filepath.Join(dstDir, filepath.FromSlash(path.Base(rel)))
	}
	if len(children) == 0 && rel != "" {
		// A file, or an empty/missing directory: try it as a file.
		rc, err := repo.open(ctx, rel)
		if err != nil {
			return "", err
		}
		defer rc.Close()
		return local, writeLocal(local, rc)
	}
	if err := os.MkdirAll(local, 0o755); err != nil {
		return "", fmt.Errorf("mlflow: %w", err)
	}
	for _, ch := range children {
		if ch.IsDir {
			if _, err := download(ctx, repo, ch.Path, local); err != nil {
				return "", err
			}
			continue
		}
		rc, err := repo.open(ctx, ch.Path)
		if err != nil {
			return "", err
		}
		err = writeLocal(filepath.Join(local, path.Base(ch.Path)), rc)
		rc.Close()
		if err != nil {
			return "", err
		}
	}
	return local, nil
}

func writeLocal(dst string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	f, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("mlflow: %w", err)
	}
	_, werr := io.Copy(f, r)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("mlflow: download to %s: %w", dst, werr)
	}
	return nil
}

// readArtifact reads a whole (small) artifact file.
func readArtifact(ctx context.Context, repo artifactRepo, rel string) ([]byte, error) {
	rc, err := repo.open(ctx, rel)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("mlflow: read artifact %s: %w", rel, err)
	}
	return b, nil
}
