package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/delta/expr"
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// ParseSchemaJSON converts a Delta schema JSON document (a metaData
// schemaString, as Spark's df.schema.json() prints it) to an Arrow schema
// suitable for Create.
func ParseSchemaJSON(text string) (*arrow.Schema, error) {
	st, err := protocol.ParseSchema(strings.TrimSpace(text))
	if err != nil {
		return nil, fmt.Errorf("%w: schema: %w", ErrInvalidArgument, err)
	}
	s, err := protocol.ToArrowSchema(st)
	if err != nil {
		return nil, fmt.Errorf("%w: schema: %w", ErrInvalidArgument, err)
	}
	return s, nil
}

// alter runs one metadata-changing commit on the latest snapshot: change
// edits the transaction's metadata (a private copy).
func (t *Table) alter(ctx context.Context, opts *TxnOptions, op string, params map[string]any, change func(x *Transaction) error) (*CommitResult, error) {
	o, err := opts.withMode(Append, op)
	if err != nil {
		return nil, err
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	x, err := t.beginAt(ctx, snap, o)
	if err != nil {
		return nil, err
	}
	defer func() { _ = x.Rollback() }()
	meta := *x.meta
	meta.Configuration = maps.Clone(meta.Configuration)
	if meta.Configuration == nil {
		meta.Configuration = map[string]string{}
	}
	x.meta = &meta
	x.operation, x.opParams = op, params
	if err := change(x); err != nil {
		return nil, err
	}
	if err := x.refreshProtocol(); err != nil {
		return nil, err
	}
	x.metaChanged = true
	return x.Commit(ctx)
}

// refreshProtocol upgrades the protocol to cover the features the new
// metadata uses (never downgrading).
func (x *Transaction) refreshProtocol() error {
	st, err := protocol.ParseSchema(x.meta.SchemaString)
	if err != nil {
		return corrupt("%v", err)
	}
	props := maps.Clone(x.meta.Configuration)
	feats, err := featuresInUse(st, props)
	if err != nil {
		return err
	}
	if err := checkWritableFeatures(feats); err != nil {
		return err
	}
	want, err := minimalProtocol(feats, props)
	if err != nil {
		return err
	}
	// delta.feature.* and delta.min*Version are protocol requests, not
	// properties; they were consumed above.
	for k := range x.meta.Configuration {
		if _, kept := props[k]; !kept {
			delete(x.meta.Configuration, k)
		}
	}
	if p := mergeProtocols(x.proto, want); !protocolsEqual(p, x.proto) {
		x.proto, x.protoChanged = p, true
	}
	mapping, err := protocol.ColumnMapping(x.proto, x.meta)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	if mapping != x.mapping {
		if x.mapping != protocol.ColumnMappingNone {
			return fmt.Errorf("%w: column mapping mode cannot change from %s to %s", ErrInvalidArgument, x.mapping, mapping)
		}
		// Existing data files use the current names: they become the
		// physical names, as Spark does when mapping is enabled.
		maxID := assignExistingColumnMapping(st)
		ss, err := protocol.MarshalSchema(st)
		if err != nil {
			return err
		}
		x.meta.SchemaString = ss
		x.meta.Configuration[protocol.PropColumnMappingMaxID] = fmt.Sprint(maxID)
		x.mapping = mapping
	}
	x.schema = st
	if parsed, err := protocol.ParseSchema(x.meta.SchemaString); err == nil {
		x.schema = parsed
	}
	return nil
}

// assignExistingColumnMapping gives each field an id and its current name
// as physical name.
func assignExistingColumnMapping(st *protocol.StructType) int64 {
	var maxID int64
	var visit func(t protocol.DataType)
	visit = func(t protocol.DataType) {
		switch v := t.(type) {
		case *protocol.StructType:
			for _, f := range v.Fields {
				maxID++
				setMeta(f, protocol.MetaColumnID, json.RawMessage(fmt.Sprint(maxID)))
				b, _ := json.Marshal(f.Name)
				setMeta(f, protocol.MetaPhysicalName, b)
				visit(f.Type)
			}
		case *protocol.ArrayType:
			visit(v.ElementType)
		case *protocol.MapType:
			visit(v.KeyType)
			visit(v.ValueType)
		}
	}
	visit(st)
	return maxID
}

// SetProperties sets table properties in one commit (SET TBLPROPERTIES).
// Properties that enable features (delta.enableChangeDataFeed,
// delta.enableDeletionVectors, delta.columnMapping.mode, …) upgrade the
// protocol as needed.
func (t *Table) SetProperties(ctx context.Context, props map[string]string, opts *TxnOptions) (*CommitResult, error) {
	if len(props) == 0 {
		return nil, fmt.Errorf("%w: no properties to set", ErrInvalidArgument)
	}
	for k := range props {
		if strings.HasPrefix(k, "delta.constraints.") {
			return nil, fmt.Errorf("%w: set %s with AddConstraint, which checks existing rows", ErrInvalidArgument, k)
		}
	}
	return t.alter(ctx, opts, "SET TBLPROPERTIES", map[string]any{"properties": jsonString(props)}, func(x *Transaction) error {
		enablingICT := !protocol.Config(x.meta.Configuration).Bool(protocol.PropEnableICT, false) &&
			protocol.Config(props).Bool(protocol.PropEnableICT, false)
		maps.Copy(x.meta.Configuration, props)
		if enablingICT && x.readVersion > 0 {
			x.ictEnablement = true
		}
		return nil
	})
}

// UnsetProperties removes table properties (UNSET TBLPROPERTIES IF
// EXISTS). The protocol is not downgraded.
func (t *Table) UnsetProperties(ctx context.Context, keys []string, opts *TxnOptions) (*CommitResult, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no properties to unset", ErrInvalidArgument)
	}
	return t.alter(ctx, opts, "UNSET TBLPROPERTIES", map[string]any{"properties": jsonString(keys), "ifExists": "true"}, func(x *Transaction) error {
		for _, k := range keys {
			if k == protocol.PropColumnMappingMode && x.mapping != protocol.ColumnMappingNone {
				return fmt.Errorf("%w: column mapping cannot be turned off", ErrInvalidArgument)
			}
			delete(x.meta.Configuration, k)
		}
		return nil
	})
}

