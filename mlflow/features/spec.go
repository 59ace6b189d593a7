package features

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"gopkg.in/yaml.v3"
)

// FeatureSpecFile is the artifact LogModel writes at the model's root,
// named as Databricks' feature engineering client names it.
const FeatureSpecFile = "feature_spec.yaml"

// specSerializationVersion is the FeatureSpec layout written: columns keyed
// by output name with a source, tables keyed by name.
const specSerializationVersion = 10

// Input column sources, as in Databricks' feature_spec.yaml.
const (
	SourceTrainingData = "training_data"
	SourceFeatureStore = "feature_store"
)

// FeatureSpec records how a model's inputs are assembled: which come from
// the scoring data and which are looked up in feature tables, in the
// model's input order, plus the feature table versions trained on. Its
// YAML form follows Databricks' feature_spec.yaml (input_columns keyed by
// output name with source training_data or feature_store, input_tables
// keyed by table name, serialization_version last); table names are the
// tables' URLs, and table_version and lookback_window are additions that
// Databricks' reader ignores.
type FeatureSpec struct {
	InputColumns []InputColumn
	InputTables  []InputTable
}

// InputColumn is one model input.
type InputColumn struct {
	Name   string // output (model input) name
	Source string // SourceTrainingData or SourceFeatureStore
	// For SourceFeatureStore:
	TableName          string
	FeatureName        string
	LookupKey          []string
	TimestampLookupKey []string
	Lookback           time.Duration
	DefaultValue       *string // default_value_str
	// DataType is Databricks' type name (INTEGER, LONG, DOUBLE, STRING, …).
	DataType string
	// Include is false for a column the model does not take (excluded).
	Include bool
}

// InputTable is a feature table read for training.
type InputTable struct {
	TableName string
	Version   int64
}

// buildSpec derives the spec from the resolved lookups.
func (ts *TrainingSet) buildSpec() *FeatureSpec {
	s := &FeatureSpec{}
	excluded := ts.opts.ExcludeColumns
	for _, f := range ts.labels.Schema().Fields() {
		if slices.Contains(ts.opts.Label, f.Name) {
			continue
		}
		s.InputColumns = append(s.InputColumns, InputColumn{Name: f.Name, Source: SourceTrainingData, DataType: dataTypeName(f.Type), Include: !slices.Contains(excluded, f.Name)})
	}
	seen := map[string]bool{}
	for _, l := range ts.lookups {
		name := l.Table.Name()
		if !seen[name] {
			seen[name] = true
			s.InputTables = append(s.InputTables, InputTable{TableName: name, Version: ts.versions[name]})
		}
		lk := make([]string, len(l.labelKey))
		for i, c := range l.labelKey {
			lk[i] = ts.labels.Schema().Field(c).Name
		}
		var tlk []string
		if l.TimestampLookupKey != "" {
			tlk = []string{l.TimestampLookupKey}
		}
		for i, f := range l.features {
			c := InputColumn{
				Name: l.outNames[i], Source: SourceFeatureStore, TableName: name, FeatureName: f, LookupKey: lk,
				TimestampLookupKey: tlk, Lookback: l.Lookback, DataType: dataTypeName(l.outTypes[i]),
				Include: !slices.Contains(excluded, l.outNames[i]),
			}
			if v, ok := l.DefaultValues[f]; ok {
				str := fmt.Sprint(v)
				c.DefaultValue = &str
			}
			s.InputColumns = append(s.InputColumns, c)
		}
	}
	return s
}

// dataTypeName maps Arrow types to Databricks' DataType names.
func dataTypeName(t arrow.DataType) string {
	switch t.ID() {
	case arrow.INT8:
		return "BYTE"
	case arrow.INT16:
		return "SHORT"
	case arrow.INT32:
		return "INTEGER"
	case arrow.INT64:
		return "LONG"
	case arrow.FLOAT32:
		return "FLOAT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.STRING, arrow.LARGE_STRING:
		return "STRING"
	case arrow.BINARY, arrow.LARGE_BINARY:
		return "BINARY"
	case arrow.DATE32, arrow.DATE64:
		return "DATE"
	case arrow.TIMESTAMP:
		return "TIMESTAMP"
	case arrow.DECIMAL128, arrow.DECIMAL256:
		return "DECIMAL"
	case arrow.LIST, arrow.LARGE_LIST:
		return "ARRAY"
	case arrow.MAP:
		return "MAP"
	case arrow.STRUCT:
		return "STRUCT"
	}
	return "UNKNOWN"
}

func scalarNode(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: v} }

func strNode(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func listNode(vs []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode}
	for _, v := range vs {
		n.Content = append(n.Content, strNode(v))
	}
	return n
}

