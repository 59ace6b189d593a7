package delta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/google/uuid"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// CreateOptions describe a new table. A nil *CreateOptions creates an
// unpartitioned table with default properties.
type CreateOptions struct {
	// Table configures the returned *Table (allocator, URL mux, fsync).
	Table *Options
	// PartitionBy names the partition columns, in order.
	PartitionBy []string
	// ClusterBy names the clustering columns (Spark's CREATE TABLE …
	// CLUSTER BY), dotted for nested fields: the table gets the
	// clustering and domainMetadata writer features and a
	// delta.clustering domain. It cannot be combined with PartitionBy
	// (ErrClusteredPartitioned).
	ClusterBy []string
	// Properties are table properties (metaData.configuration):
	// delta.appendOnly, delta.enableChangeDataFeed,
	// delta.enableDeletionVectors, delta.enableInCommitTimestamps,
	// delta.columnMapping.mode, delta.checkpointPolicy, … The protocol is
	// chosen from the features they enable.
	Properties map[string]string
	// Constraints are CHECK constraints, name → SQL expression; stored as
	// delta.constraints.<name> properties.
	Constraints map[string]string
	// Name and Description go to metaData.name and metaData.description.
	Name, Description string
	// Txn configures the data write of CreateAsSelect (file size, codec).
	// Its Mode must be unset: creating appends and replacing overwrites.
	Txn *TxnOptions
}

// Create creates an empty Delta table at url with an Arrow schema. NOT
// NULL columns are Arrow fields with Nullable false; Arrow field metadata
// is kept as Delta column metadata ("comment", and
// "delta.generationExpression" for generated columns). It fails with
// ErrTableExists when the location already holds a table, ErrInvalidPath
// for a url that names no location, and with ErrUnsupportedType for a column type Delta cannot store (see the type
// table in the package documentation).
//
// The table gets the lowest protocol its columns and properties need:
// reader 1 / writer 2 for plain columns. A timestamp without a time zone
// (Arrow timestamp[us] with no TimeZone) needs reader 3 / writer 7 with
// timestampNtz, which older readers cannot read; Snapshot().Protocol()
// shows it, and the ...AsSelect variants return it in
// CommitResult.Protocol.
func Create(ctx context.Context, url string, schema *arrow.Schema, opts *CreateOptions) (*Table, error) {
	t, _, err := createTable(ctx, url, schema, nil, false, opts)
	return t, err
}

// CreateOrReplace creates the table, or replaces the schema, properties
// and contents of an existing one in a single commit (history is kept).
func CreateOrReplace(ctx context.Context, url string, schema *arrow.Schema, opts *CreateOptions) (*Table, error) {
	t, _, err := createTable(ctx, url, schema, nil, true, opts)
	return t, err
}

// CreateAsSelect creates a table whose schema and rows are those of rr, in
// one commit (Spark's CREATE TABLE AS SELECT).
func CreateAsSelect(ctx context.Context, url string, rr array.RecordReader, opts *CreateOptions) (*Table, *CommitResult, error) {
	return createTable(ctx, url, rr.Schema(), rr, false, opts)
}

// CreateOrReplaceAsSelect is CreateAsSelect that replaces an existing
// table (Spark's CREATE OR REPLACE TABLE AS SELECT).
func CreateOrReplaceAsSelect(ctx context.Context, url string, rr array.RecordReader, opts *CreateOptions) (*Table, *CommitResult, error) {
	return createTable(ctx, url, rr.Schema(), rr, true, opts)
}

func createTable(ctx context.Context, url string, schema *arrow.Schema, rr array.RecordReader, replace bool, opts *CreateOptions) (*Table, *CommitResult, error) {
	if opts == nil {
		opts = &CreateOptions{}
	}
	t, err := openLocation(ctx, url, opts.Table)
	if err != nil {
		return nil, nil, err
	}
	res, err := t.create(ctx, schema, rr, replace, opts)
	if err != nil {
		_ = t.Close()
		return nil, nil, err
	}
	return t, res, nil
}

