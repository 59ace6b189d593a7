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
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	url, err := oneTable(pos)
	if err != nil {
		return err
	}
	if *format == "" {
		*format = "jsonl"
		if e.tty {
			*format = "table"
		}
	}
	w, err := newRowWriter(*format, e.stdout)
	if err != nil {
		return err
	}
	tbl, err := delta.Open(ctx, url, nil)
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
	if err := w.header(rr.Schema()); err != nil {
		return err
	}
	for rr.Next() {
		rec := rr.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			if err := w.row(rec, i); err != nil {
				return err
			}
		}
	}
	if err := rr.Err(); err != nil {
		return err
	}
	return w.flush()
}
