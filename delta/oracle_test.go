package delta_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/interop"
)

// deltaRSReviewed lists where delta-rs cannot be the oracle, with the
// reason checked by hand: a key is "source/table" (every version) or
// "source/table@vN". Only tables delta-rs reads wrongly or cannot read
// belong here; a disagreement where our reader is wrong is a bug to fix.
// An entry that delta-rs reads as we do again is reported as stale.
var deltaRSReviewed = map[string]string{
	// delta-rs 1.6.6 refuses the typeWidening-preview reader feature
	// ("Unsupported table features required: [TypeWideningPreview]").
	"delta-golden/type-widening-nested@v1": "delta-rs refuses typeWidening-preview; Spark 4.1.4 with delta-spark 4.4.0 reads the same row as we do",
	"delta-golden/type-widening-nested@v2": "delta-rs refuses typeWidening-preview; Spark 4.1.4 with delta-spark 4.4.0 reads the same two rows as we do",
	"delta-kernel-rs/type-widening@v1":     "delta-rs refuses typeWidening-preview; Spark 4.1.4 with delta-spark 4.4.0 reads the same row as we do",
	"delta-kernel-rs/type-widening@v2": "delta-rs refuses typeWidening-preview, and delta-spark 4.4.0 refuses the byte-to-decimal change; " +
		"our two rows are the ones delta-kernel-rs's own test expects (MANIFEST.md)",
	// BIG_DATE is an INT96 timestamp in year 9999: delta-rs converts it to
	// nanoseconds, which overflow past 2262 (9999-12-30 comes back as
	// 1816-03-28T05:56:08.066278). The add stats, pyarrow with
	// coerce_int96_timestamp_unit="us", and Spark all read 9999-12-30/31.
	"delta-rs/table_with_edge_timestamps@v0": "delta-rs overflows INT96 timestamps past 2262; Spark and the stats read 9999-12-30 and 9999-12-31 as we do",
}

// oracleTimeout bounds the whole delta-rs run (about 13 s on two cores).
const oracleTimeout = 10 * time.Minute

// oracleJob is one table version for delta-rs to read.
type oracleJob struct {
	key     string // versionKey
	ID      string `json:"id"`
	Path    string `json:"path"`
	Version int64  `json:"version"`
}

// versionKey names one table version, as in deltaRSReviewed.
func versionKey(table string, v int64) string { return fmt.Sprintf("%s@v%d", table, v) }

// deltaRS is the one delta-rs process reading every planned table version
// (interop/peers/corpus_oracle.py). Results are files in dir; the process
// announces each finished job on stdout, so versions are compared while
// later ones are still being read.
type deltaRS struct {
	unavailable string            // outside CI: why there is no oracle and how to get one
	versions    string            // package versions the process reported
	jobs        int               // table versions asked for
	started     time.Time         // when the process started
	elapsed     time.Duration     // its wall time, once exited
	dir         string            // where the process writes <id>.jsonl or <id>.error
	ids         map[string]string // versionKey → job id
	seen        map[string]bool   // reviewed keys a compared version fell under
	used        map[string]bool   // reviewed keys that still disagree or fail

	mu      sync.Mutex
	cond    *sync.Cond
	done    map[string]bool
	exited  bool
	exitErr error
	stderr  lockedBuffer
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startDeltaRS starts delta-rs on jobs, which it reads in the order given
// (the order the subtests ask for them). Without the interop venv it fails
// under CI=true and otherwise returns an oracle that is unavailable, with
// the reason.
func startDeltaRS(t *testing.T, jobs []oracleJob) *deltaRS {
	t.Helper()
	o := &deltaRS{ids: map[string]string{}, seen: map[string]bool{}, used: map[string]bool{}, done: map[string]bool{}}
	o.cond = sync.NewCond(&o.mu)
	root := moduleRoot(t)
	python := os.Getenv("INTEROP_PYTHON")
	if python == "" {
		python = filepath.Join(root, ".cache", "venv-interop", "bin", "python")
	}
	if _, err := os.Stat(python); err != nil {
		o.setUnavailable(t, fmt.Sprintf("no Python at %s", python))
		return o
	}
	for _, j := range jobs {
		o.ids[j.key] = j.ID
	}
	o.jobs = len(jobs)
	o.dir = t.TempDir()
	raw, err := json.Marshal(jobs)
	require.NoError(t, err)
	jobsPath := filepath.Join(o.dir, "jobs.json")
	require.NoError(t, os.WriteFile(jobsPath, raw, 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), oracleTimeout)
	cmd := exec.CommandContext(ctx, python, filepath.Join(root, "interop", "peers", "corpus_oracle.py"), jobsPath, o.dir)
	cmd.Stderr = &o.stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	o.started = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", python, err)
	}
	// One goroutine reads stdout to the end and then waits for the
	// process; the cleanup kills it if a failure ends the test early.
	finished := make(chan struct{})
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	first := make(chan []byte, 1)
	go func() {
		defer close(finished)
		lines := bufio.NewScanner(stdout)
		if lines.Scan() {
			first <- slices.Clone(lines.Bytes())
			for lines.Scan() {
				o.mu.Lock()
				o.done[lines.Text()] = true
				o.cond.Broadcast()
				o.mu.Unlock()
			}
		} else {
			first <- nil
		}
		err := cmd.Wait()
		o.mu.Lock()
		o.exited, o.exitErr, o.elapsed = true, err, time.Since(o.started)
		o.cond.Broadcast()
		o.mu.Unlock()
	}()
	line := <-first
	if line == nil {
		err := o.wait()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 3 {
			o.setUnavailable(t, strings.TrimSpace(o.stderr.String()))
			return o
		}
		t.Fatalf("delta-rs oracle did not start: %v", err)
	}
	var versions map[string]string
	require.NoError(t, json.Unmarshal(line, &versions), "delta-rs oracle's first line")
	o.versions = interop.VersionText(versions)
	return o
}

