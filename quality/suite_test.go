package quality

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// suiteTable writes rows in two commits (so the scan spans files) and
// returns the latest snapshot.
func suiteTable(t *testing.T, mem memory.Allocator, commits ...[]row) *delta.Snapshot {
	t.Helper()
	ctx := context.Background()
	tbl, err := delta.Create(ctx, filepath.Join(t.TempDir(), "tx"), txSchema, &delta.CreateOptions{Table: &delta.Options{Allocator: mem}})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tbl.Close() })
	for _, rows := range commits {
		b := txBatch(t, mem, rows...)
		rr, err := array.NewRecordReader(txSchema, []arrow.RecordBatch{b})
		require.NoError(t, err)
		_, err = tbl.Append(ctx, rr, nil)
		rr.Release()
		b.Release()
		require.NoError(t, err)
	}
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	return snap
}

var suiteRows = [][]row{
	{{1, f(10), s("food")}, {2, f(-5), s("food")}, {3, nil, s("travel")}},
	{{4, f(20), s("x1")}, {2, f(7), nil}, {5, f(30), s("travel")}},
}

const suiteYAML = `
name: transactions
expectations:
  - type: not_null
    column: amount
  - type: between
    column: amount
    min: 0
    max: 25
  - type: between
    name: amount_mostly
    column: amount
    min: 0
    mostly: 0.8
  - type: in_set
    column: category
    values: [food, travel]
  - type: matches_regex
    column: category
    regex: '^[a-z]+\d$'
  - type: unique
    column: id
  - type: unique
    columns: [id, category]
  - type: row_count_between
    min: 1
    max: 6
  - type: mean_between
    column: amount
    min: 10
    max: 20
  - type: min_between
    column: amount
    min: 0
  - type: max_between
    column: id
    max: 5
  - type: schema_equals
    schema:
      - {name: id, type: bigint, nullable: false}
      - {name: amount, type: double}
      - {name: category, type: string}
`

func TestSuiteRun(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	snap := suiteTable(t, mem, suiteRows...)
	suite, err := ParseSuite([]byte(suiteYAML))
	require.NoError(t, err)
	rep, err := suite.Run(context.Background(), snap, &SuiteOptions{Allocator: mem})
	require.NoError(t, err)

	type want struct {
		name       string
		ok         bool
		unexpected int64
		observed   string
		sample     []string
	}
	wants := []want{
		{"not_null(amount)", false, 1, "", []string{"NULL"}},
		{"between(amount)", false, 2, "", []string{"-5", "30"}},
		{"amount_mostly", true, 1, "", []string{"-5"}},
		{"in_set(category)", false, 1, "", []string{"x1"}},
		{"matches_regex(category)", false, 4, "", []string{"food", "food", "travel", "travel"}},
		{"unique(id)", false, 1, "", nil},
		{"unique(id, category)", true, 0, "", nil}, // (2, NULL) has a NULL key part
		{"row_count_between", true, 0, "6", nil},
		{"mean_between(amount)", true, 0, "12.4", nil},
		{"min_between(amount)", false, 0, "-5", nil},
		{"max_between(id)", true, 0, "5", nil},
		{"schema_equals", true, 0, "id bigint not null, amount double, category string", nil},
	}
	require.Len(t, rep.Results, len(wants))
	for i, w := range wants {
		got := rep.Results[i]
		assert.Equal(t, w.name, got.Name)
		assert.Equal(t, w.ok, got.Success, w.name)
		assert.Equal(t, w.unexpected, got.UnexpectedCount, w.name)
		assert.Equal(t, w.observed, got.Observed, w.name)
		assert.ElementsMatch(t, w.sample, got.PartialUnexpected, w.name)
	}
	assert.False(t, rep.Success)
	assert.Equal(t, 6, rep.Failed)
	assert.Equal(t, int64(6), rep.Rows)
	assert.Equal(t, int64(2), rep.Version)

	var buf bytes.Buffer
	require.NoError(t, rep.WriteJSON(&buf))
	var back Report
	require.NoError(t, json.Unmarshal(buf.Bytes(), &back))
	assert.Equal(t, *rep, back)
	buf.Reset()
	require.NoError(t, rep.WriteText(&buf))
	assert.Contains(t, buf.String(), `suite "transactions" (version 2, 6 rows): FAILED, 6 of 12 expectations failed`)
	assert.Contains(t, buf.String(), "FAIL between(amount)          2 unexpected of 6 (33.33%): ")
}

