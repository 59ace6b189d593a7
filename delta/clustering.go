package delta

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// ClusteringDomain is the metadata domain in which a clustered table
// keeps its clustering columns (Delta's Clustered Table feature).
const ClusteringDomain = "delta.clustering"

// ClusteringProviderLiquid is the clusteringProvider that liquid
// clustering sets on the files it writes (AddFile.ClusteringProvider).
const ClusteringProviderLiquid = "liquid"

// ErrClusteredPartitioned is returned when a table would be both
// partitioned and clustered, which the protocol forbids. It also matches
// ErrInvalidArgument.
var ErrClusteredPartitioned error = clusteredPartitioned{}

type clusteredPartitioned struct{}

func (clusteredPartitioned) Error() string {
	return "delta: a table cannot be both partitioned and clustered"
}

func (clusteredPartitioned) Is(target error) bool { return target == ErrInvalidArgument }

// ErrClusteringColumnMissingStats is returned when a clustering column
// would get no per-file statistics: it lies past the first
// delta.dataSkippingNumIndexedCols leaf columns (32 by default), or
// delta.dataSkippingStatsColumns does not list it. Clustering prunes
// files by those statistics, and the protocol requires writers to keep
// them for clustering columns, so CLUSTER BY refuses such a column, as
// Spark does (DELTA_CLUSTERING_COLUMN_MISSING_STATS). It also matches
// ErrInvalidArgument.
var ErrClusteringColumnMissingStats error = clusteringMissingStats{}

type clusteringMissingStats struct{}

func (clusteringMissingStats) Error() string {
	return "delta: clustering columns must have statistics"
}

func (clusteringMissingStats) Is(target error) bool { return target == ErrInvalidArgument }

// clusteringConfig is the configuration of the delta.clustering domain as
// Spark writes it: each column a path of physical names, so that a nested
// column a.b is ["a","b"], then the domain's own name.
type clusteringConfig struct {
	ClusteringColumns [][]string `json:"clusteringColumns"`
	DomainName        string     `json:"domainName"`
}

// MaxClusteringColumns is how many columns CLUSTER BY takes at most: the
// limit Spark and delta-kernel enforce, since a space-filling curve over
// more columns gives each too few bits to cluster by.
const MaxClusteringColumns = 4

// clusteringDomain resolves logical column names (dotted for nested
// fields) against st and returns the domainMetadata action naming them by
// physical path. Columns must exist, be primitive and be distinct, and be
// at most MaxClusteringColumns.
func clusteringDomain(st *protocol.StructType, mode protocol.ColumnMappingMode, props protocol.Config, cols []string) (protocol.DomainMetadata, error) {
	if len(cols) > MaxClusteringColumns {
		return protocol.DomainMetadata{}, fmt.Errorf("%w: CLUSTER BY takes at most %d columns, got %d (%s): choose the columns queries filter on most", ErrInvalidArgument, MaxClusteringColumns, len(cols), strings.Join(cols, ", "))
	}
	cfg := clusteringConfig{ClusteringColumns: [][]string{}, DomainName: ClusteringDomain}
	var seen []string
	for _, c := range cols {
		path, logical, err := physicalPath(st, mode, c)
		if err != nil {
			return protocol.DomainMetadata{}, err
		}
		if err := checkStatsCollected(st, props, logical); err != nil {
			return protocol.DomainMetadata{}, err
		}
		key := strings.ToLower(logical)
		if slices.Contains(seen, key) {
			return protocol.DomainMetadata{}, fmt.Errorf("%w: clustering column %q given twice", ErrInvalidArgument, c)
		}
		seen = append(seen, key)
		cfg.ClusteringColumns = append(cfg.ClusteringColumns, path)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return protocol.DomainMetadata{}, err
	}
	return protocol.DomainMetadata{Domain: ClusteringDomain, Configuration: string(b)}, nil
}

