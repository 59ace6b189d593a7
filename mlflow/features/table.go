package features

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// Table properties that carry a feature table's declaration. Open-source
// Delta has no place for PRIMARY KEY constraints (delta.constraints.* holds
// CHECK constraints only, and Unity Catalog keeps informational key
// constraints in its catalog, not in the log), so the declaration lives in
// metaData.configuration under these names, where Spark's SHOW
// TBLPROPERTIES and delta-rs show it.
const (
	// PropPrimaryKeys is the JSON list of primary-key columns, including
	// the timestamp key when there is one, in Unity Catalog's order.
	// OpenFeatureTable also reads comma-separated names, as a table
	// declared by hand in Spark SQL carries them.
	PropPrimaryKeys = "lakehouse.feature.primaryKeys"
	// PropTimestampKey names the TIMESERIES column of the primary key.
	PropTimestampKey = "lakehouse.feature.timestampKey"
	// PropConstraint is the key constraint as Databricks SQL declares it:
	// "CONSTRAINT <name> PRIMARY KEY (id, ts TIMESERIES)".
	PropConstraint = "lakehouse.feature.constraint"
	// PropTagPrefix prefixes each feature-table tag.
	PropTagPrefix = "lakehouse.feature.tag."
)

// FeatureTableOptions declare a feature table. PrimaryKeys is required.
type FeatureTableOptions struct {
	// PrimaryKeys are the entity key columns; they become NOT NULL. The
	// timestamp key may be listed here too (as Databricks' create_table
	// requires) or only in TimestampKey.
	PrimaryKeys []string
	// TimestampKey, when set, makes this a time-series feature table: a
	// key has one row per timestamp, and lookups are point-in-time. The
	// column must be a timestamp or date and becomes NOT NULL.
	TimestampKey string
	// Description goes to the Delta table's metaData.description (Spark's
	// table comment).
	Description string
	// Tags are stored as lakehouse.feature.tag.<key> properties.
	Tags map[string]string
	// PartitionBy names partition columns.
	PartitionBy []string
	// ConstraintName names the key constraint; default "<last path
	// element>_pk".
	ConstraintName string
	// Table configures the Delta table handle (allocator, URL mux).
	Table *delta.Options
}

// FeatureTable is a Delta table with a declared primary key and optional
// timestamp key.
type FeatureTable struct {
	table        *delta.Table
	keys         []string // entity keys, without the timestamp key
	timestampKey string
	description  string
	tags         map[string]string
}

// CreateFeatureTable creates a Delta feature table at url. Primary-key
// and timestamp-key columns are made NOT NULL; the declaration is stored
// in the table properties named by PropPrimaryKeys, PropTimestampKey and
// PropConstraint.
func CreateFeatureTable(ctx context.Context, url string, schema *arrow.Schema, opts *FeatureTableOptions) (*FeatureTable, error) {
	var o FeatureTableOptions
	if opts != nil {
		o = *opts
	}
	keys := slices.DeleteFunc(slices.Clone(o.PrimaryKeys), func(k string) bool { return k == o.TimestampKey })
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: a feature table needs at least one primary key besides the timestamp key", ErrInvalidArgument)
	}
	all := slices.Clone(keys)
	if o.TimestampKey != "" {
		all = append(all, o.TimestampKey)
	}
	fields := slices.Clone(schema.Fields())
	for _, k := range all {
		i := slices.IndexFunc(fields, func(f arrow.Field) bool { return f.Name == k })
		if i < 0 {
			return nil, fmt.Errorf("%w: primary key %q is not a column", ErrInvalidArgument, k)
		}
		if err := checkKeyType(fields[i].Type); err != nil {
			return nil, fmt.Errorf("%w: column %q", err, k)
		}
		fields[i].Nullable = false
	}
	if o.TimestampKey != "" {
		i := slices.IndexFunc(fields, func(f arrow.Field) bool { return f.Name == o.TimestampKey })
		if !isTimeType(fields[i].Type) {
			return nil, fmt.Errorf("%w: timestamp key %q is %s, not a timestamp or date", ErrInvalidArgument, o.TimestampKey, fields[i].Type)
		}
	}
	md := schema.Metadata()
	schema = arrow.NewSchema(fields, &md)
	props := map[string]string{}
	for k, v := range o.Tags {
		props[PropTagPrefix+k] = v
	}
	pk, _ := json.Marshal(all)
	props[PropPrimaryKeys] = string(pk)
	if o.TimestampKey != "" {
		props[PropTimestampKey] = o.TimestampKey
	}
	name := o.ConstraintName
	if name == "" {
		name = lastElem(url) + "_pk"
	}
	props[PropConstraint] = constraintSQL(name, keys, o.TimestampKey)
	t, err := delta.Create(ctx, url, schema, &delta.CreateOptions{
		Table: o.Table, PartitionBy: o.PartitionBy, Properties: props, Description: o.Description,
	})
	if err != nil {
		return nil, fmt.Errorf("features: create feature table: %w", err)
	}
	return &FeatureTable{table: t, keys: keys, timestampKey: o.TimestampKey, description: o.Description, tags: maps.Clone(o.Tags)}, nil
}

