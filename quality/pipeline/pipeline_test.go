package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/quality"
	"github.com/lakehouse-go/lakehouse/stream"
)

// fixture is a two-layer pipeline over JSON files: bronze ingests
// {"id":…, "amount":…} lines, silver keeps one row per id with a Fail
// expectation on amount and a Drop expectation on id, and totals is a
// materialized view of silver's sum.
type fixture struct {
	t    *testing.T
	dir  string
	raw  string
	mem  *memory.CheckedAllocator
	file int
	// schema, when set, is given to the files source instead of inferring
	// one from the first files.
	schema *arrow.Schema
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{t: t, dir: dir, raw: filepath.Join(dir, "raw"), mem: memory.NewCheckedAllocator(memory.DefaultAllocator)}
	require.NoError(t, os.MkdirAll(f.raw, 0o755))
	t.Cleanup(func() { f.mem.AssertSize(t, 0) })
	return f
}

// land writes one raw file with the given ids and amounts.
func (f *fixture) land(rows ...string) {
	f.t.Helper()
	f.file++
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	require.NoError(f.t, os.WriteFile(filepath.Join(f.raw, fmt.Sprintf("part-%03d.json", f.file)), []byte(b.String()), 0o644))
}

func (f *fixture) pipeline(hook func(point, table string) error) *Pipeline {
	f.t.Helper()
	p, err := New("orders", &Options{Warehouse: filepath.Join(f.dir, "wh"), Allocator: f.mem, Table: &delta.Options{Allocator: f.mem},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(f.t, err)
	p.testHook = hook
	require.NoError(f.t, p.StreamingTable(Table{Name: "bronze.orders"}, func(r *Reader) (*stream.Pipeline, error) {
		return stream.From(stream.NewFilesSource(f.raw, &stream.FilesSourceOptions{Format: "json", SchemaHints: "id bigint, amount bigint", Schema: f.schema})), nil
	}))
	require.NoError(f.t, p.StreamingTable(Table{
		Name: "silver.orders",
		Expectations: []quality.Expectation{
			quality.Fail("amount_below_limit", "amount < 1000"),
			quality.Drop("has_id", "id IS NOT NULL"),
		},
		Quarantine: "silver.orders_quarantine",
		Keys:       []string{"id"},
	}, func(r *Reader) (*stream.Pipeline, error) {
		return stream.From(r.ReadStream("bronze.orders")).Select("id", "amount"), nil
	}))
	require.NoError(f.t, p.MaterializedView(Table{Name: "gold.totals", ClusterBy: []string{"amount"}, Properties: map[string]string{"quality": "gold"}, Comment: "amounts"}, func(r *Reader) (Query, error) {
		silver := r.Read("silver.orders")
		return func(ctx context.Context) (array.RecordReader, error) {
			return silver.Scan(ctx, &delta.ScanOptions{Columns: []string{"amount"}})
		}, nil
	}))
	return p
}

// tableState is a table's version and sorted rows, "" when absent.
func (f *fixture) tableState(name string) string {
	f.t.Helper()
	n, err := parseName(name, "main", "default")
	require.NoError(f.t, err)
	ctx := context.Background()
	tbl, err := delta.Open(ctx, n.location(filepath.Join(f.dir, "wh")), nil)
	if errors.Is(err, delta.ErrNotATable) {
		return ""
	}
	require.NoError(f.t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(f.t, err)
	rr, err := snap.Scan(ctx, nil)
	require.NoError(f.t, err)
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := range int(rec.NumRows()) {
			var cells []string
			for _, c := range rec.Columns() {
				cells = append(cells, c.ValueStr(i))
			}
			rows = append(rows, strings.Join(cells, ","))
		}
	}
	require.NoError(f.t, rr.Err())
	return fmt.Sprintf("v%d %v", snap.Version(), sortStrings(rows))
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func (f *fixture) events() []quality.Event {
	f.t.Helper()
	ctx := context.Background()
	l, err := quality.OpenEventLog(ctx, filepath.Join(f.dir, "wh", "main", "default", "orders_event_log"), nil)
	require.NoError(f.t, err)
	defer l.Close()
	es, err := l.Events(ctx)
	require.NoError(f.t, err)
	return es
}

func TestRunIncrementalWithDedupAndQuarantine(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.land(`{"id":1,"amount":10}`, `{"id":2,"amount":20}`, `{"id":1,"amount":10}`, `{"amount":5}`)
	up, err := f.pipeline(nil).Run(ctx, nil)
	require.NoError(t, err)
	silver := up.Table("silver.orders")
	require.NotNil(t, silver)
	assert.Equal(t, int64(4), silver.InputRows)
	assert.Equal(t, int64(1), silver.DroppedRows)
	assert.Equal(t, int64(1), silver.Quarantined)
	assert.Equal(t, int64(1), silver.Duplicates)
	assert.Equal(t, int64(2), silver.OutputRows)
	assert.Equal(t, "v0 [1,10 2,20]", f.tableState("silver.orders"))
	assert.Equal(t, "v0 [10 20]", f.tableState("gold.totals"))
	assert.Equal(t, `v0 [(null),5,["has_id"]]`, f.tableState("silver.orders_quarantine"))
	gold, err := delta.Open(ctx, filepath.Join(f.dir, "wh", "main", "gold", "totals"), nil)
	require.NoError(t, err)
	snap, err := gold.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"amount"}, snap.ClusteringColumns(), "declared clustering reaches the table")
	assert.Equal(t, "gold", snap.Properties()["quality"])
	assert.Equal(t, "amounts", snap.Metadata().Description)
	require.NoError(t, gold.Close())

	// Only the new file is read; id 2 is already in silver.
	f.land(`{"id":2,"amount":20}`, `{"id":3,"amount":30}`)
	up, err = f.pipeline(nil).Run(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(2), up.Table("bronze.orders").InputRows)
	assert.Equal(t, int64(1), up.Table("silver.orders").Duplicates)
	assert.Equal(t, "v1 [1,10 2,20 3,30]", f.tableState("silver.orders"))
	assert.Equal(t, "v1 [10 20 30]", f.tableState("gold.totals"))

	// Nothing new: nothing committed anywhere.
	up, err = f.pipeline(nil).Run(ctx, nil)
	require.NoError(t, err)
	for _, tu := range up.Tables {
		assert.Equal(t, int64(-1), tu.Version, tu.Name)
	}
	assert.Equal(t, "v1 [10 20 30]", f.tableState("gold.totals"))

	types := map[string]int{}
	for _, e := range f.events() {
		types[e.EventType+"/"+e.Level]++
	}
	assert.Equal(t, map[string]int{"create_update/INFO": 3, "flow_progress/METRICS": 6, "update_progress/INFO": 3}, types)
}

// TestFailExpectationChangesNothing: an update whose Fail expectation
// trips leaves every table as it was, and the event log gains one error
// event.
// TestRunWithoutInput: a first update with no files (and a source that
// knows its schema: Auto Loader cannot infer one from nothing) creates no
// table and no error; the next, with files, creates them all.
func TestRunWithoutInput(t *testing.T) {
	f := newFixture(t)
	f.schema = arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "amount", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	ctx := context.Background()
	up, err := f.pipeline(nil).Run(ctx, nil)
	require.NoError(t, err)
	for _, tu := range up.Tables {
		assert.Equal(t, int64(-1), tu.Version, tu.Name)
		assert.Equal(t, "", f.tableState(tu.Name), tu.Name)
	}
	f.land(`{"id":1,"amount":10}`)
	_, err = f.pipeline(nil).Run(ctx, nil)
	require.NoError(t, err)
	assert.Equal(t, "v0 [1,10]", f.tableState("silver.orders"))
	assert.Equal(t, "v0 [10]", f.tableState("gold.totals"))
	assert.Equal(t, "v0 [1,10]", f.tableState("bronze.orders"), "a given schema has no rescued data column")
}

func TestFailExpectationChangesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.land(`{"id":1,"amount":10}`)
	_, err := f.pipeline(nil).Run(ctx, nil)
	require.NoError(t, err)
	tables := []string{"bronze.orders", "silver.orders", "gold.totals", "orders_event_log"}
	before := map[string]string{}
	for _, tb := range tables {
		before[tb] = f.tableState(tb)
	}
	eventsBefore := len(f.events())

	f.land(`{"id":2,"amount":20}`, `{"id":3,"amount":5000}`)
	_, err = f.pipeline(nil).Run(ctx, nil)
	require.ErrorIs(t, err, ErrUpdateFailed)
	var ee *quality.ExpectationError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, "amount_below_limit", ee.Expectation)
	for _, tb := range tables[:3] {
		assert.Equal(t, before[tb], f.tableState(tb), "%s is unchanged", tb)
	}
	events := f.events()
	require.Len(t, events, eventsBefore+1)
	last := events[len(events)-1]
	assert.Equal(t, quality.LevelError, last.Level)
	assert.Contains(t, last.Details, "amount_below_limit")
}

