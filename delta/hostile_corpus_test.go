package delta

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/dv"
)

// The hostile-table corpus: each case builds a table (3 rows at version 1,
// deletion vectors on) and then damages or forges its log the way a buggy
// or malicious writer could. Reading it must fail with the case's sentinel
// and a "delta: " message, and nothing may be read outside the table's
// root. Paths that point out of the table (absolute, climbing, encoded,
// symlinks, foreign schemes) have their own corpus in confine_test.go.
type hostileLog struct {
	name string
	// damage changes the table in dir; own is its one data file (relative
	// path) and outFile a parquet file outside the table.
	damage func(t *testing.T, tbl *Table, dir, own, outFile string)
	limits Limits
	want   error
	// says is in the error message: what went wrong, where.
	says string
}

func writeCommitLines(t *testing.T, dir string, v int64, lines ...string) {
	t.Helper()
	name := filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", v))
	require.NoError(t, os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
}

// logLine returns the first line of commit v that contains marker.
func logLine(t *testing.T, dir string, v int64, marker string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", v)))
	require.NoError(t, err)
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, marker) {
			return l
		}
	}
	t.Fatalf("no %s line in version %d", marker, v)
	return ""
}

func addLine(path string) string {
	return fmt.Sprintf(`{"add":{"path":%q,"partitionValues":{},"size":100,"modificationTime":1,"dataChange":true}}`, path)
}

var hostileLogs = []hostileLog{
	{name: "a line cut off", want: ErrCorruptLog, says: "00000000000000000002.json",
		damage: func(t *testing.T, _ *Table, dir, _, _ string) {
			writeCommitLines(t, dir, 2, `{"add":{"path":"x.parquet",`)
		}},
	{name: "two metaData actions in one commit", want: ErrCorruptLog, says: "two metaData",
		damage: func(t *testing.T, _ *Table, dir, _, _ string) {
			meta := logLine(t, dir, 0, `"metaData"`)
			writeCommitLines(t, dir, 2, meta, meta)
		}},
	{name: "a file added twice in one commit", want: ErrCorruptLog, says: "added twice",
		damage: func(t *testing.T, _ *Table, dir, own, _ string) {
			writeCommitLines(t, dir, 2, addLine(own), addLine(own))
		}},
	{name: "a file added and removed in one commit", want: ErrCorruptLog, says: "both added and removed",
		damage: func(t *testing.T, _ *Table, dir, own, _ string) {
			writeCommitLines(t, dir, 2, addLine(own), fmt.Sprintf(`{"remove":{"path":%q,"deletionTimestamp":1,"dataChange":true}}`, own))
		}},
	{name: "a reader feature nobody knows", want: ErrUnsupportedFeature, says: "futureFeature",
		damage: func(t *testing.T, _ *Table, dir, _, _ string) {
			writeCommitLines(t, dir, 2, `{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["futureFeature"],"writerFeatures":["futureFeature"]}}`)
		}},
	{name: "a schema that does not parse", want: ErrCorruptLog, says: "schema",
		damage: func(t *testing.T, _ *Table, dir, _, _ string) {
			writeCommitLines(t, dir, 2, `{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{","partitionColumns":[],"configuration":{}}}`)
		}},
	{name: "a line over the limit", limits: Limits{MaxLogLineBytes: 4096}, want: ErrLimitExceeded, says: "MaxLogLineBytes",
		damage: func(t *testing.T, _ *Table, dir, _, _ string) {
			writeCommitLines(t, dir, 2, fmt.Sprintf(`{"commitInfo":{"operation":"WRITE","userMetadata":%q}}`, strings.Repeat("x", 8192)))
		}},
	{name: "a deletion vector past the end of its file", want: ErrCorruptLog, says: "row",
		damage: func(t *testing.T, _ *Table, dir, own, _ string) {
			d, err := dv.EncodeInline(roaring64.BitmapOf(0, 3))
			require.NoError(t, err)
			info, err := os.Stat(filepath.Join(dir, own))
			require.NoError(t, err)
			writeDVCommit(t, dir, 2, own, info.Size(), d)
		}},
	{name: "a truncated checkpoint whose commits are gone", want: ErrCorruptLog, says: "checkpoint",
		damage: func(t *testing.T, tbl *Table, dir, _, _ string) {
			v := int64(1)
			_, err := tbl.Checkpoint(context.Background(), &CheckpointOptions{Version: &v})
			require.NoError(t, err)
			cp := filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.checkpoint.parquet", v))
			info, err := os.Stat(cp)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(cp, info.Size()/2))
			require.NoError(t, os.Remove(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", 0))))
		}},
	{name: "a forged checkpoint naming a file outside the table", want: ErrOutsideRoot, says: "Options.AllowedRoots",
		damage: func(t *testing.T, tbl *Table, dir, _, outFile string) {
			// The outside file enters only through the checkpoint: the
			// commits it summarises are removed afterwards.
			writeCommitLines(t, dir, 2, addLine(outFile))
			v := int64(2)
			_, err := tbl.Checkpoint(context.Background(), &CheckpointOptions{Version: &v})
			require.NoError(t, err)
			for v := range int64(3) {
				require.NoError(t, os.Remove(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", v))))
			}
		}},
}

func TestHostileLogCorpus(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	outTbl, outDir := newMaintTable(t, mem, 0, false, nil)
	appendRows(t, outTbl, mem, 900, 3)
	outFiles := liveFiles(t, outTbl)
	require.Len(t, outFiles, 1)
	outFile := filepath.Join(outDir, outFiles[0])

	for _, tc := range hostileLogs {
		t.Run(tc.name, func(t *testing.T) {
			victim, dir := newMaintTable(t, mem, 3, false, map[string]string{"delta.enableDeletionVectors": "true"})
			own := liveFiles(t, victim)
			require.Len(t, own, 1)
			tc.damage(t, victim, dir, own[0], outFile)

			foreign := recordForeignOpens(t)
			err := readHostile(ctx, dir, &Options{Allocator: mem, Limits: tc.limits}, func(rec *recordingStore) {
				for _, p := range rec.paths {
					assert.False(t, filepath.IsAbs(p) || strings.Contains(p, "..") || strings.Contains(p, "://"),
						"read %q, which is not a path inside the table", p)
				}
			})
			require.Error(t, err, "the damaged table must not read as if it were whole")
			assert.True(t, errors.Is(err, tc.want), "want %v, got %v", tc.want, err)
			assert.True(t, strings.HasPrefix(err.Error(), "delta: "), err.Error())
			assert.Contains(t, err.Error(), tc.says)
			assert.Empty(t, *foreign, "no store was opened outside the table")
			t.Log(err)
		})
	}
}

// readHostile opens the table and reads every row, recording every path
// read after Open, and returns the first error.
func readHostile(ctx context.Context, dir string, opts *Options, check func(*recordingStore)) error {
	tbl, err := Open(ctx, dir, opts)
	if err != nil {
		return err
	}
	defer tbl.Close()
	rec := &recordingStore{Store: tbl.store}
	tbl.store = rec
	defer check(rec)
	snap, err := tbl.Snapshot(ctx)
	if err != nil {
		return err
	}
	_, err = scanAll(ctx, snap)
	return err
}
