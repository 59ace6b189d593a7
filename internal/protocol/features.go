package protocol

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrUnsupportedFeature matches every UnsupportedFeatureError.
var ErrUnsupportedFeature = errors.New("delta: unsupported table feature")

// UnsupportedFeatureError names a protocol version or table feature this
// library cannot honour. Reading or writing such a table would give wrong
// results, so the operation stops before any work.
type UnsupportedFeatureError struct {
	Feature string // feature name, or "readerVersion=N" / "writerVersion=N"
	Writer  bool   // true when only writing is affected
}

func (e *UnsupportedFeatureError) Error() string {
	side := "read"
	if e.Writer {
		side = "write"
	}
	return fmt.Sprintf("delta: unsupported table feature %q: this library cannot %s the table safely; use an engine that supports it (or drop the feature with that engine)", e.Feature, side)
}

// Is makes errors.Is(err, ErrUnsupportedFeature) hold.
func (e *UnsupportedFeatureError) Is(target error) bool { return target == ErrUnsupportedFeature }

// Reader features this library implements. Every feature the spec lets a
// reader see is here except catalog-managed tables (they need a catalog
// client) and variant shredding.
var supportedReaderFeatures = []string{
	"columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint",
	"vacuumProtocolCheck", "typeWidening", "typeWidening-preview",
	"variantType", "variantType-preview",
}

// SupportedWriterFeatures lists the writer features this library honours
// when writing. The writer consults it before every commit.
var SupportedWriterFeatures = []string{
	"appendOnly", "invariants", "checkConstraints", "generatedColumns",
	"changeDataFeed", "columnMapping", "deletionVectors", "timestampNtz",
	"v2Checkpoint", "vacuumProtocolCheck", "domainMetadata", "inCommitTimestamp",
	"typeWidening", "typeWidening-preview", "variantType", "variantType-preview",
	"identityColumns",
}

// CheckReadSupported fails with *UnsupportedFeatureError when the protocol
// requires something this reader does not implement.
func CheckReadSupported(p *Protocol) error {
	if p == nil {
		return fmt.Errorf("%w: table has no protocol action", ErrMalformed)
	}
	if p.MinReaderVersion < 1 || p.MinReaderVersion > 3 {
		return &UnsupportedFeatureError{Feature: fmt.Sprintf("readerVersion=%d", p.MinReaderVersion)}
	}
	if p.MinReaderVersion == 3 {
		for _, f := range p.ReaderFeatures {
			if !slices.Contains(supportedReaderFeatures, f) {
				return &UnsupportedFeatureError{Feature: f}
			}
		}
	}
	return nil
}

// CheckWriteSupported fails with *UnsupportedFeatureError when writing the
// table needs a writer version or feature this library does not implement.
func CheckWriteSupported(p *Protocol, supported []string) error {
	if err := CheckReadSupported(p); err != nil {
		return err
	}
	if p.MinWriterVersion < 1 || p.MinWriterVersion > 7 {
		return &UnsupportedFeatureError{Feature: fmt.Sprintf("writerVersion=%d", p.MinWriterVersion), Writer: true}
	}
	if p.MinWriterVersion == 7 {
		for _, f := range p.WriterFeatures {
			if !slices.Contains(supported, f) {
				return &UnsupportedFeatureError{Feature: f, Writer: true}
			}
		}
		return nil
	}
	// Legacy writer versions imply feature sets: 5/6 need column mapping,
	// 6 needs identity columns, which this writer does not generate.
	if p.MinWriterVersion >= 6 && !slices.Contains(supported, "identityColumns") {
		return &UnsupportedFeatureError{Feature: "identityColumns", Writer: true}
	}
	return nil
}

// SupportsFeature reports whether the protocol supports a feature, either by
// listing it (reader 3 / writer 7) or through a legacy version that implies it.
func (p *Protocol) SupportsFeature(name string) bool {
	if p == nil {
		return false
	}
	if slices.Contains(p.ReaderFeatures, name) || slices.Contains(p.WriterFeatures, name) {
		return true
	}
	if p.MinWriterVersion == 7 {
		return false
	}
	legacy := map[string]int32{
		"appendOnly": 2, "invariants": 2, "checkConstraints": 3, "changeDataFeed": 4,
		"generatedColumns": 4, "columnMapping": 5, "identityColumns": 6,
	}
	v, ok := legacy[name]
	return ok && p.MinWriterVersion >= v
}

// ColumnMappingMode is the table's delta.columnMapping.mode.
type ColumnMappingMode int

// Column mapping modes.
const (
	ColumnMappingNone ColumnMappingMode = iota
	ColumnMappingName
	ColumnMappingID
)

func (m ColumnMappingMode) String() string {
	switch m {
	case ColumnMappingName:
		return "name"
	case ColumnMappingID:
		return "id"
	}
	return "none"
}

// ColumnMapping returns the effective column-mapping mode: the property is
// honoured only when the protocol supports column mapping (spec: "Column
// Mapping").
func ColumnMapping(p *Protocol, m *Metadata) (ColumnMappingMode, error) {
	mode := strings.ToLower(m.Configuration["delta.columnMapping.mode"])
	if mode == "" || mode == "none" {
		return ColumnMappingNone, nil
	}
	if p.MinReaderVersion < 2 || (p.MinReaderVersion == 3 && !slices.Contains(p.ReaderFeatures, "columnMapping")) {
		return ColumnMappingNone, nil
	}
	switch mode {
	case "name":
		return ColumnMappingName, nil
	case "id":
		return ColumnMappingID, nil
	}
	return ColumnMappingNone, fmt.Errorf("%w: delta.columnMapping.mode %q", ErrMalformed, mode)
}
