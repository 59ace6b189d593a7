package delta

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
	"github.com/lakehouse-go/lakehouse/internal/storage/faultstore"
)

// vacuumScenario is a table with every kind of file VACUUM must tell
// apart. Files are named by role.
type vacuumScenario struct {
	tbl   *Table
	dir   string
	files map[string]string // role → path relative to the root
}

// newVacuumScenario builds, on a change-feed table partitioned by day
// whose retention is one hour: version 1 appends rows 0..9 (files for d0
// and d1), version 2 deletes id 1 (rewriting the d1 file: the old one is
// removed, a change data file written). A killed writer left an orphan
// data file and a temporary file; hidden files sit around. Every file is
// then two hours old, except a fresh orphan.
func newVacuumScenario(t *testing.T) *vacuumScenario {
	t.Helper()
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, dir := newMaintTable(t, mem, 10, true, map[string]string{
		"delta.enableChangeDataFeed":         "true",
		"delta.deletedFileRetentionDuration": "interval 1 hours",
	})
	v1, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	deleteWhere(t, tbl, "id = 1")
	s := &vacuumScenario{tbl: tbl, dir: dir, files: map[string]string{}}
	live := map[string]bool{}
	for _, p := range liveFiles(t, tbl) {
		live[p] = true
		s.files["live "+p[:6]] = p
	}
	for f, err := range v1.Files(ctx) {
		require.NoError(t, err)
		if !live[f.Path] {
			s.files["removed"] = f.Path
		}
	}
	for _, p := range filesOnDisk(t, dir) {
		if strings.HasPrefix(p, changeDataDir) {
			s.files["change data"] = p
		}
	}
	require.Len(t, s.files, 4, "two live files, a removed one, a change data file: %v", s.files)
	write := func(role, p string) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		require.NoError(t, os.MkdirAll(filepath.Dir(full), 0o755))
		require.NoError(t, os.WriteFile(full, []byte("junk "+role), 0o644))
		s.files[role] = p
	}
	write("orphan", "day=d0/part-00009-killed-writer.c000.snappy.parquet")
	write("temp", "day=d1/.lakehouse-tmp-KILLEDWRITER")
	write("root temp", ".lakehouse-tmp-KILLED2")
	write("log temp", "_delta_log/.lakehouse-tmp-KILLEDCOMMIT")
	write("success marker", "_SUCCESS")
	write("checksum", "day=d0/.part-00000.crc")
	write("orphan checksum", "day=d0/.part-00009-killed-writer.c000.snappy.parquet.crc")
	write("hidden dir file", "_staging/part-00000.parquet")
	age(t, dir, 2*time.Hour)
	when := time.Now().Add(-2 * time.Hour)
	require.NoError(t, os.Chtimes(filepath.Join(dir, "_delta_log", ".lakehouse-tmp-KILLEDCOMMIT"), when, when))
	write("fresh orphan", "day=d1/part-00010-still-writing.c000.snappy.parquet")
	// A zero retention keeps what was removed this very millisecond: let
	// the log's deletion timestamps fall behind "now".
	time.Sleep(10 * time.Millisecond)
	return s
}

