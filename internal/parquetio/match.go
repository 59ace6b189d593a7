package parquetio

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// fieldPlan says where a logical field comes from in a file.
type fieldPlan struct {
	logical arrow.Field
	// file is the matched file field; nil when the file lacks the field and
	// the output is all null.
	file *pqarrow.SchemaField
	// int96 marks a top-level INT96 timestamp column that the reader
	// decodes itself (see int96.go) instead of reading it through pqarrow.
	int96 bool
	// children are the plans of struct fields (in logical order), of a list
	// element ([0]) or of map key and value ([0], [1]).
	children []*fieldPlan
}

// planner matches a logical schema against one file's schema manifest.
type planner struct {
	mode   ColumnMappingMode
	pf     *file.Reader
	leaves map[int]bool // leaf columns pqarrow must read
}

// plan matches every logical field against the file's top-level fields.
func (p *planner) plan(logical *arrow.Schema, manifest *pqarrow.SchemaManifest) ([]*fieldPlan, error) {
	plans := make([]*fieldPlan, logical.NumFields())
	for i, lf := range logical.Fields() {
		sf := findField(manifest.Fields, lf, p.mode)
		if sf != nil && sf.IsLeaf() && lf.Type.ID() == arrow.TIMESTAMP && isFlatInt96(p.pf, sf.ColIndex) {
			plans[i] = &fieldPlan{logical: lf, file: sf, int96: true}
			continue
		}
		fp, err := p.planField(lf, sf, lf.Name)
		if err != nil {
			return nil, err
		}
		plans[i] = fp
	}
	return plans, nil
}

// findField returns the file field that provides lf under mode, or nil.
func findField(fields []pqarrow.SchemaField, lf arrow.Field, mode ColumnMappingMode) *pqarrow.SchemaField {
	if mode == ColumnMappingID {
		if id, ok := fieldID(lf); ok {
			for i := range fields {
				if fid, ok := metaValue(fields[i].Field.Metadata, MetaParquetFieldID); ok && fid == strconv.FormatInt(id, 10) {
					return &fields[i]
				}
			}
		}
	}
	name := physicalName(lf, mode)
	for i := range fields {
		if fields[i].Field.Name == name {
			return &fields[i]
		}
	}
	// Spark resolves columns case-insensitively by default; files written by
	// engines that changed case still belong to the table.
	for i := range fields {
		if strings.EqualFold(fields[i].Field.Name, name) {
			return &fields[i]
		}
	}
	return nil
}

func (p *planner) planField(lf arrow.Field, sf *pqarrow.SchemaField, path string) (*fieldPlan, error) {
	fp := &fieldPlan{logical: lf, file: sf}
	if sf == nil {
		if !lf.Nullable {
			return nil, fmt.Errorf("%w: non-nullable column %q is missing from the file", ErrSchemaMismatch, path)
		}
		return fp, nil
	}
	ft := sf.Field.Type
	if ft.ID() == arrow.NULL {
		// A column with no values in any row (Spark's void type); it reads
		// as nulls of the logical type.
		p.leaves[sf.ColIndex] = true
		return fp, nil
	}
	switch lt := lf.Type.(type) {
	case *arrow.StructType:
		if ft.ID() != arrow.STRUCT {
			return nil, mismatch(path, lf.Type, ft)
		}
		any := false
		for _, lc := range lt.Fields() {
			child := findField(sf.Children, lc, p.mode)
			cp, err := p.planField(lc, child, path+"."+lc.Name)
			if err != nil {
				return nil, err
			}
			any = any || child != nil
			fp.children = append(fp.children, cp)
		}
		if !any {
			// None of the logical children is in the file, but the struct's
			// own nulls still are: read one leaf to get them.
			p.leaves[firstLeaf(sf)] = true
		}
	case *arrow.ListType:
		if !isListLike(ft) || len(sf.Children) != 1 {
			return nil, mismatch(path, lf.Type, ft)
		}
		cp, err := p.planField(lt.ElemField(), &sf.Children[0], path+".element")
		if err != nil {
			return nil, err
		}
		fp.children = []*fieldPlan{cp}
	case *arrow.MapType:
		// A MAP, or a list of two-field structs: what legacy writers leave
		// when the MAP annotation is missing (MAP_KEY_VALUE only).
		isMap := ft.ID() == arrow.MAP || ft.ID() == arrow.LIST
		if !isMap || len(sf.Children) != 1 || sf.Children[0].Field.Type.ID() != arrow.STRUCT || len(sf.Children[0].Children) != 2 {
			return nil, mismatch(path, lf.Type, ft)
		}
		kv := sf.Children[0].Children
		kp, err := p.planField(lt.KeyField(), &kv[0], path+".key")
		if err != nil {
			return nil, err
		}
		vp, err := p.planField(lt.ItemField(), &kv[1], path+".value")
		if err != nil {
			return nil, err
		}
		fp.children = []*fieldPlan{kp, vp}
	default:
		if !sf.IsLeaf() {
			return nil, mismatch(path, lf.Type, ft)
		}
		if !canConvert(ft, lf.Type) {
			return nil, mismatch(path, lf.Type, ft)
		}
		p.leaves[sf.ColIndex] = true
	}
	return fp, nil
}

func isListLike(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST:
		return true
	}
	return false
}

func firstLeaf(sf *pqarrow.SchemaField) int {
	for sf != nil && !sf.IsLeaf() {
		sf = &sf.Children[0]
	}
	return sf.ColIndex
}

func mismatch(path string, logical, stored arrow.DataType) error {
	return fmt.Errorf("%w: column %q: stored type %s cannot be read as %s", ErrSchemaMismatch, path, stored, logical)
}
