package features

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// interopPython is the Python of the venv .ci/setup.d/interop.sh installs
// (delta-rs as the deltalake package). LAKEHOUSE_INTEROP_VENV overrides it.
// Without it the test skips locally and fails under CI=true.
func interopPython(t *testing.T) string {
	t.Helper()
	venv := os.Getenv("LAKEHOUSE_INTEROP_VENV")
	if venv == "" {
		abs, err := filepath.Abs(filepath.Join("..", "..", ".cache", "venv-interop"))
		require.NoError(t, err)
		venv = abs
	}
	py := filepath.Join(venv, "bin", "python")
	if _, err := os.Stat(py); err != nil {
		prereq.Missing(t, "delta-rs venv not installed at %s (run bash .ci/setup.d/interop.sh, or set LAKEHOUSE_INTEROP_VENV)", venv)
	}
	return py
}

func runPython(t *testing.T, py, script string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, append([]string{"-c", script}, args...)...)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("python failed: %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	return out
}

const readFeatureTablePy = `
import json, sys
import pyarrow as pa
from deltalake import DeltaTable, QueryBuilder
dt = DeltaTable(sys.argv[1])
t = pa.table(QueryBuilder().register('t', dt).execute('select * from t order by id, ts').read_all())
md = dt.metadata()
print(json.dumps({
    "rows": [[r["id"], r["ts"].isoformat(), r["f1"], r["f2"]] for r in t.to_pylist()],
    "conf": md.configuration,
    "description": md.description,
    "nullable": {f.name: f.nullable for f in dt.schema().fields},
}))
`

