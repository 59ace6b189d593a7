package delta_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gocloud.dev/blob"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/storage/latencys3"
)

// latencyS3 starts the emulator with a small injected latency (the
// assertions count requests in flight, not time) and opens its bucket.
func latencyS3(t *testing.T) (*latencys3.Server, *blob.Bucket) {
	t.Helper()
	srv, err := latencys3.Start("lake", &latencys3.Options{Min: 2 * time.Millisecond, Max: 6 * time.Millisecond, Seed: 7})
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	b, err := srv.OpenBucket(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })
	return srv, b
}

var latencySchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// writeFiles makes a local table of files one-file commits of rows rows
// each, checkpoints it (unless perPart < 0), splitting the checkpoint
// into parts of perPart actions, and makes after more one-row commits.
func writeFiles(t *testing.T, dir string, files, rows int, perPart int64, after int) {
	t.Helper()
	ctx := context.Background()
	tbl, err := delta.Create(ctx, dir, latencySchema, &delta.CreateOptions{
		Properties: map[string]string{"delta.checkpointInterval": "1000000"}, Table: &delta.Options{NoSync: true}})
	require.NoError(t, err)
	defer tbl.Close()
	add := func(from, n int) {
		b := array.NewRecordBuilder(memory.DefaultAllocator, latencySchema)
		defer b.Release()
		for i := from; i < from+n; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("l%d", i%13))
		}
		rec := b.NewRecordBatch()
		defer rec.Release()
		rr, err := array.NewRecordReader(latencySchema, []arrow.RecordBatch{rec})
		require.NoError(t, err)
		defer rr.Release()
		_, err = tbl.Append(ctx, rr, nil)
		require.NoError(t, err)
	}
	for f := range files {
		add(f*rows, rows)
	}
	if perPart >= 0 {
		_, err = tbl.Checkpoint(ctx, &delta.CheckpointOptions{ActionsPerPart: perPart})
		require.NoError(t, err)
	}
	for i := range after {
		add(files*rows+i, 1)
	}
}

// readRows scans with opts and returns every batch as JSON, in order.
func readRows(t *testing.T, snap *delta.Snapshot, opts *delta.ScanOptions) []string {
	t.Helper()
	rr, err := snap.Scan(context.Background(), opts)
	require.NoError(t, err)
	defer rr.Release()
	var out []string
	for rr.Next() {
		b, err := rr.RecordBatch().MarshalJSON()
		require.NoError(t, err)
		out = append(out, string(b))
	}
	require.NoError(t, rr.Err())
	return out
}