func (s *vacuumScenario) paths(roles ...string) []string {
	var out []string
	for _, r := range roles {
		p, ok := s.files[r]
		if !ok {
			panic("no file with role " + r)
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func TestVacuum(t *testing.T) {
	zero := time.Duration(0)
	minute := time.Minute
	threeHours := 3 * time.Hour
	cases := []struct {
		name    string
		opts    VacuumOptions
		deleted []string // roles
		wantErr error
	}{
		{
			name: "table retention: only files never committed, and change data, are old enough",
			// The d1 file removed by the DELETE is still referenced by a
			// version within the hour.
			deleted: []string{"orphan", "temp", "root temp", "log temp", "change data"},
		},
		{
			name:    "zero retention: the removed file goes too",
			opts:    VacuumOptions{Retention: &zero, DisableRetentionCheck: true},
			deleted: []string{"orphan", "temp", "root temp", "log temp", "change data", "removed", "fresh orphan"},
		},
		{
			name:    "a retention longer than the files' age keeps everything",
			opts:    VacuumOptions{Retention: &threeHours},
			deleted: nil,
		},
		{
			name:    "dry run",
			opts:    VacuumOptions{Retention: &zero, DisableRetentionCheck: true, DryRun: true},
			deleted: []string{"orphan", "temp", "root temp", "log temp", "change data", "removed", "fresh orphan"},
		},
		{
			name:    "short retention refused",
			opts:    VacuumOptions{Retention: &minute},
			wantErr: ErrRetentionTooShort,
		},
		{
			name:    "negative retention refused",
			opts:    VacuumOptions{Retention: new(-time.Hour), DisableRetentionCheck: true},
			wantErr: ErrInvalidArgument,
		},
		{
			name: "lite: only files the log removed",
			opts: VacuumOptions{Retention: &zero, DisableRetentionCheck: true, Lite: true},
			// The removed file and the change data file of version 2; the
			// killed writer's files are not in the log.
			deleted: []string{"removed", "change data"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newVacuumScenario(t)
			before := filesOnDisk(t, s.dir)
			logBefore := logFilesOf(t, s.tbl)
			rowsBefore := readRows(t, s.tbl)
			snapBefore, err := s.tbl.Snapshot(ctx)
			require.NoError(t, err)

			want := s.paths(tc.deleted...)
			var size int64
			for _, p := range want {
				fi, err := os.Stat(filepath.Join(s.dir, filepath.FromSlash(p)))
				require.NoError(t, err)
				size += fi.Size()
			}

			res, err := s.tbl.Vacuum(ctx, &tc.opts)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.Equal(t, before, filesOnDisk(t, s.dir), "nothing deleted")
				assert.Equal(t, logBefore, logFilesOf(t, s.tbl), "nothing committed")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, want, res.Files)
			assert.Equal(t, int64(len(want)), res.NumFilesToDelete)
			assert.Equal(t, size, res.SizeOfDataToDelete)
			if tc.opts.DryRun {
				assert.Equal(t, before, filesOnDisk(t, s.dir), "a dry run deletes nothing")
				assert.Equal(t, logBefore, logFilesOf(t, s.tbl), "a dry run commits nothing")
				assert.Equal(t, int64(-1), res.StartVersion)
				return
			}
			assert.Equal(t, int64(len(want)), res.NumDeletedFiles)
			gone := slices.Clone(want)
			if slices.Contains(tc.deleted, "orphan") && !tc.opts.Lite {
				// Hadoop's checksum file goes with its data file.
				gone = append(gone, s.files["orphan checksum"])
			}
			remaining := slices.DeleteFunc(slices.Clone(before), func(p string) bool { return slices.Contains(gone, p) })
			assert.Equal(t, remaining, filesOnDisk(t, s.dir))
			assert.Equal(t, rowsBefore, readRows(t, s.tbl), "the table's rows are untouched")
			for _, v := range []int64{1, 2} {
				old, err := s.tbl.SnapshotAt(ctx, v)
				require.NoError(t, err)
				if !slices.Contains(tc.deleted, "removed") || v == 2 {
					assert.NotEmpty(t, snapshotRows(t, old), "version %d stays readable", v)
				}
			}

			// VACUUM START and VACUUM END, commitInfo only.
			assert.Equal(t, snapBefore.Version()+1, res.StartVersion)
			assert.Equal(t, snapBefore.Version()+2, res.EndVersion)
			start := commitInfoOf(t, s.tbl, res.StartVersion)
			assert.Len(t, commitLines(t, s.tbl, res.StartVersion), 1)
			assert.Len(t, commitLines(t, s.tbl, res.EndVersion), 1)
			assert.Equal(t, "VACUUM START", start["operation"])
			assert.Equal(t, "SnapshotIsolation", start["isolationLevel"])
			wantParams := map[string]any{"retentionCheckEnabled": !tc.opts.DisableRetentionCheck, "defaultRetentionMillis": float64(3600000)}
			if tc.opts.Retention != nil {
				wantParams["specifiedRetentionMillis"] = float64(tc.opts.Retention.Milliseconds())
			}
			assert.Equal(t, wantParams, start["operationParameters"])
			assert.Equal(t, map[string]any{"numFilesToDelete": itoa(int64(len(want))), "sizeOfDataToDelete": itoa(size)}, start["operationMetrics"])
			end := commitInfoOf(t, s.tbl, res.EndVersion)
			assert.Equal(t, "VACUUM END", end["operation"])
			assert.Equal(t, map[string]any{"status": "COMPLETED"}, end["operationParameters"])
			wantDirs := "5" // root, day=d0, day=d1, _change_data, _change_data/day=d1
			if tc.opts.Lite {
				wantDirs = "1"
			}
			assert.Equal(t, map[string]any{"numDeletedFiles": itoa(int64(len(want))), "numVacuumedDirectories": wantDirs}, end["operationMetrics"])
			info, ok := s.tbl.readLastVacuumInfo(ctx)
			if tc.opts.Retention != nil && *tc.opts.Retention == 0 {
				require.True(t, ok)
				assert.Equal(t, snapBefore.Version(), info, "every version before VACUUM START is outside a zero window")
			}
		})
	}
}

func TestVacuumLiteRuns(t *testing.T) {
	ctx := context.Background()
	s := newVacuumScenario(t)
	zero := time.Duration(0)
	opts := &VacuumOptions{Retention: &zero, DisableRetentionCheck: true, Lite: true}
	res, err := s.tbl.Vacuum(ctx, opts)
	require.NoError(t, err)
	assert.Equal(t, s.paths("removed", "change data"), res.Files)

	// The next LITE run reads only the commits since: the vacuum's own.
	res, err = s.tbl.Vacuum(ctx, opts)
	require.NoError(t, err)
	assert.Empty(t, res.Files)
	assert.Equal(t, int64(5), res.StartVersion)

	// A full run still finds what LITE cannot see.
	res, err = s.tbl.Vacuum(ctx, &VacuumOptions{Retention: &zero, DisableRetentionCheck: true})
	require.NoError(t, err)
	assert.Equal(t, s.paths("orphan", "temp", "root temp", "log temp", "fresh orphan"), res.Files)

	// Without its record, and with the log's start cleaned up, LITE
	// cannot know what it missed.
	require.NoError(t, s.tbl.store.Delete(ctx, lastVacuumInfo))
	_, err = s.tbl.Checkpoint(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, s.tbl.store.Delete(ctx, "_delta_log/00000000000000000000.json"))
	before := logFilesOf(t, s.tbl)
	_, err = s.tbl.Vacuum(ctx, opts)
	require.ErrorIs(t, err, ErrVacuumLiteUnavailable)
	assert.Equal(t, before, logFilesOf(t, s.tbl))
}

func TestVacuumDeletionVectors(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, dir := newMaintTable(t, mem, 1000, false, map[string]string{"delta.enableDeletionVectors": "true"})
	deleteWhere(t, tbl, "id % 2 = 1") // a DV file
	v2 := filesOnDisk(t, dir)
	deleteWhere(t, tbl, "id % 3 = 0") // another; the first is only in a tombstone
	all := filesOnDisk(t, dir)
	require.Len(t, v2, 2, "data file and first vector: %v", v2)
	require.Len(t, all, 3, "data file and both vectors: %v", all)
	first := v2[0]
	require.True(t, strings.HasPrefix(first, "deletion_vector_"), first)
	age(t, dir, time.Hour)
	want := readRows(t, tbl)

	time.Sleep(10 * time.Millisecond) // past this millisecond: a zero retention keeps what is as new as "now"
	zero := time.Duration(0)
	res, err := tbl.Vacuum(ctx, &VacuumOptions{Retention: &zero, DisableRetentionCheck: true})
	require.NoError(t, err)
	assert.Equal(t, []string{first}, res.Files, "the vector no live file uses")
	assert.Equal(t, slices.DeleteFunc(all, func(p string) bool { return p == first }), filesOnDisk(t, dir))
	assert.Equal(t, want, readRows(t, tbl))
}

func TestVacuumShallowClone(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	src, srcDir := newMaintTable(t, mem, 10, false, nil)
	snap, err := src.Snapshot(ctx)
	require.NoError(t, err)
	dst := t.TempDir()
	c, _, err := Clone(ctx, snap, dst, &CloneOptions{Shallow: true, Table: &Options{AllowedRoots: []string{srcDir}}})
	require.NoError(t, err)
	defer c.Close()
	srcFiles := filesOnDisk(t, srcDir)
	age(t, srcDir, time.Hour)

	time.Sleep(10 * time.Millisecond) // past this millisecond: a zero retention keeps what is as new as "now"
	zero := time.Duration(0)
	res, err := c.Vacuum(ctx, &VacuumOptions{Retention: &zero, DisableRetentionCheck: true})
	require.NoError(t, err)
	assert.Empty(t, res.Files, "the clone's files are outside its root")
	assert.Equal(t, srcFiles, filesOnDisk(t, srcDir))
	assert.Equal(t, readRows(t, src), readRows(t, c))
}

func TestVacuumProtocolCheck(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := filepath.Join(dir, "_delta_log")
	require.NoError(t, os.MkdirAll(log, 0o755))
	commit := `{"commitInfo":{"operation":"CREATE TABLE"}}
{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["vacuumProtocolCheck"],"writerFeatures":["vacuumProtocolCheck","someFutureWriterFeature"]}}
{"metaData":{"id":"t","format":{"provider":"parquet","options":{}},"schemaString":"{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}","partitionColumns":[],"configuration":{}}}
`
	require.NoError(t, os.WriteFile(filepath.Join(log, "00000000000000000000.json"), []byte(commit), 0o644))
	orphan := filepath.Join(dir, "part-00000-orphan.parquet")
	require.NoError(t, os.WriteFile(orphan, []byte("x"), 0o644))
	old := time.Now().Add(-30 * 24 * time.Hour)
	require.NoError(t, os.Chtimes(orphan, old, old))
	tbl, err := Open(ctx, dir, nil)
	require.NoError(t, err)
	defer tbl.Close()

	_, err = tbl.Vacuum(ctx, &VacuumOptions{DryRun: true})
	require.ErrorIs(t, err, ErrUnsupportedFeature, "a writer feature this package does not know: vacuuming could break it")
	assert.Contains(t, err.Error(), "someFutureWriterFeature")
	assert.FileExists(t, orphan)
}

// TestVacuumDeleteFails: when deleting fails part-way, Vacuum reports the
// error and records VACUUM END with status FAILED, as Spark does; the
// table's rows are untouched.
func TestVacuumDeleteFails(t *testing.T) {
	ctx := context.Background()
	s := newVacuumScenario(t)
	inner, err := storage.Open(ctx, s.dir, nil)
	require.NoError(t, err)
	fs := faultstore.New(inner, faultstore.Plan{FailOn: faultstore.OpDelete, N: 2})
	tbl := &Table{url: s.dir, store: fs, opts: s.tbl.opts}
	rows := readRows(t, tbl)
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)

	time.Sleep(10 * time.Millisecond) // past this millisecond: a zero retention keeps what is as new as "now"
	zero := time.Duration(0)
	_, err = tbl.Vacuum(ctx, &VacuumOptions{Retention: &zero, DisableRetentionCheck: true, Parallelism: 1})
	require.ErrorIs(t, err, faultstore.ErrInjected)
	start := commitInfoOf(t, tbl, snap.Version()+1)
	assert.Equal(t, "VACUUM START", start["operation"])
	end := commitInfoOf(t, tbl, snap.Version()+2)
	assert.Equal(t, "VACUUM END", end["operation"])
	assert.Equal(t, map[string]any{"status": "FAILED"}, end["operationParameters"])
	assert.Equal(t, rows, readRows(t, tbl))
}

// TestMaintenanceParallel runs the parallel parts of RESTORE (existence
// checks), CLONE (copies) and VACUUM (deletes) over many files; the race
// detector runs it in CI.
func TestMaintenanceParallel(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl, dir := newMaintTable(t, mem, 0, false, nil)
	const files = 12
	for i := range files {
		appendRows(t, tbl, mem, i*5, 5) // v1..v12
	}
	want := readRows(t, tbl)
	rr := eventsReader(t, mem, 1000, 3, 1)
	_, err := tbl.Overwrite(ctx, rr, nil) // v13
	rr.Release()
	require.NoError(t, err)

	res, err := tbl.Restore(ctx, RestoreTarget{Version: files}, &RestoreOptions{Parallelism: 4})
	require.NoError(t, err)
	assert.Equal(t, itoa(files), res.Metrics["numRestoredFiles"])
	assert.Equal(t, want, readRows(t, tbl))

	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	c, cres, err := Clone(ctx, snap, filepath.Join(t.TempDir(), "c"), &CloneOptions{Parallelism: 4, Table: &Options{Allocator: mem}})
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, itoa(files), cres.Metrics["numCopiedFiles"])
	assert.Equal(t, want, readRows(t, c))

	rr = eventsReader(t, mem, 2000, 3, 1)
	_, err = tbl.Overwrite(ctx, rr, nil)
	rr.Release()
	require.NoError(t, err)
	time.Sleep(10 * time.Millisecond) // past this millisecond: a zero retention keeps what is as new as "now"
	zero := time.Duration(0)
	vres, err := tbl.Vacuum(ctx, &VacuumOptions{Retention: &zero, DisableRetentionCheck: true, Parallelism: 4})
	require.NoError(t, err)
	assert.Equal(t, int64(files+1), vres.NumDeletedFiles, "the twelve appends' files and the first overwrite's")
	assert.Len(t, filesOnDisk(t, dir), 1)
	assert.Equal(t, expectedRows(t, [3]int{2000, 3, 1}), readRows(t, tbl))
}
