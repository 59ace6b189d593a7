package optimize

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/delta/expr"
)

// Defaults, with the Spark settings they mirror.
const (
	// DefaultTargetFileSize is the size OPTIMIZE fills files to when
	// neither Options.TargetFileSize nor the table's delta.targetFileSize
	// says otherwise: Spark's spark.databricks.delta.optimize.maxFileSize.
	DefaultTargetFileSize = 1 << 30
	// DefaultMaxDeletedRowsRatio is the fraction of deleted rows above
	// which a file is rewritten whatever its size: Spark's
	// spark.databricks.delta.optimize.maxDeletedRowsRatio.
	DefaultMaxDeletedRowsRatio = 0.05
	// DefaultZOrderRanges is the number of ranges each Z-order column's
	// values are split into: Spark's
	// spark.databricks.io.skipping.mdc.rangeId.max.
	DefaultZOrderRanges = 1000
	// DefaultMaxMemory is the bytes of rows one Z-order worker sorts in
	// memory before it spills to disk.
	DefaultMaxMemory = 256 << 20
	// minCubeSizeFactor makes the default MinCubeSize 100 target files,
	// as Spark's minCubeSize.threshold is 100 × maxFileSize.
	minCubeSizeFactor = 100
)

// ErrInvalidOptions is returned for options OPTIMIZE cannot run with: a
// WHERE on data columns, an unknown or partition Z-order column, a
// negative size. It also matches delta.ErrInvalidArgument.
var ErrInvalidOptions error = invalidOptions{}

type invalidOptions struct{}

func (invalidOptions) Error() string { return "optimize: invalid options" }

// Is lets errors.Is(err, delta.ErrInvalidArgument) hold for option
// errors too, like every other caller mistake in this module.
func (invalidOptions) Is(target error) bool { return target == delta.ErrInvalidArgument }

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, args...)...)
}

// Options configure Compact. A nil *Options, like the zero value,
// bin-packs every partition with Spark's defaults.
type Options struct {
	// Where limits OPTIMIZE to the partitions for which it is TRUE. It
	// may name partition columns only (Spark's OPTIMIZE … WHERE); nil
	// means every partition.
	Where expr.Expr
	// ZOrderBy, when set, clusters the rows of each partition along a
	// Z-order curve over these columns (Spark's OPTIMIZE … ZORDER BY),
	// instead of only bin-packing. Partition columns cannot be named.
	ZOrderBy []string
	// Full, on a clustered table, reclusters every file rather than only
	// those not clustered yet (Spark's OPTIMIZE … FULL). It is an error
	// on a table without clustering columns.
	Full bool
	// TargetFileSize is the size, in bytes, of the files OPTIMIZE writes
	// (spark.databricks.delta.optimize.maxFileSize): small files are
	// packed into bins of up to this size. Default: the table's
	// delta.targetFileSize, else DefaultTargetFileSize.
	TargetFileSize int64
	// MinFileSize: files smaller than this are compacted
	// (spark.databricks.delta.optimize.minFileSize). Default:
	// TargetFileSize.
	MinFileSize int64
	// MaxDeletedRowsRatio: a file whose deletion vector deletes more than
	// this fraction of its rows is rewritten without them whatever its
	// size. Zero means DefaultMaxDeletedRowsRatio; a negative value
	// rewrites every file that has a deletion vector.
	MaxDeletedRowsRatio float64
	// MinCubeSize: a Z-cube (the files one ZORDER run wrote for a
	// partition) of at least this many bytes is left alone by later
	// ZORDER runs (Spark's
	// optimize.clustering.mergeStrategy.minCubeSize.threshold). Default
	// 100 × TargetFileSize.
	MinCubeSize int64
	// BatchSize, when positive, splits the work into batches of bins of
	// at most this many input bytes, each committed on its own as soon as
	// it is done (spark.databricks.delta.optimize.batchSize): on a very
	// large table, an interruption keeps the batches already committed.
	// Default: one commit.
	BatchSize int64
	// MaxConcurrency is the number of bins rewritten at once. Default
	// GOMAXPROCS.
	MaxConcurrency int
	// MaxMemory bounds the bytes of rows one Z-order worker holds to sort
	// a partition; a larger partition is split by Z-value range into
	// files under SpillDir and each range sorted on its own (a range of
	// one dominant Z-value can exceed it). Bin-packing streams and holds
	// one batch per worker. Default DefaultMaxMemory.
	MaxMemory int64
	// SpillDir is where Z-ordering spills; default os.TempDir().
	SpillDir string
	// ZOrderRanges is the number of ranges each Z-order column's values
	// are mapped to before their bits are interleaved. Default
	// DefaultZOrderRanges.
	ZOrderRanges int
	// Progress, when set, is called as files are rewritten (Operation
	// "OPTIMIZE", Phase "rewrite", Done and Total counting input files).
	// Calls are serialised.
	Progress func(delta.Progress)
}

