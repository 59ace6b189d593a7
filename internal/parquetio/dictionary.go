package parquetio

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ChunkDictionary returns the dictionary of the column chunk that holds
// the top-level string or binary field lf in row group rg, when the
// footer proves that every data page of the chunk is dictionary-encoded:
// then every non-null value of the chunk is one of the returned values,
// and a predicate that no value satisfies matches no non-null row of the
// group. ok is false, with no error, when that cannot be shown: no
// dictionary page, pages that fell back to another encoding, encodings
// too ambiguous to tell, a nested, absent or non-BYTE_ARRAY column. The
// values have lf's type (string or binary); the caller releases them.
//
// Only the dictionary page is read, so checking a group that is then
// skipped costs one small ranged read.
func (f *File) ChunkDictionary(rg int, lf arrow.Field, mode ColumnMappingMode) (_ arrow.Array, ok bool, err error) {
	defer recoverCorrupt(&err)
	md := f.pf.MetaData()
	if rg < 0 || rg >= md.NumRowGroups() {
		return nil, false, fmt.Errorf("%w: row group %d of %d", ErrInvalidOptions, rg, md.NumRowGroups())
	}
	if lf.Type.ID() != arrow.STRING && lf.Type.ID() != arrow.BINARY {
		return nil, false, nil
	}
	col, ok, err := f.leafColumn(lf, mode)
	if err != nil || !ok {
		return nil, false, err
	}
	if md.Schema.Column(col).PhysicalType() != parquet.Types.ByteArray {
		return nil, false, nil
	}
	cc, err := md.RowGroup(rg).ColumnChunk(col)
	if err != nil {
		return nil, false, fmt.Errorf("%w: row group %d column %d: %w", ErrCorruptFile, rg, col, err)
	}
	if !allDictionaryPages(cc.EncodingStats(), cc.Encodings()) || !cc.HasDictionaryPage() {
		return nil, false, nil
	}
	start, end := cc.DictionaryPageOffset(), cc.DataPageOffset()
	if start <= 0 || end <= start {
		return nil, false, nil
	}
	stream, err := parquet.NewReaderProperties(f.mem).GetStream(f.r, start, end-start)
	if err != nil {
		return nil, false, fmt.Errorf("%w: dictionary page of row group %d column %d: %w", ErrCorruptFile, rg, col, err)
	}
	pr, err := file.NewPageReader(stream, md.RowGroup(rg).NumRows(), cc.Compression(), f.mem, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%w: dictionary page of row group %d column %d: %w", ErrCorruptFile, rg, col, err)
	}
	defer pr.Close()
	if !pr.Next() {
		if err := pr.Err(); err != nil {
			return nil, false, fmt.Errorf("%w: dictionary page of row group %d column %d: %w", ErrCorruptFile, rg, col, err)
		}
		return nil, false, nil
	}
	page, isDict := pr.Page().(*file.DictionaryPage)
	if !isDict {
		return nil, false, nil
	}
	if enc := parquet.Encoding(page.Encoding()); enc != parquet.Encodings.Plain && enc != parquet.Encodings.PlainDict {
		return nil, false, nil
	}
	values, err := plainByteArrays(page.Data(), int(page.NumValues()), lf.Type, f)
	if err != nil {
		return nil, false, fmt.Errorf("%w: dictionary page of row group %d column %d: %w", ErrCorruptFile, rg, col, err)
	}
	return values, true, nil
}

// leafColumn finds the leaf column index of the top-level, unnested
// field lf.
func (f *File) leafColumn(lf arrow.Field, mode ColumnMappingMode) (int, bool, error) {
	manifest, err := pqarrow.NewSchemaManifest(f.pf.MetaData().Schema, nil, nil)
	if err != nil {
		return 0, false, fmt.Errorf("parquetio: read schema: %w", err)
	}
	sf := findField(manifest.Fields, lf, mode)
	if sf == nil || !sf.IsLeaf() || sf.ColIndex < 0 {
		return 0, false, nil
	}
	return sf.ColIndex, true, nil
}

// allDictionaryPages reports whether the chunk's data pages are all
// dictionary-encoded. Page encoding statistics say so exactly; without
// them, the encodings list does only when it lacks PLAIN, which writers
// use both for the dictionary page and for pages that fell back.
func allDictionaryPages(stats []metadata.PageEncodingStats, encodings []parquet.Encoding) bool {
	if len(stats) > 0 {
		for _, s := range stats {
			switch s.PageType {
			case file.PageTypeDataPage, file.PageTypeDataPageV2:
				if s.Encoding != parquet.Encodings.RLEDict && s.Encoding != parquet.Encodings.PlainDict {
					return false
				}
			}
		}
		return true
	}
	dict := false
	for _, e := range encodings {
		switch e {
		case parquet.Encodings.RLEDict, parquet.Encodings.PlainDict:
			dict = true
		case parquet.Encodings.RLE, parquet.Encodings.BitPacked:
			// levels
		default:
			return false
		}
	}
	return dict
}

