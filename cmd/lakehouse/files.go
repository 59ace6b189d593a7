package main

import (
	"context"
	"encoding/json"
)

func runFiles(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "files", "[--version N] [--format jsonl] TABLE")
	sf := snapshotFlags{}
	fs.Int64Var(&sf.version, "version", -1, "list the files of this table version")
	fs.StringVar(&sf.timestamp, "timestamp", "", "list the files of the version current at this time (RFC 3339)")
	format := fs.String("format", "jsonl", "jsonl")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	if *format != "jsonl" {
		return usagef("--format %q: use jsonl", *format)
	}
	tbl, snap, err := sf.open(ctx, url)
	if err != nil {
		return err
	}
	defer tbl.Close()
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for f, err := range snap.Files(ctx) {
		if err != nil {
			return err
		}
		out := *f
		if out.Stats == "" && out.StatsParsed != nil {
			if s, err := out.StatsParsed.Encode(); err == nil {
				out.Stats = s
			}
		}
		if out.PartitionValues == nil {
			out.PartitionValues = map[string]*string{}
		}
		if err := enc.Encode(&out); err != nil {
			return err
		}
	}
	return nil
}
