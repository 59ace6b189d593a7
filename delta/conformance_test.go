package delta_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// negativeTables must fail to read, with the sentinel given.
var negativeTables = map[string]error{
	"delta-golden/deltalog-invalid-protocol-version":                              delta.ErrUnsupportedFeature,
	"delta-golden/deltalog-state-reconstruction-from-checkpoint-missing-metadata": delta.ErrCorruptLog,
	"delta-golden/deltalog-state-reconstruction-without-metadata":                 delta.ErrCorruptLog,
	"delta-golden/no-delta-log-folder":                                            delta.ErrNotATable,
	"delta-golden/versions-not-contiguous":                                        delta.ErrLogGap,
	"delta-kernel-rs/crc-malformed":                                               delta.ErrNotATable,
	"delta-rs/simple_table_features":                                              delta.ErrUnsupportedFeature,
	// Catalog-managed tables need the catalog's ratified commits; reading
	// the published log alone would silently miss versions 1 and 2.
	"delta-kernel-java/catalog-owned-preview": delta.ErrUnsupportedFeature,
	// Shredded variants are not decoded; refusing beats wrong values.
	"delta-kernel-java/spark-shredded-variant-preview-delta": delta.ErrUnsupportedFeature,
}

// upstreamLeaks are tables whose files make the parquet library itself
// leak; our own allocations are still checked everywhere else.
var upstreamLeaks = map[string]string{
	"delta-golden/parquet-decimal-dictionaries": "arrow-go v18.8.0 pqarrow leaks 64 bytes reading this file's INT32 column 'id' " +
		"(reproduced with a bare pqarrow GetRecordReader, no lakehouse code involved)",
}

// writerTimeZones name the session time zone of the writer for tables
// whose timestamp partition values carry no zone (spec: Partition Value
// Serialization). Delta's golden tables were generated in Los Angeles.
var writerTimeZones = map[string]string{
	"delta-golden/data-reader-partition-values": "America/Los_Angeles",
}

// malformedByDesign are hand-written logs that break a spec "required"
// rule; Delta's own tests only replay their file actions. A conforming
// reader refuses them with ErrCorruptLog rather than guess a schema.
var malformedByDesign = map[string]string{
	"delta-golden/data-reader-absolute-paths-escaped-chars": "no metaData action at all",
	"delta-golden/deltalog-commit-info":                     "metaData without the required schemaString",
	"delta-golden/update-deleted-directory":                 "checkpoint metaData with an empty schemaString",
}

// absentData are table versions whose data files the corpus never held:
// hand-written logs that add a made-up path and remove it in the next
// commit. Scanning them must fail on the missing file, for delta-rs too.
var absentData = map[string]string{
	"delta-golden/deltalog-getChanges@v0":             "version 0 adds fake/path/1",
	"delta-golden/log-replay-special-characters@v0":   "version 0 adds special%20p@%23h",
	"delta-golden/log-replay-special-characters-a@v0": "version 0 adds special%20p@%23h",
}

// logOnlyTables ship a log whose data files are absent by design; they
// are checked through the file list instead of a scan. The value is the
// expected number of live files.
var logOnlyTables = map[string]int64{
	"delta-golden/canonicalized-paths-normal-a":                   0,
	"delta-golden/canonicalized-paths-normal-b":                   0,
	"delta-golden/canonicalized-paths-special-a":                  0,
	"delta-golden/checkpoint":                                     1,
	"delta-golden/collations-table":                               -1,
	"delta-golden/data-reader-absolute-paths-escaped-chars":       -1,
	"delta-golden/delete-re-add-same-file-different-transactions": 2,
	"delta-golden/deltalog-commit-info":                           -1,
	"delta-golden/update-deleted-directory":                       10,
	"delta-golden/snapshot-vacuumed":                              -1,
	"delta-kernel-rs/crc-full":                                    -1,
	"delta-rs/issue-2152":                                         -1,
	"delta-rs/table-with-domain-metadata":                         -1,
	"delta-rs/delta-live-table":                                   0,
	"delta-kernel-rs/with_checkpoint_no_last_checkpoint":          1,
	"delta-rs/latest_not_checkpointed":                            1,
}