// AddConstraint adds a CHECK constraint (ALTER TABLE … ADD CONSTRAINT).
// Every existing row must satisfy it; concurrent writes conflict with it.
func (t *Table) AddConstraint(ctx context.Context, name, sql string, opts *TxnOptions) (*CommitResult, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return nil, fmt.Errorf("%w: constraint needs a name", ErrInvalidArgument)
	}
	e, err := expr.Parse(sql)
	if err != nil {
		return nil, fmt.Errorf("%w: constraint %s: %w", ErrInvalidArgument, name, err)
	}
	return t.alter(ctx, opts, "ADD CONSTRAINT", map[string]any{"name": name, "expr": sql}, func(x *Transaction) error {
		key := "delta.constraints." + name
		if old, ok := x.meta.Configuration[key]; ok {
			return fmt.Errorf("%w: constraint %s already exists (%s)", ErrInvalidArgument, name, old)
		}
		if _, err := expr.Compile(e, x.snap.Schema(), nil); err != nil {
			return fmt.Errorf("%w: constraint %s: %w", ErrInvalidArgument, name, err)
		}
		violating := expr.Or(expr.Not(e), expr.IsNull(e))
		rr, err := x.snap.Scan(ctx, &ScanOptions{Filter: violating})
		if err != nil {
			return err
		}
		defer rr.Release()
		for rr.Next() {
			if rec := rr.RecordBatch(); rec.NumRows() > 0 {
				return fmt.Errorf("%w: existing rows violate CHECK constraint %s (%s), e.g. %s", ErrConstraintViolation, name, sql, rowString(rec, 0))
			}
		}
		if err := rr.Err(); err != nil {
			return err
		}
		x.meta.Configuration[key] = sql
		// Rows appended concurrently were not checked: any concurrent add
		// is a conflict.
		x.readWholeTable = true
		x.opts.Isolation = Serializable
		return nil
	})
}

