package parquetio_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/corpustest"
	"github.com/lakehouse-go/lakehouse/internal/dv"
	"github.com/lakehouse-go/lakehouse/internal/parquetio"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// corpusDir returns the shared conformance corpus, skipping when absent
// (and failing in CI, where it must be present).
func corpusDir(t testing.TB) string {
	t.Helper()
	return corpustest.Dir(t)
}

type osReader struct {
	*os.File
	size int64
}

func (r osReader) Size() int64 { return r.size }

// openFile opens a local file as a storage.ReaderAt closed at test end.
func openFile(t testing.TB, path string) storage.ReaderAt {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	st, err := f.Stat()
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return osReader{f, st.Size()}
}

// dirStore is a read-only storage.Store over a directory for dvstore.Load.
type dirStore struct {
	storage.Store
	root string
}

func (s dirStore) Open(_ context.Context, p string) (storage.ReaderAt, error) {
	f, err := os.Open(filepath.Join(s.root, filepath.FromSlash(p)))
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return osReader{f, st.Size()}, nil
}

// liveFile is an add action that survives a naive replay of the JSON log.
type liveFile struct {
	Path       string
	NumRecords int64 // -1 when the add has no stats
	DV         *dv.Descriptor
}

// table is what the tests need from a corpus table: its latest schema and
// live files. Replay here is deliberately simple (JSON commits only) — the
// real log replay lives elsewhere.
type table struct {
	Root       string
	Schema     *arrow.Schema // all columns
	DataSchema *arrow.Schema // without partition columns
	Mode       parquetio.ColumnMappingMode
	Files      []liveFile
}

func loadTable(t testing.TB, root string) (*table, bool) {
	t.Helper()
	commits, err := filepath.Glob(filepath.Join(root, "_delta_log", "*.json"))
	require.NoError(t, err)
	var versions []string
	for _, c := range commits {
		base := strings.TrimSuffix(filepath.Base(c), ".json")
		if _, err := strconv.ParseInt(base, 10, 64); err == nil && len(base) == 20 {
			versions = append(versions, c)
		}
	}
	sort.Strings(versions)
	if len(versions) == 0 || filepath.Base(versions[0]) != fmt.Sprintf("%020d.json", 0) {
		return nil, false // needs a checkpoint to replay
	}
	var md *protocol.Metadata
	live := map[string]liveFile{}
	var order []string
	for _, c := range versions {
		f, err := os.Open(c)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			var a struct {
				MetaData *protocol.Metadata `json:"metaData"`
				Add      *struct {
					Path           string         `json:"path"`
					Stats          string         `json:"stats"`
					DeletionVector *dv.Descriptor `json:"deletionVector"`
				} `json:"add"`
				Remove *struct {
					Path string `json:"path"`
				} `json:"remove"`
			}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &a), c)
			switch {
			case a.MetaData != nil:
				md = a.MetaData
			case a.Add != nil:
				n := int64(-1)
				var st struct {
					NumRecords *int64 `json:"numRecords"`
				}
				if a.Add.Stats != "" && json.Unmarshal([]byte(a.Add.Stats), &st) == nil && st.NumRecords != nil {
					n = *st.NumRecords
				}
				if _, ok := live[a.Add.Path]; !ok {
					order = append(order, a.Add.Path)
				}
				live[a.Add.Path] = liveFile{Path: a.Add.Path, NumRecords: n, DV: a.Add.DeletionVector}
			case a.Remove != nil:
				delete(live, a.Remove.Path)
			}
		}
		require.NoError(t, sc.Err())
		f.Close()
	}
	if md == nil {
		return nil, false
	}
	st, err := protocol.ParseSchema(md.SchemaString)
	if err != nil {
		return nil, false // log-only fixtures with placeholder schemas
	}
	schema, err := protocol.ToArrowSchema(st)
	require.NoError(t, err, root)
	var data []arrow.Field
	for _, f := range schema.Fields() {
		if !slices.Contains(md.PartitionColumns, f.Name) {
			data = append(data, f)
		}
	}
	tb := &table{Root: root, Schema: schema, DataSchema: arrow.NewSchema(data, nil)}
	switch md.Configuration["delta.columnMapping.mode"] {
	case "name":
		tb.Mode = parquetio.ColumnMappingName
	case "id":
		tb.Mode = parquetio.ColumnMappingID
	}
	for _, p := range order {
		if f, ok := live[p]; ok {
			tb.Files = append(tb.Files, f)
		}
	}
	return tb, true
}

// localPath turns an add path into a file path under the table root, or ""
// for absolute URIs.
func (tb *table) localPath(p string) string {
	if strings.Contains(p, "://") || strings.HasPrefix(p, "file:") {
		return ""
	}
	u, err := url.PathUnescape(p)
	if err != nil {
		return ""
	}
	return filepath.Join(tb.Root, filepath.FromSlash(u))
}

// readAll reads a file with opts and returns its rows as strings.
func readAll(t testing.TB, path string, opts *parquetio.ReadOptions) []string {
	t.Helper()
	rr, err := parquetio.NewRecordReader(context.Background(), openFile(t, path), opts)
	require.NoError(t, err, path)
	defer rr.Release()
	var rows []string
	for rr.Next() {
		rec := rr.RecordBatch()
		require.True(t, rec.Schema().Equal(opts.Schema), "batch schema %s", rec.Schema())
		rows = append(rows, rowStrings(rec)...)
	}
	require.NoError(t, rr.Err(), path)
	return rows
}

func rowStrings(rec arrow.RecordBatch) []string {
	out := make([]string, rec.NumRows())
	for i := range out {
		var sb strings.Builder
		for c := 0; c < int(rec.NumCols()); c++ {
			if c > 0 {
				sb.WriteString(" | ")
			}
			sb.WriteString(rec.Column(c).ValueStr(i))
		}
		out[i] = sb.String()
	}
	return out
}

func checkedMem(t testing.TB) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// column returns column name of the first batch-wide concatenation of rr.
func readColumns(t testing.TB, path string, opts *parquetio.ReadOptions) map[string][]any {
	t.Helper()
	rr, err := parquetio.NewRecordReader(context.Background(), openFile(t, path), opts)
	require.NoError(t, err, path)
	defer rr.Release()
	cols := map[string][]any{}
	for rr.Next() {
		rec := rr.RecordBatch()
		for i, f := range rec.Schema().Fields() {
			for r := 0; r < int(rec.NumRows()); r++ {
				cols[f.Name] = append(cols[f.Name], goValue(rec.Column(i), r))
			}
		}
	}
	require.NoError(t, rr.Err())
	return cols
}

// goValue is a comparable Go form of one value (nil for null).
func goValue(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Int8:
		return a.Value(i)
	case *array.Int16:
		return a.Value(i)
	case *array.Int32:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Binary:
		return string(a.Value(i))
	case *array.Date32:
		return a.Value(i).FormattedString()
	case *array.Timestamp:
		return a.Value(i).ToTime(arrow.Microsecond).UTC().Format("2006-01-02T15:04:05.999999Z")
	default:
		return arr.ValueStr(i)
	}
}

// logicalNames drops column-mapping metadata so files written with logical
// names (expected results) match by name.
func logicalNames(s *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil)
}
