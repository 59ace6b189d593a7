package parquetio

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// ColumnMappingMode is the table's delta.columnMapping.mode; the protocol
// package owns it so the log and the data files agree on one type.
type ColumnMappingMode = protocol.ColumnMappingMode

// The column mapping modes, as the data-file reader applies them.
const (
	// ColumnMappingNone matches file columns by logical name.
	ColumnMappingNone = protocol.ColumnMappingNone
	// ColumnMappingName matches file columns by physical name.
	ColumnMappingName = protocol.ColumnMappingName
	// ColumnMappingID matches file columns by Parquet field id, falling back
	// to the physical name for files written without ids.
	ColumnMappingID = protocol.ColumnMappingID
)

// Arrow field metadata keys.
const (
	// MetaPhysicalName carries a field's column-mapping physical name.
	MetaPhysicalName = "delta.columnMapping.physicalName"
	// MetaColumnID carries a field's column-mapping id as a decimal string.
	MetaColumnID = "delta.columnMapping.id"
	// MetaParquetFieldID is where pqarrow reads and writes Parquet field ids.
	MetaParquetFieldID = "PARQUET:field_id"
)

func metaValue(md arrow.Metadata, key string) (string, bool) {
	i := md.FindKey(key)
	if i < 0 {
		return "", false
	}
	return md.Values()[i], true
}

// physicalName is the name a field has inside data files under mode.
func physicalName(f arrow.Field, mode ColumnMappingMode) string {
	if mode != ColumnMappingNone {
		if p, ok := metaValue(f.Metadata, MetaPhysicalName); ok && p != "" {
			return p
		}
	}
	return f.Name
}

// fieldID returns the column-mapping id of a logical field, if any.
func fieldID(f arrow.Field) (int64, bool) {
	s, ok := metaValue(f.Metadata, MetaColumnID)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 32)
	return id, err == nil
}
