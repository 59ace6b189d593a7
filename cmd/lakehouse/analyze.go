package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/lakehouse-go/lakehouse/delta"
)

// runAnalyze is ANALYZE TABLE … COMPUTE DELTA STATISTICS.
func runAnalyze(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "analyze", "[--where EXPR] [--format text|json] TABLE")
	format := fs.String("format", "", "text (a summary) or json (default: text on a terminal, json otherwise)")
	where := fs.String("where", "", "Spark SQL predicate on partition columns: analyze only matching partitions (default: all)")
	rc, err := openRowCommand(ctx, fs, args, where, func() error {
		*format = formatOr(*format, "json", "text", e.tty)
		if *format != "json" && *format != "text" {
			return usagef("--format %q: use json or text", *format)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer rc.tbl.Close()
	progress, done := newProgress(e)
	res, err := rc.tbl.ComputeStatistics(ctx, rc.where, &delta.DMLOptions{Progress: progress})
	done()
	if errors.Is(err, delta.ErrInvalidArgument) {
		return &cliError{msg: err.Error(), usage: true, err: err}
	}
	if err != nil {
		return conflictHint(err)
	}
	if res == nil {
		snap, err := rc.tbl.Snapshot(ctx)
		if err != nil {
			return err
		}
		res = &delta.CommitResult{Version: snap.Version(), Operation: "COMPUTE STATS", Skipped: true,
			Metrics: map[string]string{"numFilesUpdated": "0"}}
	}
	if *format == "json" {
		return printResult(e, res)
	}
	if res.Skipped {
		_, err := fmt.Fprintf(e.stdout, "COMPUTE STATS: every file's statistics are current at version %d; nothing to commit\n", res.Version)
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "COMPUTE STATS: version %d\n  updated   %s of %s file(s) whose statistics were missing or stale\n  next      filters on the table's indexed columns now skip files by these statistics\n",
		res.Version, res.Metrics["numFilesUpdated"], res.Metrics["numFilesScanned"])
	return err
}