// TestCrashDuringCommitsResumes stops an update at each point of its
// commit phase, as a crash would, then runs again: every row reaches each
// table exactly once.
func TestCrashDuringCommitsResumes(t *testing.T) {
	points := []struct{ point, table string }{
		{"before-commit", "main.bronze.orders"},
		{"after-commit", "main.bronze.orders"},
		{"before-commit", "main.silver.orders"},
		{"after-commit", "main.silver.orders"},
		{"before-commit", "main.gold.totals"},
	}
	for _, pt := range points {
		t.Run(pt.point+" "+pt.table, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.land(`{"id":1,"amount":10}`, `{"id":2,"amount":20}`)
			_, err := f.pipeline(nil).Run(ctx, nil)
			require.NoError(t, err)
			f.land(`{"id":3,"amount":30}`, `{"amount":1}`)
			crash := errors.New("crash")
			_, err = f.pipeline(func(point, table string) error {
				if point == pt.point && table == pt.table {
					return crash
				}
				return nil
			}).Run(ctx, nil)
			require.ErrorIs(t, err, crash)
			f.land(`{"id":4,"amount":40}`)
			for range 2 { // a pending commit is re-run first, then the rest
				_, err = f.pipeline(nil).Run(ctx, nil)
				require.NoError(t, err)
			}
			assert.Regexp(t, `^v\d+ \[1,10 2,20 3,30 4,40\]$`, f.tableState("silver.orders"))
			assert.Regexp(t, `^v\d+ \[10 20 30 40\]$`, f.tableState("gold.totals"))
			// bronze's columns are amount, id, _rescued_data (inferred JSON
			// columns sort by name): each of the five lines once.
			assert.Regexp(t, `^v\d+ \[1,\(null\),\(null\) 10,1,\(null\) 20,2,\(null\) 30,3,\(null\) 40,4,\(null\)\]$`, f.tableState("bronze.orders"))
			assert.Equal(t, 1, strings.Count(f.tableState("silver.orders_quarantine"), "has_id"))
		})
	}
}