// plainByteArrays decodes n PLAIN BYTE_ARRAY values (4-byte little-endian
// length, then the bytes) into an array of type t.
func plainByteArrays(data []byte, n int, t arrow.DataType, f *File) (arrow.Array, error) {
	if n < 0 {
		return nil, fmt.Errorf("%d values", n)
	}
	b := array.NewBinaryBuilder(f.mem, t.(arrow.BinaryDataType))
	defer b.Release()
	b.Reserve(n)
	b.ReserveData(max(len(data)-4*n, 0))
	for i := 0; i < n; i++ {
		if len(data) < 4 {
			return nil, fmt.Errorf("value %d of %d: truncated", i, n)
		}
		l := binary.LittleEndian.Uint32(data)
		data = data[4:]
		if uint64(l) > uint64(len(data)) {
			return nil, fmt.Errorf("value %d of %d: length %d past the page end", i, n, l)
		}
		b.Append(data[:l])
		data = data[l:]
	}
	// The builder makes *array.Binary whatever its type; remake the
	// array from its data to get *array.String for strings.
	a := b.NewArray()
	defer a.Release()
	return array.MakeFromData(a.Data()), nil
}

// denseSchema replaces the dictionary fields of s (see ReadOptions.Schema)
// by their value types, which is what the file is matched against, and
// returns those fields' dictionary types by index.
func denseSchema(s *arrow.Schema) (*arrow.Schema, map[int]*arrow.DictionaryType) {
	var dict map[int]*arrow.DictionaryType
	fields := s.Fields()
	for i, f := range fields {
		dt, ok := f.Type.(*arrow.DictionaryType)
		if !ok {
			continue
		}
		if dict == nil {
			dict = map[int]*arrow.DictionaryType{}
		}
		dict[i] = dt
		fields[i].Type = dt.ValueType
	}
	if dict == nil {
		return s, nil
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md), dict
}

// dictionaryReader returns a reader that decodes the leaf columns of the
// dictionary plans, and the leaf columns dense (see denseFromDictionary),
// as dictionaries; fr itself when there are none.
func dictionaryReader(fr *pqarrow.FileReader, props pqarrow.ArrowReadProperties, plans []*fieldPlan, dict map[int]*arrow.DictionaryType, dense []int, mem memory.Allocator) (*pqarrow.FileReader, error) {
	if len(dict) == 0 && len(dense) == 0 {
		return fr, nil
	}
	for _, col := range dense {
		props.SetReadDict(col, true)
	}
	for i, dt := range dict {
		if !arrow.TypeEqual(dt.IndexType, arrow.PrimitiveTypes.Int32) || (dt.ValueType.ID() != arrow.STRING && dt.ValueType.ID() != arrow.BINARY) {
			return nil, fmt.Errorf("%w: field %q: only dictionary<int32, string|binary> fields are read as dictionaries, not %s", ErrInvalidOptions, plans[i].logical.Name, dt)
		}
		if sf := plans[i].file; sf != nil && sf.IsLeaf() && sf.ColIndex >= 0 {
			props.SetReadDict(sf.ColIndex, true)
		}
	}
	out, err := pqarrow.NewFileReader(fr.ParquetReader(), props, mem)
	if err != nil {
		return nil, fmt.Errorf("parquetio: read schema: %w", err)
	}
	return out, nil
}

// dictionaryColumn builds the dictionary column of plan p, typed dt, from
// a projected file batch: the file's dictionary array with its values
// converted to the logical type, or all nulls when the file lacks the
// column. A column the file gave densely (a nested or odd physical type)
// is dictionary-encoded here.
func (a *adapter) dictionaryColumn(p *fieldPlan, dt *arrow.DictionaryType, rec arrow.RecordBatch) (arrow.Array, error) {
	n := int(rec.NumRows())
	var src arrow.Array
	if p.file != nil {
		idx := rec.Schema().FieldIndices(p.file.Field.Name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("parquetio: projected batch lacks column %q", p.file.Field.Name)
		}
		src = rec.Column(idx[0])
	}
	if d, ok := src.(*array.Dictionary); ok && arrow.TypeEqual(d.Indices().DataType(), dt.IndexType) {
		values, err := convertLeaf(a.ctx, a.mem, d.Dictionary(), dt.ValueType)
		if err != nil {
			return nil, err
		}
		defer values.Release()
		return array.NewDictionaryArray(dt, d.Indices(), values), nil
	}
	var dense arrow.Array
	if src == nil {
		dense = array.MakeArrayOfNull(a.mem, dt.ValueType, n)
	} else {
		var err error
		if dense, err = a.adapt(p, src); err != nil {
			return nil, err
		}
	}
	defer dense.Release()
	b := array.NewDictionaryBuilder(a.mem, dt)
	defer b.Release()
	if err := b.AppendArray(dense); err != nil {
		return nil, fmt.Errorf("parquetio: dictionary-encode %q: %w", p.logical.Name, err)
	}
	return b.NewArray(), nil
}
