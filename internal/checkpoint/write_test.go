package checkpoint

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

func str(s string) *string { return &s }

func roundTrip(t *testing.T, opts *WriterOptions, in []protocol.Action) []protocol.Action {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, opts)
	require.NoError(t, err)
	require.NoError(t, w.Write(in...))
	assert.Equal(t, int64(len(in)), w.Rows())
	require.NoError(t, w.Close())
	var out []protocol.Action
	cols := append(append([]string(nil), FileColumns...), StateColumns...)
	require.NoError(t, ReadParquet(context.Background(), bytesReader{bytes.NewReader(buf.Bytes())}, cols, opts.Allocator, func(a []protocol.Action) error {
		out = append(out, a...)
		return nil
	}))
	return out
}

func TestWriterRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	created, lu, ts, size := int64(1700000000000), int64(5), int64(1700000000001), int64(77)
	offset := int32(1)
	ext := true
	in := []protocol.Action{
		{Protocol: &protocol.Protocol{MinReaderVersion: 3, MinWriterVersion: 7, ReaderFeatures: []string{"deletionVectors"}, WriterFeatures: []string{"deletionVectors", "domainMetadata"}}},
		{Metadata: &protocol.Metadata{ID: "id-1", Name: "t", Format: protocol.Format{Provider: "parquet", Options: map[string]string{}},
			SchemaString:     `{"type":"struct","fields":[{"name":"x","type":"long","nullable":true,"metadata":{}},{"name":"p","type":"date","nullable":true,"metadata":{}}]}`,
			PartitionColumns: []string{"p"}, CreatedTime: &created, Configuration: map[string]string{"delta.appendOnly": "true"}}},
		{Txn: &protocol.Txn{AppID: "app", Version: 9, LastUpdated: &lu}},
		{DomainMetadata: &protocol.DomainMetadata{Domain: "d", Configuration: `{"a":1}`}},
		{Add: &protocol.Add{Path: "p=2024-01-01/a b.parquet", PartitionValues: map[string]*string{"p": str("2024-01-01")}, Size: 10, ModificationTime: 11,
			Stats: `{"numRecords":3,"minValues":{"x":1},"maxValues":{"x":5},"nullCount":{"x":0}}`, Tags: map[string]string{"k": "v"},
			DeletionVector: &protocol.DeletionVector{StorageType: "u", PathOrInlineDv: "ab^-aqEH.-t@S}K{vb[*k^", Offset: &offset, SizeInBytes: 40, Cardinality: 2}}},
		{Add: &protocol.Add{Path: "p=__HIVE_DEFAULT_PARTITION__/b.parquet", PartitionValues: map[string]*string{"p": nil}, Size: 12, ModificationTime: 13}},
		{Remove: &protocol.Remove{Path: "old.parquet", DeletionTimestamp: &ts, ExtendedFileMetadata: &ext, PartitionValues: map[string]*string{"p": str("2023-12-31")}, Size: &size}},
	}
	opts := &WriterOptions{
		Allocator:             mem,
		PartitionValuesParsed: arrow.StructOf(arrow.Field{Name: "p", Type: arrow.FixedWidthTypes.Date32, Nullable: true}),
		StatsParsed: arrow.StructOf(
			arrow.Field{Name: "numRecords", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
			arrow.Field{Name: "minValues", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), Nullable: true},
			arrow.Field{Name: "maxValues", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), Nullable: true},
			arrow.Field{Name: "nullCount", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), Nullable: true},
			arrow.Field{Name: "tightBounds", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		),
	}
	out := roundTrip(t, opts, in)
	require.Len(t, out, len(in))
	byKind := map[string]protocol.Action{}
	for _, a := range out {
		switch {
		case a.Protocol != nil:
			assert.Equal(t, in[0].Protocol, a.Protocol)
		case a.Metadata != nil:
			assert.Equal(t, in[1].Metadata, a.Metadata)
		case a.Txn != nil:
			assert.Equal(t, in[2].Txn, a.Txn)
		case a.DomainMetadata != nil:
			assert.Equal(t, in[3].DomainMetadata, a.DomainMetadata)
		case a.Add != nil:
			byKind[a.Add.Path] = a
		case a.Remove != nil:
			assert.Equal(t, "old.parquet", a.Remove.Path)
			assert.Equal(t, &ts, a.Remove.DeletionTimestamp)
			assert.Equal(t, &size, a.Remove.Size)
		}
	}
	add := byKind["p=2024-01-01/a b.parquet"].Add
	require.NotNil(t, add)
	assert.Equal(t, in[4].Add.Stats, add.Stats)
	assert.Equal(t, in[4].Add.DeletionVector, add.DeletionVector)
	assert.Equal(t, "v", add.Tags["k"])
	null := byKind["p=__HIVE_DEFAULT_PARTITION__/b.parquet"].Add
	require.NotNil(t, null)
	v, ok := null.PartitionValues["p"]
	assert.True(t, ok)
	assert.Nil(t, v)
}

func TestWriterRejectsCommitInfo(t *testing.T) {
	w, err := NewWriter(io.Discard, nil)
	require.NoError(t, err)
	err = w.Write(protocol.Action{CommitInfo: protocol.CommitInfo{"operation": "WRITE"}})
	require.Error(t, err)
	require.NoError(t, w.Close())
}

func TestSidecarColumns(t *testing.T) {
	s := Schema(&WriterOptions{Columns: SidecarColumns})
	require.Equal(t, 2, s.NumFields())
	assert.Equal(t, "add", s.Field(0).Name)
	assert.Equal(t, 8, Schema(&WriterOptions{Columns: V2TopColumns}).NumFields())
}

// TestWriterKeepsUnparsableStats: an add whose stats JSON does not parse is
// written with its stats string intact and a null stats_parsed, instead of
// failing the whole checkpoint.
func TestWriterKeepsUnparsableStats(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	in := []protocol.Action{
		{Add: &protocol.Add{Path: "bad.parquet", Size: 1, ModificationTime: 2, Stats: `{"numRecords":`}},
		{Add: &protocol.Add{Path: "good.parquet", Size: 1, ModificationTime: 2, Stats: `{"numRecords":4}`}},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, &WriterOptions{Allocator: mem, StatsParsed: arrow.StructOf(
		arrow.Field{Name: "numRecords", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	)})
	require.NoError(t, err)
	require.NoError(t, w.Write(in...))
	require.NoError(t, w.Close())

	tbl, err := pqarrow.ReadTable(context.Background(), bytes.NewReader(buf.Bytes()), nil, pqarrow.ArrowReadProperties{}, mem)
	require.NoError(t, err)
	defer tbl.Release()
	rr := array.NewTableReader(tbl, -1)
	defer rr.Release()
	var stats, parsed []string
	for rr.Next() {
		add := rr.RecordBatch().Column(int(tbl.Schema().FieldIndices("add")[0])).(*array.Struct)
		addType := add.DataType().(*arrow.StructType)
		si, _ := addType.FieldIdx("stats")
		pi, _ := addType.FieldIdx("stats_parsed")
		for i := 0; i < add.Len(); i++ {
			stats = append(stats, add.Field(si).ValueStr(i))
			parsed = append(parsed, add.Field(pi).ValueStr(i))
		}
	}
	assert.Equal(t, []string{`{"numRecords":`, `{"numRecords":4}`}, stats)
	assert.Equal(t, []string{array.NullValueStr, `{"numRecords":4}`}, parsed)
}
