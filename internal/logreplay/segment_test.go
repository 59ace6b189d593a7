package logreplay

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listing(names ...string) []LogFile {
	out := make([]LogFile, len(names))
	for i, n := range names {
		out[i] = ParseFileName(n)
		out[i].Path = "_delta_log/" + n
	}
	return out
}

func versions(fs []LogFile) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.Version
	}
	return out
}

func TestParseFileName(t *testing.T) {
	tests := []struct {
		name string
		kind FileKind
		v    int64
	}{
		{"00000000000000000007.json", KindCommit, 7},
		{"00000000000000000010.checkpoint.parquet", KindCheckpoint, 10},
		{"00000000000000000010.checkpoint.0000000002.0000000003.parquet", KindMultiPartCheckpoint, 10},
		{"00000000000000000010.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json", KindV2Checkpoint, 10},
		{"00000000000000000004.00000000000000000006.compacted.json", KindCompaction, 4},
		{"00000000000000000004.crc", KindChecksum, 4},
		{".00000000000000000004.json.crc", KindOther, 0},
		{"_last_checkpoint", KindOther, 0},
		{"00000000000000000004.json.tmp", KindOther, 4},
		{"0000000000000000004.json", KindOther, 0},
		{"00000000000000000006.00000000000000000004.compacted.json", KindOther, 6},
	}
	for _, tc := range tests {
		f := ParseFileName(tc.name)
		assert.Equal(t, tc.kind, f.Kind, tc.name)
		if tc.kind != KindOther {
			assert.Equal(t, tc.v, f.Version, tc.name)
		}
	}
	assert.Equal(t, int64(6), ParseFileName("00000000000000000004.00000000000000000006.compacted.json").EndVersion)
}

func TestBuildSegment(t *testing.T) {
	tests := []struct {
		name       string
		files      []LogFile
		version    int64
		wantV      int64
		wantCP     int64
		wantDeltas []int64
		err        error
	}{
		{
			name:    "commits only",
			files:   listing("00000000000000000000.json", "00000000000000000001.json", "00000000000000000002.json", "_last_checkpoint"),
			version: -1, wantV: 2, wantCP: -1, wantDeltas: []int64{0, 1, 2},
		},
		{
			name: "newest checkpoint wins",
			files: listing("00000000000000000000.json", "00000000000000000001.json", "00000000000000000001.checkpoint.parquet",
				"00000000000000000002.json", "00000000000000000003.json", "00000000000000000003.checkpoint.parquet", "00000000000000000004.json"),
			version: -1, wantV: 4, wantCP: 3, wantDeltas: []int64{4},
		},
		{
			name: "time travel before the newest checkpoint",
			files: listing("00000000000000000000.json", "00000000000000000001.json", "00000000000000000001.checkpoint.parquet",
				"00000000000000000002.json", "00000000000000000003.json", "00000000000000000003.checkpoint.parquet"),
			version: 2, wantV: 2, wantCP: 1, wantDeltas: []int64{2},
		},
		{
			name: "incomplete multi-part checkpoint is ignored (R2)",
			files: listing("00000000000000000000.json", "00000000000000000001.json",
				"00000000000000000001.checkpoint.0000000001.0000000002.parquet", "00000000000000000002.json"),
			version: -1, wantV: 2, wantCP: -1, wantDeltas: []int64{0, 1, 2},
		},
		{
			name:    "checkpoint-only log",
			files:   listing("00000000000000000108.checkpoint.parquet", "_last_checkpoint"),
			version: -1, wantV: 108, wantCP: 108, wantDeltas: []int64{},
		},
		{
			name:    "cleaned-up log with checkpoint",
			files:   listing("00000000000000000005.checkpoint.parquet", "00000000000000000005.json", "00000000000000000006.json"),
			version: -1, wantV: 6, wantCP: 5, wantDeltas: []int64{6},
		},
		{
			name:    "cleaned-up version is not found",
			files:   listing("00000000000000000005.checkpoint.parquet", "00000000000000000005.json", "00000000000000000006.json"),
			version: 3, err: ErrVersionNotFound,
		},
		{
			name:    "gap (R1)",
			files:   listing("00000000000000000000.json", "00000000000000000002.json"),
			version: -1, err: ErrLogGap,
		},
		{
			name:    "future version",
			files:   listing("00000000000000000000.json"),
			version: 4, err: ErrVersionNotFound,
		},
		{
			name:    "no commits",
			files:   listing("00000000000000000000.crc", "_last_checkpoint"),
			version: -1, err: ErrNoCommits,
		},
		{
			name: "compactions are recognised but commits are replayed",
			files: listing("00000000000000000000.json", "00000000000000000001.json", "00000000000000000002.json",
				"00000000000000000003.json", "00000000000000000001.00000000000000000002.compacted.json"),
			version: -1, wantV: 3, wantCP: -1, wantDeltas: []int64{0, 1, 2, 3},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seg, err := BuildSegment(tc.files, tc.version)
			if tc.err != nil {
				require.Error(t, err)
				assert.True(t, errors.Is(err, tc.err), "got %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantV, seg.Version)
			assert.Equal(t, tc.wantCP, seg.CheckpointVersion)
			assert.Equal(t, tc.wantDeltas, versions(seg.Deltas))
		})
	}
}
