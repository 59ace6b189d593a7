package mlflow

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"
)

// Options configures NewClient. A nil *Options means defaults: credentials
// and retry settings from MLflow's environment variables.
type Options struct {
	// Getenv reads environment variables; nil means os.Getenv. Tests pass a
	// map lookup so they need not mutate the process environment.
	Getenv func(string) string
	// HTTPClient sends requests to a tracking server; nil means a client
	// with MLflow's defaults (120 s per request, MLFLOW_HTTP_REQUEST_TIMEOUT).
	HTTPClient *http.Client
	// Token, Username, Password override MLFLOW_TRACKING_TOKEN,
	// MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (and
	// DATABRICKS_TOKEN for the databricks URI).
	Token, Username, Password string
	// MaxRetries for transient failures (connection errors and HTTP 408,
	// 429, 500, 502, 503, 504). 0 means MLFLOW_HTTP_REQUEST_MAX_RETRIES or 7;
	// negative disables retries.
	MaxRetries int
	// BackoffFactor: the n-th retry waits BackoffFactor*2^(n-1) plus up to
	// BackoffJitter, capped at 120 s (MLflow's urllib3 policy). 0 means
	// MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR or 2 s.
	BackoffFactor time.Duration
	BackoffJitter time.Duration
	// UserID is recorded as the run's user and mlflow.user tag; "" means
	// the OS user, as MLflow does.
	UserID string
	// Logger receives one Debug record per request and a Warn record per
	// retry (method, URL path, status, attempt). Credentials, headers and
	// bodies are never logged. nil logs nothing.
	Logger *slog.Logger
}

func (o *Options) getenv(k string) string {
	if o != nil && o.Getenv != nil {
		return o.Getenv(k)
	}
	return os.Getenv(k)
}

// Client talks to one tracking store: the embedded FileStore (a local path
// or file:// URI) or a tracking server (http(s)://…, databricks). Every
// method behaves the same on both. A Client is safe for concurrent use.
type Client struct {
	be     backend
	uri    string // tracking URI, credentials removed
	userID string
	// sourceName is the mlflow.source.name tag of new runs: the program,
	// as MLflow records the script that started a run.
	sourceName string
}

// NewClient opens the store a tracking URI names, resolved like MLflow:
//
//   - "" uses MLFLOW_TRACKING_URI, and when that is unset the embedded store
//     in ./mlruns (MLflow's file-store default).
//   - a path or file:///abs/path is the embedded store rooted there.
//   - http://host:port, https://… is a tracking server (credentials from
//     Options, the URL's user:password, or MLFLOW_TRACKING_TOKEN /
//     MLFLOW_TRACKING_USERNAME + MLFLOW_TRACKING_PASSWORD).
//   - databricks or databricks://<profile> is a Databricks workspace
//     (DATABRICKS_HOST + DATABRICKS_TOKEN, or ~/.databrickscfg).
//
// Database URIs (sqlite:, postgresql:, mysql:) are rejected with
// ErrUnsupported: run `mlflow server` on them and connect over HTTP.
func NewClient(ctx context.Context, trackingURI string, o *Options) (*Client, error) {
	if trackingURI == "" {
		trackingURI = o.getenv("MLFLOW_TRACKING_URI")
	}
	if trackingURI == "" {
		trackingURI = "mlruns"
	}
	c := &Client{userID: defaultUserID(o)}
	if exe, err := os.Executable(); err == nil {
		c.sourceName = exe
	}
	scheme := ""
	if u, err := url.Parse(trackingURI); err == nil && len(u.Scheme) > 1 {
		scheme = strings.ToLower(u.Scheme)
	}
	switch {
	case trackingURI == "databricks" || scheme == "databricks":
		host, token, err := databricksCredentials(trackingURI, o)
		if err != nil {
			return nil, err
		}
		oo := Options{}
		if o != nil {
			oo = *o
		}
		oo.Token, oo.Username, oo.Password = token, "", ""
		rc, err := newRESTClient(host, &oo)
		if err != nil {
			return nil, err
		}
		c.be, c.uri = rc, trackingURI
	case scheme == "" || scheme == "file":
		root := trackingURI
		if scheme == "file" {
			p, err := uriToLocalPath(trackingURI)
			if err != nil {
				return nil, err
			}
			root = p
		}
		fs, err := openFileStore(root)
		if err != nil {
			return nil, err
		}
		c.be, c.uri = fs, fs.rootURI
	case scheme == "http" || scheme == "https":
		rc, err := newRESTClient(trackingURI, o)
		if err != nil {
			return nil, err
		}
		c.be, c.uri = rc, rc.base.String()
	default:
		return nil, fmt.Errorf("%w: tracking URI scheme %q; use a local path, file://, http(s):// or databricks (start `mlflow server --backend-store-uri %s` for a database)", ErrUnsupported, scheme, scheme+":…")
	}
	_ = ctx
	return c, nil
}

// TrackingURI returns the store's URI without credentials.
func (c *Client) TrackingURI() string { return c.uri }

// Close releases the client's resources.
func (c *Client) Close() error { return c.be.close() }

func defaultUserID(o *Options) string {
	if o != nil && o.UserID != "" {
		return o.UserID
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return "unknown"
}

// databricksCredentials resolves the workspace host and token for the
// databricks tracking URI: environment first, then the profile in
// ~/.databrickscfg (DEFAULT unless databricks://<profile>).
func databricksCredentials(uri string, o *Options) (string, string, error) {
	host, token := o.getenv("DATABRICKS_HOST"), o.getenv("DATABRICKS_TOKEN")
	if o != nil && o.Token != "" {
		token = o.Token
	}
	profile := "DEFAULT"
	if p, ok := strings.CutPrefix(uri, "databricks://"); ok && p != "" {
		profile = strings.SplitN(p, ":", 2)[0]
	}
	if host == "" || token == "" {
		cfgPath := o.getenv("DATABRICKS_CONFIG_FILE")
		if cfgPath == "" {
			if home, err := os.UserHomeDir(); err == nil {
				cfgPath = filepath.Join(home, ".databrickscfg")
			}
		}
		if b, err := os.ReadFile(cfgPath); err == nil {
			sec := parseINISection(string(b), profile)
			if host == "" {
				host = sec["host"]
			}
			if token == "" {
				token = sec["token"]
			}
		}
	}
	if host == "" || token == "" {
		return "", "", fmt.Errorf("mlflow: databricks tracking URI needs DATABRICKS_HOST and DATABRICKS_TOKEN (or profile %q in ~/.databrickscfg)", profile)
	}
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	return host, token, nil
}

// parseINISection returns the key/values of one [section] of an INI file.
func parseINISection(text, section string) map[string]string {
	out := map[string]string{}
	in := false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			in = strings.TrimSpace(line[1:len(line)-1]) == section
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && in {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

// String prints the options with credentials redacted, so logging an
// Options value never leaks a token or password.
func (o Options) String() string {
	red := func(s string) string {
		if s == "" {
			return `""`
		}
		return "<redacted>"
	}
	return fmt.Sprintf("mlflow.Options{Username: %q, Password: %s, Token: %s, MaxRetries: %d, BackoffFactor: %s, BackoffJitter: %s, UserID: %q}",
		o.Username, red(o.Password), red(o.Token), o.MaxRetries, o.BackoffFactor, o.BackoffJitter, o.UserID)
}

// GoString is String for %#v.
func (o Options) GoString() string { return o.String() }
