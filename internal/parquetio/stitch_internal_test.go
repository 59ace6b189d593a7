package parquetio

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stitchSchema has a column of every kind the encoder treats differently:
// plain and dictionary-encoded, nullable and not, nested.
var stitchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
	{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
	{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), Nullable: true},
}, nil)

// stitchBatches returns random batches of stitchSchema holding rows rows
// in all, of random sizes.
func stitchBatches(t testing.TB, mem memory.Allocator, rng *rand.Rand, rows int) []arrow.RecordBatch {
	return jsonBatches(t, mem, rng, stitchSchema, rows, 300, func(id int, null func(string) string) string {
		return fmt.Sprintf(`{"id":%d,"value":%s,"label":%s,"flag":%s,"ts":%s,"amount":%s,"s":%s,"l":%s,"m":%s}`,
			id,
			null(fmt.Sprint(rng.Float64()*1000)),
			null(fmt.Sprintf(`"label-%03d"`, rng.IntN(50))),
			null(fmt.Sprint(rng.IntN(2) == 0)),
			null(fmt.Sprintf(`"2026-01-%02dT10:00:00.%06dZ"`, 1+rng.IntN(28), rng.IntN(1e6))),
			null(fmt.Sprintf(`"%d.%02d"`, rng.IntN(1e6), rng.IntN(100))),
			null(fmt.Sprintf(`{"a":%s,"b":%s}`, null(fmt.Sprint(rng.Int32N(100))), null(fmt.Sprintf(`"x%d"`, rng.IntN(1e9))))),
			null(fmt.Sprintf(`[%d,%d]`, rng.Int64(), rng.IntN(10))),
			null(fmt.Sprintf(`[{"key":"k%d","value":%d}]`, rng.IntN(5), rng.IntN(100))),
		)
	})
}

// jsonBatches returns batches of schema holding rows rows in all, of
// random sizes up to most, row(id, null) giving each row's JSON; null
// turns a value into a null one time in 7.
func jsonBatches(t testing.TB, mem memory.Allocator, rng *rand.Rand, schema *arrow.Schema, rows, most int, row func(id int, null func(string) string) string) []arrow.RecordBatch {
	null := func(s string) string {
		if rng.IntN(7) == 0 {
			return "null"
		}
		return s
	}
	var out []arrow.RecordBatch
	for done := 0; done < rows; {
		n := min(rows-done, 1+rng.IntN(most))
		var sb strings.Builder
		sb.WriteByte('[')
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(row(done+i, null))
		}
		sb.WriteByte(']')
		rec, _, err := array.RecordFromJSON(mem, schema, strings.NewReader(sb.String()))
		require.NoError(t, err)
		out = append(out, rec)
		done += n
	}
	return out
}

// writtenFile is batches written by the parallel writer with cfg, and
// the file's statistics.
func writtenFile(t testing.TB, cfg *writeConfig, batches []arrow.RecordBatch) ([]byte, FileStats) {
	var got bytes.Buffer
	fw := newFileWriter(&got, cfg, newGroupEncoder(cfg))
	for _, b := range batches {
		require.NoError(t, fw.write(b))
	}
	st, size, err := fw.close()
	require.NoError(t, err)
	require.Equal(t, int64(got.Len()), size)
	return got.Bytes(), st
}

// serialFile writes batches with pqarrow alone, one row group at a time,
// as the writer did before row groups were encoded in parallel.
func serialFile(t testing.TB, cfg *writeConfig, batches []arrow.RecordBatch) []byte {
	var buf bytes.Buffer
	fw, err := pqarrow.NewFileWriter(cfg.physical, &buf, cfg.props, cfg.arrProps)
	require.NoError(t, err)
	for _, b := range batches {
		require.NoError(t, fw.WriteBuffered(b))
	}
	require.NoError(t, fw.Close())
	return buf.Bytes()
}

// TestStitchedFileEqualsSerialFile: a file whose row groups were encoded
// apart and stitched is byte for byte the file one serial pqarrow writer
// produces, page index included; and it reads back as written. With the
// snappy-fast codec its pages are, page for page, those of the serial
// writer's uncompressed file (comparePages).
func TestStitchedFileEqualsSerialFile(t *testing.T) {
	tests := []stitchCase{
		{0, 100, 2, false},
		{1, 100, 2, false},
		{1000, 1, 4, false},
		{1000, 7, 3, true},
		{2500, 1000, 1, false},
		{2500, 1000, 2, true},
		{5000, 128, 8, true},
	}
	for _, codec := range []string{"snappy", CodecSnappyFast} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/rows=%d/group=%d/par=%d/pageindex=%v", codec, tc.rows, tc.rowGroup, tc.parallelism, tc.pageIndex), func(t *testing.T) {
				stitchedMatchesSerial(t, codec, tc)
			})
		}
	}
}

