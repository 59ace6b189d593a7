package checkpoint

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadJSONAgreesWithParseJSON(t *testing.T) {
	commit := `{"commitInfo":{"operation":"WRITE"}}` + "\n" +
		`{"add":{"path":"a%20b.parquet","size":10,"modificationTime":1,"dataChange":true}}` + "\n" +
		"\n" +
		`{"remove":{"path":"c.parquet","deletionTimestamp":2,"dataChange":true}}`
	for _, tc := range []struct {
		name    string
		data    string
		maxLine int64
		tooLong int // line number of the LineTooLongError, 0 for none
	}{
		{"no limit", commit, 0, 0},
		{"generous limit", commit, 1 << 20, 0},
		{"limit equal to the longest line", commit, int64(len(`{"add":{"path":"a%20b.parquet","size":10,"modificationTime":1,"dataChange":true}}`)), 0},
		{"limit one under the longest line", commit, int64(len(`{"add":{"path":"a%20b.parquet","size":10,"modificationTime":1,"dataChange":true}}`)) - 1, 2},
		{"last line without newline over", commit, int64(len(`{"remove":{"path":"c.parquet","deletionTimestamp":2,"dataChange":true}}`)) - 1, 2},
		{"CRLF", strings.ReplaceAll(commit, "\n", "\r\n"), 0, 0},
		{"line longer than the read buffer", `{"commitInfo":{"pad":"` + strings.Repeat("x", 200_000) + `"}}`, 300_000, 0},
		{"line longer than the read buffer and the limit", `{"commitInfo":{"pad":"` + strings.Repeat("x", 200_000) + `"}}`, 100_000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadJSON(strings.NewReader(tc.data), tc.maxLine)
			if tc.tooLong > 0 {
				var le *LineTooLongError
				require.ErrorAs(t, err, &le)
				assert.Equal(t, tc.tooLong, le.Line)
				assert.Equal(t, tc.maxLine, le.Limit)
				return
			}
			require.NoError(t, err)
			want, err := ParseJSON([]byte(tc.data))
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

func TestReadJSONMalformedLine(t *testing.T) {
	_, err := ReadJSON(bytes.NewReader([]byte("{\"add\":{}}\n{not json}\n")), 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line")
}
