package parquetio

import (
	"fmt"

	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/lakehouse-go/lakehouse/internal/storage"
)

// FileInfo describes a Parquet file from its footer alone.
type FileInfo struct {
	NumRows   int64
	RowGroups []RowGroupInfo
}

// RowGroupInfo describes one row group.
type RowGroupInfo struct {
	// FirstRow is the file-wide index of the group's first row: deletion
	// vector indexes of this group are FirstRow .. FirstRow+NumRows-1.
	FirstRow int64
	NumRows  int64
	// ByteSize is the uncompressed size of the group's column data.
	ByteSize int64
	// Stats are the group's Parquet statistics in add.stats form (see
	// rowGroupStats), for pruning row groups with the file-level
	// data-skipping logic. TightBounds is set: Parquet bounds are exact.
	Stats FileStats
}

// ReadFileInfo reads only the footer of r and returns its row counts and
// per-row-group statistics.
func ReadFileInfo(r storage.ReaderAt) (_ FileInfo, err error) {
	defer recoverCorrupt(&err)
	pf, err := file.NewParquetReader(r)
	if err != nil {
		return FileInfo{}, fmt.Errorf("%w: %w", ErrCorruptFile, err)
	}
	return (&File{pf: pf}).Info(), nil
}
