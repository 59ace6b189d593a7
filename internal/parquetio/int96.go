package parquetio

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// INT96 timestamps (Impala/Spark legacy) are decoded here rather than by
// pqarrow, which converts them to nanoseconds and fails on instants outside
// 1677-2262; Delta tables hold such values (0001-01-01, 9999-12-31). Only
// top-level columns take this path, where one level is one row.

// julianUnixEpoch is the Julian day number of 1970-01-01.
const julianUnixEpoch = 2_440_588

// int96Micros converts an INT96 value (nanoseconds of the day, then the
// Julian day, both little endian) to microseconds since the Unix epoch.
func int96Micros(v parquet.Int96) int64 {
	nanos := int64(binary.LittleEndian.Uint64(v[:8]))
	days := int64(binary.LittleEndian.Uint32(v[8:]))
	micros := nanos / 1000
	if nanos%1000 < 0 {
		micros--
	}
	return (days-julianUnixEpoch)*microsPerDay + micros
}

// int96Column streams one flat INT96 column of one row group.
type int96Column struct {
	reader *file.Int96ColumnChunkReader
	maxDef int16
	values []parquet.Int96
	defs   []int16
}

// isFlatInt96 reports whether leaf column col of the file is an INT96
// column with no repetition, which int96Column can read.
func isFlatInt96(pf *file.Reader, col int) bool {
	c := pf.MetaData().Schema.Column(col)
	return c.PhysicalType() == parquet.Types.Int96 && c.MaxRepetitionLevel() == 0 && c.MaxDefinitionLevel() <= 1
}

func openInt96Column(pf *file.Reader, group, col int) (*int96Column, error) {
	cr, err := pf.RowGroup(group).Column(col)
	if err != nil {
		return nil, fmt.Errorf("parquetio: open INT96 column %d of row group %d: %w", col, group, err)
	}
	r, ok := cr.(*file.Int96ColumnChunkReader)
	if !ok {
		return nil, fmt.Errorf("parquetio: column %d is %T, not INT96", col, cr)
	}
	return &int96Column{reader: r, maxDef: pf.MetaData().Schema.Column(col).MaxDefinitionLevel()}, nil
}

// close releases the column's page buffers.
func (c *int96Column) close() {
	if c.reader != nil {
		_ = c.reader.Close()
		c.reader = nil
	}
}

// next reads n rows as a timestamp array of type to (microseconds).
func (c *int96Column) next(mem memory.Allocator, n int64, to *arrow.TimestampType) (arrow.Array, error) {
	if int64(cap(c.values)) < n {
		c.values = make([]parquet.Int96, n)
		c.defs = make([]int16, n)
	}
	b := array.NewTimestampBuilder(mem, to)
	defer b.Release()
	b.Reserve(int(n))
	scale := unitScaler(arrow.Microsecond, to.Unit)
	for read := int64(0); read < n; {
		levels, nvals, err := c.reader.ReadBatch(n-read, c.values[:n-read], c.defs[:n-read], nil)
		if err != nil {
			return nil, fmt.Errorf("parquetio: read INT96 column: %w", err)
		}
		if levels == 0 {
			return nil, fmt.Errorf("parquetio: INT96 column ended after %d of %d rows", read, n)
		}
		v := 0
		for i := int64(0); i < levels; i++ {
			if c.maxDef > 0 && c.defs[i] < c.maxDef {
				b.UnsafeAppendBoolToBitmap(false)
				continue
			}
			if v >= nvals {
				return nil, fmt.Errorf("parquetio: INT96 column has fewer values than levels")
			}
			ts, ok := scale(int96Micros(c.values[v]))
			if !ok {
				return nil, fmt.Errorf("%w: INT96 timestamp overflows %s", ErrValueOutOfRange, to)
			}
			b.UnsafeAppend(arrow.Timestamp(ts))
			v++
		}
		read += levels
	}
	return b.NewArray(), nil
}
