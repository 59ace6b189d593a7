package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSummarize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		samples []sample
		want    summary
	}{
		{"none", nil, summary{}},
		{"one", []sample{{Ms: 5, PeakRSS: 10}}, summary{Median: 5, Min: 5, Max: 5, PeakRSS: 10}},
		{"odd count, unsorted", []sample{{Ms: 9, PeakRSS: 1}, {Ms: 1, PeakRSS: 30}, {Ms: 4, PeakRSS: 2}},
			summary{Median: 4, Min: 1, Max: 9, PeakRSS: 30}},
		{"even count takes the lower middle", []sample{{Ms: 8}, {Ms: 2}, {Ms: 6}, {Ms: 4}},
			summary{Median: 4, Min: 2, Max: 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, summarize(tc.samples))
		})
	}
}

func TestRatio(t *testing.T) {
	for _, tc := range []struct {
		name      string
		lh, other summary
		want      float64
	}{
		{"lakehouse slower", summary{Median: 300}, summary{Median: 100}, 3},
		{"lakehouse faster", summary{Median: 50}, summary{Median: 200}, 0.25},
		{"other missing", summary{Median: 50}, summary{}, 0},
		{"lakehouse missing", summary{}, summary{Median: 50}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.want, ratio(tc.lh, tc.other), 1e-12)
		})
	}
}

func TestReplaceSection(t *testing.T) {
	const sec = beginMarker + "\nnew\n" + endMarker + "\n"
	for _, tc := range []struct {
		name, doc, want string
		err             error
	}{
		{"empty file", "", sec, nil},
		{"no section: appended after a blank line", "# Benchmarks\n\nold text\n", "# Benchmarks\n\nold text\n\n" + sec, nil},
		{"no trailing newline", "# B", "# B\n\n" + sec, nil},
		{"section in the middle is replaced, the rest kept",
			"# B\n\n" + beginMarker + "\nold\nlines\n" + endMarker + "\n\n## Other\ntext\n",
			"# B\n\n" + sec + "\n## Other\ntext\n", nil},
		{"section at the end", "# B\n" + beginMarker + "\nold\n" + endMarker, "# B\n" + sec, nil},
		{"begin without end", "# B\n" + beginMarker + "\nold\n", "", errMarkers},
		{"end before begin", endMarker + "\n" + beginMarker + "\n", "", errMarkers},
		{"two sections", sec + sec, "", errMarkers},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := replaceSection(tc.doc, sec)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestRenderSection(t *testing.T) {
	info := runInfo{Date: "2026-12-04 23:00 UTC", Command: "go run ./bench -runs 3", Machine: "linux/amd64, 2 cores",
		LoadBefore: "0.10 0.20 0.30", LoadAfter: "1.00 0.50 0.40", Runs: 3, Elapsed: "12m3s"}
	res := []workloadResult{{
		Title: "full scan of 10 rows",
		Engines: []engineResult{
			{Engine: engLakehouse, Summary: summary{Median: 300, Min: 250, Max: 412.5, PeakRSS: 100 << 20}},
			{Engine: engFloor, Summary: summary{Median: 150, Min: 140, Max: 160, PeakRSS: 50 << 20}},
			{Engine: engDuckDB, Note: "not run: no duckdb"},
			{Engine: engDeltaRS, Summary: summary{Median: 12.34, Min: 9.876, Max: 15, PeakRSS: 3 << 20}},
		},
		Profile: "      flat  flat%   sum%        cum   cum%\n     10ms 50.00% 50.00%       10ms 50.00%  main.f\n",
	}}
	for _, tc := range []struct {
		name  string
		quick bool
		want  []string
		not   []string
	}{
		{"full run", false, []string{
			beginMarker + "\n## Harness",
			"2026-12-04 23:00 UTC, `go run ./bench -runs 3`, 3 measured runs per engine in rotating order (the whole run: 12m3s)",
			"load average before 0.10 0.20 0.30, after 1.00 0.50 0.40",
			"### full scan of 10 rows\n\n| engine | median | min–max | peak RSS | lakehouse / engine |\n|---|---|---|---|---|\n",
			"| lakehouse | 300 ms | 250–412 ms | 100 MiB | — |\n",
			"| parquet floor | 150 ms | 140–160 ms | 50 MiB | 2.00 |\n",
			"| duckdb | — | — | — | not run: no duckdb |\n",
			"| delta-rs | 12.3 ms | 9.88–15.0 ms | 3 MiB | 24.31 |\n",
			"```\n      flat  flat%   sum%        cum   cum%\n     10ms 50.00% 50.00%       10ms 50.00%  main.f\n```\n</details>\n" + endMarker + "\n",
		}, []string{"-quick"}},
		{"quick run is labelled", true, []string{"**-quick run: small sizes"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info.Quick = tc.quick
			got := renderSection(info, res)
			for _, w := range tc.want {
				assert.Contains(t, got, w)
			}
			for _, w := range tc.not {
				assert.NotContains(t, got, w)
			}
			assert.Equal(t, 1, strings.Count(got, beginMarker))
			assert.True(t, strings.HasSuffix(got, endMarker+"\n"))
		})
	}
}

func TestTopProfile(t *testing.T) {
	out := "File: bench\nBuild ID: abc\nType: cpu\nTime: 2026-12-04\nDuration: 1s, Total samples = 2s\n" +
		"Showing nodes accounting for 2s, 100% of 2s total\n      flat  flat%   sum%        cum   cum%\n" +
		"       1s 50% 50% 1s 50%  a\n     0.5s 25% 75% 1s 50%  b\n     0.5s 25% 100% 1s 50%  c\n"
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{"cut to two rows", 2, "Duration: 1s, Total samples = 2s\nShowing nodes accounting for 2s, 100% of 2s total\n" +
			"      flat  flat%   sum%        cum   cum%\n       1s 50% 50% 1s 50%  a\n     0.5s 25% 75% 1s 50%  b"},
		{"fewer rows than n", 10, "Duration: 1s, Total samples = 2s\nShowing nodes accounting for 2s, 100% of 2s total\n" +
			"      flat  flat%   sum%        cum   cum%\n       1s 50% 50% 1s 50%  a\n     0.5s 25% 75% 1s 50%  b\n     0.5s 25% 100% 1s 50%  c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, topProfile(out, tc.n))
		})
	}
}