func TestSuiteSchemaDiff(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	snap := suiteTable(t, mem, suiteRows[0])
	tests := []struct {
		name, yaml, detail string
	}{
		{"type", "[{name: id, type: int}, {name: amount, type: double}, {name: category, type: string}]", `column "id" is bigint, expected int`},
		{"nullable", "[{name: id, type: long, nullable: true}, {name: amount, type: double}, {name: category, type: string}]", `column "id" has nullable false, expected true`},
		{"missing", "[{name: id, type: bigint}, {name: amount, type: double}, {name: category, type: string}, {name: x, type: date}]", `column 4 "x" is missing`},
		{"extra", "[{name: id, type: bigint}, {name: amount, type: double}]", `unexpected column "category"`},
		{"name", "[{name: ID, type: bigint}, {name: amount, type: double}, {name: category, type: string}]", `column 1 is "id", expected "ID"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			suite, err := ParseSuite([]byte("name: s\nexpectations:\n  - type: schema_equals\n    schema: " + tc.yaml + "\n"))
			require.NoError(t, err)
			rep, err := suite.Run(context.Background(), snap, &SuiteOptions{Allocator: mem})
			require.NoError(t, err)
			assert.False(t, rep.Success)
			assert.Equal(t, tc.detail, rep.Results[0].Detail)
		})
	}
}

func TestSuiteInvalid(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	snap := suiteTable(t, mem, suiteRows[0])
	tests := []struct {
		name, yaml string
		atParse    bool
	}{
		{"unknown type", "name: s\nexpectations:\n  - type: not_empty\n    column: id\n", true},
		{"misspelt field", "name: s\nexpectations:\n  - type: not_null\n    colum: id\n", true},
		{"no bounds", "name: s\nexpectations:\n  - type: between\n    column: id\n", true},
		{"min above max", "name: s\nexpectations:\n  - type: between\n    column: id\n    min: 5\n    max: 1\n", true},
		{"no expectations", "name: s\n", true},
		{"duplicate names", "name: s\nexpectations:\n  - type: not_null\n    column: id\n  - type: not_null\n    column: id\n", true},
		{"bad mostly", "name: s\nexpectations:\n  - type: not_null\n    column: id\n    mostly: 2\n", true},
		{"unknown column", "name: s\nexpectations:\n  - type: not_null\n    column: nope\n", false},
		{"mean of a string", "name: s\nexpectations:\n  - type: mean_between\n    column: category\n    min: 1\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			suite, err := ParseSuite([]byte(tc.yaml))
			if tc.atParse {
				assert.ErrorIs(t, err, ErrInvalidExpectation)
				return
			}
			require.NoError(t, err)
			_, err = suite.Run(context.Background(), snap, &SuiteOptions{Allocator: mem})
			assert.ErrorIs(t, err, ErrInvalidExpectation)
		})
	}
}

func TestSuiteUniqueBudget(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	snap := suiteTable(t, mem, suiteRows...)
	suite, err := ParseSuite([]byte("name: s\nexpectations:\n  - type: unique\n    column: id\n"))
	require.NoError(t, err)
	_, err = suite.Run(context.Background(), snap, &SuiteOptions{Allocator: mem, UniqueMemoryBudget: 3 * bytesPerKey})
	assert.ErrorIs(t, err, ErrMemoryBudget)
	rep, err := suite.Run(context.Background(), snap, &SuiteOptions{Allocator: mem, UniqueMemoryBudget: 5 * bytesPerKey, BatchSize: 2})
	require.NoError(t, err)
	assert.Equal(t, int64(1), rep.Results[0].UnexpectedCount)
}
