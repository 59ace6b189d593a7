package delta_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/delta"
)

// changeFact is one table_changes expectation transcribed in the corpus's
// EXPECTED_FACTS.md.
type changeFact struct {
	table      string
	start      int64
	end        int64 // -1: latest
	columns    []string
	rows       [][]string
	startTime  time.Time // non-zero: the start is a timestamp
	headerLine string
}

var (
	factHeader     = regexp.MustCompile(`^table_changes start_version=(\d+) end_version=(\d+|latest)`)
	factTimeHeader = regexp.MustCompile(`^CDF with starting_timestamp=(\S+) \(UTC\), end=latest`)
)

func readChangeFacts(t *testing.T) []changeFact {
	f, err := os.Open(filepath.Join(testdataDir(t), "EXPECTED_FACTS.md"))
	require.NoError(t, err)
	defer f.Close()
	var facts []changeFact
	var cur *changeFact
	inTable := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			facts = append(facts, changeFact{table: strings.TrimPrefix(line, "## "), end: -1})
			cur = &facts[len(facts)-1]
		case cur != nil && factHeader.MatchString(line):
			m := factHeader.FindStringSubmatch(line)
			cur.start, _ = strconv.ParseInt(m[1], 10, 64)
			if m[2] != "latest" {
				cur.end, _ = strconv.ParseInt(m[2], 10, 64)
			}
			cur.headerLine = line
		case cur != nil && factTimeHeader.MatchString(line):
			ts, err := time.Parse("2006-01-02T15:04:05.999", factTimeHeader.FindStringSubmatch(line)[1])
			require.NoError(t, err, line)
			cur.startTime, cur.headerLine = ts, line
		case cur != nil && line == "```":
			inTable = !inTable
		case cur != nil && inTable && strings.HasPrefix(line, "|"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			if cur.columns == nil {
				cur.columns = cells
			} else {
				cur.rows = append(cur.rows, cells)
			}
		}
	}
	require.NoError(t, sc.Err())
	return facts
}

// cellOf renders a canonical JSON value as the corpus tables print it.
func cellOf(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	// Structs print as {field: value, …} in the transcribed tables.
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil && obj != nil {
		var keys []string
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		_, _ = dec.Token()
		for dec.More() {
			k, _ := dec.Token()
			var v json.RawMessage
			_ = dec.Decode(&v)
			keys = append(keys, fmt.Sprintf("%v: %s", k, cellOf(v)))
		}
		return "{" + strings.Join(keys, ", ") + "}"
	}
	if string(raw) == "null" {
		return ""
	}
	return string(raw)
}

func sameCell(want, got string) bool {
	if want == got {
		return true
	}
	a, errA := strconv.ParseFloat(want, 64)
	b, errB := strconv.ParseFloat(got, 64)
	if errA == nil && errB == nil {
		return a == b
	}
	// Timestamps are transcribed as UTC without a zone, to milliseconds.
	wt, errA := time.Parse("2006-01-02T15:04:05.999", want)
	gt, errB := time.Parse(time.RFC3339Nano, got)
	return errA == nil && errB == nil && wt.Equal(gt)
}

// TestChangeDataFeedCorpus compares Changes with every change-feed
// expectation of the corpus (kernel-rs and delta-rs test tables: CDC
// files, deletion vectors, column mapping, dataChange=false rewrites).
// Nothing is skipped: a missing corpus skips locally and fails under
// CI=true (corpustest.Dir).
func TestChangeDataFeedCorpus(t *testing.T) {
	for _, fact := range readChangeFacts(t) {
		t.Run(fact.table+"/"+fact.headerLine, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			tbl, err := delta.Open(ctx, filepath.Join(testdataDir(t), fact.table, "delta"), &delta.Options{Allocator: mem})
			require.NoError(t, err)
			defer tbl.Close()
			opts := &delta.ChangesOptions{StartTimestamp: fact.startTime}
			if fact.end >= 0 {
				opts.EndVersion = &fact.end
			}
			rr, err := tbl.Changes(ctx, fact.start, opts)
			require.NoError(t, err)
			defer rr.Release()
			var got [][]string
			for _, row := range renderAll(t, rr) {
				var m map[string]json.RawMessage
				require.NoError(t, json.Unmarshal([]byte(row), &m))
				cells := make([]string, len(fact.columns))
				for i, c := range fact.columns {
					cells[i] = cellOf(m[c])
				}
				got = append(got, cells)
			}
			require.Len(t, got, len(fact.rows), "rows: %v", got)
			used := make([]bool, len(got))
		next:
			for _, w := range fact.rows {
				for i, g := range got {
					if used[i] {
						continue
					}
					match := true
					for k := range w {
						if !sameCell(w[k], g[k]) {
							match = false
							break
						}
					}
					if match {
						used[i] = true
						continue next
					}
				}
				t.Errorf("expected change row %v not found in %v", w, got)
			}
		})
	}
}

