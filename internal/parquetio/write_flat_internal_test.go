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
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flatSchema has no nested column, so it takes the column-by-column path:
// a low-cardinality string, a high-cardinality binary whose dictionary
// outgrows its page, a string that is always null, and columns written
// directly.
var flatSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "blob", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "nothing", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "sorted", Type: arrow.BinaryTypes.String},
	{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	{Name: "amount", Type: &arrow.Decimal128Type{Precision: 12, Scale: 2}, Nullable: true},
}, nil)

func flatBatches(t testing.TB, mem memory.Allocator, rng *rand.Rand, rows int) []arrow.RecordBatch {
	return jsonBatches(t, mem, rng, flatSchema, rows, 700, func(id int, null func(string) string) string {
		label := fmt.Sprintf(`"label-%03d"`, rng.IntN(40))
		if rng.IntN(50) == 0 {
			label = `""` // the least value, which a page's minimum must not skip
		}
		return fmt.Sprintf(`{"id":%d,"value":%s,"label":%s,"blob":%s,"nothing":null,"sorted":"k%05d","flag":%s,"ts":%s,"amount":%s}`,
			id,
			null(fmt.Sprint(rng.Float64()*1000)),
			null(label),
			null(fmt.Sprintf(`"%016x"`, rng.Uint64())), // base64 in JSON: 12 random bytes
			id/50,
			null(fmt.Sprint(rng.IntN(2) == 0)),
			null(fmt.Sprintf(`"2026-01-%02dT10:00:00.%06dZ"`, 1+rng.IntN(28), rng.IntN(1e6))),
			null(fmt.Sprintf(`"%d.%02d"`, rng.IntN(1e6), rng.IntN(100))),
		)
	})
}

// flatProps are the writer's properties with small pages and a small
// dictionary limit, so that a test of a few thousand rows cuts many pages
// and sees a dictionary outgrow its page.
func flatProps(cfg *writeConfig, codec parquet.WriterProperty) *parquet.WriterProperties {
	return parquet.NewWriterProperties(
		parquet.WithAllocator(cfg.opts.Allocator),
		parquet.WithMaxRowGroupLength(cfg.opts.RowGroupSize),
		parquet.WithStoreDecimalAsInteger(true),
		parquet.WithDictionaryDefault(false),
		parquet.WithDictionaryFor("label", true),
		parquet.WithDictionaryFor("blob", true),
		parquet.WithDictionaryFor("nothing", true),
		parquet.WithDictionaryFor("sorted", true),
		parquet.WithDictionaryPageSizeLimit(2048),
		parquet.WithCreatedBy(createdBy),
		parquet.WithPageIndexEnabled(true),
		parquet.WithDataPageSize(1024),
		parquet.WithBatchSize(64),
		codec,
	)
}

// TestFlatWriterMatchesArrowWriter: a flat schema's file, written column by
// column with its strings dictionary-encoded here, reads back as the Arrow
// file writer's file of the same batches does; the columns written
// directly are byte for byte the Arrow file writer's; the dictionary
// columns are dictionary-encoded unless their dictionary outgrew its
// limit, and cut into pages by size.
func TestFlatWriterMatchesArrowWriter(t *testing.T) {
	for _, tc := range []stitchCase{
		{1, 100, 1, true},
		{3000, 1000, 2, true},
		{5000, 5000, 1, true},
	} {
		t.Run(fmt.Sprintf("rows=%d/group=%d/par=%d", tc.rows, tc.rowGroup, tc.parallelism), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			batches := flatBatches(t, mem, rand.New(rand.NewPCG(uint64(tc.rows), 7)), tc.rows)
			defer func() {
				for _, b := range batches {
					b.Release()
				}
			}()
			cfg, err := newWriteConfig(flatSchema, &WriteOptions{RowGroupSize: int64(tc.rowGroup), Parallelism: tc.parallelism, Allocator: mem, Codec: "snappy"})
			require.NoError(t, err)
			require.NotNil(t, cfg.flat, "a flat schema takes the column-by-column path")
			cfg.props = flatProps(cfg, parquet.WithCompression(compress.Codecs.Snappy))

			got, _ := writtenFile(t, cfg, batches)
			want := serialFile(t, cfg, batches)

			ours, err := file.NewParquetReader(bytes.NewReader(got))
			require.NoError(t, err)
			defer ours.Close()
			theirs, err := file.NewParquetReader(bytes.NewReader(want))
			require.NoError(t, err)
			defer theirs.Close()
			require.Equal(t, theirs.NumRowGroups(), ours.NumRowGroups())
			assert.Equal(t, readFlat(t, mem, want), readFlat(t, mem, got))
			assert.True(t, theirs.MetaData().Schema.Equals(ours.MetaData().Schema), "the footers' schemas are the same")
			assert.Equal(t, theirs.MetaData().KeyValueMetadata(), ours.MetaData().KeyValueMetadata())
			assert.Equal(t, theirs.MetaData().GetCreatedBy(), ours.MetaData().GetCreatedBy())

			for g := range ours.NumRowGroups() {
				for c, f := range flatSchema.Fields() {
					o, err := ours.MetaData().RowGroup(g).ColumnChunk(c)
					require.NoError(t, err)
					w, err := theirs.MetaData().RowGroup(g).ColumnChunk(c)
					require.NoError(t, err)
					if !cfg.flat.dict[c] {
						assert.Equal(t, chunkBytes(t, want, w), chunkBytes(t, got, o), "column %s is written as the Arrow writer writes it", f.Name)
						continue
					}
					assert.Equal(t, w.HasDictionaryPage(), o.HasDictionaryPage(), "column %s keeps or drops its dictionary as the Arrow writer does", f.Name)
					if f.Name == "label" || f.Name == "sorted" {
						assert.True(t, o.HasDictionaryPage(), "column %s has a dictionary", f.Name)
					}
					checkPageStats(t, ours, g, c)
				}
			}
		})
	}
}