// TestObjectStoreScanConcurrent scans a 100-file table on S3 with a
// latency per request, one request at a time (IOConcurrency 1) and with
// the read-ahead: the batches are the same and in the same order, the
// read-ahead makes no more requests (one fewer per file: no HEAD), keeps
// more than one in flight and
// never more than IOConcurrency. (Wall time is not asserted: under -race
// on a loaded machine decoding, not latency, dominates; bench/objectstore
// measures it.)
func TestObjectStoreScanConcurrent(t *testing.T) {
	srv, bucket := latencyS3(t)
	src := filepath.Join(t.TempDir(), "t")
	writeFiles(t, src, 100, 500, 0, 0)
	srv.Pause(true)
	uploadTable(t, bucket, src, "scan/")
	srv.Pause(false)
	ctx := context.Background()

	const ioc = 8
	tests := []struct {
		name  string
		opts  *delta.ScanOptions
		files int64 // files the scan reads
	}{
		{"full scan, files decoded one at a time", &delta.ScanOptions{Parallelism: 1, BatchSize: 200}, 100},
		{"full scan, files decoded in parallel", &delta.ScanOptions{Parallelism: 2}, 100},
		{"filtered scan", &delta.ScanOptions{Filter: expr.Col("label").Eq(expr.Lit("l3")), Parallelism: 2}, 100},
		// ids 10,000–30,000 lie in files 20 to 60; stats skip the others.
		{"projected range scan", &delta.ScanOptions{Columns: []string{"label"}, Filter: expr.Col("id").Between(expr.Lit(int64(10_000)), expr.Lit(int64(30_000)))}, 41},
		{"filter no file matches", &delta.ScanOptions{Filter: expr.Col("id").Lt(expr.Lit(int64(0)))}, 0},
		// Files read ahead footer first, then column chunk by chunk.
		{"full scan, chunk by chunk", &delta.ScanOptions{Parallelism: 2}, 100},
		{"filtered scan, chunk by chunk", &delta.ScanOptions{Filter: expr.Col("label").Eq(expr.Lit("l3")), Parallelism: 1}, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasSuffix(tc.name, "chunk by chunk") {
				defer delta.SetReadAheadWholeFileBytes(0)()
			}
			read := func(n int) ([]string, latencys3.Stats) {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				tbl, err := delta.OpenBucket(ctx, bucket, "scan", &delta.Options{IOConcurrency: n, Allocator: mem})
				require.NoError(t, err)
				defer tbl.Close()
				snap, err := tbl.Snapshot(ctx)
				require.NoError(t, err)
				srv.Reset()
				rows := readRows(t, snap, tc.opts)
				return rows, srv.Stats()
			}
			seqRows, seq := read(1)
			concRows, conc := read(ioc)
			assert.Equal(t, tc.files == 0, len(seqRows) == 0)
			assert.Equal(t, seqRows, concRows)
			// The read-ahead fetches what the scan reads, nothing more, and
			// opens each file with the size the log records: no HEAD.
			assert.Equal(t, seq.Requests-tc.files, conc.Requests)
			assert.Equal(t, seq.ByMethod[http.MethodHead]-tc.files, conc.ByMethod[http.MethodHead])
			// Each of these small files is one HEAD and one GET (the tail
			// block holds the whole file); the checkpoint the scan reads
			// its file list from is one GET (its size comes from the
			// listing).
			assert.Equal(t, 2*tc.files+1, seq.Requests)
			par := tc.opts.Parallelism
			if par == 0 {
				par = runtime.GOMAXPROCS(0)
			}
			assert.LessOrEqual(t, seq.MaxInFlight, int64(par), "without read-ahead, one request per file being decoded")
			if tc.files > 0 {
				assert.Greater(t, conc.MaxInFlight, int64(2))
			}
			assert.LessOrEqual(t, conc.MaxInFlight, int64(ioc))
			t.Logf("sequential: %v in %v; read-ahead: %v in %v", seq, seq.Elapsed, conc, conc.Elapsed)
		})
	}
}

// TestObjectStoreScanReleasedEarly releases a read-ahead scan after its
// first batch, and one whose data file is missing: the read-ahead stops,
// closes what it opened and holds no Arrow memory; the missing file
// fails the scan as without read-ahead.
func TestObjectStoreScanReleasedEarly(t *testing.T) {
	srv, bucket := latencyS3(t)
	src := filepath.Join(t.TempDir(), "t")
	writeFiles(t, src, 40, 100, 0, 0)
	srv.Pause(true)
	uploadTable(t, bucket, src, "early/")
	srv.Pause(false)
	ctx := context.Background()
	for _, par := range []int{1, 2} {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		tbl, err := delta.OpenBucket(ctx, bucket, "early", &delta.Options{IOConcurrency: 16, Allocator: mem})
		require.NoError(t, err)
		snap, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		rr, err := snap.Scan(ctx, &delta.ScanOptions{Parallelism: par, BatchSize: 10})
		require.NoError(t, err)
		require.True(t, rr.Next())
		assert.Equal(t, int64(10), rr.RecordBatch().NumRows())
		rr.Release()
		require.NoError(t, tbl.Close())
		mem.AssertSize(t, 0)
	}

	tbl, err := delta.OpenBucket(ctx, bucket, "early", &delta.Options{IOConcurrency: 16})
	require.NoError(t, err)
	defer tbl.Close()
	snap, err := tbl.Snapshot(ctx)
	require.NoError(t, err)
	var victim string
	i := 0
	for f, err := range snap.Files(ctx) {
		require.NoError(t, err)
		if i == 20 {
			victim = f.Path
		}
		i++
	}
	require.NotEmpty(t, victim)
	srv.Pause(true)
	require.NoError(t, bucket.Delete(ctx, "early/"+victim))
	srv.Pause(false)
	rr, err := snap.Scan(ctx, &delta.ScanOptions{Parallelism: 2})
	require.NoError(t, err)
	defer rr.Release()
	rows := int64(0)
	for rr.Next() {
		rows += rr.RecordBatch().NumRows()
	}
	require.ErrorIs(t, rr.Err(), delta.ErrMissingDataFile)
	assert.Contains(t, rr.Err().Error(), victim)
	assert.Equal(t, int64(20*100), rows, "the files before the missing one are read in full")
}

