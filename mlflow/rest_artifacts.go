package mlflow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"strings"
)

// proxiedArtifacts stores artifacts through the tracking server's
// mlflow-artifacts API (the server's --serve-artifacts mode, the default).
type proxiedArtifacts struct {
	rc   *restClient
	root string // path under the server's artifact root, no leading '/'
}

func (rc *restClient) artifacts(_ context.Context, rootURI string) (artifactRepo, error) {
	u, err := url.Parse(rootURI)
	if err != nil {
		return nil, invalidParam("invalid artifact URI %q", rootURI)
	}
	switch u.Scheme {
	case "mlflow-artifacts":
		if u.Host != "" && !strings.EqualFold(u.Host, rc.base.Host) {
			return nil, fmt.Errorf("%w: artifact URI %q points at another server", ErrUnsupported, rootURI)
		}
		return &proxiedArtifacts{rc: rc, root: strings.Trim(u.Path, "/")}, nil
	case "file", "":
		// The server was started without artifact proxying and hands out
		// local paths: they are only reachable when it runs on this host.
		return newLocalArtifacts(rootURI)
	}
	return nil, fmt.Errorf("%w: artifact URI scheme %q (serve artifacts through the server with --serve-artifacts)", ErrUnsupported, u.Scheme)
}

func (p *proxiedArtifacts) url(rel string) string {
	full := path.Join(p.root, rel)
	segs := strings.Split(full, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	u := *p.rc.base
	u.Path = strings.TrimRight(u.Path, "/") + "/api/2.0/mlflow-artifacts/artifacts/" + full
	u.RawPath = strings.TrimRight(p.rc.base.EscapedPath(), "/") + "/api/2.0/mlflow-artifacts/artifacts/" + strings.Join(segs, "/")
	return u.String()
}

func (p *proxiedArtifacts) put(ctx context.Context, rel string, r io.Reader) error {
	c, err := cleanArtifactPath(rel)
	if err != nil {
		return err
	}
	if c == "" {
		return invalidParam("artifact path must name a file")
	}
	// Files stream and are rewound for a retry; other readers are buffered
	// so a retry can re-send them.
	body := &requestBody{size: -1}
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			body.seeker, body.size = f, st.Size()
		}
	}
	if body.seeker == nil {
		b, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("mlflow: read artifact %s: %w", c, err)
		}
		body.bytes = b
	}
	resp, err := p.rc.do(ctx, "PUT", p.url(c), body, "application/octet-stream")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

func (p *proxiedArtifacts) list(ctx context.Context, rel string) ([]FileInfo, error) {
	c, err := cleanArtifactPath(rel)
	if err != nil {
		return nil, err
	}
	u := p.rc.endpoint("/api/2.0/mlflow-artifacts/artifacts", url.Values{"path": {path.Join(p.root, c)}})
	resp, err := p.rc.do(ctx, "GET", u, nil, "")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Files []struct {
			Path     string    `json:"path"`
			IsDir    bool      `json:"is_dir"`
			FileSize jsonInt64 `json:"file_size"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("mlflow: decode artifact listing: %w", err)
	}
	files := make([]FileInfo, 0, len(out.Files))
	for _, f := range out.Files {
		// The server answers with base names; make them relative to the root.
		files = append(files, FileInfo{Path: path.Join(c, path.Base(f.Path)), IsDir: f.IsDir, FileSize: int64(f.FileSize)})
	}
	return files, nil
}

func (p *proxiedArtifacts) open(ctx context.Context, rel string) (io.ReadCloser, error) {
	c, err := cleanArtifactPath(rel)
	if err != nil {
		return nil, err
	}
	resp, err := p.rc.do(ctx, "GET", p.url(c), nil, "")
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}
