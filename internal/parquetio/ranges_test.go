package parquetio_test

import (
	"encoding/binary"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lakehouse-go/lakehouse/internal/parquetio"
)

// TestChunkRanges checks that the spans ChunkRanges names are all a read
// needs: a copy of the file with every other byte zeroed, except the
// footer, reads the same rows.
func TestChunkRanges(t *testing.T) {
	file := arrow.NewSchema([]arrow.Field{
		field("a", arrow.PrimitiveTypes.Int64), field("b", arrow.BinaryTypes.String), field("c", arrow.PrimitiveTypes.Float64),
	}, nil)
	data := writeParquet(t, file, `[{"a":1,"b":"x","c":1.5},{"a":2,"b":"y","c":2.5},{"a":3,"b":"z","c":null},
		{"a":4,"b":"w","c":4.5},{"a":5,"b":null,"c":5.5}]`, 2)
	tests := []struct {
		name       string
		schema     *arrow.Schema
		groups     []int
		wantRanges int
	}{
		{"two of three columns", arrow.NewSchema([]arrow.Field{field("c", arrow.PrimitiveTypes.Float64), field("a", arrow.PrimitiveTypes.Int64)}, nil), nil, 6},
		{"one column, one row group", arrow.NewSchema([]arrow.Field{field("b", arrow.BinaryTypes.String)}, nil), []int{1}, 1},
		{"absent column", arrow.NewSchema([]arrow.Field{field("a", arrow.PrimitiveTypes.Int64), field("zz", arrow.PrimitiveTypes.Int32)}, nil), []int{0, 2}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := &parquetio.ReadOptions{Schema: tc.schema, RowGroups: tc.groups}
			f, err := parquetio.OpenFile(readerOf(data), nil)
			require.NoError(t, err)
			ranges, err := f.ChunkRanges(opts)
			require.NoError(t, err)
			require.Len(t, ranges, tc.wantRanges)
			footerLen := int64(binary.LittleEndian.Uint32(data[len(data)-8:]))
			footer := int64(len(data)) - 8 - footerLen
			masked := make([]byte, len(data))
			copy(masked[footer:], data[footer:])
			for _, r := range ranges {
				require.Positive(t, r.Len)
				require.LessOrEqual(t, r.Off+r.Len, footer, "chunks lie before the footer")
				copy(masked[r.Off:r.Off+r.Len], data[r.Off:r.Off+r.Len])
			}
			want, err := read(t, data, &parquetio.ReadOptions{Schema: tc.schema, RowGroups: tc.groups})
			require.NoError(t, err)
			require.NotEmpty(t, want)
			got, err := read(t, masked, &parquetio.ReadOptions{Schema: tc.schema, RowGroups: tc.groups})
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}

	f, err := parquetio.OpenFile(readerOf(data), nil)
	require.NoError(t, err)
	_, err = f.ChunkRanges(&parquetio.ReadOptions{Schema: file, RowGroups: []int{3}})
	require.ErrorIs(t, err, parquetio.ErrInvalidOptions)
	_, err = f.ChunkRanges(nil)
	require.ErrorIs(t, err, parquetio.ErrInvalidOptions)
}
