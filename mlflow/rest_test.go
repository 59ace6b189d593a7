package mlflow_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/mlflow"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const secret = "s3cr3t-token-value"

func TestRESTRetriesTransientFailures(t *testing.T) {
	for _, status := range []int{408, 429, 500, 502, 503, 504} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) < 3 {
					w.WriteHeader(status)
					return
				}
				json.NewEncoder(w).Encode(map[string]any{"experiment": map[string]any{"experiment_id": "7", "name": "e", "creation_time": "1700000000000"}})
			}))
			defer srv.Close()
			c, err := mlflow.NewClient(context.Background(), srv.URL, &mlflow.Options{Getenv: envMap(nil), BackoffFactor: time.Millisecond, BackoffJitter: time.Millisecond})
			require.NoError(t, err)
			e, err := c.GetExperiment(context.Background(), "7")
			require.NoError(t, err)
			assert.Equal(t, "e", e.Name)
			assert.Equal(t, int64(1700000000000), e.CreationTime.UnixMilli(), "int64 sent as a JSON string is accepted")
			assert.Equal(t, int32(3), calls.Load())
		})
	}
}

func TestRESTGivesUpAndDoesNotRetryClientErrors(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path == "/api/2.0/mlflow/runs/get" {
			w.WriteHeader(404)
			io.WriteString(w, `{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Run 'x' not found"}`)
			return
		}
		w.WriteHeader(503)
		io.WriteString(w, "<html>upstream unavailable</html>")
	}))
	defer srv.Close()
	c, err := mlflow.NewClient(context.Background(), srv.URL, &mlflow.Options{Getenv: envMap(nil), MaxRetries: 2, BackoffFactor: time.Millisecond})
	require.NoError(t, err)
	_, err = c.GetRun(context.Background(), "abc")
	var me *mlflow.Error
	require.ErrorAs(t, err, &me)
	assert.Equal(t, mlflow.CodeResourceDoesNotExist, me.Code)
	assert.Equal(t, 404, me.HTTPStatus)
	require.ErrorIs(t, err, mlflow.ErrNotFound)
	assert.Equal(t, int32(1), calls.Load(), "404 is not retried")

	calls.Store(0)
	_, err = c.GetExperiment(context.Background(), "1")
	require.ErrorAs(t, err, &me)
	assert.Equal(t, mlflow.CodeTemporarilyUnavailable, me.Code, "non-JSON errors map by status")
	assert.Equal(t, int32(3), calls.Load(), "1 try + 2 retries")
}

func TestRESTHonoursRetryAfterAndContext(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(429)
	}))
	defer srv.Close()
	c, err := mlflow.NewClient(context.Background(), srv.URL, &mlflow.Options{Getenv: envMap(nil), BackoffFactor: time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = c.GetExperiment(ctx, "1")
	require.ErrorIs(t, err, context.DeadlineExceeded, "waiting out Retry-After stops at the deadline")
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestRESTCredentials(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Get("Authorization"))
		w.WriteHeader(401)
		io.WriteString(w, `{"error_code":"UNAUTHENTICATED","message":"bad credentials"}`)
	}))
	defer srv.Close()
	hostURL := strings.Replace(srv.URL, "http://", "http://alice:pw@", 1)
	cases := []struct {
		name, uri string
		env       map[string]string
		want      string
	}{
		{"bearer from MLFLOW_TRACKING_TOKEN", srv.URL, map[string]string{"MLFLOW_TRACKING_TOKEN": secret}, "Bearer " + secret},
		{"basic from username/password", srv.URL, map[string]string{"MLFLOW_TRACKING_USERNAME": "bob", "MLFLOW_TRACKING_PASSWORD": secret}, "Basic Ym9iOnMzY3IzdC10b2tlbi12YWx1ZQ=="},
		{"basic from URL user info", hostURL, nil, "Basic YWxpY2U6cHc="},
		{"databricks host and token", "databricks", map[string]string{"DATABRICKS_HOST": srv.URL, "DATABRICKS_TOKEN": secret}, "Bearer " + secret},
		{"basic from ~/.mlflow/credentials", srv.URL, map[string]string{"HOME": credHome(t)}, "Basic Y2Fyb2w6ZmlsZXB3"},
		{"from MLFLOW_TRACKING_URI", "", map[string]string{"MLFLOW_TRACKING_URI": srv.URL, "MLFLOW_TRACKING_TOKEN": secret}, "Bearer " + secret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs strings.Builder
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			c, err := mlflow.NewClient(context.Background(), tc.uri, &mlflow.Options{Getenv: envMap(tc.env), MaxRetries: -1, Logger: logger})
			require.NoError(t, err)
			defer func() {
				assert.Contains(t, logs.String(), "status=401")
				assert.NotContains(t, logs.String(), secret, "no credential in debug logs")
				assert.NotContains(t, logs.String(), "pw")
			}()
			assert.NotContains(t, c.TrackingURI(), "pw", "credentials never in the reported URI")
			_, err = c.GetExperiment(context.Background(), "1")
			require.ErrorIs(t, err, mlflow.ErrUnauthenticated)
			assert.Equal(t, tc.want, got.Load())
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), ":pw@")
		})
	}
}

