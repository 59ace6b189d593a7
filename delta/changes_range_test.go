package delta

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// at is a commit time in milliseconds since an arbitrary epoch.
func at(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// timeline builds commits 0..n-1 with the given times in milliseconds.
func timeline(ms ...int64) []commitTime {
	out := make([]commitTime, len(ms))
	for v, m := range ms {
		out[v] = commitTime{version: int64(v), ts: at(m)}
	}
	return out
}

func TestCommitTimeLookup(t *testing.T) {
	plain := timeline(1000, 2000, 3000, 4000)
	// In-commit timestamps enabled at version 2 on a table whose file
	// clock ran ahead: v2's ICT (1500) is before v1's file time (2000).
	skewed := timeline(1000, 2000, 1500, 2500)
	skewedICT := ictLookup{from: 2, enabledAt: at(1500)}
	// Enabled at version 2 after a pause: nothing committed in 2000..3000.
	paused := timeline(1000, 2000, 3000, 4000)
	pausedICT := ictLookup{from: 2, enabledAt: at(3000)}
	// cdc_ict_table's shape: version 1's ICT was moved a year back, so the
	// times are not monotonic; bisection decides, as in Spark.
	year := int64(365 * 24 * 3600 * 1000)
	bent := timeline(43271, 46883-year, 52175, 53881)

	tests := []struct {
		name      string
		commits   []commitTime
		ict       ictLookup
		ts        int64
		wantStart int64 // -1: ErrVersionNotFound
		wantAt    int64 // -1: ErrVersionNotFound
	}{
		{"exactly at a commit", plain, ictLookup{}, 2000, 1, 1},
		{"between commits", plain, ictLookup{}, 2500, 2, 1},
		{"before the earliest commit", plain, ictLookup{}, 500, 0, -1},
		{"at the earliest commit", plain, ictLookup{}, 1000, 0, 0},
		{"at the latest commit", plain, ictLookup{}, 4000, 3, 3},
		{"after the latest commit", plain, ictLookup{}, 4001, -1, 3},
		{"ICT: after enablement searches ICT versions only", skewed, skewedICT, 1800, 3, 2},
		{"ICT: at the enablement time", skewed, skewedICT, 1500, 2, 2},
		{"ICT: before enablement searches file times only", skewed, skewedICT, 1200, 1, 0},
		{"ICT: before enablement, after the last file time", paused, pausedICT, 2500, 2, 1},
		{"ICT: after the latest ICT", skewed, skewedICT, 9000, -1, 3},
		{"non-monotonic ICTs bisect like Spark", bent, ictLookup{}, 53881 - 24*3600*1000, 2, 1},
		{"no commits", nil, ictLookup{}, 1000, -1, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start, err := firstVersionFrom(tc.commits, tc.ict, at(tc.ts))
			if tc.wantStart < 0 {
				require.ErrorIs(t, err, ErrVersionNotFound)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.wantStart, start, "first version at or after")
			}
			v, err := versionAt(tc.commits, tc.ict, at(tc.ts))
			if tc.wantAt < 0 {
				require.ErrorIs(t, err, ErrVersionNotFound)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tc.wantAt, v, "last version at or before")
			}
		})
	}
}

func TestChangeRange(t *testing.T) {
	commits := timeline(1000, 2000, 3000, 4000)
	ver := func(v int64) *int64 { return &v }
	tests := []struct {
		name       string
		start      int64
		opts       ChangesOptions
		wantFrom   int64
		wantTo     int64
		wantErr    error
		errContain string
	}{
		{name: "versions only, to the latest", start: 1, wantFrom: 1, wantTo: 3},
		{name: "end version", start: 1, opts: ChangesOptions{EndVersion: ver(2)}, wantFrom: 1, wantTo: 2},
		{name: "start time between commits", opts: ChangesOptions{StartTimestamp: at(1500)}, wantFrom: 1, wantTo: 3},
		{name: "start time and end time", opts: ChangesOptions{StartTimestamp: at(2000), EndTimestamp: at(3500)}, wantFrom: 1, wantTo: 2},
		{name: "start time and end version", opts: ChangesOptions{StartTimestamp: at(2000), EndVersion: ver(1)}, wantFrom: 1, wantTo: 1},
		{name: "start version and end time", start: 2, opts: ChangesOptions{EndTimestamp: at(3000)}, wantFrom: 2, wantTo: 2},
		{name: "start before the earliest commit", opts: ChangesOptions{StartTimestamp: at(10)}, wantFrom: 0, wantTo: 3},
		{name: "end in the future is the latest", opts: ChangesOptions{StartTimestamp: at(3000), EndTimestamp: at(1 << 50)}, wantFrom: 2, wantTo: 3},
		{name: "start and end at one commit", opts: ChangesOptions{StartTimestamp: at(3000), EndTimestamp: at(3000)}, wantFrom: 2, wantTo: 2},

		{name: "start as version and time", start: 1, opts: ChangesOptions{StartTimestamp: at(2000)}, wantErr: ErrInvalidArgument, errContain: "both as version 1 and as time"},
		{name: "end as version and time", opts: ChangesOptions{EndVersion: ver(2), EndTimestamp: at(2000)}, wantErr: ErrInvalidArgument, errContain: "end given both"},
		{name: "start after the latest commit", opts: ChangesOptions{StartTimestamp: at(4001)}, wantErr: ErrVersionNotFound, errContain: "after the latest commit (version 3"},
		{name: "end before the earliest commit", opts: ChangesOptions{EndTimestamp: at(999)}, wantErr: ErrVersionNotFound, errContain: "no version committed at or before"},
		{name: "end time before start time", opts: ChangesOptions{StartTimestamp: at(3000), EndTimestamp: at(2000)}, wantErr: ErrVersionNotFound, errContain: "from version 2 to 1 (resolved from start"},
		{name: "both times between the same two commits", opts: ChangesOptions{StartTimestamp: at(2200), EndTimestamp: at(2800)}, wantErr: ErrVersionNotFound, errContain: "from version 2 to 1"},
		{name: "start version after end version", start: 3, opts: ChangesOptions{EndVersion: ver(2)}, wantErr: ErrVersionNotFound, errContain: "from version 3 to 2"},
		{name: "end version past the latest", opts: ChangesOptions{EndVersion: ver(4)}, wantErr: ErrVersionNotFound, errContain: "latest is 3"},
		{name: "negative start", start: -1, wantErr: ErrVersionNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, to, err := changeRange(commits, ictLookup{}, 3, tc.start, tc.opts)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Contains(t, err.Error(), tc.errContain)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, [2]int64{tc.wantFrom, tc.wantTo}, [2]int64{from, to})
		})
	}
}
