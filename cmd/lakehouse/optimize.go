package main

import (
	"context"
	"errors"
	"strconv"
	"strings"

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

// parseBytes reads a positive byte count with an optional binary suffix
// (k, m, g, t; "kb", "mib" and the like are accepted too).
func parseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "b"), "i")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult > 1 {
			t = t[:n-1]
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive number of bytes, like 134217728 or 128m")
	}
	if n > (1<<62)/mult {
		return 0, errors.New("too large")
	}
	return n * mult, nil
}
