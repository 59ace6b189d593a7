package delta

import (
	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Table properties of Databricks' auto optimize, which Spark's Delta
// honours too.
const (
	// PropOptimizeWrite, when "true", makes every write an optimized
	// write (see TxnOptions.OptimizeWrite).
	PropOptimizeWrite = "delta.autoOptimize.optimizeWrite"
	// PropAutoCompact, when "true" ("auto" and "legacy", Databricks'
	// other spellings, mean the same), compacts the partitions a commit
	// wrote once they hold enough small files (see AutoCompactOptions).
	PropAutoCompact = "delta.autoOptimize.autoCompact"
)

// OptimizeWriteBinSize is the size an optimized write fills each
// partition's files to when neither TxnOptions.TargetFileSize nor
// delta.targetFileSize says otherwise: Spark's
// spark.databricks.delta.optimizeWrite.binSize (512 MiB).
const OptimizeWriteBinSize = 512 << 20

// writeMemory bounds the bytes the open partition files of one write
// hold together (rows gathered for a row group, row groups being encoded)
// before the largest is flushed early, so a write touching many
// partitions at once, optimized or not, keeps one file per partition in
// bounded memory. A variable so tests can force flushes.
var writeMemory int64 = 256 << 20

// optimizeWrite reports whether a write with options o to a table with
// configuration cfg is an optimized write.
func optimizeWrite(o *TxnOptions, cfg protocol.Config) bool {
	return o.OptimizeWrite || cfg.Bool(PropOptimizeWrite, false)
}
