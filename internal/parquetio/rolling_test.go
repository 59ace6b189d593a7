package parquetio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

// memSink collects one file; it records whether it was closed or aborted.
type memSink struct {
	bytes.Buffer
	closed, aborted bool
	failWrite       bool
}

func (s *memSink) Write(p []byte) (int, error) {
	if s.failWrite {
		return 0, errors.New("disk full")
	}
	return s.Buffer.Write(p)
}
func (s *memSink) Close() error { s.closed = true; return nil }
func (s *memSink) Abort() error { s.aborted = true; return nil }

func intRows(from, to int) string {
	var parts []string
	for i := from; i < to; i++ {
		parts = append(parts, fmt.Sprintf(`{"i":%d,"s":"v%02d"}`, i, i))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

var rollSchema = arrow.NewSchema([]arrow.Field{field("i", arrow.PrimitiveTypes.Int64), field("s", arrow.BinaryTypes.String)}, nil)

func TestRollingWriterSplits(t *testing.T) {
	tests := []struct {
		name     string
		opts     parquetio.WriteOptions
		wantRows []int64
	}{
		{"max records per file", parquetio.WriteOptions{MaxRecordsPerFile: 4}, []int64{4, 4, 2}},
		{"target size reached after every batch", parquetio.WriteOptions{TargetFileSize: 1, RowGroupSize: 2}, []int64{3, 3, 3, 1}},
		{"one file", parquetio.WriteOptions{}, []int64{10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := checkedMem(t)
			var sinks []*memSink
			opts := tc.opts
			opts.Allocator = mem
			w, err := parquetio.NewRollingWriter(rollSchema, func(context.Context) (parquetio.Sink, error) {
				s := &memSink{}
				sinks = append(sinks, s)
				return s, nil
			}, &opts)
			require.NoError(t, err)
			for from := 0; from < 10; from += 3 {
				rec, _, err := array.RecordFromJSON(mem, rollSchema, strings.NewReader(intRows(from, min(from+3, 10))))
				require.NoError(t, err)
				require.NoError(t, w.Write(context.Background(), rec))
				rec.Release()
			}
			files, err := w.Close()
			require.NoError(t, err)
			require.Len(t, files, len(tc.wantRows))
			require.Len(t, sinks, len(tc.wantRows))
			next := 0
			for i, f := range files {
				assert.Equal(t, tc.wantRows[i], f.Stats.NumRecords)
				assert.True(t, sinks[i].closed)
				assert.Equal(t, int64(sinks[i].Len()), f.Size)
				got, err := read(t, sinks[i].Bytes(), &parquetio.ReadOptions{Schema: rollSchema})
				require.NoError(t, err)
				require.Len(t, got, int(tc.wantRows[i]))
				assert.Equal(t, fmt.Sprintf("%d | v%02d", next, next), got[0])
				assert.Equal(t, fmt.Sprint(next), f.Stats.MinValues["i"].(fmt.Stringer).String())
				next += len(got)
			}
			assert.Equal(t, 10, next)
		})
	}
}

func TestRollingWriterErrors(t *testing.T) {
	mem := checkedMem(t)
	rec, _, err := array.RecordFromJSON(mem, rollSchema, strings.NewReader(intRows(0, 3)))
	require.NoError(t, err)
	defer rec.Release()

	t.Run("sink write fails", func(t *testing.T) {
		sink := &memSink{failWrite: true}
		w, err := parquetio.NewRollingWriter(rollSchema, func(context.Context) (parquetio.Sink, error) { return sink, nil },
			&parquetio.WriteOptions{Allocator: mem, RowGroupSize: 1})
		require.NoError(t, err)
		big, _, err := array.RecordFromJSON(mem, rollSchema, strings.NewReader(intRows(0, 99)))
		require.NoError(t, err)
		defer big.Release()
		err = w.Write(context.Background(), big) // fails mid-row-group on the second group
		if err == nil {
			_, err = w.Close()
		}
		require.ErrorContains(t, err, "disk full")
		assert.True(t, sink.aborted)
		assert.False(t, sink.closed)
	})
	t.Run("open fails", func(t *testing.T) {
		boom := errors.New("no space")
		w, err := parquetio.NewRollingWriter(rollSchema, func(context.Context) (parquetio.Sink, error) { return nil, boom }, &parquetio.WriteOptions{Allocator: mem})
		require.NoError(t, err)
		require.ErrorIs(t, w.Write(context.Background(), rec), boom)
		_, err = w.Close()
		require.ErrorIs(t, err, boom)
	})
	t.Run("schema mismatch", func(t *testing.T) {
		other := arrow.NewSchema([]arrow.Field{field("i", arrow.PrimitiveTypes.Int32)}, nil)
		w, err := parquetio.NewRollingWriter(other, func(context.Context) (parquetio.Sink, error) { return &memSink{}, nil }, &parquetio.WriteOptions{Allocator: mem})
		require.NoError(t, err)
		require.ErrorIs(t, w.Write(context.Background(), rec), parquetio.ErrSchemaMismatch)
	})
	t.Run("bad options", func(t *testing.T) {
		_, err := parquetio.NewRollingWriter(rollSchema, nil, &parquetio.WriteOptions{Codec: "lzo"})
		require.ErrorIs(t, err, parquetio.ErrInvalidOptions)
		mapped := arrow.NewSchema([]arrow.Field{field("i", arrow.PrimitiveTypes.Int64)}, nil)
		_, err = parquetio.NewRollingWriter(mapped, nil, &parquetio.WriteOptions{ColumnMapping: parquetio.ColumnMappingName})
		require.ErrorIs(t, err, parquetio.ErrInvalidOptions)
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		w, err := parquetio.NewRollingWriter(rollSchema, func(context.Context) (parquetio.Sink, error) { return &memSink{}, nil }, &parquetio.WriteOptions{Allocator: mem})
		require.NoError(t, err)
		require.ErrorIs(t, w.Write(ctx, rec), context.Canceled)
	})
}

func TestWriteFileCodecs(t *testing.T) {
	for _, codec := range []string{"snappy", "zstd", "gzip", "uncompressed", ""} {
		t.Run(codec, func(t *testing.T) {
			mem := checkedMem(t)
			rr := recordReaderOf(t, mem, rollSchema, intRows(0, 5))
			defer rr.Release()
			var buf bytes.Buffer
			_, err := parquetio.WriteFile(context.Background(), &buf, rr, &parquetio.WriteOptions{Codec: codec, Allocator: mem})
			require.NoError(t, err)
			got, err := read(t, buf.Bytes(), &parquetio.ReadOptions{Schema: rollSchema})
			require.NoError(t, err)
			assert.Len(t, got, 5)
		})
	}
}

// TestRollingWriterSlicesNestedBatches splits one batch of every type into
// one-row files: sliced struct, list and map arrays must keep their rows.
func TestRollingWriterSlicesNestedBatches(t *testing.T) {
	mem := checkedMem(t)
	s := allTypesSchema(true)
	rec, _, err := array.RecordFromJSON(mem, s, strings.NewReader(allTypesRows))
	require.NoError(t, err)
	defer rec.Release()
	var sinks []*memSink
	w, err := parquetio.NewRollingWriter(s, func(context.Context) (parquetio.Sink, error) {
		sinks = append(sinks, &memSink{})
		return sinks[len(sinks)-1], nil
	}, &parquetio.WriteOptions{MaxRecordsPerFile: 1, ColumnMapping: parquetio.ColumnMappingID, Allocator: mem})
	require.NoError(t, err)
	require.NoError(t, w.Write(context.Background(), rec))
	files, err := w.Close()
	require.NoError(t, err)
	require.Len(t, files, 3)
	var got []string
	for _, sink := range sinks {
		rows, err := read(t, sink.Bytes(), &parquetio.ReadOptions{Schema: s, ColumnMapping: parquetio.ColumnMappingID})
		require.NoError(t, err)
		got = append(got, rows...)
	}
	assert.Equal(t, rowStrings(rec), got)
	assert.Equal(t, map[string]any{"a": json.Number("1"), "b": map[string]any{"c": json.Number("1")}}, nullCountByLogical(t, s, files[1].Stats))
}

// nullCountByLogical returns the null counts of struct "s" of a stats value
// keyed by logical names.
func nullCountByLogical(t *testing.T, s *arrow.Schema, st parquetio.FileStats) map[string]any {
	sKey, _ := phys(t, s, "s")
	aKey, _ := phys(t, s, "s.a")
	bKey, _ := phys(t, s, "s.b")
	cKey, _ := phys(t, s, "s.b.c")
	m := st.NullCount[sKey].(map[string]any)
	last := func(p string) string { return p[strings.LastIndex(p, ".")+1:] }
	return map[string]any{"a": m[last(aKey)], "b": map[string]any{"c": m[last(bKey)].(map[string]any)[last(cKey)]}}
}
