// Package latencys3 runs the gofakes3 S3 emulator in process behind an
// http.Handler that delays every request by a seeded, uniformly drawn
// latency and counts what reaches it: how many requests, by method, how
// many ranged GETs, and how many were in flight at once. Tests and the
// object-store benchmark use it to see whether a code path issues its
// reads one after another (one latency per request) or concurrently (a
// few latencies for many requests). It is a test helper: nothing in the
// library imports it.
package latencys3

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"gocloud.dev/blob"
	"gocloud.dev/blob/s3blob"
)

// Options configure the injected latency. The zero value means 20–50 ms
// with seed 1.
type Options struct {
	// Min and Max bound the delay drawn uniformly for each request; both
	// zero means 20 ms and 50 ms. Max below Min is taken as Min.
	Min, Max time.Duration
	// Seed makes the sequence of delays reproducible; 0 means 1.
	Seed uint64
}

// Handler delays and counts the requests it passes to the next handler.
// It is safe for concurrent use, as an http.Handler must be.
type Handler struct {
	next     http.Handler
	min, max time.Duration

	mu       sync.Mutex
	rng      *rand.Rand
	inFlight int64
	stats    Stats
	busy     time.Duration // integral of in-flight count over time
	lastTick time.Time
	paused   atomic.Bool
}

// Stats is what a Handler counted since it started or was last Reset.
type Stats struct {
	Requests    int64            // every request
	ByMethod    map[string]int64 // GET, HEAD, PUT, …
	RangedGets  int64            // GETs with a Range header
	MaxInFlight int64            // most requests being served at once
	// Latency is the sum of the injected delays: the wall time the same
	// requests would take one after another.
	Latency time.Duration
	// BusyInFlight is the integral of the in-flight count over time, so
	// BusyInFlight / Elapsed is the mean number of requests in flight.
	BusyInFlight time.Duration
	// Elapsed is the time since the handler started or was Reset.
	Elapsed time.Duration
}

// MeanDelay is the mean injected delay per request (0 without requests).
func (s Stats) MeanDelay() time.Duration {
	if s.Requests == 0 {
		return 0
	}
	return s.Latency / time.Duration(s.Requests)
}

// Rounds is Elapsed in mean delays: close to Requests when the requests
// went one after another, close to 1 when all were concurrent. Call
// Reset right before the measured work so Elapsed spans just it.
func (s Stats) Rounds() float64 {
	if s.Requests == 0 {
		return 0
	}
	return float64(s.Elapsed) / float64(s.MeanDelay())
}

// String summarises the counts on one line.
func (s Stats) String() string {
	list := s.ByMethod["LIST"] // listings are GETs too
	return fmt.Sprintf("%d requests (GET %d of which ranged %d, LIST %d, HEAD %d, other %d), max %d in flight, mean %.1f",
		s.Requests, s.ByMethod[http.MethodGet]-list, s.RangedGets, list, s.ByMethod[http.MethodHead],
		s.Requests-s.ByMethod[http.MethodGet]-s.ByMethod[http.MethodHead], s.MaxInFlight, s.MeanInFlight())
}

// MeanInFlight is the mean number of requests in flight over Elapsed.
func (s Stats) MeanInFlight() float64 {
	if s.Elapsed == 0 {
		return 0
	}
	return float64(s.BusyInFlight) / float64(s.Elapsed)
}

// NewHandler wraps next with injected latency and counting.
func NewHandler(next http.Handler, opts *Options) *Handler {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Min == 0 && o.Max == 0 {
		o.Min, o.Max = 20*time.Millisecond, 50*time.Millisecond
	}
	if o.Max < o.Min {
		o.Max = o.Min
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	h := &Handler{next: next, min: o.Min, max: o.Max, rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))}
	h.Reset()
	return h
}

// Pause turns the delay and the counting off (true) or back on, for
// setting up data through the same server without measuring it.
func (h *Handler) Pause(p bool) { h.paused.Store(p) }

// Reset zeroes the counts and restarts Elapsed.
func (h *Handler) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stats = Stats{ByMethod: map[string]int64{}}
	h.busy = 0
	h.lastTick = time.Now()
	h.stats.MaxInFlight = h.inFlight
}

// Stats returns a copy of the counts so far.
func (h *Handler) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.tick(time.Now())
	s := h.stats
	s.ByMethod = make(map[string]int64, len(h.stats.ByMethod))
	for k, v := range h.stats.ByMethod {
		s.ByMethod[k] = v
	}
	s.BusyInFlight = h.busy
	return s
}

// tick accumulates the in-flight integral up to now; h.mu is held.
func (h *Handler) tick(now time.Time) {
	if d := now.Sub(h.lastTick); d > 0 {
		h.busy += time.Duration(h.inFlight) * d
		h.stats.Elapsed += d
	}
	h.lastTick = now
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.paused.Load() {
		h.next.ServeHTTP(w, r)
		return
	}
	h.mu.Lock()
	h.tick(time.Now())
	delay := h.min
	if span := h.max - h.min; span > 0 {
		delay += time.Duration(h.rng.Int64N(int64(span) + 1))
	}
	h.inFlight++
	h.stats.Requests++
	method := r.Method
	h.stats.ByMethod[method]++
	if method == http.MethodGet && r.URL.Query().Has("list-type") {
		h.stats.ByMethod["LIST"]++
	}
	if method == http.MethodGet && r.Header.Get("Range") != "" {
		h.stats.RangedGets++
	}
	h.stats.Latency += delay
	h.stats.MaxInFlight = max(h.stats.MaxInFlight, h.inFlight)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.tick(time.Now())
		h.inFlight--
		h.mu.Unlock()
	}()
	t := time.NewTimer(delay)
	select {
	case <-t.C:
	case <-r.Context().Done():
		t.Stop()
	}
	h.next.ServeHTTP(w, r)
}

// Server is gofakes3 with one bucket behind a latency Handler.
type Server struct {
	*Handler
	URL    string // the emulator's endpoint
	Bucket string // the one bucket's name
	srv    *httptest.Server
}

// Start runs the emulator with one empty bucket. Close it when done.
func Start(bucket string, opts *Options) (*Server, error) {
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		return nil, fmt.Errorf("latencys3: create bucket: %w", err)
	}
	h := NewHandler(gofakes3.New(backend).Server(), opts)
	srv := httptest.NewServer(h)
	return &Server{Handler: h, URL: srv.URL, Bucket: bucket, srv: srv}, nil
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// OpenBucket opens the server's bucket through s3blob with static test
// credentials and path-style addressing. The HTTP client allows as many
// connections per host as the caller has requests in flight (the default
// transport keeps only two idle ones, which would add a TCP handshake to
// most concurrent requests).
func (s *Server) OpenBucket(ctx context.Context) (*blob.Bucket, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	client := s3.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test", "test", ""),
		HTTPClient:  &http.Client{Transport: tr},
	}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(s.URL)
		o.UsePathStyle = true
	})
	b, err := s3blob.OpenBucket(ctx, client, s.Bucket, nil)
	if err != nil {
		return nil, fmt.Errorf("latencys3: open bucket: %w", err)
	}
	return b, nil
}
