package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"text/tabwriter"

	"github.com/lakehouse-go/lakehouse/delta"
)

func runHistory(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "history", "[--limit N] [--format jsonl|table] TABLE")
	limit := fs.Int("limit", 0, "show only the N most recent versions")
	format := fs.String("format", "", "jsonl or table (default: table on a terminal, jsonl otherwise)")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	*format = formatOr(*format, "jsonl", "table", e.tty)
	if *format != "jsonl" && *format != "table" {
		return usagef("--format %q: use jsonl or table", *format)
	}
	tbl, err := openTable(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	entries, err := tbl.History(ctx, &delta.HistoryOptions{Limit: *limit})
	if err != nil {
		return err
	}
	if *format == "table" {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "version\ttimestamp\toperation\tparameters")
		for _, h := range entries {
			params, _ := json.Marshal(h.CommitInfo["operationParameters"])
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", h.Version, h.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z"), h.Operation(), params)
		}
		return tw.Flush()
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	for _, h := range entries {
		if err := enc.Encode(historyJSON(h)); err != nil {
			return err
		}
	}
	return nil
}

// historyJSON is one history line: the commitInfo fields, with version,
// timestamp (the commit time as an RFC 3339 string), operation and
// operationParameters always present.
func historyJSON(h delta.HistoryEntry) map[string]any {
	out := maps.Clone(map[string]any(h.CommitInfo))
	if out == nil {
		out = map[string]any{}
	}
	if ts, ok := out["timestamp"]; ok {
		out["commitInfoTimestamp"] = ts
	}
	out["version"] = h.Version
	out["timestamp"] = h.Timestamp.UTC().Format("2006-01-02T15:04:05.000000Z")
	if _, ok := out["operation"]; !ok {
		out["operation"] = nil
	}
	if _, ok := out["operationParameters"]; !ok {
		out["operationParameters"] = map[string]any{}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
