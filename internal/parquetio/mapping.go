package parquetio

import (
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// ColumnMappingMode is the table's delta.columnMapping.mode.
type ColumnMappingMode int

const (
	// ColumnMappingNone matches file columns by logical name.
	ColumnMappingNone ColumnMappingMode = iota
	// ColumnMappingName matches file columns by physical name.
	ColumnMappingName
	// ColumnMappingID matches file columns by Parquet field id, falling back
	// to the physical name for files written without ids.
	ColumnMappingID
)

// String returns the mode as the delta.columnMapping.mode property spells it.
func (m ColumnMappingMode) String() string {
	switch m {
	case ColumnMappingNone:
		return "none"
	case ColumnMappingName:
		return "name"
	case ColumnMappingID:
		return "id"
	default:
		return "ColumnMappingMode(" + strconv.Itoa(int(m)) + ")"
	}
}

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