type stitchCase struct {
	rows, rowGroup, parallelism int
	pageIndex                   bool
}

func stitchedMatchesSerial(t *testing.T, codec string, tc stitchCase) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(uint64(tc.rows), uint64(tc.rowGroup)))
	batches := stitchBatches(t, mem, rng, tc.rows)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	cfg, err := newWriteConfig(stitchSchema, &WriteOptions{RowGroupSize: int64(tc.rowGroup), Parallelism: tc.parallelism, Allocator: mem, Codec: codec})
	require.NoError(t, err)
	if tc.pageIndex {
		cfg.props = withPageIndex(cfg)
	}

	gotBytes, st := writtenFile(t, cfg, batches)
	got := bytes.NewBuffer(gotBytes)
	assert.Equal(t, int64(tc.rows), st.NumRecords)

	want := serialFile(t, cfg, batches)
	pf, err := file.NewParquetReader(bytes.NewReader(got.Bytes()))
	require.NoError(t, err)
	defer pf.Close()
	if cfg.snappyPages {
		serial, err := file.NewParquetReader(bytes.NewReader(want))
		require.NoError(t, err)
		defer serial.Close()
		require.Equal(t, serial.NumRowGroups(), pf.NumRowGroups())
		for g := range pf.NumRowGroups() {
			comparePages(t, serial, pf, g, tc.pageIndex)
		}
	} else {
		require.Equal(t, len(want), got.Len(), "file sizes differ")
		require.True(t, bytes.Equal(want, got.Bytes()), "the stitched file differs from the serial one")
	}
	assert.Equal(t, int64(tc.rows), pf.NumRows())
	if tc.rows > 0 {
		assert.Equal(t, (tc.rows+tc.rowGroup-1)/tc.rowGroup, pf.NumRowGroups())
	}
	if tc.pageIndex && tc.rows > 0 {
		idx, err := pf.GetPageIndexReader().RowGroup(pf.NumRowGroups() - 1)
		require.NoError(t, err)
		oi, err := idx.GetOffsetIndex(0)
		require.NoError(t, err)
		require.NotNil(t, oi)
		cc, err := pf.MetaData().RowGroup(pf.NumRowGroups() - 1).ColumnChunk(0)
		require.NoError(t, err)
		assert.Equal(t, cc.DataPageOffset(), oi.GetPageLocations()[0].Offset)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 20}, mem)
	require.NoError(t, err)
	tbl, err := fr.ReadTable(context.Background())
	require.NoError(t, err)
	defer tbl.Release()
	assert.Equal(t, int64(tc.rows), tbl.NumRows())
}

func withPageIndex(cfg *writeConfig) *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithAllocator(cfg.opts.Allocator),
		parquet.WithMaxRowGroupLength(cfg.opts.RowGroupSize),
		parquet.WithStoreDecimalAsInteger(true),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor("label", true),
		parquet.WithCreatedBy(createdBy),
		parquet.WithPageIndexEnabled(true),
		parquet.WithDataPageSize(512),
	)
}

// TestStitchWriteErrors: a failing sink fails the write with its error and
// every buffer is released.
func TestStitchWriteErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	batches := stitchBatches(t, mem, rng, 3000)
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	cfg, err := newWriteConfig(stitchSchema, &WriteOptions{RowGroupSize: 100, Parallelism: 4, Allocator: mem})
	require.NoError(t, err)
	for _, failAt := range []int{0, 1, 5000, 100000} {
		t.Run(fmt.Sprint(failAt), func(t *testing.T) {
			sink := &failingWriter{failAt: failAt}
			fw := newFileWriter(sink, cfg, newGroupEncoder(cfg))
			var werr error
			for _, b := range batches {
				if werr = fw.write(b); werr != nil {
					break
				}
			}
			if werr == nil {
				_, _, werr = fw.close()
			} else {
				fw.discard()
			}
			require.ErrorIs(t, werr, errDiskFull)
			require.ErrorContains(t, werr, "parquetio: write file:")
		})
	}
}

var errDiskFull = fmt.Errorf("disk full")

type failingWriter struct {
	n, failAt int
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n+len(p) > w.failAt {
		return 0, errDiskFull
	}
	w.n += len(p)
	return len(p), nil
}