func (o *deltaRS) setUnavailable(t *testing.T, why string) {
	t.Helper()
	msg := fmt.Sprintf("delta-rs oracle unavailable (%s); install it with: bash .ci/setup.d/interop.sh", why)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Log(msg)
	o.unavailable = msg
}

// result waits for delta-rs's reading of one table version: its rows,
// normalised and sorted, or the reason it could not read it.
func (o *deltaRS) result(key string) (rows []string, readErr string, err error) {
	id, ok := o.ids[key]
	if !ok {
		return nil, "", fmt.Errorf("no delta-rs job was planned for %s", key)
	}
	o.mu.Lock()
	for !o.done[id] && !o.exited {
		o.cond.Wait()
	}
	done, exitErr := o.done[id], o.exitErr
	o.mu.Unlock()
	if !done {
		return nil, "", fmt.Errorf("delta-rs exited (%v) before reading %s:\n%s", exitErr, key, o.stderr.String())
	}
	base := filepath.Join(o.dir, id)
	if b, err := os.ReadFile(base + ".error"); err == nil {
		return nil, strings.TrimSpace(string(b)), nil
	}
	b, err := os.ReadFile(base + ".jsonl")
	if err != nil {
		return nil, "", err
	}
	// The lines are canon.rows output; sorting their keys is all it takes
	// to match our rendering byte for byte.
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" {
			continue
		}
		r, err := sortKeysErr([]byte(line))
		if err != nil {
			return nil, "", fmt.Errorf("delta-rs row of %s: %w", key, err)
		}
		rows = append(rows, r)
	}
	slices.Sort(rows)
	return rows, "", nil
}

// mustFail checks that delta-rs could not read a table version either.
func (o *deltaRS) mustFail(t *testing.T, key string) {
	t.Helper()
	if o.unavailable != "" {
		return
	}
	rows, readErr, err := o.result(key)
	require.NoError(t, err)
	require.NotEmpty(t, readErr, "delta-rs read %d rows", len(rows))
}

// wait waits for the process to exit and reports how it ended.
func (o *deltaRS) wait() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	for !o.exited {
		o.cond.Wait()
	}
	if o.exitErr != nil {
		return fmt.Errorf("delta-rs oracle: %w\n%s", o.exitErr, o.stderr.String())
	}
	return nil
}

