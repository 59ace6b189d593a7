package mlflow

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCanaryCredentialsNeverLogged points clients holding canary
// credentials (MLflow's environment variables, Databricks' token, the
// tracking URI's userinfo) at a server that refuses them, at one that
// fails, and at an address where nothing listens, and checks no canary
// appears in the errors or in anything logged at Debug.
func TestCanaryCredentialsNeverLogged(t *testing.T) {
	const canary = "CANARYm1fl0wT0ken"
	var sawAuth atomic.Bool // the canary was really sent
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawAuth.Store(r.Header.Get("Authorization") != "")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error_code":"PERMISSION_DENIED","message":"bad credentials"}`)
	}))
	defer refuse.Close()
	fail := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer fail.Close()
	env := map[string]string{
		"MLFLOW_TRACKING_TOKEN":    canary,
		"MLFLOW_TRACKING_USERNAME": "user",
		"MLFLOW_TRACKING_PASSWORD": canary + "pw",
		"DATABRICKS_TOKEN":         canary + "dbx",
		"HOME":                     t.TempDir(), // no ~/.mlflow/credentials or ~/.databrickscfg
	}
	for _, tc := range []struct {
		name string
		uri  string
		env  map[string]string
	}{
		{"token from the environment, refused", refuse.URL, nil},
		{"password in the URI, refused", strings.Replace(refuse.URL, "://", "://user:"+canary+"@", 1), nil},
		{"token from the environment, server failing", fail.URL, nil},
		{"password in the URI, nothing listening", "http://user:" + canary + "@127.0.0.1:1", nil},
		{"Databricks token, refused", "databricks", map[string]string{"DATABRICKS_HOST": refuse.URL}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logged bytes.Buffer
			sawAuth.Store(false)
			getenv := func(k string) string {
				if v, ok := tc.env[k]; ok {
					return v
				}
				return env[k]
			}
			c, err := NewClient(context.Background(), tc.uri, &Options{
				Getenv: getenv, MaxRetries: 1, BackoffFactor: 1, Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})),
			})
			if err == nil {
				_, err = c.SearchExperiments(context.Background(), nil)
			}
			require.Error(t, err)
			assert.NotContains(t, err.Error(), canary)
			assert.NotContains(t, fmt.Sprintf("%+v", err), canary)
			assert.NotContains(t, logged.String(), canary)
			assert.NotEmpty(t, logged.String(), "the request was logged")
			if strings.Contains(tc.name, "refused") {
				assert.True(t, sawAuth.Load(), "the credentials were sent")
			}
		})
	}
}