// TestObjectStoreSnapshotConcurrent loads snapshots whose log holds many
// commits after a checkpoint, or a checkpoint in many parts, one request
// at a time and concurrently: the same version, files and metadata, with
// more than one request and at most IOConcurrency in flight.
func TestObjectStoreSnapshotConcurrent(t *testing.T) {
	srv, bucket := latencyS3(t)
	ctx := context.Background()
	tests := []struct {
		name                 string
		files, after         int
		perPart              int64
		wantVersion          int64
		wantFiles, minInLoad int
	}{
		{"60 commits after a checkpoint", 3, 60, 0, 63, 63, 60},
		{"checkpoint in 8 parts", 40, 0, 5, 40, 40, 8},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prefix := fmt.Sprintf("snap%d", i)
			src := filepath.Join(t.TempDir(), "t")
			writeFiles(t, src, tc.files, 3, tc.perPart, tc.after)
			srv.Pause(true)
			uploadTable(t, bucket, src, prefix+"/")
			srv.Pause(false)
			const ioc = 6
			load := func(n int) ([]string, latencys3.Stats) {
				tbl, err := delta.OpenBucket(ctx, bucket, prefix, &delta.Options{IOConcurrency: n})
				require.NoError(t, err)
				defer tbl.Close()
				srv.Reset()
				snap, err := tbl.Snapshot(ctx)
				require.NoError(t, err)
				assert.Equal(t, tc.wantVersion, snap.Version())
				got := []string{snap.SchemaString()}
				for f, err := range snap.Files(ctx) {
					require.NoError(t, err)
					got = append(got, f.Path)
				}
				assert.Len(t, got, tc.wantFiles+1)
				return got, srv.Stats()
			}
			seqFiles, seq := load(1)
			concFiles, conc := load(ioc)
			assert.Equal(t, seqFiles, concFiles)
			assert.Equal(t, seq.Requests, conc.Requests)
			assert.GreaterOrEqual(t, seq.Requests, int64(tc.minInLoad))
			assert.Equal(t, int64(1), seq.MaxInFlight)
			assert.Greater(t, conc.MaxInFlight, int64(1))
			assert.LessOrEqual(t, conc.MaxInFlight, int64(ioc))
			t.Logf("sequential: %v in %v; concurrent: %v in %v", seq, seq.Elapsed, conc, conc.Elapsed)
		})
	}
}