// DropConstraint removes a CHECK constraint.
func (t *Table) DropConstraint(ctx context.Context, name string, opts *TxnOptions) (*CommitResult, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	key := "delta.constraints." + name
	var sql string
	return t.alter(ctx, opts, "DROP CONSTRAINT", nil, func(x *Transaction) error {
		var ok bool
		if sql, ok = x.meta.Configuration[key]; !ok {
			return fmt.Errorf("%w: no constraint %s", ErrInvalidArgument, name)
		}
		delete(x.meta.Configuration, key)
		x.opParams = map[string]any{"name": name, "expr": sql, "existed": "true"}
		return nil
	})
}

// AddColumns appends nullable columns to the table schema (ALTER TABLE …
// ADD COLUMNS). Existing files read them as null.
func (t *Table) AddColumns(ctx context.Context, fields []arrow.Field, opts *TxnOptions) (*CommitResult, error) {
	if len(fields) == 0 {
		return nil, fmt.Errorf("%w: no columns to add", ErrInvalidArgument)
	}
	var added []*protocol.StructField
	var cols []any
	for _, f := range fields {
		if !f.Nullable {
			return nil, fmt.Errorf("%w: added column %q must be nullable (existing rows have no value)", ErrInvalidArgument, f.Name)
		}
		df, err := deltaField(f)
		if err != nil {
			return nil, err
		}
		added = append(added, df)
		cols = append(cols, map[string]any{"column": fieldJSON(df)})
	}
	return t.alter(ctx, opts, "ADD COLUMNS", map[string]any{"columns": jsonString(cols)}, func(x *Transaction) error {
		st := cloneStruct(x.schema)
		for _, f := range added {
			if fieldFold(st, f.Name) != nil {
				return fmt.Errorf("%w: column %q already exists", ErrInvalidArgument, f.Name)
			}
			st.Fields = append(st.Fields, f)
		}
		return x.setSchema(st, x.meta.PartitionColumns)
	})
}

// RenameColumn renames a top-level column. It needs column mapping (the
// data files keep the physical name).
func (t *Table) RenameColumn(ctx context.Context, from, to string, opts *TxnOptions) (*CommitResult, error) {
	return t.alter(ctx, opts, "RENAME COLUMN", map[string]any{"oldColumnPath": from, "newColumnPath": to}, func(x *Transaction) error {
		if x.mapping == protocol.ColumnMappingNone {
			return fmt.Errorf("%w: renaming columns needs column mapping (set delta.columnMapping.mode=name first)", ErrInvalidArgument)
		}
		st := cloneStruct(x.schema)
		f := fieldFold(st, from)
		if f == nil {
			return fmt.Errorf("%w: no column %q", ErrInvalidArgument, from)
		}
		if g := fieldFold(st, to); g != nil && g != f {
			return fmt.Errorf("%w: column %q already exists", ErrInvalidArgument, to)
		}
		parts := slices.Clone(x.meta.PartitionColumns)
		for i, p := range parts {
			if strings.EqualFold(p, f.Name) {
				parts[i] = to
			}
		}
		if err := x.checkNotReferenced(f.Name, "rename"); err != nil {
			return err
		}
		f.Name = to
		return x.setSchema(st, parts)
	})
}