// delta-rs reads a feature table we wrote: rows after idempotent merges,
// the key declaration in the properties, NOT NULL keys.
func TestDeltaRSReadsFeatureTable(t *testing.T) {
	py := interopPython(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	url := filepath.Join(t.TempDir(), "spend")
	ft, err := CreateFeatureTable(ctx, url, featSchema(), &FeatureTableOptions{
		PrimaryKeys: []string{"id"}, TimestampKey: "ts", Description: "spend", Table: &delta.Options{Allocator: mem},
	})
	require.NoError(t, err)
	defer ft.Close()
	for _, js := range []string{
		`[{"id": 1, "ts": "2024-01-01T00:00:00Z", "f1": 1, "f2": "a"}, {"id": 2, "ts": "2024-01-01T00:00:00Z", "f1": 2, "f2": "b"}]`,
		`[{"id": 1, "ts": "2024-01-01T00:00:00Z", "f1": 1, "f2": "a"}, {"id": 2, "ts": "2024-01-01T00:00:00Z", "f1": 2, "f2": "b"}]`,
		`[{"id": 2, "ts": "2024-01-01T00:00:00Z", "f1": 20, "f2": "b2"}, {"id": 1, "ts": "2024-01-02T00:00:00Z", "f1": null, "f2": "c"}]`,
	} {
		rr := jsonReader(t, mem, featSchema(), js)
		_, err := WriteFeatures(ctx, ft, rr, MergeMode)
		rr.Release()
		require.NoError(t, err)
	}
	var got struct {
		Rows        [][]any           `json:"rows"`
		Conf        map[string]string `json:"conf"`
		Description string            `json:"description"`
		Nullable    map[string]bool   `json:"nullable"`
	}
	require.NoError(t, json.Unmarshal(runPython(t, py, readFeatureTablePy, url), &got))
	assert.Equal(t, [][]any{
		{1.0, "2024-01-01T00:00:00+00:00", 1.0, "a"},
		{1.0, "2024-01-02T00:00:00+00:00", nil, "c"},
		{2.0, "2024-01-01T00:00:00+00:00", 20.0, "b2"},
	}, got.Rows)
	assert.Equal(t, `["id","ts"]`, got.Conf[PropPrimaryKeys])
	assert.Equal(t, "CONSTRAINT spend_pk PRIMARY KEY (id, ts TIMESERIES)", got.Conf[PropConstraint])
	assert.Equal(t, "spend", got.Description)
	assert.Equal(t, map[string]bool{"id": false, "ts": false, "f1": true, "f2": true}, got.Nullable)
}

const writeFeatureTablePy = `
import sys, datetime
import pyarrow as pa
from deltalake import write_deltalake, DeltaTable
utc = datetime.timezone.utc
schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
                    pa.field("f1", pa.float64()), pa.field("f2", pa.string())])
rows = [(1, 1, 1.0, "a"), (1, 3, 3.0, "c"), (2, 2, None, "b"), (3, 1, 5.0, "e")]
t = pa.Table.from_pylist([{"id": i, "ts": datetime.datetime(2024, 1, d, tzinfo=utc), "f1": f, "f2": s} for i, d, f, s in rows], schema=schema)
write_deltalake(sys.argv[1], t)
# delta-rs refuses keys outside delta.* when creating; ALTER TABLE SET
# TBLPROPERTIES takes them.
DeltaTable(sys.argv[1]).alter.set_table_properties({
    "lakehouse.feature.primaryKeys": '["id","ts"]', "lakehouse.feature.timestampKey": "ts",
    "lakehouse.feature.constraint": "CONSTRAINT spend_pk PRIMARY KEY (id, ts TIMESERIES)"}, raise_if_not_exists=False)
`

// A training set built from a feature table delta-rs wrote with the same
// declaration equals the one built from the same rows written by us.
func TestTrainingSetFromDeltaRSTable(t *testing.T) {
	py := interopPython(t)
	ctx := context.Background()
	dir := t.TempDir()
	theirs := filepath.Join(dir, "theirs")
	runPython(t, py, writeFeatureTablePy, theirs)
	peer, err := OpenFeatureTable(ctx, theirs, nil)
	require.NoError(t, err)
	defer peer.Close()
	assert.Equal(t, []string{"id"}, peer.PrimaryKeys())
	assert.Equal(t, "ts", peer.TimestampKey())

	ours, err := CreateFeatureTable(ctx, filepath.Join(dir, "ours"), featSchema(), &FeatureTableOptions{PrimaryKeys: []string{"id"}, TimestampKey: "ts"})
	require.NoError(t, err)
	defer ours.Close()
	rr := jsonReader(t, memory.DefaultAllocator, featSchema(), `[
		{"id": 1, "ts": "2024-01-01T00:00:00Z", "f1": 1, "f2": "a"}, {"id": 1, "ts": "2024-01-03T00:00:00Z", "f1": 3, "f2": "c"},
		{"id": 2, "ts": "2024-01-02T00:00:00Z", "f1": null, "f2": "b"}, {"id": 3, "ts": "2024-01-01T00:00:00Z", "f1": 5, "f2": "e"}]`)
	_, err = WriteFeatures(ctx, ours, rr, MergeMode)
	rr.Release()
	require.NoError(t, err)

	labels := `[
		{"id": 1, "event_ts": "2024-01-02T00:00:00Z", "customer": "x", "y": 0},
		{"id": 1, "event_ts": "2024-01-03T00:00:00Z", "customer": "x", "y": 1},
		{"id": 2, "event_ts": "2024-01-01T00:00:00Z", "customer": "x", "y": 2},
		{"id": 2, "event_ts": "2024-01-05T00:00:00Z", "customer": "x", "y": 3},
		{"id": 3, "event_ts": "2024-01-09T00:00:00Z", "customer": "x", "y": 4},
		{"id": 9, "event_ts": "2024-01-09T00:00:00Z", "customer": "x", "y": 5}]`
	build := func(ft *FeatureTable) []string {
		lr := jsonReader(t, memory.DefaultAllocator, labelSchema(), labels)
		defer lr.Release()
		set, err := CreateTrainingSet(ctx, lr, []FeatureLookup{{Table: ft, TimestampLookupKey: "event_ts", Lookback: 7 * 24 * time.Hour}},
			&TrainingSetOptions{ExcludeColumns: []string{"customer", "event_ts"}, MaxMemory: 256})
		require.NoError(t, err)
		out, err := set.Records(ctx)
		require.NoError(t, err)
		return readAll(t, out)
	}
	want := []string{
		"id=1 y=0 f1=1 f2=a", "id=1 y=1 f1=3 f2=c", "id=2 y=2 f1=(null) f2=(null)",
		"id=2 y=3 f1=(null) f2=b", "id=3 y=4 f1=(null) f2=(null)", // 8 days old: outside the lookback
		"id=9 y=5 f1=(null) f2=(null)",
	}
	assert.Equal(t, want, build(ours))
	assert.Equal(t, want, build(peer), fmt.Sprintf("delta-rs table at %s", theirs))
}
