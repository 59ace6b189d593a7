package mlflow

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// restClient is the backend for a tracking server: MLflow's REST API 2.0
// (JSON) and the proxied artifact API (mlflow-artifacts).
type restClient struct {
	base *url.URL // scheme://host[:port]/prefix, no credentials
	hc   *http.Client
	// authorization is the Authorization header value. It is only ever put
	// on outgoing requests: never in errors, String() or logs.
	authorization string
	maxRetries    int
	backoff       time.Duration
	jitter        time.Duration
	log           *slog.Logger // never nil
}

// Statuses MLflow's client retries (request_utils._TRANSIENT_FAILURE_RESPONSE_CODES).
var transientStatus = map[int]bool{408: true, 429: true, 500: true, 502: true, 503: true, 504: true}

const maxBackoff = 120 * time.Second

func newRESTClient(raw string, o *Options) (*restClient, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, invalidParam("invalid tracking URI: %s", redactURL(raw))
	}
	var oo Options
	if o != nil {
		oo = *o
	}
	user, pass, token := oo.Username, oo.Password, oo.Token
	if u.User != nil {
		if user == "" {
			user = u.User.Username()
		}
		if p, ok := u.User.Password(); ok && pass == "" {
			pass = p
		}
		u.User = nil
	}
	if user == "" {
		user = o.getenv("MLFLOW_TRACKING_USERNAME")
	}
	if pass == "" {
		pass = o.getenv("MLFLOW_TRACKING_PASSWORD")
	}
	if user == "" || pass == "" {
		// MLflow's fallback: ~/.mlflow/credentials, section [mlflow].
		fu, fp := credentialsFile(o)
		if user == "" {
			user = fu
		}
		if pass == "" {
			pass = fp
		}
	}
	if token == "" {
		token = o.getenv("MLFLOW_TRACKING_TOKEN")
	}
	rc := &restClient{base: u, hc: oo.HTTPClient, log: oo.Logger}
	if rc.log == nil {
		rc.log = slog.New(slog.DiscardHandler)
	}
	switch {
	case user != "" && pass != "":
		req := http.Request{Header: http.Header{}}
		req.SetBasicAuth(user, pass)
		rc.authorization = req.Header.Get("Authorization")
	case token != "":
		rc.authorization = "Bearer " + token
	}
	if rc.hc == nil {
		timeout := 120 * time.Second
		if s := o.getenv("MLFLOW_HTTP_REQUEST_TIMEOUT"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				timeout = time.Duration(n) * time.Second
			}
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tlsConf, err := tlsConfig(o)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = tlsConf
		rc.hc = &http.Client{Timeout: timeout, Transport: tr}
	}
	rc.maxRetries = envInt(o, oo.MaxRetries, "MLFLOW_HTTP_REQUEST_MAX_RETRIES", 7)
	rc.backoff = envDuration(o, oo.BackoffFactor, "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", 2*time.Second)
	rc.jitter = envDuration(o, oo.BackoffJitter, "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER", time.Second)
	return rc, nil
}

// tlsConfig applies MLflow's TLS variables: MLFLOW_TRACKING_INSECURE_TLS,
// MLFLOW_TRACKING_SERVER_CERT_PATH (a CA bundle) and
// MLFLOW_TRACKING_CLIENT_CERT_PATH (a PEM with the client cert and key).
func tlsConfig(o *Options) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if v := strings.ToLower(o.getenv("MLFLOW_TRACKING_INSECURE_TLS")); v == "true" || v == "1" {
		conf.InsecureSkipVerify = true //nolint:gosec // explicit opt-in, as in MLflow
	}
	if p := o.getenv("MLFLOW_TRACKING_SERVER_CERT_PATH"); p != "" {
		pem, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("mlflow: MLFLOW_TRACKING_SERVER_CERT_PATH: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("mlflow: MLFLOW_TRACKING_SERVER_CERT_PATH %s holds no PEM certificate", p)
		}
		conf.RootCAs = pool
	}
	if p := o.getenv("MLFLOW_TRACKING_CLIENT_CERT_PATH"); p != "" {
		cert, err := tls.LoadX509KeyPair(p, p)
		if err != nil {
			return nil, fmt.Errorf("mlflow: MLFLOW_TRACKING_CLIENT_CERT_PATH: %w", err)
		}
		conf.Certificates = []tls.Certificate{cert}
	}
	return conf, nil
}

// credentialsFile reads username and password from ~/.mlflow/credentials.
func credentialsFile(o *Options) (string, string) {
	home := o.getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	if home == "" {
		return "", ""
	}
	b, err := os.ReadFile(filepath.Join(home, ".mlflow", "credentials"))
	if err != nil {
		return "", ""
	}
	sec := parseINISection(string(b), "mlflow")
	return sec["mlflow_tracking_username"], sec["mlflow_tracking_password"]
}

func envInt(o *Options, explicit int, key string, def int) int {
	if explicit != 0 {
		return max(explicit, 0)
	}
	if n, err := strconv.Atoi(o.getenv(key)); err == nil && n >= 0 {
		return n
	}
	return def
}

func envDuration(o *Options, explicit time.Duration, key string, def time.Duration) time.Duration {
	if explicit != 0 {
		return max(explicit, 0)
	}
	if f, err := strconv.ParseFloat(o.getenv(key), 64); err == nil && f >= 0 {
		return time.Duration(f * float64(time.Second))
	}
	return def
}

// redactURL drops user info from a URL for messages.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "<unparseable URL>"
	}
	u.User = nil
	return u.String()
}