// checkNotReferenced refuses to rename or drop a column that a CHECK
// constraint or generated column refers to, as Spark does: the expression
// would stop compiling.
func (x *Transaction) checkNotReferenced(column, what string) error {
	var exprs []string
	for k, v := range x.meta.Configuration {
		if strings.HasPrefix(k, "delta.constraints.") {
			exprs = append(exprs, v)
		}
	}
	for _, f := range x.schema.Fields {
		if g, ok := f.MetadataString(protocol.MetaGeneration); ok {
			exprs = append(exprs, g)
		}
	}
	for _, sql := range exprs {
		e, err := expr.Parse(sql)
		if err != nil {
			continue
		}
		for _, path := range expr.Columns(e) {
			if len(path) > 0 && strings.EqualFold(path[0], column) {
				return fmt.Errorf("%w: cannot %s column %q: %s refers to it", ErrInvalidArgument, what, column, sql)
			}
		}
	}
	return nil
}

// DropColumns removes top-level columns. It needs column mapping;
// partition columns cannot be dropped.
func (t *Table) DropColumns(ctx context.Context, names []string, opts *TxnOptions) (*CommitResult, error) {
	return t.alter(ctx, opts, "DROP COLUMNS", map[string]any{"columns": jsonString(names)}, func(x *Transaction) error {
		if x.mapping == protocol.ColumnMappingNone {
			return fmt.Errorf("%w: dropping columns needs column mapping (set delta.columnMapping.mode=name first)", ErrInvalidArgument)
		}
		st := cloneStruct(x.schema)
		for _, n := range names {
			f := fieldFold(st, n)
			if f == nil {
				return fmt.Errorf("%w: no column %q", ErrInvalidArgument, n)
			}
			if containsFold(x.meta.PartitionColumns, n) {
				return fmt.Errorf("%w: %q is a partition column", ErrInvalidArgument, n)
			}
			if err := x.checkNotReferenced(f.Name, "drop"); err != nil {
				return err
			}
			st.Fields = slices.DeleteFunc(st.Fields, func(g *protocol.StructField) bool { return g == f })
		}
		if len(st.Fields) == len(x.meta.PartitionColumns) {
			return fmt.Errorf("%w: a table needs at least one data column", ErrInvalidArgument)
		}
		return x.setSchema(st, x.meta.PartitionColumns)
	})
}

// SetColumnComment sets (or, with "", removes) a top-level column's
// comment (ALTER TABLE … ALTER COLUMN … COMMENT).
func (t *Table) SetColumnComment(ctx context.Context, column, comment string, opts *TxnOptions) (*CommitResult, error) {
	return t.alter(ctx, opts, "CHANGE COLUMN", nil, func(x *Transaction) error {
		st := cloneStruct(x.schema)
		f := fieldFold(st, column)
		if f == nil {
			return fmt.Errorf("%w: no column %q", ErrInvalidArgument, column)
		}
		f.Metadata = maps.Clone(f.Metadata)
		if comment == "" {
			delete(f.Metadata, protocol.MetaComment)
		} else {
			b, _ := json.Marshal(comment)
			setMeta(f, protocol.MetaComment, b)
		}
		x.opParams = map[string]any{"column": jsonString(fieldJSON(f))}
		return x.setSchema(st, x.meta.PartitionColumns)
	})
}

// cloneStruct copies the top level of a schema so fields can be edited.
func cloneStruct(st *protocol.StructType) *protocol.StructType {
	out := &protocol.StructType{Fields: make([]*protocol.StructField, len(st.Fields))}
	for i, f := range st.Fields {
		c := *f
		out.Fields[i] = &c
	}
	return out
}

// fieldJSON renders one field as Delta schema JSON (for operationParameters).
func fieldJSON(f *protocol.StructField) any {
	s, err := protocol.MarshalSchema(&protocol.StructType{Fields: []*protocol.StructField{f}})
	if err != nil {
		return f.Name
	}
	var doc struct {
		Fields []json.RawMessage `json:"fields"`
	}
	if json.Unmarshal([]byte(s), &doc) != nil || len(doc.Fields) != 1 {
		return f.Name
	}
	return doc.Fields[0]
}