// TestEditStructKeepsUnknownFields: editing one field leaves every other
// byte as it was, fields the editor does not know included.
func TestEditStructKeepsUnknownFields(t *testing.T) {
	// struct{1: i64 = 5, 2: binary "ab", 20: list<i32> [1,2], 3: struct{1: i64 = -1}};
	// fields 20 and 3 need the long header form (a delta over 15, or a
	// smaller id than the one before).
	in := []byte{
		0x16, 0x0a, // field 1, i64, zigzag(5)
		0x18, 0x02, 'a', 'b', // field 2, binary
		0x09, 0x28, 0x25, 0x02, 0x04, // field 20, list of 2 i32
		0x0c, 0x06, 0x16, 0x01, 0x00, // field 3, struct{1: i64 zigzag(-1)}
		0x00,
	}
	fs, err := thriftFields(in)
	require.NoError(t, err)
	require.Len(t, fs, 4)
	assert.Equal(t, []int16{1, 2, 20, 3}, []int16{fs[0].id, fs[1].id, fs[2].id, fs[3].id})

	out, err := editStruct(in, func(f thriftField) ([]byte, error) {
		switch f.id {
		case 1:
			return encodeThriftInt(300), nil
		case 3:
			return editStruct(f.val, func(g thriftField) ([]byte, error) { return shiftInt(g.val, 10) })
		}
		return nil, nil
	})
	require.NoError(t, err)
	fs, err = thriftFields(out)
	require.NoError(t, err)
	v, err := thriftInt(fs[0].val)
	require.NoError(t, err)
	assert.Equal(t, int64(300), v)
	assert.Equal(t, []byte("\x02ab"), fs[1].val)
	assert.Equal(t, []byte{0x25, 0x02, 0x04}, fs[2].val)
	inner, err := thriftFields(fs[3].val)
	require.NoError(t, err)
	v, err = thriftInt(inner[0].val)
	require.NoError(t, err)
	assert.Equal(t, int64(9), v)
}

// FuzzThriftWalk: any bytes either fail to parse with errThrift or parse,
// and then an edit that changes nothing reproduces them exactly.
func FuzzThriftWalk(f *testing.F) {
	f.Add([]byte{0x16, 0x0a, 0x18, 0x02, 'a', 'b', 0x00})
	f.Add([]byte{0x19, 0x2c, 0x16, 0x02, 0x00, 0x15, 0x04, 0x00, 0x00})
	f.Add([]byte{0x1b, 0x01, 0x85, 0x02, 0x04, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := thriftFields(b)
		if err != nil {
			require.ErrorIs(t, err, errThrift)
			return
		}
		out, err := editStruct(b, func(f thriftField) ([]byte, error) {
			if f.typ == tcI64 || f.typ == tcI32 {
				v, err := thriftInt(f.val)
				if err != nil {
					return nil, nil // a non-minimal varint: keep its bytes
				}
				return encodeThriftInt(v), nil
			}
			return nil, nil
		})
		require.NoError(t, err)
		again, err := thriftFields(out)
		require.NoError(t, err)
		require.Len(t, again, len(fs))
		for i := range fs {
			require.Equal(t, fs[i].id, again[i].id)
			if fs[i].typ != tcI64 && fs[i].typ != tcI32 {
				require.Equal(t, fs[i].val, again[i].val)
			}
		}
	})
}

// TestSmallSliceDoesNotPinItsBatch: rows waiting for their row group are
// copied when they are a small slice of a large batch, so the batch's
// memory is freed when its owner releases it.
func TestSmallSliceDoesNotPinItsBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	bld := array.NewInt64Builder(mem)
	for i := range 1 << 20 {
		bld.Append(int64(i))
	}
	col := bld.NewArray()
	bld.Release()
	big := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
	col.Release()

	cfg, err := newWriteConfig(schema, &WriteOptions{Allocator: mem})
	require.NoError(t, err)
	var out bytes.Buffer
	fw := newFileWriter(&out, cfg, newGroupEncoder(cfg))
	for _, r := range [][2]int64{{0, 100}, {5000, 5100}} {
		part := big.NewSlice(r[0], r[1])
		require.NoError(t, fw.write(part))
		part.Release()
	}
	big.Release()
	assert.Less(t, mem.CurrentAlloc(), 64<<10, "the 8 MiB batch is still held")
	st, _, err := fw.close()
	require.NoError(t, err)
	assert.Equal(t, int64(200), st.NumRecords)
}
