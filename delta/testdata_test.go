package delta_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/corpustest"
	"github.com/lakehouse-go/lakehouse/internal/jsonrows"
)

// testdataDir locates the shared conformance corpus: $LAKEHOUSE_TESTDATA,
// else ../shared/testdata beside the repository. Tests that need it skip
// with a message when it is absent.
func testdataDir(t testing.TB) string {
	t.Helper()
	return corpustest.Dir(t)
}

// canonicalRows renders every row of a reader as canonical JSON with
// sorted keys, sorted, so two sources compare as multisets.
func canonicalRows(t testing.TB, rr array.RecordReader) []string {
	t.Helper()
	var rows []string
	for rr.Next() {
		rows = append(rows, renderBatch(t, rr.RecordBatch())...)
	}
	require.NoError(t, rr.Err())
	slices.Sort(rows)
	return rows
}

func renderBatch(t testing.TB, rec arrow.RecordBatch) []string {
	t.Helper()
	out := make([]string, 0, rec.NumRows())
	for i := 0; i < int(rec.NumRows()); i++ {
		b, err := jsonrows.AppendRow(nil, rec, i)
		require.NoError(t, err)
		out = append(out, sortKeys(t, b))
	}
	return out
}

// sortKeys re-encodes a JSON object with its keys sorted (recursively),
// keeping numbers exactly as written.
func sortKeys(t testing.TB, b []byte) string {
	t.Helper()
	s, err := sortKeysErr(b)
	require.NoError(t, err)
	return s
}

func sortKeysErr(b []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}

// readExpectedParquet reads every parquet file in dir (Spark-written
// expected results), casting columns to the types of the same-named
// columns in want so that physical encodings (INT96, nanosecond
// timestamps) render like Delta types.
func readExpectedParquet(t testing.TB, dir string, want *arrow.Schema) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	require.NoError(t, err)
	var rows []string
	for _, p := range files {
		f, err := os.Open(p)
		require.NoError(t, err)
		pf, err := file.NewParquetReader(f)
		require.NoError(t, err)
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, memory.DefaultAllocator)
		require.NoError(t, err)
		rr, err := fr.GetRecordReader(context.Background(), nil, nil)
		require.NoError(t, err)
		for rr.Next() {
			rec := conformTo(t, rr.RecordBatch(), want)
			rows = append(rows, renderBatch(t, rec)...)
			rec.Release()
		}
		require.NoError(t, rr.Err())
		rr.Release()
		require.NoError(t, pf.Close())
	}
	slices.Sort(rows)
	return rows
}

// conformTo casts rec's columns to the types of want's same-named fields
// (case-insensitive), keeping want's field metadata; unknown columns keep
// their type.
func conformTo(t testing.TB, rec arrow.RecordBatch, want *arrow.Schema) arrow.RecordBatch {
	t.Helper()
	fields := make([]arrow.Field, rec.NumCols())
	cols := make([]arrow.Array, rec.NumCols())
	for i, f := range rec.Schema().Fields() {
		col := rec.Column(i)
		target := f
		for _, wf := range want.Fields() {
			if strings.EqualFold(wf.Name, f.Name) {
				target = wf
				target.Name = f.Name
			}
		}
		if !arrow.TypeEqual(col.DataType(), target.Type) {
			casted, err := compute.CastArray(context.Background(), col, compute.UnsafeCastOptions(target.Type))
			require.NoError(t, err, "cast expected column %s from %s to %s", f.Name, col.DataType(), target.Type)
			cols[i] = casted
		} else {
			col.Retain()
			cols[i] = col
		}
		target.Nullable = true
		fields[i] = target
	}
	out := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	for _, c := range cols {
		c.Release()
	}
	return out
}