// TestObjectStoreReadAheadCorpus reads corpus tables with deletion
// vectors, column mapping and checkpoints from S3 with the read-ahead
// and from local disk: the same batches in the same order.
func TestObjectStoreReadAheadCorpus(t *testing.T) {
	root := testdataDir(t)
	srv, bucket := latencyS3(t)
	tests := []struct {
		table, filter string
	}{
		{"delta-golden/dv-partitioned-with-checkpoint/delta", ""},
		{"delta-golden/dv-partitioned-with-checkpoint/delta", "col1 > 5 OR part = 1"},
		{"delta-kernel-java/basic-dv-no-checkpoint", ""},
		{"delta-kernel-java/column-mapping-id", ""},
		{"delta-kernel-java/data-reader-primitives-column-mapping-name", "as_int > 3"},
		{"delta-kernel-rs/with-short-dv", ""},
	}
	ctx := context.Background()
	for i, tc := range tests {
		t.Run(tc.table+"/"+tc.filter, func(t *testing.T) {
			src := filepath.Join(root, tc.table)
			if _, err := os.Stat(filepath.Join(src, "delta", "_delta_log")); err == nil {
				src = filepath.Join(src, "delta")
			}
			prefix := fmt.Sprintf("corpus%d", i)
			srv.Pause(true)
			uploadTable(t, bucket, src, prefix+"/")
			srv.Pause(false)
			var filter expr.Expr
			if tc.filter != "" {
				var err error
				filter, err = expr.Parse(tc.filter)
				require.NoError(t, err)
			}
			read := func(open func(*delta.Options) (*delta.Table, error), par int) []string {
				mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
				defer mem.AssertSize(t, 0)
				tbl, err := open(&delta.Options{Allocator: mem, IOConcurrency: 4})
				require.NoError(t, err)
				defer tbl.Close()
				snap, err := tbl.Snapshot(ctx)
				require.NoError(t, err)
				return readRows(t, snap, &delta.ScanOptions{Filter: filter, Parallelism: par, BatchSize: 3})
			}
			local := read(func(o *delta.Options) (*delta.Table, error) { return delta.Open(ctx, src, o) }, 1)
			require.NotEmpty(t, local)
			for _, mode := range []struct {
				par    int
				chunks bool // footer first, then chunk by chunk
			}{{1, false}, {3, false}, {3, true}} {
				par := mode.par
				if mode.chunks {
					defer delta.SetReadAheadWholeFileBytes(0)()
				}
				srv.Reset()
				remote := read(func(o *delta.Options) (*delta.Table, error) { return delta.OpenBucket(ctx, bucket, prefix, o) }, par)
				assert.Equal(t, local, remote, "parallelism %d, chunk by chunk %v", par, mode.chunks)
				st := srv.Stats()
				assert.LessOrEqual(t, st.MaxInFlight, int64(4+par), "read-ahead requests plus the decoders' deletion-vector reads")
			}
		})
	}
}

// TestObjectStoreReadAheadWrongSize reads a table whose log records
// wrong sizes for two data files (one too large, one too small): the
// read-ahead, which trusts the size to skip a request, finds no valid
// footer there and leaves those files to the decoder, which opens them
// as without read-ahead; the rows equal those read from local disk.
func TestObjectStoreReadAheadWrongSize(t *testing.T) {
	srv, bucket := latencyS3(t)
	src := filepath.Join(t.TempDir(), "t")
	writeFiles(t, src, 4, 50, -1, 0)
	sizeRe := regexp.MustCompile(`"size":(\d+)`)
	for v, by := range map[int]int{1: 7, 2: -7} {
		p := filepath.Join(src, "_delta_log", fmt.Sprintf("%020d.json", v))
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		n := 0
		data = sizeRe.ReplaceAllFunc(data, func(m []byte) []byte {
			n++
			size, err := strconv.Atoi(string(sizeRe.FindSubmatch(m)[1]))
			require.NoError(t, err)
			return []byte(fmt.Sprintf(`"size":%d`, size+by))
		})
		require.Equal(t, 1, n)
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
	srv.Pause(true)
	uploadTable(t, bucket, src, "sizes/")
	srv.Pause(false)
	ctx := context.Background()
	local, err := delta.Open(ctx, src, nil)
	require.NoError(t, err)
	defer local.Close()
	snap, err := local.Snapshot(ctx)
	require.NoError(t, err)
	want := readRows(t, snap, &delta.ScanOptions{Parallelism: 1})
	require.NotEmpty(t, want)
	for _, par := range []int{1, 2} {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		tbl, err := delta.OpenBucket(ctx, bucket, "sizes", &delta.Options{Allocator: mem})
		require.NoError(t, err)
		s, err := tbl.Snapshot(ctx)
		require.NoError(t, err)
		assert.Equal(t, want, readRows(t, s, &delta.ScanOptions{Parallelism: par}), "parallelism %d", par)
		require.NoError(t, tbl.Close())
		mem.AssertSize(t, 0)
	}
}