func (rc *restClient) close() error {
	rc.hc.CloseIdleConnections()
	return nil
}

// endpoint joins an API path onto the base URL.
func (rc *restClient) endpoint(path string, q url.Values) string {
	u := *rc.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	if q != nil {
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// call sends one JSON API request (body nil for GET) and decodes the JSON
// answer into out (nil to discard).
func (rc *restClient) call(ctx context.Context, method, path string, q url.Values, body, out any) error {
	var payload *requestBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("mlflow: encode %s request: %w", path, err)
		}
		payload = &requestBody{bytes: b}
	}
	resp, err := rc.do(ctx, method, rc.endpoint("/api/2.0/mlflow"+path, q), payload, "application/json")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("mlflow: decode %s %s response: %w", method, path, err)
	}
	return nil
}

// requestBody yields a fresh reader of the same body for every attempt.
type requestBody struct {
	bytes  []byte        // JSON payloads
	seeker io.ReadSeeker // streamed uploads, rewound before a retry
	size   int64         // of seeker, -1 if unknown
}

func (b *requestBody) reader() (io.Reader, int64, error) {
	switch {
	case b == nil:
		return nil, 0, nil
	case b.seeker != nil:
		if _, err := b.seeker.Seek(0, io.SeekStart); err != nil {
			return nil, 0, fmt.Errorf("mlflow: rewind upload: %w", err)
		}
		return b.seeker, b.size, nil
	default:
		return bytes.NewReader(b.bytes), int64(len(b.bytes)), nil
	}
}

// do sends a request with MLflow's retry policy and returns a 2xx response
// (its body is the caller's to close) or an *Error.
func (rc *restClient) do(ctx context.Context, method, target string, body *requestBody, contentType string) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		r, size, err := body.reader()
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, method, target, r)
		if err != nil {
			return nil, fmt.Errorf("mlflow: build request: %w", err)
		}
		if r != nil {
			req.Body = io.NopCloser(r) // the seeker is reused on retry: the transport must not close it
			req.ContentLength = size
			if size == 0 {
				req.Body = http.NoBody
			}
			req.Header.Set("Content-Type", contentType)
		}
		req.Header.Set("User-Agent", "lakehouse-go-mlflow")
		if rc.authorization != "" {
			req.Header.Set("Authorization", rc.authorization)
		}
		resp, err := rc.hc.Do(req)
		var retryAfter time.Duration
		// Only the method and path are logged: no query (it may carry
		// names users consider private), headers or credentials.
		logPath := req.URL.Path
		if err == nil {
			rc.log.Debug("mlflow: request", "method", method, "path", logPath, "status", resp.StatusCode, "attempt", attempt+1)
		}
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, fmt.Errorf("mlflow: %s %s: %w", method, redactURL(target), ctx.Err())
			}
			if attempt >= rc.maxRetries {
				return nil, fmt.Errorf("mlflow: %s %s failed after %d attempts: %w", method, redactURL(target), attempt+1, scrubURLError(err))
			}
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			return resp, nil
		case transientStatus[resp.StatusCode] && attempt < rc.maxRetries:
			if s, perr := strconv.Atoi(resp.Header.Get("Retry-After")); perr == nil && s >= 0 {
				retryAfter = time.Duration(s) * time.Second
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		default:
			defer resp.Body.Close()
			return nil, decodeError(resp)
		}
		wait := rc.backoffFor(attempt)
		if retryAfter > wait {
			wait = min(retryAfter, maxBackoff)
		}
		cause := "connection error"
		if resp != nil {
			cause = resp.Status
		}
		rc.log.Warn("mlflow: retrying", "method", method, "path", logPath, "cause", cause, "attempt", attempt+1, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("mlflow: %s %s: %w", method, redactURL(target), ctx.Err())
		case <-t.C:
		}
	}
}

// backoffFor is urllib3's backoff: factor * 2^attempt plus jitter, capped.
func (rc *restClient) backoffFor(attempt int) time.Duration {
	d := time.Duration(float64(rc.backoff) * math.Pow(2, float64(attempt)))
	if rc.jitter > 0 {
		d += time.Duration(rand.Int64N(int64(rc.jitter) + 1))
	}
	return min(d, maxBackoff)
}

// scrubURLError keeps the cause of a transport error but drops the URL
// (which could carry credentials in a badly formed tracking URI).
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func decodeError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e struct {
		ErrorCode string `json:"error_code"`
		Message   string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.ErrorCode != "" {
		return &Error{Code: ErrorCode(e.ErrorCode), Message: e.Message, HTTPStatus: resp.StatusCode}
	}
	msg := strings.TrimSpace(string(body))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if msg == "" {
		msg = resp.Status
	}
	return &Error{Code: codeForStatus(resp.StatusCode), Message: msg, HTTPStatus: resp.StatusCode}
}

// jsonInt64 reads an int64 that protobuf JSON may render as a string.
type jsonInt64 int64

func (n *jsonInt64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("mlflow: bad integer %s", b)
	}
	*n = jsonInt64(v)
	return nil
}

// jsonFloat is a double as protobuf JSON writes it: NaN and infinities are
// the strings "NaN", "Infinity", "-Infinity".
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"Infinity"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Infinity"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	switch s {
	case "NaN", "nan":
		*f = jsonFloat(math.NaN())
		return nil
	case "Infinity", "inf":
		*f = jsonFloat(math.Inf(1))
		return nil
	case "-Infinity", "-inf":
		*f = jsonFloat(math.Inf(-1))
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("mlflow: bad number %s", b)
	}
	*f = jsonFloat(v)
	return nil
}
