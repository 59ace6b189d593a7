package delta

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Auto compaction (Delta's "Auto Compact" post-commit hook): a table whose
// delta.autoOptimize.autoCompact property is on gets, after each commit
// that added data files, a small OPTIMIZE of the partitions that commit
// wrote, once one of them holds enough small files. It is a separate
// commit (operation OPTIMIZE, auto true, dataChange false), so it never
// changes what the writer's own commit did: its failure or a lost race is
// reported in CommitResult.AutoCompactErr and logged, and the next commit
// tries again.

// Defaults of AutoCompactOptions, Delta's
// spark.databricks.delta.autoCompact.* settings.
const (
	DefaultAutoCompactMinNumFiles = 50
	DefaultAutoCompactMaxFileSize = 128 << 20
)

// AutoCompactOptions tune auto compaction; the zero value means Delta's
// defaults. They apply only to tables whose delta.autoOptimize.autoCompact
// property is "true", "auto" or "legacy" (Databricks' values).
type AutoCompactOptions struct {
	// MinNumFiles is how many small files a partition the commit wrote
	// must hold before it is compacted
	// (spark.databricks.delta.autoCompact.minNumFiles). Default 50.
	MinNumFiles int
	// MaxFileSize is the size of the files compaction writes
	// (spark.databricks.delta.autoCompact.maxFileSize). Default 128 MiB.
	MaxFileSize int64
	// MinFileSize: files smaller than this count as small and are
	// rewritten (spark.databricks.delta.autoCompact.minFileSize). Default
	// half of MaxFileSize.
	MinFileSize int64
	// Disabled turns auto compaction off for this handle whatever the
	// table property says.
	Disabled bool
}

func (o AutoCompactOptions) withDefaults() AutoCompactOptions {
	if o.MinNumFiles <= 0 {
		o.MinNumFiles = DefaultAutoCompactMinNumFiles
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultAutoCompactMaxFileSize
	}
	if o.MinFileSize <= 0 {
		o.MinFileSize = o.MaxFileSize / 2
	}
	return o
}

// autoCompactOn reads the table property as Databricks does: true, auto
// and legacy turn it on (they differ there only in target sizes).
func autoCompactOn(cfg protocol.Config) bool {
	switch strings.ToLower(strings.TrimSpace(cfg[PropAutoCompact])) {
	case "true", "auto", "legacy":
		return true
	}
	return false
}

// autoCompactAfter runs auto compaction for the partitions commit x wrote,
// when the table asks for it.
func (x *Transaction) autoCompactAfter(ctx context.Context, res *CommitResult) {
	o := x.table.opts.AutoCompact
	if x.autoCompaction || o.Disabled || len(x.adds) == 0 || res.Skipped || !autoCompactOn(protocol.Config(x.meta.Configuration)) {
		return
	}
	parts := x.partitionFields()
	touched := map[string]bool{}
	for _, a := range x.adds {
		touched[partitionKey(parts, a.PartitionValues, x.mapping)] = true
	}
	out, err := x.table.autoCompact(ctx, touched, o.withDefaults())
	if err != nil {
		res.AutoCompactErr = fmt.Errorf("delta: auto compaction after version %d: %w", res.Version, err)
		x.table.opts.Logger.Warn("delta: auto compaction failed; the commit stands and the next commit retries",
			"table", x.table.name(), "version", res.Version, "error", err)
		return
	}
	res.AutoCompaction = out
}

// autoCompact rewrites the small files of each touched partition that
// holds at least MinNumFiles of them into files of MaxFileSize, in one
// commit. It returns nil when no partition qualified.
func (t *Table) autoCompact(ctx context.Context, touched map[string]bool, o AutoCompactOptions) (*CommitResult, error) {
	x, err := t.Begin(ctx, &TxnOptions{NoDataChange: true, TargetFileSize: o.MaxFileSize})
	if err != nil {
		return nil, err
	}
	defer x.Rollback()
	x.autoCompaction = true
	parts := x.partitionFields()
	small := map[string][]*protocol.Add{}
	for f, err := range x.snap.addFiles(ctx) {
		if err != nil {
			return nil, err
		}
		k := partitionKey(parts, f.PartitionValues, x.mapping)
		if touched[k] && f.Size < o.MinFileSize {
			small[k] = append(small[k], f)
		}
	}
	var files []*protocol.Add
	var partitions int
	for _, fs := range small {
		if len(fs) >= o.MinNumFiles {
			files = append(files, fs...)
			partitions++
		}
	}
	if len(files) == 0 {
		return nil, nil
	}
	d, err := x.newDML(nil)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		err := d.eachLiveBatch(ctx, f, func(rec arrow.RecordBatch, _ []bool) error {
			return x.writeBatch(ctx, rec, true)
		}, nil, nil)
		if err != nil {
			return nil, err
		}
	}
	if err := x.removeAdds(files, false); err != nil {
		return nil, err
	}
	x.operation = "OPTIMIZE"
	x.opParams = map[string]any{"predicate": "[]", "zOrderBy": "[]", "clusterBy": "[]", "auto": true}
	return x.Commit(ctx)
}
