package delta

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// recordingStore remembers every path read through the table's store.
type recordingStore struct {
	storage.Store
	mu    sync.Mutex
	paths []string
}

func (s *recordingStore) record(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.paths = append(s.paths, p)
}

func (s *recordingStore) Open(ctx context.Context, p string) (storage.ReaderAt, error) {
	s.record(p)
	return s.Store.Open(ctx, p)
}

func (s *recordingStore) Get(ctx context.Context, p string) ([]byte, error) {
	s.record(p)
	return s.Store.Get(ctx, p)
}

// recordForeignOpens replaces openForeignStore for the test and returns
// the locations opened outside the table.
func recordForeignOpens(t *testing.T) *[]string {
	var mu sync.Mutex
	var opened []string
	prev := openForeignStore
	openForeignStore = func(ctx context.Context, loc string, o *storage.OpenOptions) (storage.Store, error) {
		mu.Lock()
		opened = append(opened, loc)
		mu.Unlock()
		return prev(ctx, loc, o)
	}
	t.Cleanup(func() { openForeignStore = prev })
	return &opened
}

// hostileCase is a table whose last commit names a file outside its root.
type hostileCase struct {
	name string
	// add builds the JSON add action of the hostile commit from the table
	// directory; outFile is a parquet file outside the table holding
	// other rows, ownFile a data file of the table itself.
	add func(t *testing.T, dir, outFile, ownFile string) string
	// named is what the error must name (the decoded path).
	named func(dir, outFile string) string
}

func dataAdd(p string) string {
	return fmt.Sprintf(`{"add":{"path":%q,"partitionValues":{},"size":1000,"modificationTime":0,"dataChange":true}}`, p)
}

func dvAdd(p, storageType, dvPath string) string {
	return fmt.Sprintf(`{"add":{"path":%q,"partitionValues":{},"size":1000,"modificationTime":0,"dataChange":true,`+
		`"deletionVector":{"storageType":%q,"pathOrInlineDv":%q,"offset":1,"sizeInBytes":34,"cardinality":1}}}`, p, storageType, dvPath)
}

func climb(t *testing.T, dir, target string) string {
	rel, err := filepath.Rel(dir, target)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(rel, ".."), rel)
	return filepath.ToSlash(rel)
}

var hostileCases = []hostileCase{
	{
		name:  "absolute file URI outside the root",
		add:   func(_ *testing.T, _, out, _ string) string { return dataAdd("file://" + out) },
		named: func(_, out string) string { return "file://" + out },
	},
	{
		name:  "absolute local path outside the root",
		add:   func(_ *testing.T, _, out, _ string) string { return dataAdd(out) },
		named: func(_, out string) string { return out },
	},
	{
		name:  "relative path climbing out",
		add:   func(t *testing.T, dir, out, _ string) string { return dataAdd(climb(t, dir, out)) },
		named: func(_, out string) string { return filepath.Base(out) },
	},
	{
		name: "URL-encoded climbing",
		add: func(t *testing.T, dir, out, _ string) string {
			return dataAdd(strings.ReplaceAll(climb(t, dir, out), "..", "%2E%2E"))
		},
		named: func(_, out string) string { return "../" },
	},
	{
		name: "climbing after a directory",
		add: func(t *testing.T, dir, out, _ string) string {
			return dataAdd("day=x/../" + climb(t, dir, out))
		},
		named: func(_, out string) string { return "day=x/../" },
	},
	{
		name: "symbolic link to a file outside",
		add: func(t *testing.T, dir, out, _ string) string {
			require.NoError(t, os.Symlink(out, filepath.Join(dir, "link.parquet")))
			return dataAdd("link.parquet")
		},
		named: func(string, string) string { return "link.parquet" },
	},
	{
		name: "symbolic link to a directory outside",
		add: func(t *testing.T, dir, out, _ string) string {
			require.NoError(t, os.Symlink(filepath.Dir(out), filepath.Join(dir, "linked")))
			return dataAdd("linked/" + filepath.Base(out))
		},
		named: func(string, string) string { return "linked/" },
	},
	{
		name:  "foreign URL scheme",
		add:   func(*testing.T, string, string, string) string { return dataAdd("s3://bucket/t/part-0.parquet") },
		named: func(string, string) string { return "s3://bucket/t/part-0.parquet" },
	},
	{
		name: "deletion vector at an absolute path outside",
		add: func(_ *testing.T, _, out, own string) string {
			return dvAdd(own, "p", "file://"+filepath.Dir(out)+"/deletion_vector_x.bin")
		},
		named: func(_, out string) string { return filepath.Dir(out) + "/deletion_vector_x.bin" },
	},
	{
		name: "deletion vector whose prefix climbs out",
		add: func(_ *testing.T, _, _, own string) string {
			return dvAdd(own, "u", "../../x"+strings.Repeat("0", 20))
		},
		named: func(string, string) string { return "../../x/deletion_vector_" },
	},
}