// config is Options resolved against one snapshot.
type config struct {
	Options
	where  expr.Expr
	zorder []string // resolved to the schema's spelling; nested fields dotted
	// zpaths are zorder's columns as paths through structs; scanCols the
	// top-level columns holding them, which a sampling scan reads.
	zpaths   [][]string
	scanCols []string
	// cluster: the table is clustered; zorder holds its clustering
	// columns and rows follow a Hilbert curve.
	cluster    bool
	partitions []string
}

func resolveOptions(o *Options, snap *delta.Snapshot) (*config, error) {
	c := &config{}
	if o != nil {
		c.Options = *o
	}
	for _, v := range []struct {
		name string
		val  int64
	}{
		{"TargetFileSize", c.TargetFileSize}, {"MinFileSize", c.MinFileSize}, {"MinCubeSize", c.MinCubeSize},
		{"BatchSize", c.BatchSize}, {"MaxMemory", c.MaxMemory},
		{"MaxConcurrency", int64(c.MaxConcurrency)}, {"ZOrderRanges", int64(c.ZOrderRanges)},
	} {
		if v.val < 0 {
			return nil, invalidf("%s %d is negative", v.name, v.val)
		}
	}
	if c.TargetFileSize == 0 {
		c.TargetFileSize = DefaultTargetFileSize
		// An unreadable property is ignored, as the writer ignores it.
		n, err := strconv.ParseInt(strings.TrimSpace(snap.Properties()["delta.targetFileSize"]), 10, 64)
		if err == nil && n > 0 {
			c.TargetFileSize = n
		}
	}
	if c.MinFileSize == 0 {
		c.MinFileSize = c.TargetFileSize
	}
	if c.MaxDeletedRowsRatio == 0 {
		c.MaxDeletedRowsRatio = DefaultMaxDeletedRowsRatio
	}
	if c.MinCubeSize == 0 {
		c.MinCubeSize = minCubeSizeFactor * c.TargetFileSize
	}
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = runtime.GOMAXPROCS(0)
	}
	if c.MaxMemory == 0 {
		c.MaxMemory = DefaultMaxMemory
	}
	if c.SpillDir == "" {
		c.SpillDir = os.TempDir()
	}
	if c.ZOrderRanges == 0 {
		c.ZOrderRanges = DefaultZOrderRanges
	}
	if c.ZOrderRanges < 2 {
		return nil, invalidf("ZOrderRanges %d must be at least 2", c.ZOrderRanges)
	}
	c.partitions = snap.PartitionColumns()
	if err := c.resolveWhere(snap); err != nil {
		return nil, err
	}
	if err := c.resolveZOrder(snap); err != nil {
		return nil, err
	}
	if err := c.resolveClustering(snap); err != nil {
		return nil, err
	}
	return c, nil
}

// resolveWhere checks that the predicate names partition columns only:
// OPTIMIZE rewrites whole files, which a data predicate cannot select.
func (c *config) resolveWhere(snap *delta.Snapshot) error {
	if c.Options.Where == nil {
		return nil
	}
	for _, path := range expr.Columns(c.Options.Where) {
		if !containsFold(c.partitions, path[0]) {
			if len(c.partitions) == 0 {
				return invalidf("WHERE %s: the table is not partitioned; OPTIMIZE … WHERE takes partition columns only", c.Options.Where)
			}
			return invalidf("WHERE %s: column %q is not a partition column (partition columns: %s)", c.Options.Where, strings.Join(path, "."), strings.Join(c.partitions, ", "))
		}
	}
	c.where = c.Options.Where
	return nil
}

// resolveZOrder checks the Z-order columns: they exist, are not
// partition columns (constant within a partition), are not repeated and
// have a type whose values order.
func (c *config) resolveZOrder(snap *delta.Snapshot) error {
	return c.resolveOrderColumns(snap, "ZORDER BY", c.Options.ZOrderBy)
}

// resolveOrderColumns checks and appends to c.zorder the columns rows
// are ordered by; clause names them in errors.
func (c *config) resolveOrderColumns(snap *delta.Snapshot, clause string, names []string) error {
	schema := snap.Schema()
	seen := map[string]bool{}
	for _, name := range names {
		path, f, ok := resolveColumnPath(schema, name)
		if !ok {
			return invalidf("%s %q: no such column", clause, name)
		}
		col := strings.Join(path, ".")
		if containsFold(c.partitions, path[0]) {
			return invalidf("%s %q: %q is a partition column; Z-ordering by it is useless", clause, name, path[0])
		}
		if seen[strings.ToLower(col)] {
			return invalidf("%s %q: column named twice", clause, name)
		}
		seen[strings.ToLower(col)] = true
		if !orderable(f.Type) {
			return invalidf("%s %q: type %s has no order to cluster by", clause, name, f.Type)
		}
		if err := hasStatsFor(snap, clause, name, col); err != nil {
			return err
		}
		c.zorder = append(c.zorder, col)
		c.zpaths = append(c.zpaths, path)
		if !slices.Contains(c.scanCols, path[0]) {
			c.scanCols = append(c.scanCols, path[0])
		}
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
