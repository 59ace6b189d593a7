package main

import (
	"context"
	"errors"
	"strings"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/optimize"
)

// optimizeCommands are the table maintenance commands.
func optimizeCommands() []command {
	return []command{
		{"optimize", "compact small files (OPTIMIZE), optionally Z-ordering by columns; clusters a clustered table", runOptimize},
		{"cluster-by", "set the clustering columns (ALTER TABLE CLUSTER BY; NONE to stop clustering)", runClusterBy},
		{"analyze", "recompute missing or stale per-file statistics (ANALYZE TABLE … COMPUTE DELTA STATISTICS)", runAnalyze},
		{"maintain", "inspect a table, decide what it needs (compaction, clustering, purge, checkpoint, vacuum), say why and do it", runMaintain},
	}
}

func runOptimize(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "optimize", "[--where EXPR] [--zorder-by a,b | --full] [--target-size BYTES] [--format text|json] TABLE")
	format := fs.String("format", "", "text (a summary) or json (default: text on a terminal, json otherwise)")
	where := fs.String("where", "", "Spark SQL predicate on partition columns: optimize only matching partitions (default: all)")
	zorder := fs.String("zorder-by", "", "cluster rows along a Z-order curve over these columns (comma-separated)")
	full := fs.Bool("full", false, "on a clustered table, recluster every file, not only those not clustered yet (OPTIMIZE FULL)")
	target := fs.String("target-size", "", "size of the files written, in bytes (suffixes k, m, g allowed; default: delta.targetFileSize, else 1g)")
	opts := &optimize.Options{}
	rc, err := openRowCommand(ctx, fs, args, where, func() error {
		*format = formatOr(*format, "json", "text", e.tty)
		if *format != "json" && *format != "text" {
			return usagef("--format %q: use json or text", *format)
		}
		opts.ZOrderBy = splitList(*zorder)
		opts.Full = *full
		if *full && len(opts.ZOrderBy) > 0 {
			return usagef("--full and --zorder-by exclude each other")
		}
		if *target != "" {
			n, err := parseBytes(*target)
			if err != nil {
				return usagef("--target-size %q: %v", *target, err)
			}
			opts.TargetFileSize = n
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer rc.tbl.Close()
	opts.Where = rc.where
	progress, done := newProgress(e)
	opts.Progress = progress
	res, err := optimize.Compact(ctx, rc.tbl, opts)
	done()
	if errors.Is(err, delta.ErrClusteringColumnMissingStats) {
		// Not a command-line mistake: the table's statistics settings
		// changed under its clustering columns; the message says the fix.
		return &cliError{msg: oneLine(err.Error()), err: err}
	}
	if errors.Is(err, optimize.ErrInvalidOptions) {
		// Every option came from the command line.
		return &cliError{msg: err.Error(), usage: true, err: err}
	}
	if err != nil {
		return conflictHint(err)
	}
	if *format == "text" {
		var cols []string
		if snap, err := rc.tbl.Snapshot(ctx); err == nil {
			cols = snap.ClusteringColumns()
		}
		return optimizeSummary(e.stdout, res, opts, cols)
	}
	return printResult(e, &delta.CommitResult{Version: res.Version, Operation: "OPTIMIZE", Metrics: res.Metrics.Map()})
}

func runClusterBy(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "cluster-by", "[--format text|json] TABLE a,b|NONE")
	format := fs.String("format", "", "text (a summary) or json (default: text on a terminal, json otherwise)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	*format = formatOr(*format, "json", "text", e.tty)
	if *format != "json" && *format != "text" {
		return usagef("--format %q: use json or text", *format)
	}
	if len(pos) != 2 {
		return usagef("expected TABLE and the clustering columns (a,b or NONE)")
	}
	var cols []string
	if !strings.EqualFold(strings.TrimSpace(pos[1]), "NONE") {
		if cols = splitList(pos[1]); len(cols) == 0 {
			return usagef("no clustering columns given (NONE stops clustering)")
		}
	}
	tbl, err := openTable(ctx, pos[0], fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	var old []string
	if snap, err := tbl.Snapshot(ctx); err == nil {
		old = snap.ClusteringColumns()
	}
	res, err := tbl.ClusterBy(ctx, cols, nil)
	if errors.Is(err, delta.ErrInvalidArgument) {
		return &cliError{msg: err.Error(), usage: true, err: err}
	}
	if err != nil {
		return conflictHint(err)
	}
	if *format == "text" {
		return clusterBySummary(e.stdout, res, old, cols, pos[0])
	}
	return printResult(e, res)
}