// create commits the new table on an opened location.
func (t *Table) create(ctx context.Context, schema *arrow.Schema, rr array.RecordReader, replace bool, opts *CreateOptions) (*CommitResult, error) {
	meta, proto, err := newTableMetadata(schema, opts)
	if err != nil {
		return nil, err
	}
	if opts.Txn != nil && opts.Txn.Mode != 0 {
		return nil, fmt.Errorf("%w: CreateOptions.Txn.Mode %s (leave it unset: creating appends, replacing overwrites)", ErrInvalidArgument, opts.Txn.Mode)
	}
	to := opts.Txn.withDefaults()
	if err := to.validate(); err != nil {
		return nil, err
	}
	var x *Transaction
	snap, err := t.Snapshot(ctx)
	switch {
	case err == nil && !replace:
		return nil, fmt.Errorf("%w: %s (version %d)", ErrTableExists, t.name(), snap.Version())
	case err == nil:
		to.Mode = Overwrite
		if x, err = t.beginAt(ctx, snap, to); err != nil {
			return nil, err
		}
		if len(meta.PartitionColumns) > 0 && snap.IsClustered() {
			// The clustering feature stays in the protocol, and a clustered
			// table cannot be partitioned (Spark refuses this replacement
			// too).
			return nil, fmt.Errorf("%w: replacing clustered table %s with a partitioned one", ErrClusteredPartitioned, t.url)
		}
		proto = mergeProtocols(snap.state.Protocol, proto)
	case errors.Is(err, ErrNotATable):
		x = &Transaction{table: t, readVersion: -1, opts: to}
	default:
		return nil, err
	}
	x.meta, x.proto, x.metaChanged = meta, proto, true
	x.protoChanged = x.snap == nil || !protocolsEqual(proto, x.snap.state.Protocol)
	if x.schema, err = protocol.ParseSchema(meta.SchemaString); err != nil {
		return nil, err
	}
	if x.mapping, err = protocol.ColumnMapping(proto, meta); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidArgument, err)
	}
	if x.identity, err = identityColumns(x.schema); err != nil {
		return nil, err
	}
	if len(opts.ClusterBy) > 0 {
		d, err := clusteringDomain(x.schema, x.mapping, protocol.Config(meta.Configuration), opts.ClusterBy)
		if err != nil {
			return nil, err
		}
		x.domains = append(x.domains, d)
	} else if x.snap != nil {
		// A replaced clustered table that is no longer clustered: its old
		// clustering columns must not survive the replacement.
		if old, ok := x.snap.state.LiveDomains()[ClusteringDomain]; ok {
			old.Removed = true
			x.domains = append(x.domains, old)
		}
	}
	x.operation, x.opParams = createOperation(replace, rr != nil, meta)
	x.opParams["clusterBy"] = jsonString(opts.ClusterBy)
	defer func() { _ = x.Rollback() }()
	if rr != nil {
		if err := x.Write(ctx, rr); err != nil {
			return nil, err
		}
	}
	return x.Commit(ctx)
}

// createOperation names the commit the way Spark does.
func createOperation(replace, withData bool, meta *protocol.Metadata) (string, map[string]any) {
	op := "CREATE TABLE"
	if replace {
		op = "CREATE OR REPLACE TABLE"
	}
	if withData {
		op += " AS SELECT"
	}
	params := map[string]any{
		"isManaged":   "false",
		"partitionBy": jsonString(meta.PartitionColumns),
		"properties":  jsonString(meta.Configuration),
	}
	if meta.Description != "" {
		params["description"] = meta.Description
	} else {
		params["description"] = nil
	}
	return op, params
}

