package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTrimLog checks that a snapshot table is returned to its generated
// state whatever a commit run left behind.
func TestTrimLog(t *testing.T) {
	s := sizes{SnapCommits: 20, SnapFiles: 100}
	generated := []string{"00000000000000000019.checkpoint.parquet", "_last_checkpoint"}
	for v := 0; v <= 29; v++ {
		generated = append(generated, fmt.Sprintf("%020d.json", v))
	}
	for _, tc := range []struct {
		name   string
		latest int64
		extra  []string // left in _delta_log by a run
		top    []string // left beside _delta_log
		want   []string // _delta_log afterwards, sorted
	}{
		{"nothing left behind", 29, nil, nil, generated},
		{"a commit, a new checkpoint, a temp dir and a data file",
			29, []string{"00000000000000000030.json", "00000000000000000030.checkpoint.parquet", "_commits", ".tmp-123"},
			[]string{"part-0001.parquet", "day=2024-01-01"}, generated},
		{"padding kept when latest says so", 30, []string{"00000000000000000030.json", "00000000000000000031.json"}, nil,
			append(slices.Clone(generated), "00000000000000000030.json")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			logDir := filepath.Join(dir, "_delta_log")
			require.NoError(t, os.MkdirAll(logDir, 0o755))
			for _, n := range append(slices.Clone(generated), tc.extra...) {
				require.NoError(t, os.WriteFile(filepath.Join(logDir, n), []byte("x"), 0o644))
			}
			require.NoError(t, os.WriteFile(filepath.Join(dir, ".complete-v2-20-100"), nil, 0o644))
			for _, n := range tc.top {
				require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
			}
			require.NoError(t, trimLog(dir, tc.latest, snapHint(s)))

			entries, err := os.ReadDir(logDir)
			require.NoError(t, err)
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			want := slices.Clone(tc.want)
			slices.Sort(want)
			assert.Equal(t, want, got)
			top, err := os.ReadDir(dir)
			require.NoError(t, err)
			require.Len(t, top, 2)
			assert.Equal(t, ".complete-v2-20-100", top[0].Name())
			hint, err := os.ReadFile(filepath.Join(logDir, "_last_checkpoint"))
			require.NoError(t, err)
			assert.Equal(t, `{"version":19,"size":102}`, string(hint))
		})
	}
}

// TestPrepareCommits checks that the commit workload's commits never land
// on a checkpoint version and that both cleanups restore their state.
func TestPrepareCommits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		commits int   // the table's latest is commits+9
		padded  int64 // the version the padding ends at
	}{
		{"latest 29: one commit of padding", 20, 30},
		{"latest 1009: one commit of padding", 1000, 1010},
		{"latest 1014: no padding", 1005, 1014},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := sizes{SnapCommits: tc.commits, SnapFiles: 10}
			dir := t.TempDir()
			logDir := filepath.Join(dir, "_delta_log")
			require.NoError(t, os.MkdirAll(logDir, 0o755))
			latest := int64(tc.commits) + 9
			require.NoError(t, os.WriteFile(filepath.Join(logDir, fmt.Sprintf("%020d.json", latest)), nil, 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(logDir, "_last_checkpoint"), snapHint(s), 0o644))
			afterRun, afterWorkload, err := prepareCommits(dir, s)
			require.NoError(t, err)

			next := fmt.Sprintf("%020d.json", tc.padded+1)
			assert.NotZero(t, (tc.padded+1)%10, "the measured commit is not a checkpoint version")
			assert.FileExists(t, filepath.Join(logDir, fmt.Sprintf("%020d.json", tc.padded)))
			require.NoError(t, os.WriteFile(filepath.Join(logDir, next), nil, 0o644))
			require.NoError(t, afterRun())
			assert.NoFileExists(t, filepath.Join(logDir, next))
			assert.FileExists(t, filepath.Join(logDir, fmt.Sprintf("%020d.json", tc.padded)))
			require.NoError(t, afterWorkload())
			assert.FileExists(t, filepath.Join(logDir, fmt.Sprintf("%020d.json", latest)))
			if tc.padded != latest {
				assert.NoFileExists(t, filepath.Join(logDir, fmt.Sprintf("%020d.json", tc.padded)))
			}
		})
	}
}