// chunkBytes are a column chunk's bytes in data.
func chunkBytes(t *testing.T, data []byte, cc *metadata.ColumnChunkMetaData) []byte {
	start := cc.DataPageOffset()
	if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 {
		start = cc.DictionaryPageOffset()
	}
	require.LessOrEqual(t, start+cc.TotalCompressedSize(), int64(len(data)))
	return data[start : start+cc.TotalCompressedSize()]
}

// readFlat is a file's rows, one string each.
func readFlat(t *testing.T, mem memory.Allocator, data []byte) []string {
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 20}, mem)
	require.NoError(t, err)
	tbl, err := fr.ReadTable(context.Background())
	require.NoError(t, err)
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 1<<20)
	defer tr.Release()
	var rows []string
	for tr.Next() {
		rec := tr.RecordBatch()
		for r := 0; r < int(rec.NumRows()); r++ {
			var sb strings.Builder
			for c := 0; c < int(rec.NumCols()); c++ {
				sb.WriteString(rec.Column(c).ValueStr(r))
				sb.WriteByte('|')
			}
			rows = append(rows, sb.String())
		}
	}
	return rows
}

// checkPageStats: every page of a dictionary column has more than one
// page's worth of rows only when it must, and its min and max in the
// column index are exactly the least and greatest value among its rows.
func checkPageStats(t *testing.T, pf *file.Reader, g, c int) {
	idx, err := pf.GetPageIndexReader().RowGroup(g)
	require.NoError(t, err)
	ci, err := idx.GetColumnIndex(c)
	require.NoError(t, err)
	oi, err := idx.GetOffsetIndex(c)
	require.NoError(t, err)
	if ci == nil {
		return
	}
	values := columnValues(t, pf, g, c)
	locs := oi.GetPageLocations()
	raw := 0
	for _, v := range values {
		if v != nil {
			raw += len(v) + 4
		}
	}
	if raw > 2*1024 && pf.MetaData().RowGroup(g).NumRows() > 128 {
		assert.Greater(t, len(locs), 1, "a column of %d raw bytes is cut into pages", raw)
	}
	for p, loc := range locs {
		end := len(values)
		if p+1 < len(locs) {
			end = int(locs[p+1].FirstRowIndex)
		}
		var lo, hi []byte
		for _, v := range values[loc.FirstRowIndex:end] {
			if v == nil {
				continue
			}
			if lo == nil || bytes.Compare(v, lo) < 0 {
				lo = v
			}
			if hi == nil || bytes.Compare(v, hi) > 0 {
				hi = v
			}
		}
		if lo == nil {
			assert.True(t, ci.GetNullPages()[p], "page %d holds only nulls", p)
			continue
		}
		assert.Equal(t, string(lo), string(ci.GetMinValues()[p]), "page %d's min", p)
		assert.Equal(t, string(hi), string(ci.GetMaxValues()[p]), "page %d's max", p)
	}
}

// columnValues are a byte-array column's values in one row group, nil
// where null.
func columnValues(t *testing.T, pf *file.Reader, g, c int) [][]byte {
	rg := pf.RowGroup(g)
	cr, err := rg.Column(c)
	require.NoError(t, err)
	br := cr.(*file.ByteArrayColumnChunkReader)
	n := int(rg.NumRows())
	vals := make([]parquet.ByteArray, n)
	def := make([]int16, n)
	var out [][]byte
	for len(out) < n {
		levels, read, err := br.ReadBatch(int64(n-len(out)), vals, def, nil)
		require.NoError(t, err)
		v := 0
		for i := 0; i < int(levels); i++ {
			if rg.MetaData().Schema.Column(c).MaxDefinitionLevel() > 0 && def[i] == 0 {
				out = append(out, nil)
				continue
			}
			out = append(out, bytes.Clone(vals[v]))
			v++
		}
		require.Equal(t, read, v)
	}
	return out
}

