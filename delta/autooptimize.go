package delta

import (
	"strings"

	"github.com/lakehouse-go/lakehouse/internal/protocol"
)

// Table properties of Databricks' auto optimize, which Spark's Delta
// honours too.
const (
	// PropOptimizeWrite, when "true", makes every write an optimized
	// write (see TxnOptions.OptimizeWrite).
	PropOptimizeWrite = "delta.autoOptimize.optimizeWrite"
	// PropAutoCompact, when "true" ("auto" and "legacy", Databricks'
	// other spellings, mean the same), runs Options.AutoCompact after
	// every commit that adds data files.
	PropAutoCompact = "delta.autoOptimize.autoCompact"
)

// OptimizeWriteBinSize is the size an optimized write fills each
// partition's files to when neither TxnOptions.TargetFileSize nor
// delta.targetFileSize says otherwise: Spark's
// spark.databricks.delta.optimizeWrite.binSize (512 MiB).
const OptimizeWriteBinSize = 512 << 20

// optimizeWrite reports whether a write with options o to a table with
// configuration cfg is an optimized write.
func optimizeWrite(o *TxnOptions, cfg protocol.Config) bool {
	return o.OptimizeWrite || cfg.Bool(PropOptimizeWrite, false)
}

// autoCompactEnabled reports whether the table's configuration turns auto
// compaction on.
func autoCompactEnabled(cfg protocol.Config) bool {
	switch strings.ToLower(strings.TrimSpace(cfg[PropAutoCompact])) {
	case "true", "auto", "legacy":
		return true
	}
	return false
}