// physicalPath resolves a dotted logical column name to its physical path
// and its logical spelling in the schema.
func physicalPath(st *protocol.StructType, mode protocol.ColumnMappingMode, col string) ([]string, string, error) {
	parts := strings.Split(col, ".")
	var path, logical []string
	cur := st
	for i, p := range parts {
		if cur == nil {
			return nil, "", fmt.Errorf("%w: clustering column %q is not in the schema", ErrInvalidArgument, col)
		}
		f, _ := cur.Field(p)
		if f == nil {
			return nil, "", fmt.Errorf("%w: clustering column %q is not in the schema", ErrInvalidArgument, col)
		}
		path = append(path, f.PhysicalName(mode))
		logical = append(logical, f.Name)
		if i == len(parts)-1 {
			if _, ok := f.Type.(protocol.PrimitiveType); !ok {
				return nil, "", fmt.Errorf("%w: clustering column %q has type %s; clustering columns must be primitive", ErrInvalidArgument, col, f.Type)
			}
			break
		}
		cur, _ = f.Type.(*protocol.StructType)
	}
	return path, strings.Join(logical, "."), nil
}

// statsPosition finds the leaf column at the dotted logical path the way
// the data writer selects columns for statistics: leaves in schema order,
// structs flattened, arrays and maps one leaf each. It returns the
// 1-based position of the leaf and whether delta.dataSkippingStatsColumns
// lists it (or a struct holding it).
func statsPosition(st *protocol.StructType, listed map[string]bool, col string) (pos int, inList, found bool) {
	want := strings.ToLower(col)
	n := 0
	var walk func(fields []*protocol.StructField, prefix string, forced bool) bool
	walk = func(fields []*protocol.StructField, prefix string, forced bool) bool {
		for _, f := range fields {
			path := strings.ToLower(f.Name)
			if prefix != "" {
				path = prefix + "." + path
			}
			in := forced || listed[path]
			if sub, ok := f.Type.(*protocol.StructType); ok {
				if walk(sub.Fields, path, in) {
					return true
				}
				continue
			}
			n++
			if path == want {
				pos, inList, found = n, in, true
				return true
			}
		}
		return false
	}
	walk(st.Fields, "", false)
	return pos, inList, found
}

// checkStatsCollected returns ErrClusteringColumnMissingStats, worded
// with the fix, when files written under props keep no statistics for
// the column at the dotted logical path.
func checkStatsCollected(st *protocol.StructType, props protocol.Config, col string) error {
	var listed map[string]bool
	if cols := strings.TrimSpace(props[protocol.PropDataSkippingStatsColumns]); cols != "" {
		listed = map[string]bool{}
		for _, c := range strings.Split(cols, ",") {
			listed[strings.ToLower(strings.Trim(strings.TrimSpace(c), "`"))] = true
		}
	}
	pos, inList, found := statsPosition(st, listed, col)
	if !found {
		return nil // physicalPath reports unknown columns
	}
	if listed != nil {
		if inList {
			return nil
		}
		return fmt.Errorf("%w: %q is not in %s=%s; add it there", ErrClusteringColumnMissingStats, col, protocol.PropDataSkippingStatsColumns, props[protocol.PropDataSkippingStatsColumns])
	}
	limit := props.Int(protocol.PropDataSkippingNumIndexedCols, 32)
	if limit < 0 || int64(pos) <= limit {
		return nil
	}
	return fmt.Errorf("%w: %q is leaf column %d of the schema, past %s=%d; raise that property to at least %d, list the column in %s, or move it forward in the schema",
		ErrClusteringColumnMissingStats, col, pos, protocol.PropDataSkippingNumIndexedCols, limit, pos, protocol.PropDataSkippingStatsColumns)
}

