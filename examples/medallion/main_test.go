package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/prereq"
)

// arrivalCounts is what the generator put into one arrival, by kind.
type arrivalCounts struct {
	lines                                      int64 // records written, duplicates included
	negative, nullDate, malformed, badType     int64
	duplicatesInFile, resentFromEarlierArrival int64
}

func countArrival(b int) arrivalCounts {
	var c arrivalCounts
	for g := b * filesPerArrival * rowsPerFile; g < (b+1)*filesPerArrival*rowsPerFile; g++ {
		c.lines++
		switch kindOf(g) {
		case negativeRow:
			c.negative++
		case nullDateRow:
			c.nullDate++
		case malformedRow:
			c.malformed++
		case badTypeRow:
			c.badType++
		}
		if duplicatedInFile(g) {
			c.duplicatesInFile++
			c.lines++
		}
		if _, ok := resentFromEarlier(g); ok {
			c.resentFromEarlierArrival++
			c.lines++
		}
	}
	return c
}

// duckdbPython finds the DuckDB venv that .ci/setup.d/duckdb.sh installs.
func duckdbPython(t *testing.T) string {
	t.Helper()
	py, err := filepath.Abs(filepath.Join("..", "..", ".cache", "venv-duckdb", "bin", "python"))
	require.NoError(t, err)
	if _, err := os.Stat(py); err != nil {
		prereq.Missing(t, "DuckDB is not installed at %s: run bash .ci/setup.d/duckdb.sh", py)
	}
	return py
}

// duckdbGold recomputes the gold table from the raw files with DuckDB.
func duckdbGold(t *testing.T, py, raw string) []goldRow {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(py, filepath.Join("testdata", "duckdb_gold.py"), raw)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "duckdb: %s", stderr.String())
	var rows []goldRow
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r struct {
			Date     string  `json:"transaction_date"`
			Category string  `json:"category"`
			N        int64   `json:"transactions"`
			Total    float64 `json:"total_usd"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r))
		rows = append(rows, goldRow{day: r.Date, category: r.Category, n: r.N, total: r.Total})
	}
	return rows
}

// TestMedallionMatchesDuckDB runs the example several times, a new
// arrival of raw files each time, and after each run compares the gold
// table with DuckDB's computation over the same raw files, and each
// expectation's counts with the bad rows the arrival holds.
func TestMedallionMatchesDuckDB(t *testing.T) {
	py := duckdbPython(t)
	ctx := context.Background()
	dir := t.TempDir()
	for b := range 3 {
		var out strings.Builder
		up, err := run(ctx, dir, 1, &out)
		require.NoError(t, err)
		want := countArrival(b)

		bronze := up.Table(bronzeTable)
		require.NotNil(t, bronze)
		assert.Equal(t, want.lines, bronze.InputRows, "bronze reads every line of the new files, and only those")
		assert.Equal(t, want.lines, bronze.OutputRows)

		silver := up.Table(silverTable)
		require.NotNil(t, silver)
		failed := map[string]int64{}
		for _, e := range silver.Expectations {
			failed[e.Name] = e.FailedRecords
		}
		assert.Equal(t, map[string]int64{
			"valid_amount": want.negative,
			"valid_date":   want.nullDate + want.malformed,
			"parsed":       want.malformed + want.badType,
		}, failed, "arrival %d", b)
		assert.Equal(t, want.negative+want.nullDate+want.malformed+want.badType, silver.DroppedRows)
		assert.Equal(t, silver.DroppedRows, silver.Quarantined)
		assert.Equal(t, want.duplicatesInFile+want.resentFromEarlierArrival, silver.Duplicates)

		got, err := readGold(ctx, dir)
		require.NoError(t, err)
		oracle := duckdbGold(t, py, filepath.Join(dir, "raw"))
		require.Len(t, got, len(oracle), "gold rows after arrival %d", b)
		for i := range got {
			assert.Equal(t, oracle[i].day, got[i].day)
			assert.Equal(t, oracle[i].category, got[i].category)
			assert.Equal(t, oracle[i].n, got[i].n, "%s %s", got[i].day, got[i].category)
			assert.InEpsilon(t, oracle[i].total, got[i].total, 1e-9, "%s %s", got[i].day, got[i].category)
		}
		gold := up.Table(goldTable)
		require.NotNil(t, gold)
		assert.Equal(t, b > 0, gold.Incremental, "gold adds silver's new rows to its previous summary after the first update")
		assert.Contains(t, out.String(), "main.gold.daily_summary")
		assert.Contains(t, out.String(), "valid_amount")
	}

	// A run without new files changes nothing.
	before, err := readGold(ctx, dir)
	require.NoError(t, err)
	up, err := run(ctx, dir, 0, &strings.Builder{})
	require.NoError(t, err)
	for _, tu := range up.Tables {
		assert.Equal(t, int64(-1), tu.Version, "%s: nothing new to commit", tu.Name)
	}
	after, err := readGold(ctx, dir)
	require.NoError(t, err)
	assert.Equal(t, before, after)
}
