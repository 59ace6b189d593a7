package interop

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecorderRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.jsonl")
	rec, err := NewRecorder(path)
	require.NoError(t, err)
	in := []Result{
		{Case: "2", Scenario: "s1", Writer: Spark, Reader: Lakehouse, Status: Pass, Checked: 3},
		{Case: "2", Scenario: "s1", Writer: Spark, Reader: DeltaRS, Status: Fail, Detail: "table t, version 1: boom"},
	}
	for _, r := range in {
		require.NoError(t, rec.Record(r))
	}
	require.NoError(t, rec.Close())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	out, err := ReadResults(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, in, out)
	assert.Equal(t, in, rec.Results())
}

func TestRenderMarkdown(t *testing.T) {
	rep := Report{
		Versions: map[string]string{Spark: "pyspark 4.1.4", DeltaRS: "deltalake 1.6.6"},
		Command:  "make interop",
		Cases:    map[string]string{"2": "peer writes"},
		Results: []Result{
			{Case: "2", Scenario: "spark_dml", Covers: "DELETE | UPDATE", Writer: Spark, Reader: Lakehouse, Status: Fail, Detail: "table t, version 3: 2 rows expected"},
			{Case: "2", Scenario: "spark_dml", Writer: Spark, Reader: DeltaRS, Status: Pass, Checked: 7},
			{Case: "2", Scenario: "drs_types", Writer: DeltaRS, Reader: Lakehouse, Status: Skip, Detail: "lakehouse CLI not available"},
			{Case: "2", Scenario: "drs_types", Writer: DeltaRS, Reader: Spark, Status: Pass, Checked: 4},
		},
	}
	md, err := RenderMarkdown(rep)
	require.NoError(t, err)
	assert.Contains(t, md, "- **spark**: pyspark 4.1.4\n- **delta-rs**: deltalake 1.6.6\n")
	assert.Contains(t, md, "| case | table | covers | spark → lakehouse | spark → delta-rs | delta-rs → lakehouse | delta-rs → spark |")
	assert.Contains(t, md, "| 2 peer writes | `drs_types` |  | — | — | skip [1] | pass (4) |")
	assert.Contains(t, md, "| 2 peer writes | `spark_dml` | DELETE \\| UPDATE | **FAIL** [2] | pass (7) | — | — |")
	assert.Contains(t, md, "1. 2 `drs_types` delta-rs → lakehouse: skip: lakehouse CLI not available\n")
	assert.Contains(t, md, "2. 2 `spark_dml` spark → lakehouse: fail: table t, version 3: 2 rows expected\n")

	_, err = RenderMarkdown(Report{})
	assert.ErrorIs(t, err, ErrNoResults)
}