func TestHostileTablesAreConfined(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	outTbl, outDir := newMaintTable(t, mem, 0, false, nil)
	appendRows(t, outTbl, mem, 900, 3)
	outFiles := liveFiles(t, outTbl)
	require.Len(t, outFiles, 1)
	outFile := filepath.Join(outDir, outFiles[0])

	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			victim, dir := newMaintTable(t, mem, 3, false, map[string]string{"delta.enableDeletionVectors": "true"}) // v1
			own := liveFiles(t, victim)
			require.Len(t, own, 1)
			commit := tc.add(t, dir, outFile, own[0]) + "\n"
			require.NoError(t, os.WriteFile(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", 2)), []byte(commit), 0o644))

			foreign := recordForeignOpens(t)
			tbl, err := Open(ctx, dir, &Options{Allocator: mem})
			require.NoError(t, err)
			defer tbl.Close()
			rec := &recordingStore{Store: tbl.store}
			tbl.store = rec
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err, "the log itself is well formed")
			_, err = scanAll(ctx, snap)
			require.ErrorIs(t, err, ErrOutsideRoot)
			assert.True(t, strings.HasPrefix(err.Error(), "delta: "), err.Error())
			assert.Contains(t, err.Error(), tc.named(dir, outFile))
			assert.Contains(t, err.Error(), "Options.AllowedRoots")

			assert.Empty(t, *foreign, "no store was opened outside the table")
			for _, p := range rec.paths {
				full := filepath.Join(dir, filepath.FromSlash(p))
				fi, err := os.Lstat(full)
				if os.IsNotExist(err) {
					continue // a probe for an optional file (_last_checkpoint)
				}
				require.NoError(t, err, p)
				assert.True(t, fi.Mode().IsRegular(), "%s was read through a link", p)
			}
		})
	}
}

// scanAll reads every row of snap, returning the first error.
func scanAll(ctx context.Context, snap *Snapshot) (int64, error) {
	rr, err := snap.Scan(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer rr.Release()
	var n int64
	for rr.Next() {
		n += rr.RecordBatch().NumRows()
	}
	return n, rr.Err()
}

func TestAllowedRootsOpenOutsideFiles(t *testing.T) {
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	outTbl, outDir := newMaintTable(t, mem, 0, false, nil)
	appendRows(t, outTbl, mem, 900, 3)
	outFiles := liveFiles(t, outTbl)
	require.Len(t, outFiles, 1)
	outFile := filepath.Join(outDir, outFiles[0])
	outRows := readRows(t, outTbl)

	for _, tc := range []struct {
		name    string
		hostile int // index in hostileCases
		opts    Options
		foreign int // stores opened outside the table
	}{
		{"absolute URI under an allowed local path", 0, Options{AllowedRoots: []string{outDir}}, 1},
		{"absolute path under an allowed file URL", 1, Options{AllowedRoots: []string{"file://" + outDir + "/"}}, 1},
		{"any root allowed", 0, Options{AllowAnyRoot: true}, 1},
		{"a link out, any root allowed", 5, Options{AllowAnyRoot: true}, 0},
		{"a link into an allowed root is still refused", 5, Options{AllowedRoots: []string{outDir}}, -1},
		{"another allowed root does not cover the file", 0, Options{AllowedRoots: []string{t.TempDir()}}, -1},
		{"climbing is refused even with any root allowed", 2, Options{AllowAnyRoot: true}, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			victim, dir := newMaintTable(t, mem, 3, false, nil)
			own := readRows(t, victim)
			commit := hostileCases[tc.hostile].add(t, dir, outFile, "") + "\n"
			require.NoError(t, os.WriteFile(filepath.Join(dir, "_delta_log", fmt.Sprintf("%020d.json", 2)), []byte(commit), 0o644))
			foreign := recordForeignOpens(t)
			o := tc.opts
			o.Allocator = mem
			tbl, err := Open(ctx, dir, &o)
			require.NoError(t, err)
			defer tbl.Close()
			snap, err := tbl.Snapshot(ctx)
			require.NoError(t, err)
			if tc.foreign < 0 {
				_, err := scanAll(ctx, snap)
				require.ErrorIs(t, err, ErrOutsideRoot)
				assert.Empty(t, *foreign)
				return
			}
			got := snapshotRows(t, snap)
			assert.ElementsMatch(t, append(own, outRows...), got, "the table's rows and the outside file's")
			assert.Len(t, *foreign, tc.foreign)
		})
	}
}

func TestSidecarPathConfined(t *testing.T) {
	dir := t.TempDir()
	tbl := &Table{url: dir}
	root := "file://" + filepath.ToSlash(dir)
	for _, tc := range []struct {
		in, want string
	}{
		{"a.parquet", "_delta_log/_sidecars/a.parquet"},
		{"_delta_log/_sidecars/a.parquet", "_delta_log/_sidecars/a.parquet"},
		{root + "/_delta_log/_sidecars/a.parquet", "_delta_log/_sidecars/a.parquet"},
		{"file:" + filepath.ToSlash(dir) + "/_delta_log/_sidecars/a.parquet", "_delta_log/_sidecars/a.parquet"},
		{"../a.parquet", ""},
		{"../../../etc/passwd", ""},
		{"_delta_log/_sidecars/../../x.parquet", ""},
		{root + "/x.parquet", ""}, // inside the root, not a sidecar
		{"file:///elsewhere/_delta_log/_sidecars/a.parquet", ""},
		{"s3://bucket/t/_delta_log/_sidecars/a.parquet", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := tbl.sidecarPath(tc.in)
			if tc.want == "" {
				require.ErrorIs(t, err, ErrOutsideRoot)
				assert.Contains(t, err.Error(), tc.in)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	t.Run("a link out of _sidecars", func(t *testing.T) {
		out := t.TempDir()
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "_delta_log"), 0o755))
		require.NoError(t, os.Symlink(out, filepath.Join(dir, "_delta_log", "_sidecars")))
		require.NoError(t, os.WriteFile(filepath.Join(out, "b.parquet"), []byte("x"), 0o644))
		_, err := tbl.sidecarPath("b.parquet")
		require.ErrorIs(t, err, ErrOutsideRoot)
	})
}