func TestThousands(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {10_000_000, "10,000,000"}, {-12345, "-12,345"}} {
		assert.Equal(t, tc.want, thousands(tc.n), "%d", tc.n)
	}
}

func TestAgreedRows(t *testing.T) {
	s := sizes{DMLRows: 1000}
	scan := workload{Name: "scan-full", Kind: kindScan}
	snap := workload{Name: "snapshot", Kind: kindSnapshot, Uncounted: []string{engFloor}}
	del := workload{Name: "dml-delete", Kind: kindDML, DML: "delete"}
	for _, tc := range []struct {
		name    string
		w       workload
		samples map[string][]sample
		want    int64
		err     error
	}{
		{"all agree", scan, map[string][]sample{engLakehouse: {{Rows: 5}, {Rows: 5}}, engDeltaRS: {{Rows: 5}}}, 5, nil},
		{"one run differs", scan, map[string][]sample{engLakehouse: {{Rows: 5}}, engDeltaRS: {{Rows: 5}, {Rows: 6}}}, 0, errDisagree},
		{"uncounted engine ignored", snap, map[string][]sample{engLakehouse: {{Rows: 7}}, engFloor: {{Rows: -1}}, engDeltaRS: {{Rows: 7}}}, 7, nil},
		{"DML matches Expected (1 % of 1,000 rows)", del, map[string][]sample{engLakehouse: {{Rows: 10}}, engDeltaRS: {{Rows: 10}}}, 10, nil},
		{"DML agrees but not with Expected", del, map[string][]sample{engLakehouse: {{Rows: 9}}, engDeltaRS: {{Rows: 9}}}, 0, errDisagree},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := agreedRows(s, tc.w, []string{engLakehouse, engFloor, engDeltaRS}, tc.samples)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}