// HasStats reports whether data files written to the table now keep
// statistics for the column at the dotted logical path (a nested field
// as "a.b"): whether it is among the first delta.dataSkippingNumIndexedCols
// leaf columns, or listed by delta.dataSkippingStatsColumns. Data
// skipping, and so clustering and Z-ordering, prunes files by them.
func (s *Snapshot) HasStats(column string) bool {
	if _, _, found := statsPosition(s.schema, nil, column); !found {
		return false
	}
	return checkStatsCollected(s.schema, s.config, column) == nil
}

// logicalColumns maps the physical paths of a clustering domain back to
// dotted logical names; a path the schema no longer has keeps its
// physical spelling.
func logicalColumns(st *protocol.StructType, mode protocol.ColumnMappingMode, cfg string) ([]string, error) {
	var c clusteringConfig
	if err := json.Unmarshal([]byte(cfg), &c); err != nil {
		return nil, corrupt("%s domain configuration: %v", ClusteringDomain, err)
	}
	out := make([]string, 0, len(c.ClusteringColumns))
	for _, path := range c.ClusteringColumns {
		var names []string
		cur := st
		for _, p := range path {
			var match *protocol.StructField
			if cur != nil {
				for _, f := range cur.Fields {
					if f.PhysicalName(mode) == p {
						match = f
						break
					}
				}
			}
			if match == nil {
				names = append(names, p)
				cur = nil
				continue
			}
			names = append(names, match.Name)
			cur, _ = match.Type.(*protocol.StructType)
		}
		out = append(out, strings.Join(names, "."))
	}
	return out, nil
}

// ClusteringColumns returns the clustering columns of a clustered table,
// by logical name (dotted for nested fields), in clustering order. It
// returns nil when the table is not clustered or was declustered (CLUSTER
// BY NONE).
func (s *Snapshot) ClusteringColumns() []string {
	d, ok := s.state.LiveDomains()[ClusteringDomain]
	if !ok {
		return nil
	}
	cols, err := logicalColumns(s.schema, s.mapping, d.Configuration)
	if err != nil || len(cols) == 0 {
		return nil
	}
	return cols
}

// IsClustered reports whether the table supports clustering (the
// clustering writer feature), whether or not it has clustering columns.
func (s *Snapshot) IsClustered() bool {
	return slices.Contains(s.state.Protocol.WriterFeatures, "clustering")
}

// clusteringFeatures are the protocol requests that make a table
// clustered; featuresInUse consumes them.
var clusteringFeatures = map[string]string{
	"delta.feature.clustering":     "supported",
	"delta.feature.domainMetadata": "supported",
}

// ClusterBy changes the clustering columns of the table (Spark's ALTER
// TABLE … CLUSTER BY); nil or empty columns stop clustering (CLUSTER BY
// NONE) while the table stays a clustered table. A partitioned table
// cannot be clustered (ErrClusteredPartitioned). Files already written
// are not rewritten: the next clustering OPTIMIZE does that.
func (t *Table) ClusterBy(ctx context.Context, cols []string, opts *TxnOptions) (*CommitResult, error) {
	snap, err := t.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if len(snap.PartitionColumns()) > 0 {
		return nil, fmt.Errorf("%w: partitioned by %s", ErrClusteredPartitioned, strings.Join(snap.PartitionColumns(), ", "))
	}
	old := snap.ClusteringColumns()
	params := map[string]any{
		"oldClusteringColumns": strings.Join(old, ","),
		"newClusteringColumns": strings.Join(cols, ","),
	}
	return t.alter(ctx, opts, "CLUSTER BY", params, func(x *Transaction) error {
		if len(x.meta.PartitionColumns) > 0 {
			return ErrClusteredPartitioned
		}
		for k, v := range clusteringFeatures {
			x.meta.Configuration[k] = v
		}
		st, err := protocol.ParseSchema(x.meta.SchemaString)
		if err != nil {
			return corrupt("%v", err)
		}
		d, err := clusteringDomain(st, x.mapping, protocol.Config(x.meta.Configuration), cols)
		if err != nil {
			return err
		}
		x.domains = append(x.domains, d)
		return nil
	})
}
