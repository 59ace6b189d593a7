package deltatest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

var testSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

func TestDiff(t *testing.T) {
	base := NewTableFromJSON(t, testSchema, `[{"id":1,"name":"a","score":1.5},{"id":2,"name":"b","score":2},{"id":3,"name":null,"score":null}]`, &Options{Memory: true})
	for _, tc := range []struct {
		name   string
		schema *arrow.Schema
		rows   string
		opts   *CompareOptions
		want   string
	}{
		{name: "equal in another order", rows: `[{"id":3},{"id":2,"name":"b","score":2},{"id":1,"name":"a","score":1.5}]`, want: ""},
		{name: "order matters when asked", rows: `[{"id":3},{"id":2,"name":"b","score":2},{"id":1,"name":"a","score":1.5}]`, opts: &CompareOptions{RowOrder: true},
			want: "row 0: id: want 1, got 3; name: want \"a\", got null; score: want 1.5, got null\nrow 2: id: want 3, got 1; name: want null, got \"a\"; score: want null, got 1.5\n"},
		{name: "changed value", rows: `[{"id":1,"name":"a","score":1.5},{"id":2,"name":"B","score":2},{"id":3}]`,
			want: "changed row {id: 2, name: \"b\", score: 2}: name: want \"b\", got \"B\"\n"},
		{name: "missing and extra", rows: `[{"id":1,"name":"a","score":1.5},{"id":4},{"id":5},{"id":3}]`,
			want: "1 rows missing (in want, not in got):\n  {id: 2, name: \"b\", score: 2}\n2 rows extra (in got, not in want):\n  {id: 4, name: null, score: null}\n  {id: 5, name: null, score: null}\nrows: want 3, got 4\n"},
		{name: "floats within tolerance", rows: `[{"id":1,"name":"a","score":1.5000001},{"id":2,"name":"b","score":2},{"id":3}]`, opts: &CompareOptions{FloatTolerance: 1e-6}, want: ""},
		{name: "floats exact by default", rows: `[{"id":1,"name":"a","score":1.5000001},{"id":2,"name":"b","score":2},{"id":3}]`,
			want: "changed row {id: 1, name: \"a\", score: 1.5}: score: want 1.5, got 1.5000001\n"},
		{name: "schema type and nullability", schema: arrow.NewSchema([]arrow.Field{
			{Name: "id", Type: arrow.PrimitiveTypes.Int32},
			{Name: "name", Type: arrow.BinaryTypes.String},
			{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		}, nil), rows: `[]`,
			want: "schema: column \"id\": want type int64, got int32\nschema: column \"name\": want nullable=true, got nullable=false\n"},
		{name: "column order ignored when asked", schema: arrow.NewSchema([]arrow.Field{
			{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		}, nil), rows: `[{"id":1,"name":"a","score":1.5},{"id":2,"name":"b","score":2},{"id":3}]`, opts: &CompareOptions{IgnoreColumnOrder: true}, want: ""},
		{name: "column order matters by default", schema: arrow.NewSchema([]arrow.Field{
			{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			{Name: "id", Type: arrow.PrimitiveTypes.Int64},
			{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		}, nil), rows: `[]`,
			want: "schema: column 0: want \"id\", got \"score\"\nschema: column 1: want \"name\", got \"id\"\nschema: column 2: want \"score\", got \"name\"\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema := tc.schema
			if schema == nil {
				schema = testSchema
			}
			other := NewTableFromJSON(t, schema, tc.rows, nil)
			d, err := Diff(Latest(t, base), Latest(t, other), tc.opts)
			require.NoError(t, err)
			assert.Equal(t, tc.want, d)
		})
	}
}

type person struct {
	ID   int64   `delta:"id"`
	Name *string `delta:"name"`
}

func TestTablesFromRowsAndCleanup(t *testing.T) {
	var tbl *delta.Table
	t.Run("inner", func(t *testing.T) {
		name := "ann"
		tbl = NewTableFromRows(t, []person{{ID: 1, Name: &name}, {ID: 2}}, nil)
		RequireTableRows(t, Latest(t, tbl), `[{"id":2,"name":null},{"id":1,"name":"ann"}]`, nil)
		assert.ElementsMatch(t, []person{{ID: 1, Name: &name}, {ID: 2}}, Rows[person](t, Latest(t, tbl)))
	})
	// The inner test's cleanup closed the table.
	_, err := tbl.Snapshot(context.Background())
	assert.Error(t, err)
}

func TestGolden(t *testing.T) {
	tbl := NewTableFromJSON(t, testSchema, `[{"id":2,"name":"b","score":2},{"id":1,"name":"a","score":1.5}]`, &Options{Memory: true})
	path := filepath.Join(t.TempDir(), "golden", "t.txt")

	t.Setenv(UpdateGoldenEnv, "1")
	RequireGolden(t, Latest(t, tbl), path)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, `version 1

schema:
  id: int64 NOT NULL
  name: utf8
  score: float64

2 rows:
  {id: 1, name: "a", score: 1.5}
  {id: 2, name: "b", score: 2}
`, string(b))

	t.Setenv(UpdateGoldenEnv, "")
	RequireGolden(t, Latest(t, tbl), path) // equal: passes

	// A changed table fails with a line diff.
	_, err = delta.AppendRows(context.Background(), tbl, []struct {
		ID int64 `delta:"id"`
	}{{ID: 3}}, nil)
	require.NoError(t, err)
	text, err := goldenText(Latest(t, tbl))
	require.NoError(t, err)
	assert.Equal(t, "- version 1\n- 2 rows:\n+ version 2\n+ 3 rows:\n+   {id: 3, name: null, score: null}\n", lineDiff(string(b), text))
}