func TestFullRefreshRebuildsFromTheBeginning(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.land(`{"id":1,"amount":10}`)
	_, err := f.pipeline(nil).Run(ctx, nil)
	require.NoError(t, err)
	f.land(`{"id":2,"amount":20}`)
	_, err = f.pipeline(nil).Run(ctx, nil)
	require.NoError(t, err)
	up, err := f.pipeline(nil).Run(ctx, &RunOptions{FullRefreshAll: true})
	require.NoError(t, err)
	assert.Equal(t, int64(2), up.Table("bronze.orders").InputRows, "bronze re-reads every file")
	assert.True(t, up.Table("silver.orders").FullRefresh)
	assert.Regexp(t, `^v2 \[1,10 2,20\]$`, f.tableState("silver.orders"))
	assert.Equal(t, "v2 [10,1,(null) 20,2,(null)]", f.tableState("bronze.orders"))
}

func TestGraphErrors(t *testing.T) {
	src := func(r *Reader) (*stream.Pipeline, error) {
		return stream.From(stream.NewFilesSource(t.TempDir(), &stream.FilesSourceOptions{Format: "json"})), nil
	}
	reads := func(name string) func(r *Reader) (*stream.Pipeline, error) {
		return func(r *Reader) (*stream.Pipeline, error) { return stream.From(r.ReadStream(name)), nil }
	}
	tests := []struct {
		name    string
		declare func(p *Pipeline) error
		want    error
		msg     string
	}{
		{"cycle", func(p *Pipeline) error {
			require.NoError(t, p.StreamingTable(Table{Name: "a"}, reads("b")))
			return p.StreamingTable(Table{Name: "b"}, reads("a"))
		}, ErrGraph, "cycle"},
		{"unknown table", func(p *Pipeline) error { return p.StreamingTable(Table{Name: "a"}, reads("nope")) }, ErrGraph, "does not define"},
		{"reads itself", func(p *Pipeline) error { return p.StreamingTable(Table{Name: "a"}, reads("a")) }, ErrGraph, "itself"},
		{"duplicate", func(p *Pipeline) error {
			require.NoError(t, p.StreamingTable(Table{Name: "a"}, src))
			return p.StreamingTable(Table{Name: "main.default.A"}, src)
		}, ErrInvalidDefinition, "twice"},
		{"bad name", func(p *Pipeline) error { return p.StreamingTable(Table{Name: "a.b.c.d"}, src) }, ErrInvalidDefinition, "three parts"},
		{"keys on a view", func(p *Pipeline) error {
			return p.MaterializedView(Table{Name: "v", Keys: []string{"id"}}, func(*Reader) (Query, error) { return nil, nil })
		}, ErrInvalidDefinition, "Keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New("g", &Options{Warehouse: t.TempDir()})
			require.NoError(t, err)
			err = tc.declare(p)
			if err == nil {
				_, err = p.Tables()
			}
			require.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "pipeline: "), err.Error())
		})
	}
}

func TestTablesInDependencyOrder(t *testing.T) {
	f := newFixture(t)
	names, err := f.pipeline(nil).Tables()
	require.NoError(t, err)
	assert.Equal(t, []string{"main.bronze.orders", "main.silver.orders", "main.gold.totals"}, names)
}