// newTableMetadata builds the metaData and minimal protocol of a new table.
func newTableMetadata(schema *arrow.Schema, opts *CreateOptions) (*protocol.Metadata, *protocol.Protocol, error) {
	if schema == nil || schema.NumFields() == 0 {
		return nil, nil, fmt.Errorf("%w: a table needs at least one column", ErrInvalidArgument)
	}
	st, err := deltaSchema(schema, true)
	if err != nil {
		return nil, nil, err
	}
	if err := checkColumnNames(st); err != nil {
		return nil, nil, err
	}
	props := maps.Clone(opts.Properties)
	if props == nil {
		props = map[string]string{}
	}
	if len(opts.ClusterBy) > 0 {
		if len(opts.PartitionBy) > 0 {
			return nil, nil, fmt.Errorf("%w: PartitionBy %v with ClusterBy %v", ErrClusteredPartitioned, opts.PartitionBy, opts.ClusterBy)
		}
		maps.Copy(props, clusteringFeatures)
	}
	for name, sql := range opts.Constraints {
		if name == "" || strings.TrimSpace(sql) == "" {
			return nil, nil, fmt.Errorf("%w: constraint %q needs a name and an expression", ErrInvalidArgument, name)
		}
		props["delta.constraints."+strings.ToLower(name)] = sql
	}
	parts := make([]string, 0, len(opts.PartitionBy))
	for _, p := range opts.PartitionBy {
		f, _ := st.Field(p)
		if f == nil {
			return nil, nil, fmt.Errorf("%w: partition column %q is not in the schema (columns: %s)", ErrInvalidArgument, p, strings.Join(fieldNames(st), ", "))
		}
		if _, nested := f.Type.(protocol.PrimitiveType); !nested {
			return nil, nil, fmt.Errorf("%w: partition column %q has type %s; partition columns must be primitive", ErrInvalidArgument, p, f.Type)
		}
		if slices.Contains(parts, f.Name) {
			return nil, nil, fmt.Errorf("%w: partition column %q given twice", ErrInvalidArgument, p)
		}
		parts = append(parts, f.Name)
	}
	if len(parts) == len(st.Fields) {
		return nil, nil, fmt.Errorf("%w: every column is a partition column; a table needs at least one data column", ErrInvalidArgument)
	}
	feats, err := featuresInUse(st, props)
	if err != nil {
		return nil, nil, err
	}
	proto, err := minimalProtocol(feats, props)
	if err != nil {
		return nil, nil, err
	}
	if err := checkWritableFeatures(feats); err != nil {
		return nil, nil, err
	}
	if slices.Contains(feats, "columnMapping") {
		maxID := assignColumnMapping(st, 0)
		props[protocol.PropColumnMappingMaxID] = strconv.FormatInt(maxID, 10)
	}
	ss, err := protocol.MarshalSchema(st)
	if err != nil {
		return nil, nil, err
	}
	created := time.Now().UnixMilli()
	meta := &protocol.Metadata{
		ID:               uuid.NewString(),
		Name:             opts.Name,
		Description:      opts.Description,
		Format:           protocol.Format{Provider: "parquet", Options: map[string]string{}},
		SchemaString:     ss,
		PartitionColumns: parts,
		CreatedTime:      &created,
		Configuration:    props,
	}
	return meta, proto, nil
}

// checkWritableFeatures refuses to create a table using features this
// writer cannot honour.
func checkWritableFeatures(feats []string) error {
	for _, f := range feats {
		if !slices.Contains(protocol.SupportedWriterFeatures, f) {
			return &UnsupportedFeatureError{Feature: f, Writer: true}
		}
	}
	return nil
}

// assignColumnMapping gives every field without one a column id and a
// physical name, depth first, and returns the highest id used.
func assignColumnMapping(st *protocol.StructType, maxID int64) int64 {
	var visit func(t protocol.DataType)
	visit = func(t protocol.DataType) {
		switch v := t.(type) {
		case *protocol.StructType:
			for _, f := range v.Fields {
				if id, ok := f.MetadataInt(protocol.MetaColumnID); ok {
					maxID = max(maxID, id)
				} else {
					maxID++
					setMeta(f, protocol.MetaColumnID, json.RawMessage(strconv.FormatInt(maxID, 10)))
				}
				if _, ok := f.MetadataString(protocol.MetaPhysicalName); !ok {
					b, _ := json.Marshal("col-" + uuid.NewString())
					setMeta(f, protocol.MetaPhysicalName, b)
				}
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

func setMeta(f *protocol.StructField, k string, v json.RawMessage) {
	if f.Metadata == nil {
		f.Metadata = map[string]json.RawMessage{}
	}
	f.Metadata[k] = v
}

// checkColumnNames rejects duplicate (case-insensitive) or empty names.
func checkColumnNames(st *protocol.StructType) error {
	seen := map[string]bool{}
	for _, f := range st.Fields {
		if f.Name == "" {
			return fmt.Errorf("%w: empty column name", ErrInvalidArgument)
		}
		k := strings.ToLower(f.Name)
		if seen[k] {
			return fmt.Errorf("%w: duplicate column %q", ErrInvalidArgument, f.Name)
		}
		seen[k] = true
	}
	return nil
}

func fieldNames(st *protocol.StructType) []string {
	out := make([]string, len(st.Fields))
	for i, f := range st.Fields {
		out[i] = f.Name
	}
	return out
}