// Connection failures are retried, and the error names neither the token
// nor URL credentials.
func TestRESTNetworkErrorsAreRetriedAndRedacted(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := strings.Replace(srv.URL, "http://", "http://user:"+secret+"@", 1)
	srv.Close() // nothing listens any more
	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := mlflow.NewClient(context.Background(), url, &mlflow.Options{Getenv: envMap(map[string]string{"MLFLOW_TRACKING_TOKEN": secret}), MaxRetries: 2, BackoffFactor: time.Millisecond, Logger: logger})
	require.NoError(t, err)
	_, err = c.GetExperiment(context.Background(), "1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "after 3 attempts")
	assert.NotContains(t, err.Error(), secret)
	assert.Equal(t, 2, strings.Count(logs.String(), "mlflow: retrying"), logs.String())
	assert.NotContains(t, logs.String(), secret)
}

func TestRESTNonFiniteMetricsOnTheWire(t *testing.T) {
	var body map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/2.0/mlflow/runs/log-batch" {
			json.NewDecoder(r.Body).Decode(&body)
		}
		io.WriteString(w, `{}`)
	}))
	defer srv.Close()
	c, err := mlflow.NewClient(context.Background(), srv.URL, &mlflow.Options{Getenv: envMap(nil)})
	require.NoError(t, err)
	require.NoError(t, c.LogBatch(context.Background(), "abc", mlflow.Batch{Metrics: []mlflow.Metric{
		{Key: "a", Value: math.NaN()}, {Key: "b", Value: math.Inf(1)}, {Key: "c", Value: math.Inf(-1)}, {Key: "d", Value: 0.5},
	}}))
	ms := body["metrics"].([]any)
	var vals []any
	for _, m := range ms {
		vals = append(vals, m.(map[string]any)["value"])
	}
	assert.Equal(t, []any{"NaN", "Infinity", "-Infinity", 0.5}, vals)
}

func TestNewClientURIs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, tc := range []struct {
		uri  string
		want string
		err  error
	}{
		{uri: dir, want: "file://" + dir},
		{uri: "file://" + filepath.Join(dir, "x"), want: "file://" + filepath.Join(dir, "x")},
		{uri: "sqlite:///mlflow.db", err: mlflow.ErrUnsupported},
		{uri: "postgresql://db/mlflow", err: mlflow.ErrUnsupported},
		{uri: "file://otherhost/x", err: mlflow.ErrUnsupported},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			c, err := mlflow.NewClient(ctx, tc.uri, &mlflow.Options{Getenv: envMap(nil)})
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, c.TrackingURI())
		})
	}
	_, err := mlflow.NewClient(ctx, "databricks", &mlflow.Options{Getenv: envMap(map[string]string{"DATABRICKS_CONFIG_FILE": filepath.Join(dir, "none")})})
	require.Error(t, err, "databricks without credentials")

	cfg := filepath.Join(dir, "databrickscfg")
	require.NoError(t, os.WriteFile(cfg, []byte("[DEFAULT]\nhost = https://a.example\ntoken = t1\n[prod]\nhost = prod.example\ntoken = t2\n"), 0o600))
	c, err := mlflow.NewClient(ctx, "databricks://prod", &mlflow.Options{Getenv: envMap(map[string]string{"DATABRICKS_CONFIG_FILE": cfg})})
	require.NoError(t, err)
	assert.Equal(t, "databricks://prod", c.TrackingURI())
}

func TestParseModelURI(t *testing.T) {
	for _, tc := range []struct {
		uri     string
		name    string
		version int64
		alias   string
		latest  bool
		err     bool
	}{
		{uri: "models:/fraud/3", name: "fraud", version: 3},
		{uri: "models:/main.ml.fraud@production", name: "main.ml.fraud", alias: "production"},
		{uri: "models:/fraud/latest", name: "fraud", latest: true},
		{uri: "models:/fraud/Production", err: true},
		{uri: "models:/fraud", err: true},
		{uri: "models:/@x", err: true},
		{uri: "runs:/abc/model", err: true},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			name, v, alias, latest, err := mlflow.ParseModelURI(tc.uri)
			if tc.err {
				require.True(t, errors.Is(err, mlflow.ErrInvalidParameter), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []any{tc.name, tc.version, tc.alias, tc.latest}, []any{name, v, alias, latest})
		})
	}
}

func credHome(t *testing.T) string {
	home := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(home, ".mlflow"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(home, ".mlflow", "credentials"),
		[]byte("[mlflow]\nmlflow_tracking_username = carol\nmlflow_tracking_password = filepw\n"), 0o600))
	return home
}

func TestOptionsNeverPrintCredentials(t *testing.T) {
	o := mlflow.Options{Username: "bob", Password: secret, Token: secret}
	for _, s := range []string{fmt.Sprint(o), fmt.Sprintf("%+v", o), fmt.Sprintf("%#v", o), fmt.Sprintf("%v", &o)} {
		assert.NotContains(t, s, secret)
		assert.Contains(t, s, "bob")
	}
}

// An artifact upload that hits a transient failure is re-sent whole: the
// file is streamed and rewound, not buffered.
func TestRESTArtifactUploadRetriesWithFullBody(t *testing.T) {
	var calls atomic.Int32
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/2.0/mlflow/runs/get":
			io.WriteString(w, `{"run":{"info":{"run_id":"abc","artifact_uri":"mlflow-artifacts:/1/abc/artifacts"}}}`)
		case r.Method == "PUT":
			b, _ := io.ReadAll(r.Body)
			if calls.Add(1) == 1 {
				w.WriteHeader(502)
				return
			}
			got.Store(r.URL.Path + "=" + string(b))
			io.WriteString(w, `{}`)
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	c, err := mlflow.NewClient(context.Background(), srv.URL, &mlflow.Options{Getenv: envMap(nil), BackoffFactor: time.Millisecond})
	require.NoError(t, err)
	f := filepath.Join(t.TempDir(), "data file.txt")
	require.NoError(t, os.WriteFile(f, []byte("0123456789"), 0o644))
	require.NoError(t, c.LogArtifact(context.Background(), "abc", f, "dir"))
	assert.Equal(t, int32(2), calls.Load())
	assert.Equal(t, "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/dir/data file.txt=0123456789", got.Load())
}