// columnFacts are rows transcribed from the source projects' tests for
// tables that ship no expected data: one column's values, as canonical
// JSON, in any order.
var columnFacts = map[string]struct {
	column string
	values []string
}{
	"delta-kernel-rs/table-with-dv-small":                      {"value", []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
	"delta-kernel-rs/table-without-dv-small":                   {"value", []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
	"delta-kernel-rs/with-short-dv":                            {"id", []string{"3", "4", "5", "6", "7", "8", "9"}},
	"delta-kernel-rs/compacted-log-files-table":                {"id", []string{"0", "1", "2", "10", "12"}},
	"delta-rs/simple_table":                                    {"id", []string{"5", "7", "9"}},
	"delta-rs/delta-0.8.0-partitioned":                         {"value", []string{`"1"`, `"2"`, `"3"`, `"4"`, `"5"`, `"6"`, `"7"`}},
	"delta-rs/simple_table_with_cdc":                           {"name", []string{`"Mino"`}},
	"delta-kernel-rs/v2-checkpoints-json-with-last-checkpoint": {"id", []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
	"delta-kernel-rs/void-column":                              {"void_col", []string{"null", "null", "null"}},
	"delta-kernel-rs/timestamp-partitioned-table":              {"time", []string{`"1971-07-22T03:06:40.000000Z"`}},
	"delta-golden/kernel-timestamp-partition-col-ISO8601":      {"ts", []string{`"2024-01-01T10:00:00.000000Z"`, `"2024-01-02T12:30:00.000000Z"`}},
	"delta-rs/delta-0.8.0-null-partition":                      {"k", []string{`"A"`, "null"}},
}

type corpusTable struct {
	name string // source/table
	dir  string // the table directory (holding delta/ and expected/)
}

func corpusTables(t *testing.T) []corpusTable {
	root := testdataDir(t)
	var out []corpusTable
	sources, err := os.ReadDir(root)
	require.NoError(t, err)
	for _, s := range sources {
		if !s.IsDir() {
			continue
		}
		tables, err := os.ReadDir(filepath.Join(root, s.Name()))
		require.NoError(t, err)
		for _, tb := range tables {
			if tb.IsDir() {
				out = append(out, corpusTable{name: s.Name() + "/" + tb.Name(), dir: filepath.Join(root, s.Name(), tb.Name())})
			}
		}
	}
	return out
}

// TestConformanceCorpus reads every table of the shared corpus: latest and
// every earlier version that can still be reconstructed must load and
// scan, and the rows of each must equal the shipped expected data (DAT per
// version, golden tables at the latest version) or else what delta-rs
// reads there (oracle_test.go). Row counts must also equal what the log's
// stats say, and transcribed facts must hold. NEGATIVE tables must fail
// with their sentinel.
func TestConformanceCorpus(t *testing.T) {
	tables := corpusTables(t)
	oracle := startDeltaRS(t, planOracle(t, tables))
	tally := corpusTally{}
	for _, ct := range tables {
		n := tally.source(ct.name)
		t.Run(ct.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			if reason, ok := upstreamLeaks[ct.name]; ok {
				t.Logf("not checking Arrow allocations: %s", reason)
			} else {
				defer mem.AssertSize(t, 0)
			}
			ctx := context.Background()
			tablePath := filepath.Join(ct.dir, "delta")
			if want, ok := negativeTables[ct.name]; ok {
				n.notScanned++
				err := readWhole(ctx, tablePath, mem)
				require.Error(t, err)
				assert.True(t, errors.Is(err, want), "want %v, got %v", want, err)
				return
			}
			if reason, ok := malformedByDesign[ct.name]; ok {
				n.notScanned++
				err := readWhole(ctx, tablePath, mem)
				require.ErrorIs(t, err, delta.ErrCorruptLog, reason)
				return
			}
			tbl, err := delta.Open(ctx, tablePath, tableOptions(t, ct.name, mem))
			require.NoError(t, err)
			defer tbl.Close()
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)

			if want, ok := logOnlyTables[ct.name]; ok {
				n.notScanned++
				st, err := snap.FileStats(ctx)
				require.NoError(t, err)
				if want >= 0 {
					assert.Equal(t, want, st.NumFiles, "live files")
				}
				return
			}

			if f, ok := columnFacts[ct.name]; ok {
				got := scanColumn(t, snap, f.column)
				want := slices.Clone(f.values)
				slices.Sort(want)
				assert.Equal(t, want, got, "column %s", f.column)
			}
			expected := expectedData(t, ct, snap.Version())
			for v := snap.Version(); v >= 0; v-- {
				t.Run(fmt.Sprintf("v%d", v), func(t *testing.T) {
					s, err := snap, error(nil)
					if v != snap.Version() {
						s, err = tbl.SnapshotAt(ctx, v)
					}
					if errors.Is(err, delta.ErrVersionNotFound) {
						require.Empty(t, expected[v], "expected data ships for a version the log no longer reaches")
						oracle.compare(t, ct.name, v, nil, false, n)
						return
					}
					require.NoError(t, err)
					if reason, ok := absentData[versionKey(ct.name, v)]; ok {
						n.absent++
						_, err := scanAll(t, s)
						require.ErrorIs(t, err, fs.ErrNotExist, reason)
						oracle.mustFail(t, versionKey(ct.name, v))
						return
					}
					if exps, ok := expected[v]; ok {
						rows := scanRows(t, s, nil)
						checkStatsRowCount(t, ctx, s, int64(len(rows)))
						for _, e := range exps {
							checkExpected(t, ct.name, s, rows, e)
						}
						n.expected++
						return
					}
					rows, err := scanAll(t, s)
					require.NoError(t, err)
					checkStatsRowCount(t, ctx, s, int64(len(rows)))
					oracle.compare(t, ct.name, v, rows, true, n)
				})
			}
		})
	}
	oracle.checkReviewed(t, tables)
	if oracle.unavailable == "" {
		require.NoError(t, oracle.wait())
	}
	publishSummary(t, tally.summary(oracle))
	for src, n := range tally {
		assert.Zero(t, n.neither, "%s: table versions compared with neither expected data nor delta-rs, and not reviewed", src)
	}
	if oracle.unavailable != "" {
		t.Skip(oracle.unavailable)
	}
}

// tableOptions are the read options of one corpus table.
func tableOptions(t *testing.T, name string, mem memory.Allocator) *delta.Options {
	t.Helper()
	opts := &delta.Options{Allocator: mem}
	if zone, ok := writerTimeZones[name]; ok {
		loc, err := time.LoadLocation(zone)
		require.NoError(t, err)
		opts.PartitionTimeZone = loc
	}
	return opts
}

// planOracle lists the table versions delta-rs must read: every version
// up to the latest of each scanned table, except those with shipped
// expected data. Tables that fail to open here are left to their subtest
// to report.
func planOracle(t *testing.T, tables []corpusTable) []oracleJob {
	t.Helper()
	ctx := context.Background()
	var jobs []oracleJob
	for _, ct := range tables {
		if _, ok := negativeTables[ct.name]; ok {
			continue
		}
		if _, ok := malformedByDesign[ct.name]; ok {
			continue
		}
		if _, ok := logOnlyTables[ct.name]; ok {
			continue
		}
		path := filepath.Join(ct.dir, "delta")
		tbl, err := delta.Open(ctx, path, nil)
		if err != nil {
			continue
		}
		snap, err := tbl.Snapshot(ctx)
		tbl.Close()
		if err != nil {
			continue
		}
		expected := expectedData(t, ct, snap.Version())
		for v := snap.Version(); v >= 0; v-- {
			if _, ok := expected[v]; !ok {
				jobs = append(jobs, oracleJob{key: versionKey(ct.name, v), ID: fmt.Sprintf("job%d", len(jobs)), Path: path, Version: v})
			}
		}
	}
	return jobs
}

// readWhole opens, loads and scans a table, returning the first error.
func readWhole(ctx context.Context, path string, mem memory.Allocator) error {
	tbl, err := delta.Open(ctx, path, &delta.Options{Allocator: mem})
	if err != nil {
		return err
	}
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	rr, err := snap.Scan(ctx, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
	}
	return rr.Err()
}

func scanRows(t *testing.T, snap *delta.Snapshot, opts *delta.ScanOptions) []string {
	t.Helper()
	rr, err := snap.Scan(context.Background(), opts)
	require.NoError(t, err)
	defer rr.Release()
	return canonicalRows(t, rr)
}

func scanColumn(t *testing.T, snap *delta.Snapshot, col string) []string {
	t.Helper()
	rows := scanRows(t, snap, &delta.ScanOptions{Columns: []string{col}})
	out := make([]string, len(rows))
	for i, r := range rows {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal([]byte(r), &m))
		out[i] = string(m[col])
	}
	slices.Sort(out)
	return out
}