// TestChangesParallelEqualsSequential: decoding several files at once
// returns exactly the rows, in the same order, that one file at a time
// does, on every change-feed table of the corpus (CDC files, deletion
// vectors, column mapping).
func TestChangesParallelEqualsSequential(t *testing.T) {
	seen := map[string]bool{}
	for _, fact := range readChangeFacts(t) {
		if seen[fact.table] {
			continue
		}
		seen[fact.table] = true
		t.Run(fact.table, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			ctx := context.Background()
			tbl, err := delta.Open(ctx, filepath.Join(testdataDir(t), fact.table, "delta"), &delta.Options{Allocator: mem})
			require.NoError(t, err)
			defer tbl.Close()
			read := func(n int) []string {
				rr, err := tbl.Changes(ctx, fact.start, &delta.ChangesOptions{Parallelism: n})
				require.NoError(t, err)
				defer rr.Release()
				return renderAll(t, rr)
			}
			want := read(1)
			require.NotEmpty(t, want)
			for _, n := range []int{2, 4} {
				assert.Equal(t, want, read(n), "parallelism %d", n)
			}
			_, err = tbl.Changes(ctx, fact.start, &delta.ChangesOptions{Parallelism: -1})
			require.ErrorIs(t, err, delta.ErrInvalidArgument)
		})
	}
}

func renderAll(t *testing.T, rr array.RecordReader) []string {
	t.Helper()
	var out []string
	for rr.Next() {
		out = append(out, renderBatch(t, rr.RecordBatch())...)
	}
	require.NoError(t, rr.Err())
	return out
}

func TestChangeDataFeedRangeErrors(t *testing.T) {
	ctx := context.Background()
	tbl, err := delta.Open(ctx, filepath.Join(testdataDir(t), "delta-kernel-rs", "cdf-table-simple", "delta"), nil)
	require.NoError(t, err)
	defer tbl.Close()
	zero := int64(0)
	_, err = tbl.Changes(ctx, 1, &delta.ChangesOptions{EndVersion: &zero})
	assert.ErrorIs(t, err, delta.ErrVersionNotFound, "start after end")
	four := int64(4)
	_, err = tbl.Changes(ctx, 3, &delta.ChangesOptions{EndVersion: &four})
	assert.ErrorIs(t, err, delta.ErrVersionNotFound, "beyond the last version")

	notCDF, err := delta.Open(ctx, filepath.Join(testdataDir(t), "dat", "basic_append", "delta"), nil)
	require.NoError(t, err)
	defer notCDF.Close()
	_, err = notCDF.Changes(ctx, 0, nil)
	assert.ErrorIs(t, err, delta.ErrChangeFeedDisabled)
}

// TestChangesByTimestamp resolves time bounds over the in-commit
// timestamps of cdc_ict_table (v2 at 16:36:52.175, v3 at 16:36:53.881,
// 2026-07-12 UTC), never over its commit-file times (copy times here).
func TestChangesByTimestamp(t *testing.T) {
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	tbl, err := delta.Open(ctx, filepath.Join(testdataDir(t), "delta-rs", "cdc_ict_table", "delta"), &delta.Options{Allocator: mem})
	require.NoError(t, err)
	defer tbl.Close()
	v2 := time.Date(2026, 7, 12, 16, 36, 52, 175e6, time.UTC)
	v3 := time.Date(2026, 7, 12, 16, 36, 53, 881e6, time.UTC)
	five := int64(5)

	tests := []struct {
		name     string
		start    int64
		opts     delta.ChangesOptions
		versions map[int64]int // rows per _commit_version
		err      error
	}{
		{"one version by its own time", 0, delta.ChangesOptions{StartTimestamp: v2, EndTimestamp: v2}, map[int64]int{2: 2}, nil},
		{"start just after v2", 0, delta.ChangesOptions{StartTimestamp: v2.Add(time.Millisecond)}, map[int64]int{3: 4}, nil},
		{"end just before v3, start by version", 2, delta.ChangesOptions{EndTimestamp: v3.Add(-time.Millisecond)}, map[int64]int{2: 2}, nil},
		{"end in the future is the latest", 2, delta.ChangesOptions{EndTimestamp: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}, map[int64]int{2: 2, 3: 4}, nil},
		{"start after the latest commit", 0, delta.ChangesOptions{StartTimestamp: v3.Add(time.Millisecond)}, nil, delta.ErrVersionNotFound},
		{"end before start", 0, delta.ChangesOptions{StartTimestamp: v3, EndTimestamp: v3.Add(-time.Millisecond)}, nil, delta.ErrVersionNotFound},
		{"start both ways", 2, delta.ChangesOptions{StartTimestamp: v2}, nil, delta.ErrInvalidArgument},
		{"end both ways", 2, delta.ChangesOptions{EndVersion: &five, EndTimestamp: v3}, nil, delta.ErrInvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rr, err := tbl.Changes(ctx, tc.start, &tc.opts)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			defer rr.Release()
			got := map[int64]int{}
			for _, row := range renderAll(t, rr) {
				var m struct {
					Version int64  `json:"_commit_version"`
					TS      string `json:"_commit_timestamp"`
				}
				require.NoError(t, json.Unmarshal([]byte(row), &m))
				got[m.Version]++
				want := map[int64]time.Time{2: v2, 3: v3}[m.Version]
				ts, err := time.Parse(time.RFC3339Nano, m.TS)
				require.NoError(t, err)
				assert.Equal(t, want, ts, "the _commit_timestamp of version %d is its in-commit timestamp", m.Version)
			}
			assert.Equal(t, tc.versions, got)
		})
	}
}
