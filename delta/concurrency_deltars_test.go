package delta

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// deltarsAppender is the body of one delta-rs writer process: commits
// blind appends of rows id from+c*rows … with the same values eventsBatch
// makes (days=1), each commit marked in commitInfo.userMetadata.
const deltarsAppender = `
import json, sys
import pyarrow as pa
from deltalake import CommitProperties, write_deltalake
path, name, start, commits, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
options = json.loads(sys.argv[6])
print("ready", flush=True)
sys.stdin.readline()  # the start signal: every writer begins at once
schema = pa.schema([pa.field("id", pa.int64(), nullable=False), ("name", pa.string()), ("score", pa.float64()), ("day", pa.string())])
for c in range(commits):
    ids = range(start + c * rows, start + (c + 1) * rows)
    t = pa.Table.from_pydict({
        "id": list(ids),
        "name": [None if i % 7 == 3 else "name-%d" % i for i in ids],
        "score": [i / 2 for i in ids],
        "day": ["d0" for _ in ids],
    }, schema=schema)
    write_deltalake(path, t, mode="append", storage_options=options or None,
        commit_properties=CommitProperties(custom_metadata={"userMetadata": "%s-c%d" % (name, c)}))
`

// interopPython returns the Python of .cache/venv-interop, where deltalake
// is installed (.ci/setup.d); missing, the test skips, or fails under CI.
func interopPython(t *testing.T) string {
	t.Helper()
	py, err := filepath.Abs(filepath.Join("..", ".cache", "venv-interop", "bin", "python"))
	require.NoError(t, err)
	if _, err := os.Stat(py); err != nil {
		prereq.Missing(t, "delta-rs peer not installed (%s missing); run the interop setup in .ci/setup.d", py)
	}
	if out, err := exec.Command(py, "-c", "import deltalake").CombinedOutput(); err != nil {
		prereq.Missing(t, "python deltalake not importable from %s: %v: %s", py, err, out)
	}
	return py
}

// TestConcurrentAppendsWithDeltaRS races 2 goroutine writers of this
// library against 2 delta-rs processes (Python deltalake), 10 blind appends
// each, on one table on local disk, S3 (gofakes3) and Azurite: versions are contiguous, each commit's marker appears once,
// every row arrives once, and each engine's commits name it.
func TestConcurrentAppendsWithDeltaRS(t *testing.T) {
	py := interopPython(t)
	t.Run("local", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "tbl")
		raceDeltaRS(t, py, dir, "{}", func(t *testing.T) *Table {
			tbl, err := openLocation(context.Background(), dir, &Options{NoSync: true})
			require.NoError(t, err)
			return tbl
		})
	})
	t.Run("s3 (gofakes3)", func(t *testing.T) {
		b, endpoint := s3Bucket(t)
		// delta-rs needs S3's conditional put to commit safely without a
		// lock service; gofakes3 honours If-None-Match: * as S3 does.
		opts := fmt.Sprintf(`{"AWS_ENDPOINT_URL": %q, "AWS_ALLOW_HTTP": "true", "AWS_ACCESS_KEY_ID": "test",
			"AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1", "conditional_put": "etag"}`, endpoint)
		raceDeltaRS(t, py, "s3://lake/warehouse/t", opts, func(t *testing.T) *Table {
			return bucketTable(b, "warehouse/t", &Options{NoSync: true})
		})
	})
	t.Run("azurite", func(t *testing.T) {
		b, name := azuriteBucketNamed(t)
		endpoint := os.Getenv("LAKEHOUSE_AZURITE_ENDPOINT")
		// Azure commits put-if-absent with If-None-Match: * natively. In
		// emulator mode delta-rs finds Azurite through
		// AZURITE_BLOB_STORAGE_URL (default port 10000, which another
		// Azurite may hold), which the child inherits.
		t.Setenv("AZURITE_BLOB_STORAGE_URL", strings.TrimSuffix(endpoint, "/devstoreaccount1"))
		opts := fmt.Sprintf(`{"AZURE_STORAGE_ACCOUNT_NAME": "devstoreaccount1", "AZURE_STORAGE_ACCOUNT_KEY": %q,
			"AZURE_STORAGE_USE_EMULATOR": "true", "AZURE_ALLOW_HTTP": "true"}`, azuriteKey)
		raceDeltaRS(t, py, "az://"+name+"/warehouse/t", opts, func(t *testing.T) *Table {
			return bucketTable(b, "warehouse/t", &Options{NoSync: true})
		})
	})
}