// checkStatsRowCount compares the scanned row count with numRecords minus
// deletion-vector cardinality summed over the files, when every file has
// stats (the rows themselves are compared in any case).
func checkStatsRowCount(t *testing.T, ctx context.Context, snap *delta.Snapshot, got int64) {
	t.Helper()
	st, err := snap.FileStats(ctx)
	require.NoError(t, err)
	if st.NumRecords >= 0 {
		assert.Equal(t, st.NumRecords, got, "rows scanned vs numRecords in the log")
	}
}

// expectedDir is one set of shipped expected rows: a DAT
// expected/<latest|vN> directory (with its version metadata) or the golden
// tables' expected/ directory.
type expectedDir struct {
	name string // "latest", "vN", or "golden"
	dir  string // the directory holding the parquet files
	dat  *datVersionMeta
}

type datVersionMeta struct {
	Version          int64 `json:"version"`
	MinReaderVersion int32 `json:"min_reader_version"`
	MinWriterVersion int32 `json:"min_writer_version"`
}

// expectedData maps versions to the expected data shipped for them: DAT's
// expected/<latest|vN>/table_content at the version its metadata names
// (latest and vN may name the same one), golden tables' expected/*.parquet
// at the latest version.
func expectedData(t testing.TB, ct corpusTable, latest int64) map[int64][]expectedDir {
	t.Helper()
	exp := filepath.Join(ct.dir, "expected")
	if _, err := os.Stat(exp); err != nil {
		return nil
	}
	if _, err := os.Stat(filepath.Join(exp, "latest")); err != nil {
		return map[int64][]expectedDir{latest: {{name: "golden", dir: exp}}}
	}
	entries, err := os.ReadDir(exp)
	require.NoError(t, err)
	out := map[int64][]expectedDir{}
	for _, e := range entries {
		dir := filepath.Join(exp, e.Name())
		meta := &datVersionMeta{}
		raw, err := os.ReadFile(filepath.Join(dir, "table_version_metadata.json"))
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(raw, meta))
		if e.Name() == "latest" {
			require.Equal(t, latest, meta.Version, "%s: expected/latest is not the latest version", ct.name)
		} else {
			require.Equal(t, "v"+strconv.FormatInt(meta.Version, 10), e.Name(), "%s: expected directory names another version", ct.name)
		}
		out[meta.Version] = append(out[meta.Version], expectedDir{name: e.Name(), dir: filepath.Join(dir, "table_content"), dat: meta})
	}
	return out
}

// checkExpected compares the rows scanned at one version with shipped
// expected data, and DAT's protocol versions with the snapshot's.
func checkExpected(t *testing.T, table string, snap *delta.Snapshot, rows []string, e expectedDir) {
	t.Helper()
	if e.dat != nil {
		assert.Equal(t, e.dat.MinReaderVersion, snap.Protocol().MinReaderVersion, "%s reader version", e.name)
		assert.Equal(t, e.dat.MinWriterVersion, snap.Protocol().MinWriterVersion, "%s writer version", e.name)
	}
	want := readExpectedParquet(t, e.dir, snap.Schema())
	assertRowsEqual(t, fmt.Sprintf("%s@%s", table, e.name), want, rows)
}

// assertRowsEqual reports the first differing row rather than two dumps.
func assertRowsEqual(t *testing.T, what string, want, got []string) {
	t.Helper()
	if slices.Equal(want, got) {
		return
	}
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("%s: %d expected rows, %d scanned; first difference at sorted row %d:\n want %s\n got  %s", what, len(want), len(got), i, w, g)
			return
		}
	}
}
