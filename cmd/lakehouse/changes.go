package main

import (
	"context"
	"flag"
	"time"

	"github.com/lakehouse-go/lakehouse/delta"
)

func runChanges(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "changes", "--from N | --from-timestamp TIME [--to M | --to-timestamp TIME] [--format jsonl|csv|table] TABLE")
	from := fs.Int64("from", 0, "first version of the change feed")
	to := fs.Int64("to", -1, "last version (default: latest)")
	fromTS := fs.String("from-timestamp", "", "start at the first version committed at or after this time (RFC 3339, \"2006-01-02 15:04:05\" or a date; UTC without a zone)")
	toTS := fs.String("to-timestamp", "", "end at the last version committed at or before this time (same forms)")
	format := fs.String("format", "", "jsonl, csv or table (default: table on a terminal, jsonl otherwise)")
	url, err := tableArg(fs, args)
	if err != nil {
		return err
	}
	opts, err := changesOptions(fs, *to, *fromTS, *toTS)
	if err != nil {
		return err
	}
	w, err := newRowWriter(formatOr(*format, "jsonl", "table", e.tty), e.stdout)
	if err != nil {
		return err
	}
	tbl, err := openTable(ctx, url, fs.tableOptions())
	if err != nil {
		return err
	}
	defer tbl.Close()
	rr, err := tbl.Changes(ctx, *from, opts)
	if err != nil {
		return err
	}
	defer rr.Release()
	return printRows(w, rr, -1)
}

// changesOptions turns the parsed bound flags into options; a bound given
// both as a version and as a time is a usage error.
func changesOptions(fs *flagSet, to int64, fromTS, toTS string) (*delta.ChangesOptions, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, pair := range [][2]string{{"from", "from-timestamp"}, {"to", "to-timestamp"}} {
		if set[pair[0]] && set[pair[1]] {
			return nil, usagef("--%s and --%s are mutually exclusive", pair[0], pair[1])
		}
	}
	opts := &delta.ChangesOptions{}
	if to >= 0 {
		opts.EndVersion = &to
	}
	for _, b := range []struct {
		name, value string
		dst         *time.Time
	}{{"from-timestamp", fromTS, &opts.StartTimestamp}, {"to-timestamp", toTS, &opts.EndTimestamp}} {
		if b.value == "" {
			continue
		}
		ts, err := parseTime(b.value)
		if err != nil {
			return nil, usagef("--%s %q is not a time: use RFC 3339 (2024-05-01T12:00:00Z), \"2024-05-01 12:00:00\" or 2024-05-01", b.name, b.value)
		}
		*b.dst = ts
	}
	return opts, nil
}