// FuzzDictColumnKeepsValues: whatever the values and however they are
// batched, the dictionary holds each distinct value once and every row's
// index points at its own value; past the limit a batch is refused whole.
func FuzzDictColumnKeepsValues(f *testing.F) {
	f.Add([]byte("a\x00b\x00a\x00\x00c"), uint8(3), uint16(100))
	f.Add([]byte("xxxxxxxxxx\x00yyyyyyyyyy\x00zzzzzzzzzz"), uint8(1), uint16(20))
	f.Fuzz(func(t *testing.T, raw []byte, per uint8, limit uint16) {
		mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
		defer mem.AssertSize(t, 0)
		words := bytes.Split(raw, []byte{0})
		d := newDictColumn(int64(limit))
		var kept, offered [][]byte
		step := int(per%8) + 1
		for at := 0; at < len(words); at += step {
			b := array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
			batch := words[at:min(at+step, len(words))]
			for _, w := range batch {
				if len(w) == 1 && w[0] == 'N' {
					b.AppendNull()
				} else {
					b.Append(w)
				}
			}
			arr := b.NewArray()
			b.Release()
			before := d.rows()
			offered = append(offered, batch...)
			if d.add(arr) {
				for i := range batch {
					if arr.IsNull(i) {
						kept = append(kept, nil)
					} else {
						kept = append(kept, batch[i])
					}
				}
			} else {
				require.Equal(t, before, d.rows(), "a refused batch adds no row")
				distinct := map[string]bool{}
				for _, w := range offered {
					if w != nil && !(len(w) == 1 && w[0] == 'N') {
						distinct[string(w)] = true
					}
				}
				plain := 0
				for w := range distinct {
					plain += len(w) + 4
				}
				require.Greater(t, plain, int(limit), "refused only past the limit")
				require.False(t, arr.IsNull(0) && len(batch) == 1, "a null is never refused")
			}
			arr.Release()
		}
		require.Equal(t, len(kept), d.rows())
		seen := map[string]bool{}
		for e := 0; e < d.entries(); e++ {
			v := string(d.entry(int32(e)))
			require.False(t, seen[v], "entry %q twice", v)
			seen[v] = true
		}
		require.LessOrEqual(t, d.size, int64(limit))
		for r, want := range kept {
			valid := bitutil.BitIsSet(d.valid, r)
			require.Equal(t, want != nil, valid, "row %d is null as it was", r)
			if valid {
				require.Equal(t, string(want), string(d.entry(d.indices[r])), "row %d", r)
			}
		}
	})
}

// TestFlatWriterUncompressedDropsCostlyDictionaries: with pages stored
// uncompressed a dictionary stays only where it and the indices are
// smaller than the values: not on a column that is always null, nor on a
// single row.
func TestFlatWriterUncompressedDropsCostlyDictionaries(t *testing.T) {
	for _, tc := range []struct {
		rows  int
		label bool // label keeps its dictionary
	}{
		{1, false},
		{4000, true},
	} {
		t.Run(fmt.Sprint(tc.rows), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			batches := flatBatches(t, mem, rand.New(rand.NewPCG(uint64(tc.rows), 9)), tc.rows)
			defer func() {
				for _, b := range batches {
					b.Release()
				}
			}()
			cfg, err := newWriteConfig(flatSchema, &WriteOptions{RowGroupSize: 100_000, Allocator: mem, Codec: "uncompressed"})
			require.NoError(t, err)
			got, _ := writtenFile(t, cfg, batches)
			assert.Equal(t, readFlat(t, mem, serialFile(t, cfg, batches)), readFlat(t, mem, got))
			pf, err := file.NewParquetReader(bytes.NewReader(got))
			require.NoError(t, err)
			defer pf.Close()
			label, err := pf.MetaData().RowGroup(0).ColumnChunk(2)
			require.NoError(t, err)
			assert.Equal(t, tc.label, label.HasDictionaryPage())
			nothing, err := pf.MetaData().RowGroup(0).ColumnChunk(4)
			require.NoError(t, err)
			assert.False(t, nothing.HasDictionaryPage())
		})
	}
}

// TestGroupStatisticsMergeToTheFileStatistics: statistics gathered per row
// group on the encoders' goroutines and merged are those of observing
// every batch in order, nested columns and nulls included.
func TestGroupStatisticsMergeToTheFileStatistics(t *testing.T) {
	for _, tc := range []struct {
		name    string
		schema  *arrow.Schema
		batches func(testing.TB, memory.Allocator, *rand.Rand, int) []arrow.RecordBatch
	}{
		{"flat", flatSchema, flatBatches},
		{"nested", stitchSchema, stitchBatches},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
			defer mem.AssertSize(t, 0)
			batches := tc.batches(t, mem, rand.New(rand.NewPCG(5, 6)), 3000)
			defer func() {
				for _, b := range batches {
					b.Release()
				}
			}()
			opts := &WriteOptions{RowGroupSize: 250, Parallelism: 3, Allocator: mem}
			cfg, err := newWriteConfig(tc.schema, opts)
			require.NoError(t, err)
			_, got := writtenFile(t, cfg, batches)

			seq, err := NewStatsCollector(tc.schema, opts)
			require.NoError(t, err)
			for _, b := range batches {
				require.NoError(t, seq.Observe(b))
			}
			want := seq.Finish()
			wantJSON, err := want.JSON()
			require.NoError(t, err)
			gotJSON, err := got.JSON()
			require.NoError(t, err)
			assert.JSONEq(t, string(wantJSON), string(gotJSON))
			assert.Equal(t, int64(3000), got.NumRecords)
		})
	}
}
