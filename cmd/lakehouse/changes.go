package main

import (
	"context"

	"github.com/lakehouse-go/lakehouse/delta"
)

func runChanges(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "changes", "--from N [--to M] [--format jsonl|csv|table] TABLE")
	from := fs.Int64("from", 0, "first version of the change feed")
	to := fs.Int64("to", -1, "last version (default: latest)")
	format := fs.String("format", "", "jsonl, csv or table (default: table on a terminal, jsonl otherwise)")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	w, err := newRowWriter(formatOr(*format, "jsonl", "table", e.tty), e.stdout)
	if err != nil {
		return err
	}
	tbl, err := openTable(ctx, url)
	if err != nil {
		return err
	}
	defer tbl.Close()
	var opts *delta.ChangesOptions
	if *to >= 0 {
		opts = &delta.ChangesOptions{EndVersion: to}
	}
	rr, err := tbl.Changes(ctx, *from, opts)
	if err != nil {
		return err
	}
	defer rr.Release()
	return printRows(w, rr, -1)
}
