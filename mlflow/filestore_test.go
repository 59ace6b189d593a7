package mlflow

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

func TestMetricLineRoundTrip(t *testing.T) {
	for _, v := range []float64{0, 1, -2.5, 1e-300, 1e300, math.MaxFloat64, math.NaN(), math.Inf(1), math.Inf(-1)} {
		m := Metric{Key: "k", Value: v, Step: 7, Timestamp: time.UnixMilli(1_700_000_000_123).UTC()}
		line := formatMetricLine(m)
		require.True(t, strings.HasSuffix(line, "\n"))
		got, err := parseMetricLine("k", line)
		require.NoError(t, err)
		if math.IsNaN(v) {
			assert.True(t, math.IsNaN(got.Value))
			got.Value, m.Value = 0, 0
		}
		assert.Equal(t, m, got)
	}
}

func TestParseMetricLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Metric
		err  bool
	}{
		{line: "1700000000000 0.5", want: Metric{Key: "k", Value: 0.5, Timestamp: time.UnixMilli(1700000000000).UTC()}},
		{line: "1700000000000 1.0 3", want: Metric{Key: "k", Value: 1, Step: 3, Timestamp: time.UnixMilli(1700000000000).UTC()}},
		{line: "1700000000000 -Infinity 3 runid ds digest", want: Metric{Key: "k", Value: math.Inf(-1), Step: 3, Timestamp: time.UnixMilli(1700000000000).UTC()}},
		{line: "1700000000000", err: true},
		{line: "x 1 2", err: true},
		{line: "1 0x1p3 2", err: true},
		{line: "1 1 2.5", err: true},
	} {
		t.Run(tc.line, func(t *testing.T) {
			got, err := parseMetricLine("k", tc.line)
			if tc.err {
				require.ErrorIs(t, err, ErrInvalidParameter)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestLatestMetricRule(t *testing.T) {
	ts := func(ms int64) time.Time { return time.UnixMilli(ms) }
	points := []Metric{
		{Value: 9, Step: 1, Timestamp: ts(50)},
		{Value: 1, Step: 2, Timestamp: ts(10)}, // highest step wins over later timestamps
		{Value: 3, Step: 2, Timestamp: ts(10)}, // then the highest value
		{Value: 0, Step: 0, Timestamp: ts(99)},
	}
	assert.Equal(t, 3.0, latestMetric(points).Value)
}

// A meta.yaml as older MLflow versions wrote it: int experiment id, string
// status, run_uuid instead of run_id.
func TestReadLegacyRunMeta(t *testing.T) {
	text := `artifact_uri: file:///tmp/mlruns/1/abc/artifacts
end_time: null
entry_point_name: ''
experiment_id: 1
lifecycle_stage: active
run_uuid: abc
name: ''
source_type: 4
start_time: 1600000000000
status: FINISHED
tags: []
user_id: me
`
	var m runMeta
	require.NoError(t, yaml.Unmarshal([]byte(text), &m))
	info := m.info()
	assert.Equal(t, "abc", info.RunID)
	assert.Equal(t, "1", info.ExperimentID)
	assert.Equal(t, StatusFinished, info.Status)
	assert.True(t, info.EndTime.IsZero())

	// And the writer emits the FileStore shape: status as an int, ids quoted.
	m.Status = runStatusField(StatusFailed)
	b, err := yaml.Marshal(&m)
	require.NoError(t, err)
	assert.Contains(t, string(b), "status: 4\n")
	assert.Contains(t, string(b), "experiment_id: \"1\"\n")
	assert.Contains(t, string(b), "tags: []\n")
}

func FuzzRunMetaYAML(f *testing.F) {
	f.Add("run_id: abc\nstatus: 3\nexperiment_id: '1'\nstart_time: 5\n")
	f.Add("run_uuid: x\nstatus: KILLED\nexperiment_id: 7\nend_time: null\n")
	f.Add("status: [1]\n")
	f.Fuzz(func(t *testing.T, text string) {
		var m runMeta
		if yaml.Unmarshal([]byte(text), &m) != nil {
			return
		}
		info := m.info()
		if !info.Status.valid() {
			t.Fatalf("invalid status %q from %q", info.Status, text)
		}
		if _, err := yaml.Marshal(&m); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
	})
}

func FuzzMetricLine(f *testing.F) {
	f.Add("1700000000000 0.5 3")
	f.Add("1 nan 0")
	f.Add("1 -inf")
	f.Add("5 1e308 -2 run ds digest")
	f.Fuzz(func(t *testing.T, line string) {
		m, err := parseMetricLine("k", line)
		if err != nil {
			return
		}
		// What parses must survive our writer and parse to the same point.
		again, err := parseMetricLine("k", formatMetricLine(m))
		require.NoError(t, err)
		if !(math.IsNaN(m.Value) && math.IsNaN(again.Value)) {
			require.Equal(t, m.Value, again.Value)
		}
		require.Equal(t, m.Step, again.Step)
		require.Equal(t, millis(m.Timestamp), millis(again.Timestamp))
	})
}

// Many goroutines logging into one run of the embedded store: every metric
// line lands whole, and exactly one of the racing param values wins.
func TestFileStoreConcurrentLogging(t *testing.T) {
	ctx := context.Background()
	c, err := NewClient(ctx, t.TempDir(), nil)
	require.NoError(t, err)
	r, err := c.CreateRun(ctx, nil)
	require.NoError(t, err)
	const workers, points = 16, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range points {
				assert.NoError(t, c.LogMetric(ctx, r.Info.RunID, "loss", float64(w*1000+i), int64(i)))
			}
			if c.LogParam(ctx, r.Info.RunID, "winner", fmt.Sprint(w)) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 1, wins)
	hist, err := c.GetMetricHistory(ctx, r.Info.RunID, "loss")
	require.NoError(t, err)
	assert.Len(t, hist, workers*points)
}

func TestFileStoreLayout(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	c, err := NewClient(ctx, "file://"+root, nil)
	require.NoError(t, err)
	id, err := c.CreateExperiment(ctx, "layout", nil)
	require.NoError(t, err)
	r, err := c.CreateRun(ctx, &RunOptions{ExperimentID: id, RunName: "r"})
	require.NoError(t, err)
	require.NoError(t, c.LogParam(ctx, r.Info.RunID, "a/b", "v"))
	require.NoError(t, c.LogMetric(ctx, r.Info.RunID, "m", 1.5, 2))
	runDir := filepath.Join(root, id, r.Info.RunID)
	b, err := os.ReadFile(filepath.Join(runDir, "params", "a", "b"))
	require.NoError(t, err)
	assert.Equal(t, "v", string(b), "raw value, no newline")
	b, err = os.ReadFile(filepath.Join(runDir, "metrics", "m"))
	require.NoError(t, err)
	assert.Regexp(t, `^\d{13} 1.5 2\n$`, string(b))
	b, err = os.ReadFile(filepath.Join(runDir, "meta.yaml"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "status: 1\n")
	assert.Contains(t, string(b), "artifact_uri: file://"+root+"/"+id+"/"+r.Info.RunID+"/artifacts\n")
	_, err = os.Stat(filepath.Join(root, "0", "meta.yaml"))
	require.NoError(t, err, "the Default experiment exists")

	require.NoError(t, c.SetTag(ctx, r.Info.RunID, "t/nested", "x"))
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		assert.False(t, strings.HasPrefix(d.Name(), ".tmp-"), "no temp file left: %s", p)
		return nil
	}))

	require.NoError(t, c.DeleteExperiment(ctx, id))
	_, err = os.Stat(filepath.Join(root, ".trash", id, "meta.yaml"))
	require.NoError(t, err, "deleted experiments move to .trash")
	_, err = c.GetRun(ctx, r.Info.RunID)
	require.NoError(t, err, "runs of trashed experiments stay readable")
	require.ErrorIs(t, c.DeleteExperiment(ctx, "0"), ErrInvalidParameter)
}