// reviewed returns the deltaRSReviewed entry covering a table version.
func reviewed(table string, v int64) (key, reason string, ok bool) {
	if reason, ok := deltaRSReviewed[versionKey(table, v)]; ok {
		return versionKey(table, v), reason, true
	}
	reason, ok = deltaRSReviewed[table]
	return table, reason, ok
}

// compare checks the rows our reader scanned at one version (scanAll's
// rendering; nil when the version cannot be reconstructed, then delta-rs
// must fail too) against delta-rs, counting the outcome in tally.
func (o *deltaRS) compare(t *testing.T, table string, v int64, ours []string, readable bool, tally *sourceTally) {
	t.Helper()
	key := versionKey(table, v)
	revKey, reason, isReviewed := reviewed(table, v)
	if o.unavailable != "" {
		if readable {
			tally.unchecked++
		} else {
			tally.unreadable++
		}
		t.Skip("no delta-rs oracle: see the parent test")
	}
	want, readErr, err := o.result(key)
	require.NoError(t, err)
	var diff string
	switch {
	case !readable && readErr != "":
		tally.unreadable++ // both agree the log no longer reaches this version
		return
	case !readable:
		diff = fmt.Sprintf("our reader cannot reconstruct %s but delta-rs reads %d rows", key, len(want))
	case readErr != "":
		diff = "delta-rs cannot read " + key + ": " + readErr
	default:
		if d := interop.CompareRows(want, ours); d != nil {
			diff = fmt.Sprintf("%s differs from delta-rs (expected = delta-rs): %s", key, d)
		}
	}
	if isReviewed {
		o.seen[revKey] = true
		if diff != "" {
			o.used[revKey] = true
		}
		tally.reviewed++
		t.Logf("%s: not compared with delta-rs (reviewed: %s)", key, reason)
		return
	}
	if readErr != "" || !readable {
		tally.neither++
	} else {
		tally.deltaRS++
	}
	if diff != "" {
		t.Errorf("%s; if delta-rs is the one wrong, show why and list it in deltaRSReviewed", diff)
	}
}

// checkReviewed fails on reviewed entries that name no table version
// delta-rs was asked to read, or that delta-rs now reads exactly as we do
// (judged only for versions this run compared, so -run filters work).
func (o *deltaRS) checkReviewed(t *testing.T, tables []corpusTable) {
	t.Helper()
	if o.unavailable != "" {
		return
	}
	names := map[string]bool{}
	for _, ct := range tables {
		names[ct.name] = true
	}
	for key := range deltaRSReviewed {
		table, _, perVersion := strings.Cut(key, "@")
		_, planned := o.ids[key]
		switch {
		case !names[table]:
			t.Errorf("deltaRSReviewed[%q]: no such corpus table", key)
		case perVersion && !planned:
			t.Errorf("deltaRSReviewed[%q]: no such version, or one with expected data", key)
		case o.seen[key] && !o.used[key]:
			t.Errorf("deltaRSReviewed[%q] is stale: delta-rs now reads it as we do", key)
		}
	}
}

// sourceTally counts, for one corpus source, how each table version was
// checked.
type sourceTally struct {
	expected   int // rows compared with shipped expected data
	deltaRS    int // rows compared with delta-rs
	reviewed   int // neither, for a reason in deltaRSReviewed
	neither    int // neither, and not reviewed: must stay zero
	unchecked  int // delta-rs unavailable (outside CI only)
	unreadable int // the log no longer reaches the version, for both readers
	absent     int // versions whose data files the corpus never held
	notScanned int // tables checked without a scan: negative, malformed, log-only
}

type corpusTally map[string]*sourceTally

func (c corpusTally) source(table string) *sourceTally {
	src, _, _ := strings.Cut(table, "/")
	if c[src] == nil {
		c[src] = &sourceTally{}
	}
	return c[src]
}

