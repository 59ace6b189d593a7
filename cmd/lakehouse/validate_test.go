package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// validateTable makes a table of ids 1..5 with amounts, one negative.
func validateTable(t *testing.T) string {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	path := filepath.Join(t.TempDir(), "tx")
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2, 3, 4, 5}, nil)
	b.Field(1).(*array.Float64Builder).AppendValues([]float64{10, 20, -3, 40, 50}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	rr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	require.NoError(t, err)
	defer rr.Release()
	tbl, _, err := delta.CreateAsSelect(ctx, path, rr, &delta.CreateOptions{Table: &delta.Options{Allocator: mem}})
	require.NoError(t, err)
	require.NoError(t, tbl.Close())
	return path
}

func writeSuite(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestValidate(t *testing.T) {
	table := validateTable(t)
	pass := writeSuite(t, "name: ok\nexpectations:\n  - type: unique\n    column: id\n  - type: row_count_between\n    min: 5\n    max: 5\n")
	fail := writeSuite(t, "name: amounts\nexpectations:\n  - type: between\n    column: amount\n    min: 0\n  - type: not_null\n    column: id\n")
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderrLine string
	}{
		{"pass", []string{"--suite", pass, "--format", "text", table}, exitOK,
			"suite \"ok\" on " + table + " (version 0, 5 rows): PASSED, 0 of 2 expectations failed\n  ok   unique(id)         0 unexpected of 5 (0.00%)\n  ok   row_count_between  observed 5\n", ""},
		{"failed expectation", []string{"--suite", fail, "--format", "text", table}, exitFailure,
			"suite \"amounts\" on " + table + " (version 0, 5 rows): FAILED, 1 of 2 expectations failed\n  FAIL between(amount)  1 unexpected of 5 (20.00%): -3\n  ok   not_null(id)     0 unexpected of 5 (0.00%)\n",
			"lakehouse: validate: suite \"amounts\": 1 of 2 expectations failed\n"},
		{"missing suite flag", []string{table}, exitUsage, "",
			"lakehouse: validate: --suite is required (run 'lakehouse help validate' for usage)\n"},
		{"missing table", []string{"--suite", pass}, exitUsage, "",
			"lakehouse: validate: missing TABLE argument (run 'lakehouse help validate' for usage)\n"},
		{"bad format", []string{"--suite", pass, "--format", "xml", table}, exitUsage, "",
			"lakehouse: validate: --format \"xml\": use text or json (run 'lakehouse help validate' for usage)\n"},
		{"unknown type", []string{"--suite", writeSuite(t, "name: x\nexpectations:\n  - type: nonsense\n"), table}, exitUsage, "", ""},
		{"unknown column", []string{"--suite", writeSuite(t, "name: x\nexpectations:\n  - type: not_null\n    column: nope\n"), table}, exitUsage, "", ""},
		{"suite file missing", []string{"--suite", filepath.Join(t.TempDir(), "none.yaml"), table}, exitUsage, "", ""},
		{"not a table", []string{"--suite", pass, t.TempDir()}, exitFailure, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := lakehouse(t, append([]string{"validate"}, tc.args...)...)
			assert.Equal(t, tc.code, code, stderr)
			if tc.stdout != "" {
				assert.Equal(t, tc.stdout, out)
			}
			if tc.stderrLine != "" {
				assert.Equal(t, tc.stderrLine, stderr)
			}
			if tc.code != exitOK {
				assert.Regexp(t, `^lakehouse: `, stderr)
				assert.NotContains(t, stderr, "quality: ")
			}
		})
	}
}

func TestValidateJSON(t *testing.T) {
	table := validateTable(t)
	suite := writeSuite(t, "name: amounts\nexpectations:\n  - type: mean_between\n    column: amount\n    min: 0\n    max: 30\n")
	code, out, stderr := lakehouse(t, "validate", "--suite", suite, table)
	require.Equal(t, exitOK, code, stderr)
	var rep struct {
		Suite   string `json:"suite"`
		Success bool   `json:"success"`
		Rows    int64  `json:"rows"`
		Results []struct {
			Name     string `json:"name"`
			Observed string `json:"observed_value"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, "amounts", rep.Suite)
	assert.True(t, rep.Success)
	assert.Equal(t, int64(5), rep.Rows)
	assert.Equal(t, "23.4", rep.Results[0].Observed)
}
