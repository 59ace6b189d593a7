package main

import (
	"context"
	"errors"

	"github.com/lakehouse-go/lakehouse/delta"
	"github.com/lakehouse-go/lakehouse/optimize"
)

// optimizeCommands are the table maintenance commands.
func optimizeCommands() []command {
	return []command{
		{"optimize", "compact small files (OPTIMIZE), optionally Z-ordering by columns", runOptimize},
	}
}

func runOptimize(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "optimize", "[--where EXPR] [--zorder-by a,b] [--target-size BYTES] TABLE")
	where := fs.String("where", "", "Spark SQL predicate on partition columns: optimize only matching partitions (default: all)")
	zorder := fs.String("zorder-by", "", "cluster rows along a Z-order curve over these columns (comma-separated)")
	target := fs.String("target-size", "", "size of the files written, in bytes (suffixes k, m, g allowed; default: delta.targetFileSize, else 1g)")
	opts := &optimize.Options{}
	rc, err := openRowCommand(ctx, fs, args, where, func() error {
		opts.ZOrderBy = splitList(*zorder)
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
	if errors.Is(err, optimize.ErrInvalidOptions) {
		// Every option came from the command line.
		return &cliError{msg: err.Error(), usage: true, err: err}
	}
	if err != nil {
		return err
	}
	return printResult(e, &delta.CommitResult{Version: res.Version, Operation: "OPTIMIZE", Metrics: res.Metrics.Map()})
}