// summary renders one line per source, for the test log and CI.
func (c corpusTally) summary(o *deltaRS) string {
	srcs := make([]string, 0, len(c))
	for s := range c {
		srcs = append(srcs, s)
	}
	sort.Strings(srcs)
	var b strings.Builder
	oracle := fmt.Sprintf("delta-rs oracle: %s, %d table versions read in %.1fs", o.versions, o.jobs, o.elapsed.Seconds())
	if o.unavailable != "" {
		oracle = o.unavailable
	}
	fmt.Fprintf(&b, "conformance corpus: how each table version was checked (%s)\n", oracle)
	for _, s := range srcs {
		n := c[s]
		fmt.Fprintf(&b, "  %-18s expected data %3d, delta-rs %3d, neither %d (%d reviewed)", s, n.expected, n.deltaRS, n.neither+n.reviewed, n.reviewed)
		if n.unchecked > 0 {
			fmt.Fprintf(&b, ", unchecked %d", n.unchecked)
		}
		fmt.Fprintf(&b, "; not reached by the log %d; data absent by design %d; tables not scanned by design %d\n", n.unreadable, n.absent, n.notScanned)
	}
	return b.String()
}

// publishSummary logs the summary and, when LAKEHOUSE_CORPUS_SUMMARY names
// a file, appends it there: `go test` shows a passing package's log only
// with -v, so scripts/test.sh prints that file for CI.
func publishSummary(t *testing.T, text string) {
	t.Helper()
	t.Log("\n" + text)
	path := os.Getenv("LAKEHOUSE_CORPUS_SUMMARY")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, err = f.WriteString(text)
	require.NoError(t, errors.Join(err, f.Close()))
}

// moduleRoot is the directory holding go.mod, above the working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	require.NoError(t, err)
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}

// scanAll renders every row of a snapshot like scanRows, except that
// variant values render as the struct of their metadata and value bytes:
// delta-rs hands variants back without their annotation, and comparing the
// bytes is stricter than comparing their JSON anyway. Scan errors are
// returned, not asserted.
func scanAll(t *testing.T, snap *delta.Snapshot) ([]string, error) {
	t.Helper()
	rr, err := snap.Scan(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rec := plainVariants(rr.RecordBatch())
		rows = append(rows, renderBatch(t, rec)...)
		rec.Release()
	}
	if err := rr.Err(); err != nil {
		return nil, err
	}
	slices.Sort(rows)
	return rows, nil
}

// plainVariants returns rec with the field metadata that marks variant
// columns removed, at every nesting level; the data is shared.
func plainVariants(rec arrow.RecordBatch) arrow.RecordBatch {
	fields := make([]arrow.Field, rec.NumCols())
	cols := make([]arrow.Array, rec.NumCols())
	for i, f := range rec.Schema().Fields() {
		fields[i] = unmarkField(f)
		data := retype(rec.Column(i).Data(), fields[i].Type)
		cols[i] = array.MakeFromData(data)
		data.Release()
	}
	out := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}

func unmarkField(f arrow.Field) arrow.Field {
	f.Metadata = arrow.Metadata{}
	f.Type = unmarkType(f.Type)
	return f
}

func unmarkType(dt arrow.DataType) arrow.DataType {
	switch t := dt.(type) {
	case *arrow.StructType:
		fs := make([]arrow.Field, t.NumFields())
		for i, f := range t.Fields() {
			fs[i] = unmarkField(f)
		}
		return arrow.StructOf(fs...)
	case *arrow.MapType:
		m := arrow.MapOf(unmarkType(t.KeyType()), unmarkType(t.ItemType()))
		m.KeysSorted = t.KeysSorted
		return m
	case *arrow.ListType:
		return arrow.ListOfField(unmarkField(t.ElemField()))
	case *arrow.LargeListType:
		return arrow.LargeListOfField(unmarkField(t.ElemField()))
	case *arrow.FixedSizeListType:
		return arrow.FixedSizeListOfField(t.Len(), unmarkField(t.ElemField()))
	}
	return dt
}

// retype gives data the (structurally identical) type dt, recursively.
func retype(data arrow.ArrayData, dt arrow.DataType) arrow.ArrayData {
	nested, _ := dt.(arrow.NestedType)
	children := make([]arrow.ArrayData, len(data.Children()))
	for i, c := range data.Children() {
		ct := c.DataType()
		if nested != nil {
			ct = nested.Fields()[i].Type
		}
		children[i] = retype(c, ct)
	}
	out := array.NewData(dt, data.Len(), data.Buffers(), children, data.NullN(), data.Offset())
	for _, c := range children {
		c.Release()
	}
	return out
}