// constraintSQL renders the key declaration in Databricks SQL.
func constraintSQL(name string, keys []string, ts string) string {
	cols := slices.Clone(keys)
	if ts != "" {
		cols = append(cols, ts+" TIMESERIES")
	}
	return "CONSTRAINT " + name + " PRIMARY KEY (" + strings.Join(cols, ", ") + ")"
}

func lastElem(url string) string {
	s := strings.TrimRight(url, "/")
	if i := strings.LastIndexAny(s, "/\\:"); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "features"
	}
	return s
}

// OpenFeatureTable opens a feature table created by CreateFeatureTable (or
// any Delta table whose properties carry PropPrimaryKeys).
func OpenFeatureTable(ctx context.Context, url string, opts *delta.Options) (*FeatureTable, error) {
	t, err := delta.Open(ctx, url, opts)
	if err != nil {
		return nil, fmt.Errorf("features: open feature table: %w", err)
	}
	snap, err := t.Snapshot(ctx)
	if err != nil {
		_ = t.Close()
		return nil, fmt.Errorf("features: open feature table: %w", err)
	}
	props := snap.Properties()
	all := parseKeyList(props[PropPrimaryKeys])
	if len(all) == 0 {
		_ = t.Close()
		return nil, fmt.Errorf("%w: %s", ErrNotAFeatureTable, url)
	}
	ft := &FeatureTable{table: t, timestampKey: props[PropTimestampKey], description: snap.Metadata().Description, tags: map[string]string{}}
	ft.keys = slices.DeleteFunc(all, func(k string) bool { return k == ft.timestampKey })
	for k, v := range props {
		if tag, ok := strings.CutPrefix(k, PropTagPrefix); ok {
			ft.tags[tag] = v
		}
	}
	return ft, nil
}

// parseKeyList reads PropPrimaryKeys: the JSON array CreateFeatureTable
// writes, or the comma-separated names a Spark user declaring the table
// with TBLPROPERTIES ('lakehouse.feature.primaryKeys' = 'id, region')
// writes by hand.
func parseKeyList(v string) []string {
	var all []string
	if err := json.Unmarshal([]byte(v), &all); err == nil {
		return all
	}
	for _, k := range strings.Split(v, ",") {
		if k = strings.TrimSpace(k); k != "" {
			all = append(all, k)
		}
	}
	return all
}

// Table is the underlying Delta table.
func (ft *FeatureTable) Table() *delta.Table { return ft.table }

// Name is the table's URL, the name recorded in feature specs.
func (ft *FeatureTable) Name() string { return ft.table.URL() }

// PrimaryKeys are the entity key columns (without the timestamp key).
func (ft *FeatureTable) PrimaryKeys() []string { return slices.Clone(ft.keys) }

// TimestampKey is the TIMESERIES key column, "" for none.
func (ft *FeatureTable) TimestampKey() string { return ft.timestampKey }

// Description is the table's description.
func (ft *FeatureTable) Description() string { return ft.description }

// Tags are the table's tags.
func (ft *FeatureTable) Tags() map[string]string { return maps.Clone(ft.tags) }

// Close releases the table handle.
func (ft *FeatureTable) Close() error { return ft.table.Close() }

// allKeys is the primary key including the timestamp key.
func (ft *FeatureTable) allKeys() []string {
	if ft.timestampKey == "" {
		return ft.keys
	}
	return append(slices.Clone(ft.keys), ft.timestampKey)
}

// WriteMode says how WriteFeatures treats existing rows.
type WriteMode int

const (
	// MergeMode (the default) upserts on the primary key and timestamp
	// key: rows whose key exists are replaced, new keys are inserted, so
	// writing the same day twice leaves the table as after one write.
	MergeMode WriteMode = iota
	// OverwriteMode replaces all rows of the table.
	OverwriteMode
)

// WriteFeatures writes records to the feature table. In MergeMode it runs
// MERGE ON target.key = source.key [AND target.ts = source.ts] WHEN
// MATCHED UPDATE SET * WHEN NOT MATCHED INSERT *; a key given twice in
// records fails with delta.ErrMergeCardinality and writes nothing.
func WriteFeatures(ctx context.Context, ft *FeatureTable, records array.RecordReader, mode WriteMode) (*delta.CommitResult, error) {
	var res *delta.CommitResult
	var err error
	switch mode {
	case OverwriteMode:
		res, err = ft.table.Overwrite(ctx, records, nil)
	case MergeMode:
		var conds []expr.Expr
		for _, k := range ft.allKeys() {
			conds = append(conds, expr.Col("target", k).Eq(expr.Col("source", k)))
		}
		res, err = ft.table.Merge(ctx, records, expr.And(conds...), &delta.MergeOptions{
			WhenMatched:    []delta.WhenMatched{{UpdateAll: true}},
			WhenNotMatched: []delta.WhenNotMatched{{InsertAll: true}},
		})
	default:
		return nil, fmt.Errorf("%w: write mode %d", ErrInvalidArgument, mode)
	}
	if err != nil {
		return nil, fmt.Errorf("features: write features to %s: %w", ft.Name(), err)
	}
	return res, nil
}