// TestDryRunWritesNothing: a dry run plans the graph and binds
// expectations to existing tables, and leaves no file behind.
func TestDryRunWritesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.land(`{"id":1,"amount":10}`)
	_, err := f.pipeline(nil).Run(ctx, &RunOptions{DryRun: true})
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(f.dir, "wh"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "dry run created %s", filepath.Join(f.dir, "wh"))

	_, err = f.pipeline(nil).Run(ctx, nil)
	require.NoError(t, err)
	p, err := New("orders", &Options{Warehouse: filepath.Join(f.dir, "wh")})
	require.NoError(t, err)
	require.NoError(t, p.StreamingTable(Table{Name: "silver.orders", Expectations: []quality.Expectation{quality.Warn("bad", "no_such_column > 0")}},
		func(r *Reader) (*stream.Pipeline, error) {
			return stream.From(stream.NewFilesSource(f.raw, &stream.FilesSourceOptions{Format: "json"})), nil
		}))
	_, err = p.Run(ctx, &RunOptions{DryRun: true})
	require.ErrorIs(t, err, ErrInvalidDefinition)
	assert.Contains(t, err.Error(), "no_such_column")
}

// TestIncrementalView: a view that sums silver's amounts from its
// previous result and Input.Changes reads only the appended rows, and
// recomputes in full after a full refresh or a commit that deleted rows.
func TestIncrementalView(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sumSchema := arrow.NewSchema([]arrow.Field{{Name: "total", Type: arrow.PrimitiveTypes.Int64}, {Name: "rows_read", Type: arrow.PrimitiveTypes.Int64}}, nil)
	build := func() *Pipeline {
		p := f.pipeline(nil)
		require.NoError(t, p.MaterializedView(Table{Name: "gold.sum"}, func(r *Reader) (Query, error) {
			silver, self := r.Read("silver.orders"), r.Self()
			return func(ctx context.Context) (array.RecordReader, error) {
				var total, read int64
				rows, ok, err := silver.Changes(ctx)
				if err != nil {
					return nil, err
				}
				if ok {
					prev, err := self.Scan(ctx, nil)
					if err != nil {
						return nil, err
					}
					for prev.Next() {
						total += prev.RecordBatch().Column(0).(*array.Int64).Value(0)
					}
					prev.Release()
				} else if rows, err = silver.Scan(ctx, nil); err != nil {
					return nil, err
				}
				defer rows.Release()
				for rows.Next() {
					rec := rows.RecordBatch()
					amounts := rec.Column(rec.Schema().FieldIndices("amount")[0]).(*array.Int64)
					for i := range amounts.Len() {
						total += amounts.Value(i)
						read++
					}
				}
				b := array.NewRecordBuilder(f.mem, sumSchema)
				defer b.Release()
				b.Field(0).(*array.Int64Builder).Append(total)
				b.Field(1).(*array.Int64Builder).Append(read)
				rec := b.NewRecordBatch()
				defer rec.Release()
				return array.NewRecordReader(sumSchema, []arrow.RecordBatch{rec})
			}, nil
		}))
		return p
	}
	steps := []struct {
		land        []string
		opts        *RunOptions
		deleteFirst bool
		want        string
		incremental bool
	}{
		{[]string{`{"id":1,"amount":10}`, `{"id":2,"amount":20}`}, nil, false, "v0 [30,2]", false},
		{[]string{`{"id":3,"amount":30}`}, nil, false, "v1 [60,1]", true},
		{[]string{`{"id":4,"amount":40}`}, &RunOptions{FullRefresh: []string{"gold.sum"}}, false, "v2 [100,4]", false},
		{[]string{`{"id":5,"amount":50}`}, nil, true, "v3 [140,4]", false}, // id 1 deleted from silver: recompute
		{[]string{`{"id":6,"amount":60}`}, nil, false, "v4 [200,1]", true},
	}
	for i, st := range steps {
		if st.deleteFirst {
			tbl, err := delta.Open(ctx, filepath.Join(f.dir, "wh", "main", "silver", "orders"), nil)
			require.NoError(t, err)
			where, err := expr.Parse("id = 1")
			require.NoError(t, err)
			_, err = tbl.Delete(ctx, where, nil)
			require.NoError(t, err)
			require.NoError(t, tbl.Close())
		}
		f.land(st.land...)
		up, err := build().Run(ctx, st.opts)
		require.NoError(t, err, "step %d", i)
		assert.Equal(t, st.incremental, up.Table("gold.sum").Incremental, "step %d", i)
		assert.Equal(t, st.want, f.tableState("gold.sum"), "step %d", i)
	}
}