func mapNode(kv ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Content: kv} }

// MarshalYAML renders the spec in feature_spec.yaml's key order.
func (s *FeatureSpec) MarshalYAML() ([]byte, error) {
	cols := &yaml.Node{Kind: yaml.SequenceNode}
	for _, c := range s.InputColumns {
		var attrs []*yaml.Node
		if c.Source == SourceFeatureStore {
			attrs = append(attrs,
				scalarNode("table_name"), strNode(c.TableName),
				scalarNode("feature_name"), strNode(c.FeatureName),
				scalarNode("lookup_key"), listNode(c.LookupKey))
			if len(c.TimestampLookupKey) > 0 {
				attrs = append(attrs, scalarNode("timestamp_lookup_key"), listNode(c.TimestampLookupKey))
			}
			if c.DefaultValue != nil {
				attrs = append(attrs, scalarNode("default_value_str"), strNode(*c.DefaultValue))
			}
			if c.Lookback > 0 {
				attrs = append(attrs, scalarNode("lookback_window"), strNode(strconv.FormatFloat(c.Lookback.Seconds(), 'f', -1, 64)+"s"))
			}
		}
		if c.DataType != "" {
			attrs = append(attrs, scalarNode("data_type"), strNode(c.DataType))
		}
		attrs = append(attrs, scalarNode("include"), scalarNode(strconv.FormatBool(c.Include)), scalarNode("source"), strNode(c.Source))
		cols.Content = append(cols.Content, mapNode(strNode(c.Name), mapNode(attrs...)))
	}
	root := mapNode(scalarNode("input_columns"), cols)
	if len(s.InputTables) > 0 {
		tables := &yaml.Node{Kind: yaml.SequenceNode}
		for _, t := range s.InputTables {
			tables.Content = append(tables.Content, mapNode(strNode(t.TableName),
				mapNode(scalarNode("table_version"), scalarNode(strconv.FormatInt(t.Version, 10)))))
		}
		root.Content = append(root.Content, scalarNode("input_tables"), tables)
	}
	root.Content = append(root.Content,
		scalarNode("feature_store_client_version"), strNode("lakehouse-go"),
		scalarNode("serialization_version"), scalarNode(strconv.Itoa(specSerializationVersion)))
	b, err := yaml.Marshal(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}})
	if err != nil {
		return nil, fmt.Errorf("features: encode feature spec: %w", err)
	}
	return b, nil
}

// ParseFeatureSpec reads a feature_spec.yaml (ours or Databricks').
func ParseFeatureSpec(b []byte) (*FeatureSpec, error) {
	var raw struct {
		InputColumns []map[string]struct {
			TableName          string   `yaml:"table_name"`
			FeatureName        string   `yaml:"feature_name"`
			LookupKey          []string `yaml:"lookup_key"`
			TimestampLookupKey []string `yaml:"timestamp_lookup_key"`
			DefaultValueStr    *string  `yaml:"default_value_str"`
			LookbackWindow     string   `yaml:"lookback_window"`
			DataType           string   `yaml:"data_type"`
			Include            *bool    `yaml:"include"`
			Source             string   `yaml:"source"`
		} `yaml:"input_columns"`
		InputTables []map[string]struct {
			TableVersion int64 `yaml:"table_version"`
		} `yaml:"input_tables"`
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("features: parse feature spec: %w", err)
	}
	s := &FeatureSpec{}
	for _, m := range raw.InputColumns {
		if len(m) != 1 {
			return nil, fmt.Errorf("features: parse feature spec: an input column entry has %d keys, not 1", len(m))
		}
		for name, a := range m {
			c := InputColumn{Name: name, Source: a.Source, TableName: a.TableName, FeatureName: a.FeatureName, LookupKey: a.LookupKey,
				TimestampLookupKey: a.TimestampLookupKey, DefaultValue: a.DefaultValueStr, DataType: a.DataType, Include: a.Include == nil || *a.Include}
			if a.LookbackWindow != "" {
				d, err := time.ParseDuration(a.LookbackWindow)
				if err != nil {
					return nil, fmt.Errorf("features: parse feature spec: lookback_window of %q: %w", name, err)
				}
				c.Lookback = d
			}
			switch c.Source {
			case SourceTrainingData, SourceFeatureStore:
			default:
				return nil, fmt.Errorf("features: parse feature spec: column %q has source %q, which this package does not evaluate", name, c.Source)
			}
			s.InputColumns = append(s.InputColumns, c)
		}
	}
	for _, m := range raw.InputTables {
		for name, a := range m {
			s.InputTables = append(s.InputTables, InputTable{TableName: name, Version: a.TableVersion})
		}
	}
	return s, nil
}
