package latencys3_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage/latencys3"
)

// TestHandlerCounts sends requests one after another and at once: each
// is delayed within the bounds, counted by method and range, and the
// concurrent ones show in MaxInFlight.
func TestHandlerCounts(t *testing.T) {
	h := latencys3.NewHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}), &latencys3.Options{Min: 5 * time.Millisecond, Max: 10 * time.Millisecond, Seed: 3})
	srv := httptest.NewServer(h)
	defer srv.Close()
	do := func(method string, ranged bool) time.Duration {
		req, err := http.NewRequest(method, srv.URL+"/b/k", nil)
		require.NoError(t, err)
		if ranged {
			req.Header.Set("Range", "bytes=0-1")
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return time.Since(start)
	}
	tests := []struct {
		name         string
		concurrent   int
		method       string
		ranged       bool
		wantInFlight int64
	}{
		{"sequential GETs", 1, http.MethodGet, false, 1},
		{"concurrent ranged GETs", 6, http.MethodGet, true, 6},
		{"concurrent HEADs", 4, http.MethodHead, false, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.Reset()
			var wg sync.WaitGroup
			var ready sync.WaitGroup
			ready.Add(tc.concurrent)
			for range tc.concurrent {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ready.Done()
					ready.Wait()
					assert.GreaterOrEqual(t, do(tc.method, tc.ranged), 5*time.Millisecond)
				}()
			}
			wg.Wait()
			st := h.Stats()
			assert.Equal(t, int64(tc.concurrent), st.Requests)
			assert.Equal(t, int64(tc.concurrent), st.ByMethod[tc.method])
			if tc.ranged {
				assert.Equal(t, int64(tc.concurrent), st.RangedGets)
			} else {
				assert.Zero(t, st.RangedGets)
			}
			// Concurrent requests all start within the first one's delay.
			assert.LessOrEqual(t, st.MaxInFlight, tc.wantInFlight)
			assert.GreaterOrEqual(t, st.MaxInFlight, min(tc.wantInFlight, 2))
			assert.GreaterOrEqual(t, st.MeanDelay(), 5*time.Millisecond)
			assert.LessOrEqual(t, st.MeanDelay(), 10*time.Millisecond)
		})
	}
	h.Pause(true)
	h.Reset()
	do(http.MethodGet, false)
	assert.Zero(t, h.Stats().Requests, "paused: not counted")
}

// TestServerBucket writes and reads through the emulator's bucket.
func TestServerBucket(t *testing.T) {
	srv, err := latencys3.Start("lake", &latencys3.Options{Min: time.Millisecond, Max: time.Millisecond})
	require.NoError(t, err)
	defer srv.Close()
	ctx := context.Background()
	b, err := srv.OpenBucket(ctx)
	require.NoError(t, err)
	defer b.Close()
	require.NoError(t, b.WriteAll(ctx, "a/b", []byte("hello"), nil))
	srv.Reset()
	got, err := b.ReadAll(ctx, "a/b")
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
	st := srv.Stats()
	assert.Equal(t, int64(1), st.ByMethod[http.MethodGet])
	assert.Equal(t, int64(1), st.Requests)
}