// raceDeltaRS runs the race on one table location: url and storage
// options as delta-rs takes them, open for this library's handles.
func raceDeltaRS(t *testing.T, py, url, storageOptions string, open func(t *testing.T) *Table) {
	const goWriters, pyWriters, commits, rows = 2, 2, 10, 5
	ctx := context.Background()
	mem := newCheckedAllocator(t)
	tbl := open(t)
	defer tbl.Close()
	_, err := tbl.create(ctx, eventsSchema, nil, false, &CreateOptions{})
	require.NoError(t, err)

	var wg sync.WaitGroup
	errs := make(chan error, goWriters*commits+pyWriters)
	// Python starts slowly: every writer waits for the start signal, sent
	// once each delta-rs process has imported deltalake and said so.
	start := make(chan struct{})
	var starts []io.WriteCloser
	for p := range pyWriters {
		from := 1000 + (goWriters+p)*commits*rows
		cmd := exec.Command(py, "-c", deltarsAppender, url, fmt.Sprintf("py%d", p),
			fmt.Sprint(from), fmt.Sprint(commits), fmt.Sprint(rows), storageOptions)
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		line, err := bufio.NewReader(stdout).ReadString('\n')
		require.NoError(t, err, "delta-rs writer %d: %s", p, stderr.String())
		require.Equal(t, "ready\n", line)
		starts = append(starts, stdin)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				errs <- fmt.Errorf("delta-rs writer %d: %w: %s", p, err, stderr.String())
			}
		}()
	}
	for w := range goWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := open(t)
			defer h.Close()
			<-start
			for c := range commits {
				rr, err := eventsReaderErr(mem, 1000+(w*commits+c)*rows, rows)
				if err != nil {
					errs <- err
					return
				}
				_, err = h.Append(ctx, rr, &TxnOptions{UserMetadata: fmt.Sprintf("go%d-c%d", w, c)})
				rr.Release()
				if err != nil {
					errs <- err
				}
				// A delta-rs commit from Python takes tens of
				// milliseconds; pacing ours keeps the engines interleaved.
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	for _, w := range starts {
		_, err := io.WriteString(w, "go\n")
		require.NoError(t, err)
		require.NoError(t, w.Close())
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	total := (goWriters + pyWriters) * commits
	assertGapless(t, tbl, int64(total))
	var markers []string
	engines := map[string]int{}
	// The isolation level each engine records for the same blind append:
	// ours is the level its conflict check ran at (WriteSerializable).
	levels := map[string]int{}
	for v := int64(1); v <= int64(total); v++ {
		info := commitInfoOf(t, tbl, v)
		m, _ := info["userMetadata"].(string)
		markers = append(markers, m)
		engine := "lakehouse"
		if cv, _ := info["clientVersion"].(string); strings.HasPrefix(cv, "delta-rs") {
			engine = "delta-rs"
		}
		engines[engine]++
		levels[engine+" "+fmt.Sprint(info["isolationLevel"])]++
	}
	var want []string
	for w := range goWriters {
		for c := range commits {
			want = append(want, fmt.Sprintf("go%d-c%d", w, c))
		}
	}
	for p := range pyWriters {
		for c := range commits {
			want = append(want, fmt.Sprintf("py%d-c%d", p, c))
		}
	}
	// The order shows whether the engines interleaved.
	t.Logf("commits in version order: %v", markers)
	sort.Strings(want)
	sort.Strings(markers)
	assert.Equal(t, want, markers, "each commit's marker exactly once")
	assert.Equal(t, map[string]int{"lakehouse": goWriters * commits, "delta-rs": pyWriters * commits}, engines)
	assert.Equal(t, expectedRows(t, [3]int{1000, total * rows, 1}), readRows(t, tbl))
	t.Logf("isolationLevel by engine: %v", levels)
	// delta-rs 1.6.6 records no isolationLevel for an append; OSS Spark
	// writes "Serializable" on WRITE and DELETE, Databricks
	// "WriteSerializable" (the corpus's commitInfo lines).
	assert.Equal(t, map[string]int{"lakehouse WriteSerializable": goWriters * commits, "delta-rs <nil>": pyWriters * commits}, levels)
}
