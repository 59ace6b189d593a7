package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChangesTimestampFlags reads cdc_ict_table, whose in-commit
// timestamps put version 2 at 2026-07-12 16:36:52.175 UTC and version 3 at
// 16:36:53.881 (version 1's was moved a year back by its writer).
func TestChangesTimestampFlags(t *testing.T) {
	table := corpus(t, "delta-rs/cdc_ict_table")
	tests := []struct {
		name     string
		args     []string
		versions map[float64]int // rows per _commit_version
		stderr   string          // non-empty: the command fails with this
	}{
		{"from RFC 3339", []string{"--from-timestamp", "2026-07-12T16:36:52.175Z"}, map[float64]int{2: 2, 3: 4}, ""},
		{"from RFC 3339 with an offset", []string{"--from-timestamp", "2026-07-12T18:36:52.176+02:00"}, map[float64]int{3: 4}, ""},
		{"from space-separated, UTC", []string{"--from-timestamp", "2026-07-12 16:36:53"}, map[float64]int{3: 4}, ""},
		{"to a date", []string{"--from", "2", "--to-timestamp", "2026-07-13"}, map[float64]int{2: 2, 3: 4}, ""},
		{"to a time between versions", []string{"--from", "2", "--to-timestamp", "2026-07-12 16:36:53"}, map[float64]int{2: 2}, ""},
		{"both bounds by time", []string{"--from-timestamp", "2026-07-12 16:36:52.175", "--to-timestamp", "2026-07-12 16:36:52.175"}, map[float64]int{2: 2}, ""},
		{"to in the future", []string{"--from", "3", "--to-timestamp", "2100-01-01"}, map[float64]int{3: 4}, ""},
		{"from after the latest commit", []string{"--from-timestamp", "2026-07-12T16:36:54Z"}, nil, "after the latest commit"},
		{"to before from", []string{"--from-timestamp", "2026-07-12 16:36:53", "--to-timestamp", "2026-07-12 16:36:52.175"}, nil, "version not found"},
		{"from both ways", []string{"--from", "2", "--from-timestamp", "2026-07-12"}, nil, "--from and --from-timestamp are mutually exclusive"},
		{"to both ways", []string{"--to", "3", "--to-timestamp", "2026-07-12"}, nil, "--to and --to-timestamp are mutually exclusive"},
		{"not a time", []string{"--to-timestamp", "yesterday"}, nil, `--to-timestamp "yesterday" is not a time`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"changes", "--format", "jsonl"}, tc.args...), table)
			code, out, stderr := lakehouse(t, args...)
			if tc.stderr != "" {
				assert.NotEqual(t, 0, code)
				assert.Empty(t, out)
				assert.Contains(t, stderr, tc.stderr)
				return
			}
			require.Equal(t, 0, code, stderr)
			got := map[float64]int{}
			for _, l := range lines(out) {
				var m map[string]any
				require.NoError(t, json.Unmarshal([]byte(l), &m))
				got[m["_commit_version"].(float64)]++
			}
			assert.Equal(t, tc.versions, got)
		})
	}
}
